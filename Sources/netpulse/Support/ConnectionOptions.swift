public import ArgumentParser
import Foundation
import Logging
import NetPulse
import NetPulseSSH
import NetPulseSSH2
import NetPulseSSHCore
import Synchronization

/// The command line spells the request's host-key modes with a dash (`accept-new`); the JSON spelling
/// (`accept_new`) is taken too. One type for both: the core's.
extension ConnectionArgs.HostKeyMode: ExpressibleByArgument {
    init?(argument: String) {
        self.init(rawValue: argument.replacingOccurrences(of: "-", with: "_"))
    }

    var defaultValueDescription: String { rawValue.replacingOccurrences(of: "_", with: "-") }

    static var allValueStrings: [String] { allCases.map(\.defaultValueDescription) }
}

/// Options shared by every command that connects to devices.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Host-key checking when a request does not say: strict, accept-new or off.")
    var hostKeyPolicy: ConnectionArgs.HostKeyMode = .strict

    @Option(help: "known_hosts file for strict and accept-new (default: ~/.ssh/known_hosts).")
    var knownHosts: String?

    @Option(help: "Connections open at once.")
    var maxConnections: Int = 512

    @Option(help: "Connects (TCP + SSH handshake + login) in progress at once.")
    var maxHandshakes: Int = 128

    @Option(
        help: ArgumentHelp(
            "Round-robin jobs at once (default: --max-connections).",
            discussion: """
                Below --max-connections, the other connections are kept for pinned devices (busy or idle), so \
                that a round-robin batch never closes an idle pinned session. By default both share \
                --max-connections, and a round-robin job that needs room closes the least recently used idle \
                pinned session.
                """))
    var roundRobinLanes: Int?

    @Flag(
        help:
            "Refuse legacy SSH algorithms (SHA-1 key exchange, ssh-rsa, CBC) to every device, whatever its request or platform says."
    )
    var refuseLegacyAlgorithms = false

    @Option(
        help: ArgumentHelp(
            "Threads that wait on SSH sockets and run the sessions (default: one per two cores, at most four).",
            discussion:
                "Each loop thread runs its sessions' crypto; one ran 5,000 lab sessions in 2.6-4.5 s on a two-core machine."
        ))
    var ioThreads: Int?

    @Flag(help: "Log debug details to standard error.")
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "Credential providers a request's `credential` may name (JSON or YAML; see the README).",
            discussion: "The provider 'env' (environment variables by prefix) is always there on the command line."))
    var credentials: String?

    @Option(
        help: ArgumentHelp(
            "Folder of session_log transcripts: a request's session_log then names a file in it.",
            discussion: "Without it, run and exec take session_log as a path, and serve refuses it."))
    var sessionLogDir: String?

    var policy: HostKeyPolicy {
        switch hostKeyPolicy {
        case .strict: .strict(knownHostsFile: knownHosts)
        case .acceptNew: .acceptNew(knownHostsFile: knownHosts)
        case .off: .off
        }
    }

    var logger: Logger {
        var logger = Logger(label: "netpulse")
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    /// The credential providers: `env`, and those of --credentials. Over HTTP (`forServer`) only the
    /// configured ones, each with its allowed references.
    func credentialProviders(forServer: Bool) throws -> CredentialProviders {
        var providers = CredentialProviders()
        if let credentials {
            let tree = try YAMLTree.load(path: credentials)
            do {
                providers = try CredentialProviders(
                    configuration: tree, yamlDecoder: { try YAMLTree.decode($0) }, requireAllowList: forServer)
            } catch {
                throw YAMLTree.Failure(description: "--credentials \(credentials): \(error.message)")
            }
        }
        if !forServer, !providers.names.contains("env") {
            providers.register("env", EnvironmentCredentialProvider())
        }
        return providers
    }

    func validate() throws {
        if let ioThreads, !(1...64).contains(ioThreads) {
            throw ValidationError("--io-threads: must be between 1 and 64, got \(ioThreads)")
        }
    }

    func validateLimits() throws {
        guard maxConnections >= 1 else { throw ValidationError("--max-connections: must be at least 1") }
        guard maxHandshakes >= 1 else { throw ValidationError("--max-handshakes: must be at least 1") }
        if let roundRobinLanes, !(1...max(1, maxConnections)).contains(roundRobinLanes) {
            throw ValidationError(
                "--round-robin-lanes: must be between 1 and --max-connections (\(maxConnections)), got \(roundRobinLanes)"
            )
        }
    }

    /// The drivers this tool offers, with the host-key policy of these options.
    ///
    /// - Parameter forServer: Whether requests come over HTTP (then `session_log` needs --session-log-dir).
    func drivers(forServer: Bool = false) -> DriverRegistry {
        var configuration = SSHDriverConfiguration(
            hostKeyPolicy: policy, allowsLegacyAlgorithms: !refuseLegacyAlgorithms)
        configuration.sessionLogs = sessionLogDir.map { .directory($0) } ?? (forServer ? .refused : .anyPath)
        if let ioThreads { configuration.loop = Self.loop(threads: ioThreads) }
        return DriverSetup.registry(configuration: configuration)
    }

    func schedulerConfiguration(drivers: DriverRegistry) -> SchedulerConfiguration {
        let open = max(1, maxConnections)
        let lanes = min(open, max(1, roundRobinLanes ?? open))
        return SchedulerConfiguration(
            drivers: drivers,
            limits: .init(
                maxOpenConnections: open,
                maxConnectsInProgress: min(open, max(1, maxHandshakes)),
                // The same split as a PostgreSQL worker's (PostgresWorker.Options.roundRobinLanes).
                maxPinnedSessions: lanes < open ? open - lanes : open,
                roundRobinLanes: lanes
            ),
            logger: logger
        )
    }
}

extension ConnectionOptions {
    /// The loops of `--io-threads`: one per thread count in the process, however often drivers are made.
    private static let loops = Mutex<[Int: ReadinessLoop]>([:])

    static func loop(threads: Int) -> ReadinessLoop {
        loops.withLock { loops in
            if let loop = loops[threads] { return loop }
            FileLimits.raiseOpenFileLimit()
            let loop = ReadinessLoop(threads: threads)
            loops[threads] = loop
            return loop
        }
    }
}

enum DriverSetup {
    /// The name requests that say `netmiko` (or nothing specific) run on: the backend that negotiates
    /// the most here (libssh 0.10 has rsa-sha2-256/512 host keys, AES-GCM and chacha20-poly1305;
    /// libssh2 1.10 has none of them), so that netmiko payloads reach what netmiko reaches.
    static let defaultDriver = LibSSHDriver.name

    /// Both SSH backends: `libssh` (aliases `ssh`, `netmiko`, `paramiko`) and `libssh2` (alias `ssh2`).
    static func registry(configuration: SSHDriverConfiguration) -> DriverRegistry {
        var registry = DriverRegistry()
        registry.registerLibSSH2(configuration: configuration)
        registry.registerLibSSH(configuration: configuration)
        registry.alias(["netmiko", "paramiko"], to: defaultDriver)
        return registry
    }
}

/// Logging for the command-line tool: warnings and errors on standard error (debug with --verbose).
enum LoggingSetup {
    static func bootstrap() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .debug
            return handler
        }
    }
}
