import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
public import NetPulse
public import NetPulseObservability
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// Where and how ``NetPulseServer`` listens.
public struct NetPulseServerConfiguration: Sendable {
    /// The address to bind: an IP address or `localhost` (default `127.0.0.1`).
    public var host: String
    /// The port; 0 lets the system choose (see ``RunningNetPulseServer/port``).
    public var port: Int
    /// Keys and limits of the API.
    public var api: NetPulseAPIConfiguration
    /// A connection with no request in progress for this long is closed (slow or idle clients cannot
    /// hold connections open); `nil` for none.
    public var idleTimeout: Duration?
    /// Serve HTTPS with this certificate and key; `nil` for plain HTTP. Request bodies carry device
    /// passwords: use it whenever the server listens beyond loopback.
    public var tls: TLSFiles?
    /// How often to give memory freed by purges back to the system (glibc keeps it otherwise); `nil`
    /// never.
    public var memoryReleaseInterval: Duration?
    /// Where the HTTP server logs.
    public var logger: Logger
    /// Serves `GET /metrics` (no API key) from this endpoint's registry; `nil` for no such route.
    public var metrics: PrometheusEndpoint?

    /// A certificate chain and its private key, PEM files.
    public struct TLSFiles: Sendable, Hashable {
        /// The certificate, followed by any intermediate certificates (PEM).
        public var certificateChainFile: String
        /// The private key (PEM).
        public var privateKeyFile: String

        public init(certificateChainFile: String, privateKeyFile: String) {
            self.certificateChainFile = certificateChainFile
            self.privateKeyFile = privateKeyFile
        }
    }

    /// - Parameters:
    ///   - host: The address to bind (default loopback).
    ///   - port: The port (default 8700; 0 for any free one).
    ///   - api: Keys and limits.
    ///   - idleTimeout: How long a connection may stay open without a request (default 60 s).
    ///   - tls: The certificate and key for HTTPS (default: plain HTTP).
    ///   - memoryReleaseInterval: How often freed memory is given back to the system (default 10 s).
    ///   - logger: Where the HTTP server logs (default: the task-local `Logger.current`).
    public init(
        host: String = "127.0.0.1",
        port: Int = 8700,
        api: NetPulseAPIConfiguration = NetPulseAPIConfiguration(),
        idleTimeout: Duration? = .seconds(60),
        tls: TLSFiles? = nil,
        memoryReleaseInterval: Duration? = .seconds(10),
        logger: Logger = Logger.current
    ) {
        self.host = host
        self.port = port
        self.api = api
        self.idleTimeout = idleTimeout
        self.tls = tls
        self.memoryReleaseInterval = memoryReleaseInterval
        self.logger = logger
    }

    /// The HTTP/1.1 server, with TLS when configured.
    func serverBuilder() throws(ServerConfigurationError) -> HTTPServerBuilder {
        var idle: TimeAmount?
        if let idleTimeout {
            let (seconds, attoseconds) = idleTimeout.components
            idle = .nanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
        }
        let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: idle))
        guard let tls else { return http }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainFile)
        } catch {
            throw ServerConfigurationError(field: "tls.certificate_file", reason: "cannot load a PEM certificate")
        }
        guard !chain.isEmpty else {
            throw ServerConfigurationError(field: "tls.certificate_file", reason: "holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: tls.privateKeyFile, format: .pem)
        } catch {
            throw ServerConfigurationError(field: "tls.key_file", reason: "cannot load a PEM private key")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            return try .tls(http, tlsConfiguration: configuration)
        } catch {
            throw ServerConfigurationError(field: "tls", reason: "the certificate and key cannot be used together")
        }
    }

    /// Checks the settings: keys are required unless unauthenticated access was asked for, and
    /// that is only allowed on a loopback address; the OpenAPI document's resource must be installed.
    ///
    /// - Throws: ``ServerConfigurationError`` naming the setting at fault.
    public func validate() throws(ServerConfigurationError) {
        try api.validate()
        // The served OpenAPI document is a resource file: without it, refuse to start rather than serve a 500.
        try OpenAPIDocument.check()
        guard (0...65_535).contains(port) else {
            throw ServerConfigurationError(field: "port", reason: "must be between 0 and 65535, got \(port)")
        }
        if let idleTimeout, idleTimeout <= .zero {
            throw ServerConfigurationError(field: "idle_timeout", reason: "must be greater than 0")
        }
        if let memoryReleaseInterval, memoryReleaseInterval <= .zero {
            throw ServerConfigurationError(field: "memory_release_interval", reason: "must be greater than 0")
        }
        // Loads the certificate and key, so that a bad file is reported before anything starts.
        if tls != nil { _ = try serverBuilder() }
        if api.apiKeys.isEmpty && !Self.isLoopback(host) {
            throw ServerConfigurationError(
                field: "host",
                reason: "running without API keys is allowed on a loopback address only, not on '\(host)'")
        }
    }

    /// Whether `host` is a loopback address: `localhost`, 127.0.0.0/8 or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && UInt8(part) != nil
        }
    }
}

/// A running server, as ``NetPulseAPIServer/withServer(configuration:scheduler:handleSignals:_:)`` hands it to its body.
public struct RunningNetPulseServer: Sendable {
    /// The port the server listens on (the chosen one when configured with 0).
    public let port: Int
    public let host: String
    /// The API's routes and state.
    public let api: NetPulseAPI
    /// The scheduler that runs the batches.
    public let scheduler: Scheduler
}

/// A running server over a `BatchStore` other than the in-memory scheduler, as
/// ``NetPulseAPIServer/withServer(configuration:store:handleSignals:_:)`` hands it to its body.
public struct RunningNetPulseStoreServer: Sendable {
    /// The port the server listens on (the chosen one when configured with 0).
    public let port: Int
    public let host: String
    /// The API's routes and state.
    public let api: NetPulseAPI
}

