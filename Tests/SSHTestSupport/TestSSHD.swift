public import Foundation
import Synchronization

/// An OpenSSH `sshd` that a test suite starts on loopback with its own config, host key, client
/// keys and test user, and stops when done.
///
/// It needs `/usr/sbin/sshd` and root (to create the test user and run sshd's privilege separation).
/// Without them ``start(configuration:)`` throws: tests that need sshd fail, they never skip.
public final class TestSSHD: Sendable {
    /// What the server offers.
    public struct Configuration: Sendable {
        /// Extra `sshd_config` lines (e.g. `Match LocalPort`/`ForceCommand` for a device-like shell).
        /// Global lines before the first `Match` override the harness's defaults (`UsePAM no`).
        public var extraConfig: [String]
        /// Extra command-line arguments for sshd (e.g. `-r`: no re-exec per connection, cheaper logins
        /// for load tests).
        public var arguments: [String] = []
        /// Deadline for sshd to say it is listening.
        public var startTimeout: Duration
        /// The type of the server's only host key (`ssh-keygen -t`): `ed25519`, `rsa`, `ecdsa`.
        public var hostKeyType: String
        /// Extra loopback ports the server listens on besides its own (sshd serves at most 16 sockets).
        public var extraPorts: Int
        /// A command that runs sshd (e.g. `ip netns exec NAME`: the server listens on the loopback of a
        /// network namespace the test made); empty: sshd is started directly.
        public var launcher: [String] = []

        public init(
            extraConfig: [String] = [], startTimeout: Duration = .seconds(60), hostKeyType: String = "ed25519",
            extraPorts: Int = 0
        ) {
            self.extraConfig = extraConfig
            self.startTimeout = startTimeout
            self.hostKeyType = hostKeyType
            self.extraPorts = extraPorts
        }
    }

    /// Why the server could not start.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String

        /// Set when sshd could not bind one of its ports because something else held it: a start
        /// on other ports may succeed.
        public var isPortTaken: Bool

