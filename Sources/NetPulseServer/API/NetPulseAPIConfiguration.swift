public import Logging
public import NetPulse

/// What the HTTP API accepts: its keys and its limits.
public struct NetPulseAPIConfiguration: Sendable {
    /// Keys accepted in `X-API-KEY`.
    public var apiKeys: APIKeys
    /// Serve without keys. Only ``NetPulseServer`` checks that it then listens on loopback; a host app
    /// that mounts the routes decides for itself.
    public var allowUnauthenticated: Bool
    /// Largest request body accepted, in bytes; a larger one is answered 413.
    public var maxBodyBytes: Int
    /// Most devices in one request; more is answered 413 (field `devices`).
    public var maxDevicesPerRequest: Int
    /// Longest `?wait=` on `GET /batches/{id}`; a longer one is answered 422 (field `wait`).
    public var maxWait: Duration
    /// Most jobs `GET /jobs` returns (and the largest `limit` it accepts).
    public var maxJobsListed: Int
    /// Connection tests (`POST /device/test`) running at once; more are answered 429.
    public var maxConcurrentTests: Int
    /// Upper bound of the timeouts of one connection test, whatever the request says.
    public var maxTestDuration: Duration
    /// The devices requests may target; `nil` for any. Devices outside are rejected (field
    /// `devices[i].host`) before any connection or name lookup.
    public var allowedTargets: TargetFilter?
    /// What requests may choose among the server's files and security settings (files, host-key
    /// checking, algorithms): a request may tighten the operator's policy, never loosen it.
    public var requestPolicy: RequestPolicy
    /// Requests each API key may make (429 past it); `nil` for no limit.
    public var rateLimit: RateLimit?
    /// Where the API logs (never a body, a key or a secret).
    public var logger: Logger
    /// The providers a request's `credential` may name, each with the references it allows (default: none,
    /// so a request naming a credential is refused).
    public var credentialProviders = CredentialProviders()
    /// Where `GET /workers` reads the live workers from; `nil`: this process, as one worker
    /// (``InProcessWorkerDirectory``).
    public var workerDirectory: (any WorkerDirectory)?
    /// The hosts a request's `webhook.url` may name; `nil`: loopback only (`localhost`, 127.0.0.0/8,
    /// `::1`). Anything else is refused (403, field `webhook.url`) before any traffic.
    public var webhookTargets: TargetFilter?

    /// - Parameters:
    ///   - apiKeys: Keys accepted in `X-API-KEY`.
    ///   - allowUnauthenticated: Serve without keys (loopback only when served by ``NetPulseServer``).
    ///   - maxBodyBytes: Largest request body (default 1 MiB).
    ///   - maxDevicesPerRequest: Most devices per request (default 5,000).
    ///   - maxWait: Longest `?wait=` (default 60 s).
    ///   - maxJobsListed: Most jobs per `GET /jobs` (default 1,000).
    ///   - maxConcurrentTests: Connection tests at once (default 16).
    ///   - maxTestDuration: Upper bound of a connection test's timeouts (default 60 s).
    ///   - allowedTargets: The devices requests may target (default: any).
    ///   - requestPolicy: What requests may choose among files and security settings (default: no
    ///     files, host-key checking no weaker than strict, no legacy algorithms).
    ///   - rateLimit: Requests per API key (default 100 per second, bursts of 200).
    ///   - logger: Where to log (default: the task-local `Logger.current`).
    public init(
        apiKeys: APIKeys = APIKeys(),
        allowUnauthenticated: Bool = false,
        maxBodyBytes: Int = 1 << 20,
        maxDevicesPerRequest: Int = 5_000,
        maxWait: Duration = .seconds(60),
        maxJobsListed: Int = 1_000,
        maxConcurrentTests: Int = 16,
        maxTestDuration: Duration = .seconds(60),
        allowedTargets: TargetFilter? = nil,
        requestPolicy: RequestPolicy = RequestPolicy(),
        rateLimit: RateLimit? = RateLimit(requestsPerSecond: 100, burst: 200),
        logger: Logger = Logger.current
    ) {
        self.apiKeys = apiKeys
        self.allowUnauthenticated = allowUnauthenticated
        self.maxBodyBytes = maxBodyBytes
        self.maxDevicesPerRequest = maxDevicesPerRequest
        self.maxWait = maxWait
        self.maxJobsListed = maxJobsListed
        self.maxConcurrentTests = maxConcurrentTests
        self.maxTestDuration = maxTestDuration
        self.allowedTargets = allowedTargets
        self.requestPolicy = requestPolicy
        self.rateLimit = rateLimit
        self.logger = logger
    }

    /// Checks every setting.
    ///
    /// - Throws: ``ServerConfigurationError`` naming the first setting at fault.
    public func validate() throws(ServerConfigurationError) {
        if apiKeys.isEmpty && !allowUnauthenticated {
            throw ServerConfigurationError(
                field: "api_keys",
                reason: "no API key configured; give keys (environment or key file) or run open on loopback explicitly")
        }
        for (name, value) in [
            ("max_body_bytes", maxBodyBytes), ("max_devices_per_request", maxDevicesPerRequest),
            ("max_jobs_listed", maxJobsListed), ("max_concurrent_tests", maxConcurrentTests),
        ] where value < 1 {
            throw ServerConfigurationError(field: name, reason: "must be at least 1, got \(value)")
        }
        if maxWait < .zero { throw ServerConfigurationError(field: "max_wait", reason: "must not be negative") }
        if maxTestDuration <= .zero {
            throw ServerConfigurationError(field: "max_test_duration", reason: "must be greater than 0")
        }
        try requestPolicy.validate()
        try rateLimit?.validate()
    }
}

/// A server configuration that cannot be used, with the name of the setting at fault.
public struct ServerConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}
