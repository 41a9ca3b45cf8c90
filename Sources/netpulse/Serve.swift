import ArgumentParser
import Foundation
import Logging
import NetPulse
import NetPulsePostgres
import NetPulseServer
import PostgresNIO

extension NetPulseCommand {
    /// `netpulse serve`: the NetPulse HTTP API (`/device/bulk`, `/pull/batch`, `/push/batch`, jobs).
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the NetPulse HTTP API (batch guide endpoints, job monitoring, OpenAPI document).",
            discussion: """
                API keys come from the environment variable named by --api-keys-env (comma-separated) and from \
                --api-keys-file (one key per line, optionally followed by 'read' for a read-only key). Without keys \
                the server refuses to start, unless --open is given and it listens on loopback. Prints \
                'listening on http://HOST:PORT' once it accepts requests; stops on SIGINT or SIGTERM, cancelling \
                queued work and closing every session.

                With --database postgres://..., batches are rows of that PostgreSQL database (see `netpulse db \
                migrate`): they outlive the process, any number of `serve` and `netpulse worker` processes share \
                them, and GET /workers lists the workers. This process also runs jobs unless --no-worker is given.
                """
        )

        @Option(help: "Address to listen on.")
        var bind: String = "127.0.0.1"

        @Option(help: "Port to listen on (0: any free port).")
        var port: Int = 8700

        @Option(help: "Environment variable with API keys (comma-separated).")
        var apiKeysEnv: String = "NETPULSE_API_KEYS"

        @Option(help: "File with API keys, one per line ('KEY' or 'KEY read').")
        var apiKeysFile: String?

        @Flag(help: "Serve without API keys (loopback addresses only).")
        var open = false

        @Option(help: "Largest request body, in bytes.")
        var maxBodyBytes: Int = 1 << 20

        @Option(help: "Most devices in one request.")
        var maxDevices: Int = 5_000

        @Option(help: "Longest ?wait= on GET /batches/{id}, in seconds.")
        var maxWait: Int = 60

        @Option(help: "Upper bound of a connection test's timeouts (POST /device/test), in seconds.")
        var maxTestSeconds: Int = 60

        @Option(help: "Devices requests may target: comma-separated IPv4 networks (a.b.c.d/n), addresses, names.")
        var allowTargets: String?

        @Option(help: "Hosts webhook URLs may name: IPv4 networks, addresses, names (default: loopback only).")
        var allowWebhookTargets: String?

        @Option(help: "Seconds running jobs may go on at shutdown before they are cancelled.")
        var gracePeriod: Double = 10

        @Option(
            name: .customLong("allow-request-files"),
            help: ArgumentHelp(
                "A directory whose files requests may name (key_file, known_hosts_file, a file:// parsing template); "
                    + "repeatable.",
                discussion: "Without it, a request naming a file on the server is refused (403)."))
        var allowedFileDirectories: [String] = []

        @Option(
            help: ArgumentHelp(
                "The weakest host-key checking a request may ask for: strict, accept-new or off.",
                discussion: "Default: --host-key-policy. Requests may always ask for stricter checking."))
        var requestHostKeyPolicy: ConnectionArgs.HostKeyMode?

        @Flag(help: "Let requests ask for legacy algorithms (legacy_algorithms: true).")
        var allowLegacyAlgorithms = false

        @Option(help: "Serve HTTPS with this certificate chain (PEM); needs --tls-key.")
        var tlsCertificate: String?

        @Option(help: "The private key (PEM) of --tls-certificate.")
        var tlsKey: String?

        @Option(help: "Seconds a connection may stay open without a request.")
        var idleTimeout: Double = 60

        @Option(help: "Requests per second each API key may make (bursts of twice as many); 0 for no limit.")
        var rateLimit: Double = 100

        @Option(help: "Jobs queued at once over every batch; more are answered 429.")
        var maxQueuedJobs: Int = 100_000

        @Option(help: "Upper bound of execution_timeout, in seconds.")
        var maxExecutionTimeout: Int = 3_600

        @Option(help: "Upper bound of result_ttl, in seconds.")
        var maxResultTtl: Int = 86_400

        @Option(help: "Log lines as text or as JSON objects (one per line), on standard error.")
        var logFormat: LogFormat = .text

        @Option(
            help: ArgumentHelp(
                "postgres://user[:password]@host[:port]/database[?sslmode=...]: keep batches in PostgreSQL.",
                discussion: "Without it, batches live in this process's memory (the embedded scheduler)."))
        var database: String?

        @Flag(help: "With --database: run no jobs in this process (only `netpulse worker` processes do).")
        var noWorker = false

        @Option(help: "With --database: seconds without a heartbeat after which a worker is dead.")
        var deadAfter: Double = 10

        @Option(help: "A YAML file of settings: every flag's (same names, with '_'), and limits without a flag.")
        var config: String?

        @Flag(help: "Print the effective configuration (file, then flags; API keys masked) as YAML and exit.")
        var printConfig = false

        @OptionGroup var connection: ConnectionOptions

        @OptionGroup var parsing: TemplateOptions

        @OptionGroup var platformFiles: PlatformOptions

        func validate() throws {
            try connection.validateLimits()
            if let folder = connection.sessionLogDir {
                var isDirectory: ObjCBool = false
                guard folder.hasPrefix("/"), FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
                    isDirectory.boolValue
                else { throw ValidationError("--session-log-dir: must be an existing folder, as an absolute path") }
            }
            try parsing.validate()
            guard maxTestSeconds >= 1 else { throw ValidationError("--max-test-seconds: must be at least 1") }
            guard maxWait >= 0 else { throw ValidationError("--max-wait: must not be negative") }
            guard gracePeriod >= 0 && gracePeriod <= 3600 else {
                throw ValidationError("--grace-period: must be between 0 and 3600")
            }
            guard (tlsCertificate == nil) == (tlsKey == nil) else {
                throw ValidationError("--tls-certificate and --tls-key go together")
            }
            guard idleTimeout > 0 && idleTimeout <= 86_400 else {
                throw ValidationError("--idle-timeout: must be in (0, 86400]")
            }
            guard rateLimit >= 0 && rateLimit <= 1e6 else { throw ValidationError("--rate-limit: must be in [0, 1e6]") }
            guard maxQueuedJobs >= 1 else { throw ValidationError("--max-queued-jobs: must be at least 1") }
            guard (1...31_536_000).contains(maxExecutionTimeout) else {
                throw ValidationError("--max-execution-timeout: must be between 1 and 31536000")
            }
            guard (0...31_536_000).contains(maxResultTtl) else {
                throw ValidationError("--max-result-ttl: must be between 0 and 31536000")
            }
            if noWorker && database == nil {
                throw ValidationError("--no-worker: only with --database (the embedded scheduler runs every job)")
            }
            guard deadAfter >= 2 && deadAfter <= 3600 else {
                throw ValidationError("--dead-after: must be between 2 and 3600 seconds")
            }
            if let database {
                do {
                    _ = try DatabaseURL(database)
                } catch {
                    throw ValidationError(error.message)
                }
            }
        }

        /// A comma-separated host filter of a flag; exit 2 naming the flag when malformed.
        static func filter(_ text: String?, flag: String) throws -> TargetFilter? {
            guard let text else { return nil }
            do {
                return try TargetFilter(text.split(separator: ",").map(String.init))
            } catch {
                printError("\(flag): \(error.reason)")
                throw ExitCode(2)
            }
        }

        func serve(_ fileOnly: ServeFileOnlySettings) async throws {
            let metrics = ServeObservability.bootstrap(logFormat: logFormat)
            let platforms = try platformFiles.registry()
            var keys = APIKeys()
            do {
                keys = try fileOnly.keys()
                if let value = ProcessInfo.processInfo.environment[apiKeysEnv], !value.isEmpty {
                    try keys.add(environmentValue: value, name: apiKeysEnv)
                }
                if let apiKeysFile { try keys.add(file: apiKeysFile) }
            } catch {
                printError("invalid API key: \(error)")
                throw ExitCode(2)
            }
            if open && !keys.isEmpty {
                printError("--open: API keys were given; the server will require them")
            }
            let targets = try Self.filter(allowTargets, flag: "--allow-targets")
            let webhookTargets = try Self.filter(allowWebhookTargets, flag: "--allow-webhook-targets")
            let weakest = requestHostKeyPolicy ?? connection.hostKeyPolicy
            var policy = RequestPolicy(
                allowedFileDirectories: allowedFileDirectories, weakestHostKeyMode: weakest,
                knownHostsFile: connection.knownHosts, allowLegacyAlgorithms: allowLegacyAlgorithms)
            policy.sessionLogDirectory = connection.sessionLogDir
            var api = NetPulseAPIConfiguration(
                apiKeys: keys, allowUnauthenticated: open, maxBodyBytes: maxBodyBytes, maxDevicesPerRequest: maxDevices,
                maxWait: .seconds(maxWait), maxTestDuration: .seconds(maxTestSeconds), allowedTargets: targets,
                requestPolicy: policy,
                rateLimit: rateLimit > 0
                    ? RateLimit(requestsPerSecond: rateLimit, burst: max(1, Int(rateLimit * 2))) : nil,
                logger: connection.logger)
            do {
                api.credentialProviders = try connection.credentialProviders(forServer: true)
            } catch {
                printError("cannot serve: \(error)")
                throw ExitCode(2)
            }
            api.webhookTargets = webhookTargets
            fileOnly.apply(to: &api)
            let tls = tlsCertificate.flatMap { certificate in
                tlsKey.map {
                    NetPulseServerConfiguration.TLSFiles(certificateChainFile: certificate, privateKeyFile: $0)
                }
            }
            var configuration = NetPulseServerConfiguration(
                host: bind, port: port, api: api, idleTimeout: .milliseconds(Int64(idleTimeout * 1000)), tls: tls,
                logger: connection.logger)
            configuration.metrics = metrics
            do {
                try configuration.validate()
            } catch {
                printError("cannot serve: \(error)")
                throw ExitCode(2)
            }
            if connection.hostKeyPolicy == .off {
                printError("warning: host-key checking is off; devices are not authenticated")
            }
            var scheduler = connection.schedulerConfiguration(drivers: connection.drivers(forServer: true))
            scheduler.parser = parsing.parser()
            scheduler.platforms = platforms
            scheduler.limits.shutdownGracePeriod = .milliseconds(Int64(gracePeriod * 1000))
            scheduler.limits.maxQueuedJobs = maxQueuedJobs
            scheduler.limits.maxExecutionTimeout = .seconds(maxExecutionTimeout)
            scheduler.limits.maxResultTTL = .seconds(maxResultTtl)
            fileOnly.apply(to: &scheduler)
            let mode = keys.isEmpty ? " (open, no API key)" : ""
            let scheme = tls == nil ? "http" : "https"
            if let database {
                try await serve(database: database, configuration: configuration, scheduler: scheduler, mode: mode)
                return
            }
            try await NetPulseAPIServer.run(configuration: configuration, scheduler: scheduler) { server in
                let shown = server.host.contains(":") ? "[\(server.host)]" : server.host
                printLine("listening on \(scheme)://\(shown):\(server.port)\(mode)")
            }
            printLine("stopped")
        }

        /// Serves over the PostgreSQL queue: the schema must be this program's; a worker runs beside
        /// the API unless --no-worker.
        private func serve(
            database: String, configuration: NetPulseServerConfiguration, scheduler: SchedulerConfiguration,
            mode: String
        ) async throws {
            let scheme = configuration.tls == nil ? "http" : "https"
            let info = ProcessInfo.processInfo
            var workerOptions: PostgresWorker.Options?
            if !noWorker {
                do {
                    var options = try PostgresWorker.Options(
                        name: "\(info.hostName)-\(info.processIdentifier)-serve", capacity: connection.maxConnections,
                        roundRobinLanes: connection.roundRobinLanes)
                    options.deadAfter = .milliseconds(Int64(deadAfter * 1000))
                    options.lease = options.deadAfter
                    workerOptions = options
                } catch {
                    printError(error.message)
                    throw ExitCode(2)
                }
            }
            let settings = workerOptions
            let dead = Duration.milliseconds(Int64(deadAfter * 1000))
            try await withDatabase(database, maxConnections: 16) { client, logger in
                try await PostgresSchema.check(client, logger: logger)
                let queue = PostgresQueue(client: client, configuration: scheduler)
                let localWorker = settings.map { PostgresWorker(queue: queue, options: $0) }
                var storeOptions = PostgresBatchStore.Options()
                // /health's open_connections: the connections of the worker in this process.
                storeOptions.localWorkers = localWorker.map { [$0] } ?? []
                let store = PostgresBatchStore(
                    queue: queue, annotations: NetPulseAPI.annotationCodec, options: storeOptions)
                var configuration = configuration
                configuration.api.workerDirectory = PostgresWorkerDirectory(
                    client: client, deadAfter: dead, logger: logger)
                let server = configuration
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await store.run() }
                    if let localWorker {
                        group.addTask { try await localWorker.run() }
                    }
                    try await NetPulseAPIServer.withServer(configuration: server, store: store, handleSignals: true) {
                        running in
                        let shown = running.host.contains(":") ? "[\(running.host)]" : running.host
                        let worker = settings == nil ? ", no worker" : ", with a worker"
                        printLine("listening on \(scheme)://\(shown):\(running.port)\(mode) (PostgreSQL\(worker))")
                        // Sends the webhooks of batches on the database whose follower is gone, and this API's.
                        let follower = PostgresWebhookFollower(store: store, dispatcher: running.api.webhooks)
                        let following = Task { await follower.run() }
                        await running.api.waitUntilDraining()
                        following.cancel()
                        await following.value
                    }
                    group.cancelAll()
                    while !group.isEmpty {
                        do { try await group.next() } catch is CancellationError {}
                    }
                }
            }
            printLine("stopped")
        }
    }
}