        public init(description: String, isPortTaken: Bool = false) {
            self.description = description
            self.isPortTaken = isPortTaken
        }
    }

    /// The test user and its password.
    public static let username = "nptest"
    public static let password = "np-Test-pw-7"
    /// The passphrase of ``passphraseKeyFile``.
    public static let keyPassphrase = "np-key-phrase"

    public let host = "127.0.0.1"
    public let port: Int
    /// The folder holding config, keys and known_hosts; removed by ``stop()``.
    public let directory: String
    /// A known_hosts file with the server's host key under `[127.0.0.1]:PORT` (and each extra `Port`).
    public let knownHostsFile: String
    /// Every port the server listens on: ``port`` first, then the extra ones.
    public let ports: [Int]
    /// The server's host public key line (`ssh-ed25519 AAAA...`).
    public let hostPublicKey: String
    /// An ed25519 client key without passphrase, authorized for the test user.
    public let clientKeyFile: String
    /// An ed25519 client key with ``keyPassphrase``, authorized for the test user.
    public let passphraseKeyFile: String
    /// An ed25519 client key that is NOT authorized.
    public let unauthorizedKeyFile: String

    private let process: ChildProcess
    private let log: LogBuffer

    private init(
        port: Int, ports: [Int], directory: String, knownHostsFile: String, hostPublicKey: String,
        clientKeyFile: String, passphraseKeyFile: String, unauthorizedKeyFile: String, process: ChildProcess,
        log: LogBuffer
    ) {
        self.port = port
        self.ports = ports
        self.directory = directory
        self.knownHostsFile = knownHostsFile
        self.hostPublicKey = hostPublicKey
        self.clientKeyFile = clientKeyFile
        self.passphraseKeyFile = passphraseKeyFile
        self.unauthorizedKeyFile = unauthorizedKeyFile
        self.process = process
        self.log = log
    }

    /// What sshd has logged so far.
    public var logText: String { log.text.withLock { $0 } }

    /// Waits until sshd has logged `needle`, at most `timeout`.
    ///
    /// - Returns: Whether the text appeared in time.
    public func waitForLog(containing needle: String, timeout: Duration) async -> Bool {
        let id = UUID()
        let log = self.log
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await log.wait(id: id, for: needle)
                return log.text.withLock { $0.contains(needle) }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)  // the deadline, not a wait for the event
                return false
            }
            let first = await group.next() ?? false
            log.abandon(id)
            group.cancelAll()
            return first
        }
    }

    /// Starts a server on a free loopback port and waits until it listens.
    ///
    /// A port picked as free can be taken by another process before sshd binds it; the start is
    /// then tried again on other ports, up to four times in all. Ports named in the configuration's
    /// extra lines stay as they are: for those, `with` given a configuration maker picks fresh
    /// ones.
    public static func start(configuration: Configuration = Configuration()) async throws -> TestSSHD {
        try await start(configuration: { configuration })
    }

    /// Starts a server with a configuration from `makeConfiguration`, made afresh for each of at most
    /// four attempts: another is made only when a port was taken before sshd could bind it.
    private static func start(configuration makeConfiguration: () throws -> Configuration) async throws -> TestSSHD {
        var attempt = 1
        while true {
            do {
                return try await startOnce(configuration: try makeConfiguration())
            } catch let failure as Failure where failure.isPortTaken && attempt < 4 {
                attempt += 1
            }
        }
    }

    private static func startOnce(configuration: Configuration) async throws -> TestSSHD {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            throw Failure(description: "/usr/sbin/sshd is missing: install openssh-server (scripts/bootstrap.sh)")
        }
        guard getuid() == 0 else {
            throw Failure(description: "the sshd tests need root (to create the test user); CI runs as root")
        }
        try await ensureTestUser()
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("netpulse-sshd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let hostKey = "\(directory)/ssh_host_\(configuration.hostKeyType)_key"
        let clientKey = "\(directory)/client_ed25519"
        let phraseKey = "\(directory)/client_phrase_ed25519"
        let otherKey = "\(directory)/client_other_ed25519"
        try await run("/usr/bin/ssh-keygen", ["-q", "-t", configuration.hostKeyType, "-N", "", "-f", hostKey])
        try await run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey])
        try await run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", keyPassphrase, "-f", phraseKey])
        try await run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey])
        let authorized =
            try String(contentsOfFile: clientKey + ".pub", encoding: .utf8)
            + String(contentsOfFile: phraseKey + ".pub", encoding: .utf8)
        try authorized.write(toFile: "\(directory)/authorized_keys", atomically: true, encoding: .utf8)
        // sshd reads authorized_keys as the user.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)

        let port = try freePort()
        let ownExtraPorts = try (0..<configuration.extraPorts).map { _ in try freePort() }
        // sshd keeps the first value of a keyword: extra global lines go first, so they override the
        // defaults below; `Match` blocks (and what follows them) must come last.
        let firstMatch =
            configuration.extraConfig.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("Match ") }
            ?? configuration.extraConfig.endIndex
        let config =
            Array(configuration.extraConfig[..<firstMatch])
            + [
                "Port \(port)"
            ] + ownExtraPorts.map { "Port \($0)" } + [
                "ListenAddress 127.0.0.1",
                "HostKey \(hostKey)",
                "PidFile \(directory)/sshd.pid",
                "AuthorizedKeysFile \(directory)/authorized_keys",
                "StrictModes no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication yes",
                "KbdInteractiveAuthentication yes",
                "UsePAM yes",
                "PermitRootLogin no",
                "AllowUsers \(username)",
                "MaxStartups 2000:30:4000",
                "MaxSessions 100",
                "LoginGraceTime 60",
                "PrintMotd no",
                "LogLevel INFO",
            ] + configuration.extraConfig[firstMatch...]
        let configFile = "\(directory)/sshd_config"
        try (config.joined(separator: "\n") + "\n").write(toFile: configFile, atomically: true, encoding: .utf8)

        // sshd logs to a pipe that a Dispatch thread drains; its "listening" line is the event
        // the start waits for.
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw Failure(description: "pipe() failed") }
        let process: ChildProcess
        do {
            let command = configuration.launcher + ["/usr/sbin/sshd", "-D", "-e", "-f", configFile]
            process = try ChildProcess.spawn(
                command[0], Array(command.dropFirst()) + configuration.arguments, stderr: pipeFDs[1])
        } catch {
            close(pipeFDs[0])
            close(pipeFDs[1])
            throw error
        }
        close(pipeFDs[1])
        let log = LogBuffer()
        enum Start { case listening, portTaken, timedOut }
        let listening = AsyncStream<Start>.makeStream()
        let readEnd = pipeFDs[0]
        // Every port the server listens on (its own and any `Port N` in the extra lines) must be
        // announced before the server counts as started.
        let extraPorts =
            ownExtraPorts
            + configuration.extraConfig.compactMap { line -> Int? in
                let words = line.split(separator: " ")
                return words.count == 2 && words[0] == "Port" ? Int(words[1]) : nil
            }
        let markers = ([port] + extraPorts).map { "Server listening on 127.0.0.1 port \($0)." }
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var announced = false
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count <= 0 { break }
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                // Markers are searched for only until found: the log grows with every login.
                let (ready, portTaken) = log.text.withLock { log -> (Bool, Bool) in
                    log += text
                    guard !announced else { return (false, false) }
                    // The whole log is searched, not this chunk: a line can arrive in two reads.
                    return (markers.allSatisfy { log.contains($0) }, log.contains("Address already in use"))
                }
                log.notifyWaiters()
                if ready {
                    announced = true
                    listening.continuation.yield(.listening)
                } else if portTaken {
                    // A port picked as free was taken meanwhile (e.g. as another socket's ephemeral
                    // port): fail at once, so that the caller can retry with other ports.
                    announced = true
                    listening.continuation.yield(.portTaken)
                }
            }
            close(readEnd)
            listening.continuation.finish()
        }

        // Wait for sshd's own "listening" line, with a deadline.
        let start = await withTaskGroup(of: Start.self) { group in
            group.addTask {
                for await start in listening.stream { return start }
                return .timedOut  // sshd exited without a word about its ports
            }
            group.addTask {
                try? await Task.sleep(for: configuration.startTimeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
        guard start == .listening else {
            process.signal(SIGTERM)
            _ = await process.wait()
            try? FileManager.default.removeItem(atPath: directory)
            let portTaken = start == .portTaken
            let what = portTaken ? "sshd could not bind a port" : "sshd did not start listening"
            throw Failure(description: "\(what): \(log.text.withLock { $0 })", isPortTaken: portTaken)
        }
        let hostPublicKey = try String(contentsOfFile: hostKey + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = "\(directory)/known_hosts"
        try ([port] + extraPorts).map { "[127.0.0.1]:\($0) \(hostPublicKey)\n" }.joined()
            .write(toFile: knownHosts, atomically: true, encoding: .utf8)
        return TestSSHD(
            port: port, ports: [port] + extraPorts, directory: directory, knownHostsFile: knownHosts,
            hostPublicKey: hostPublicKey,
            clientKeyFile: clientKey, passphraseKeyFile: phraseKey, unauthorizedKeyFile: otherKey,
            process: process, log: log
        )
    }

    /// The sshd's process id.
    public var pid: pid_t { process.pid }

    /// Sends `signal` to every process this sshd started for its connections (its descendants, found
    /// through `/proc`), never to the listening sshd itself: `SIGSTOP` makes every open session a peer
    /// that no longer answers, `SIGCONT` wakes them.
    ///
    /// - Returns: How many processes were signalled.
    @discardableResult
    public func signalSessions(_ signal: Int32) -> Int {
        var parents: [pid_t: pid_t] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { parents[child] = parent }
        }
        var descendants: Set<pid_t> = []
        var frontier: Set<pid_t> = [pid]
        while !frontier.isEmpty {
            let next = Set(parents.filter { frontier.contains($0.value) }.keys).subtracting(descendants)
            descendants.formUnion(next)
            frontier = next
        }
        for child in descendants { kill(child, signal) }
        return descendants.count
    }

    /// Stops the server (only the sshd this object started, by its PID), waits for it to exit, and
    /// removes its folder.
    public func stop() async {
        process.signal(SIGTERM)
        _ = await process.wait()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` with a started server, stopping it afterwards, also when `body` throws.
    public static func with<T>(
        configuration: Configuration = Configuration(),
        _ body: (TestSSHD) async throws -> T
    ) async throws -> T {
        try await with(configuration: { configuration }, body)
    }

    /// Runs `body` with a started server, retrying the start (with a fresh configuration, so fresh
    /// ports) when a port picked as free was taken before sshd could bind it.
    public static func with<T>(
        configuration makeConfiguration: () throws -> Configuration,
        _ body: (TestSSHD) async throws -> T
    ) async throws -> T {
        let server = try await start(configuration: makeConfiguration)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Creates the test user with its password (idempotent; safe to race: useradd of an existing
    /// user fails and is ignored, chpasswd sets the same password).
    static func ensureTestUser() async throws {
        if (try? await run("/usr/bin/id", ["-u", username])) == nil {
            _ = try? await run("/usr/sbin/useradd", ["-m", "-s", "/bin/sh", username])
            try await run("/usr/bin/id", ["-u", username])
        }
        try await run("/bin/sh", ["-c", "echo '\(username):\(password)' | /usr/sbin/chpasswd"])
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) async throws -> String {
        let (status, output) = try await ChildProcess.run(tool, arguments)
        guard status == 0 else { throw Failure(description: "\(tool) failed (\(status)): \(output)") }
        return output
    }

    /// Ports this process has handed out, so two servers never get the same one.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A loopback port that was free a moment ago, chosen below the kernel's ephemeral range: a port
    /// from that range could be taken as the local port of an outgoing connection (tests make
    /// thousands) between this check and the server's bind.
    public static func freePort() throws -> Int {
        let range = ephemeralRange()
        let low = 10_000
        let high = max(low + 1_000, range.lowerBound)
        for _ in 0..<200 {
            let candidate = Int.random(in: low..<high)
            let fresh = handedOut.withLock { $0.insert(candidate).inserted }
            if fresh, canBind(candidate) { return candidate }
        }
        throw Failure(description: "no free loopback port in \(low)..<\(high)")
    }

    /// The kernel's range of ports for outgoing connections.
    static func ephemeralRange() -> ClosedRange<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] <= numbers[1] else { return 32_768...60_999 }
        return numbers[0]...numbers[1]
    }

    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// sshd's stderr, collected as it arrives, with tasks waiting for a text to appear in it.
final class LogBuffer: Sendable {
    let text = Mutex("")

    private struct Waiters {
        var pending: [UUID: (needle: String, continuation: CheckedContinuation<Void, Never>)] = [:]
        var abandoned: Set<UUID> = []
    }

    private let waiters = Mutex(Waiters())

    /// Returns once `needle` is in the log, or once ``abandon(_:)`` was called for `id`.
    func wait(id: UUID, for needle: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = waiters.withLock { waiters -> Bool in
                if waiters.abandoned.remove(id) != nil { return true }
                if text.withLock({ $0.contains(needle) }) { return true }
                waiters.pending[id] = (needle, continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Stops a wait (after its deadline passed); harmless when it already ended.
    func abandon(_ id: UUID) {
        let waiter = waiters.withLock { waiters in
            let waiter = waiters.pending.removeValue(forKey: id)
            if waiter == nil { waiters.abandoned.insert(id) }
            return waiter
        }
        waiter?.continuation.resume()
    }

    /// Wakes the waiters whose text has arrived (called by the reader after each append).
    func notifyWaiters() {
        let ready = waiters.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            if waiters.pending.isEmpty { return [] }
            let current = text.withLock { $0 }
            let matched = waiters.pending.filter { current.contains($0.value.needle) }
            for id in matched.keys { waiters.pending[id] = nil }
            return matched.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }
}