/// The NetPulse HTTP API as a server of its own: hummingbird on the configured address, a
/// `Scheduler` behind it, and one lifecycle for both.
///
/// On shutdown (the body returns, or SIGINT/SIGTERM when signals are handled), the server first
/// stops taking work (submissions get 503), then shuts the scheduler down (queued jobs are
/// reported `cancelled`, running ones get the scheduler's grace period and are then cancelled,
/// every session is closed), which also ends every `?wait=`; only then does the HTTP server stop,
/// after answering the requests in flight.
public enum NetPulseAPIServer {
    /// Runs a server while `body` runs, then shuts it down gracefully.
    ///
    /// - Parameters:
    ///   - configuration: Address, keys and limits.
    ///   - schedulerConfiguration: The scheduler's drivers, platforms and limits.
    ///   - handleSignals: Also shut down on SIGINT and SIGTERM.
    ///   - body: Runs while the server listens.
    /// - Returns: What `body` returns.
    /// - Throws: ``ServerConfigurationError`` for an unusable configuration, `ConfigurationError`
    ///   for unusable scheduler limits, the bind error when the address cannot be used, or what
    ///   `body` throws.
    public static func withServer<Result: Sendable>(
        configuration: NetPulseServerConfiguration,
        scheduler schedulerConfiguration: SchedulerConfiguration,
        handleSignals: Bool = false,
        _ body: @Sendable (RunningNetPulseServer) async throws -> Result
    ) async throws -> Result {
        try configuration.validate()
        let server = try configuration.serverBuilder()
        return try await withScheduler(configuration: schedulerConfiguration) { scheduler in
            let api = NetPulseAPI(scheduler: scheduler, configuration: configuration.api)
            var extra: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if let interval = configuration.memoryReleaseInterval {
                extra.append(.init(service: MemoryReleaseService(scheduler: scheduler, interval: interval)))
            }
            return try await serve(
                api: api, server: server, configuration: configuration, services: extra,
                handleSignals: handleSignals
            ) { port in
                try await body(
                    RunningNetPulseServer(port: port, host: configuration.host, api: api, scheduler: scheduler))
            }
        }
    }

    /// Runs a server over `store` while `body` runs, then shuts it down gracefully: the API stops
    /// taking work, then `BatchStore/shutdown()` is called. The store (its database client, its
    /// worker) is the caller's to run.
    ///
    /// - Throws: ``ServerConfigurationError`` for an unusable configuration, the bind error when the
    ///   address cannot be used, or what `body` throws.
    public static func withServer<Result: Sendable>(
        configuration: NetPulseServerConfiguration,
        store: any BatchStore,
        handleSignals: Bool = false,
        _ body: @Sendable (RunningNetPulseStoreServer) async throws -> Result
    ) async throws -> Result {
        try configuration.validate()
        let server = try configuration.serverBuilder()
        let api = NetPulseAPI(store: store, configuration: configuration.api)
        return try await serve(
            api: api, server: server, configuration: configuration, services: [], handleSignals: handleSignals
        ) { port in
            try await body(RunningNetPulseStoreServer(port: port, host: configuration.host, api: api))
        }
    }

    private static func serve<Result: Sendable>(
        api: NetPulseAPI, server: HTTPServerBuilder, configuration: NetPulseServerConfiguration,
        services extra: [ServiceGroupConfiguration.ServiceConfiguration], handleSignals: Bool,
        _ body: @Sendable (Int) async throws -> Result
    ) async throws -> Result {
        let router = Router()
        // Outermost: a span and metrics per request (route and final status), errors included.
        router.add(middleware: TracingMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: JSONErrorMiddleware())
        configuration.metrics?.addRoutes(to: router)
        api.addRoutes(to: router)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? configuration.port)
                portContinuation.finish()
            },
            logger: configuration.logger
        )
        let services: [ServiceGroupConfiguration.ServiceConfiguration] =
            [
                .init(service: app),
                // Shut down first (services stop in reverse order): drain, then the scheduler.
                .init(service: SchedulerService(api: api)),
            ] + extra
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                logger: configuration.logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { portContinuation.finish() }
                try await group.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                // The server stopped before it listened: its error says why.
                try await tasks.waitForAll()
                throw ServerConfigurationError(field: "host", reason: "the server stopped before listening")
            }
            configuration.logger.info(
                "NetPulse API listening",
                metadata: ["address": "\(configuration.host):\(port)", "keys": "\(configuration.api.apiKeys)"])
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await body(port))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    /// Runs a server until SIGINT or SIGTERM, then shuts it down gracefully.
    ///
    /// - Parameters:
    ///   - configuration: Address, keys and limits.
    ///   - scheduler: The scheduler's drivers, platforms and limits.
    ///   - onRunning: Called once the server listens, with the running server.
    public static func run(
        configuration: NetPulseServerConfiguration,
        scheduler: SchedulerConfiguration,
        onRunning: @Sendable (RunningNetPulseServer) async -> Void = { _ in }
    ) async throws {
        try await withServer(configuration: configuration, scheduler: scheduler, handleSignals: true) { server in
            await onRunning(server)
            await server.api.waitUntilDraining()
        }
    }
}

/// Ties the scheduler to the service group: on graceful shutdown, the API stops taking work and the
/// scheduler cancels what is left and closes every session.
struct SchedulerService: Service {
    let api: NetPulseAPI

    func run() async throws {
        try? await gracefulShutdown()
        api.beginDraining()
        await api.store.shutdown()
        await api.webhooks.finish(within: .seconds(10))
    }
}
