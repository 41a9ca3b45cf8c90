public import Logging

/// What a ``Scheduler`` is built with: drivers, platforms, limits, clock and logger.
public struct SchedulerConfiguration: Sendable {
    /// Bounds on what the scheduler holds open and runs at once, and its timeouts.
    public struct Limits: Sendable, Hashable {
        /// Connections open at once, pinned sessions (idle or busy) and round-robin connections
        /// together, counted from the start of the connect to the end of the close.
        public var maxOpenConnections: Int
        /// Connects (TCP, key exchange, authentication) in progress at once; at most
        /// ``maxOpenConnections``.
        public var maxConnectsInProgress: Int
        /// Live pinned sessions; when full, the least recently used idle one is closed to make room.
        /// Also the number of pinned jobs that run at once.
        public var maxPinnedSessions: Int
        /// Round-robin lanes: how many round-robin jobs run at once.
        public var roundRobinLanes: Int
        /// A pinned session unused for this long is closed.
        public var idleTimeout: Duration
        /// A pinned session unused for this long is checked with `isAlive()` before it is reused.
        public var livenessInterval: Duration
        /// How long results stay queryable when a batch does not say (`result_ttl`).
        public var defaultResultTTL: Duration
        /// On shutdown, how long running jobs may go on before they are cancelled.
        public var shutdownGracePeriod: Duration
        /// Deadlines closer than this are handled together (fewer timer wake-ups); zero for exact.
        public var timerResolution: Duration
        /// Jobs queued at once, over every batch; a batch that would pass it is refused
        /// (``RequestError/Kind/overloaded``).
        public var maxQueuedJobs: Int
        /// The longest a job may run (`execution_timeout` is clamped to it, and a job without one gets it).
        public var maxExecutionTimeout: Duration
        /// The longest results are kept (`result_ttl` is clamped to it).
        public var maxResultTTL: Duration
        /// The longest connect and read timeouts a request may set (`timeout`, `conn_timeout`,
        /// `read_timeout` are clamped to it).
        public var maxDeviceTimeout: Duration
        /// The most output one command may produce (`max_output_bytes` is clamped to it, and is this
        /// when a request does not say); past it the command fails with `unexpected_output`.
        public var maxOutputBytes: Int

        public init(
            maxOpenConnections: Int = 512,
            maxConnectsInProgress: Int = 64,
            maxPinnedSessions: Int = 256,
            roundRobinLanes: Int = 128,
            idleTimeout: Duration = .seconds(300),
            livenessInterval: Duration = .seconds(30),
            defaultResultTTL: Duration = .seconds(600),
            shutdownGracePeriod: Duration = .seconds(10),
            timerResolution: Duration = .milliseconds(10),
            maxQueuedJobs: Int = 100_000,
            maxExecutionTimeout: Duration = .seconds(3_600),
            maxResultTTL: Duration = .seconds(86_400),
            maxDeviceTimeout: Duration = .seconds(3_600),
            maxOutputBytes: Int = 64 << 20
        ) {
            self.maxOpenConnections = maxOpenConnections
            self.maxConnectsInProgress = maxConnectsInProgress
            self.maxPinnedSessions = maxPinnedSessions
            self.roundRobinLanes = roundRobinLanes
            self.idleTimeout = idleTimeout
            self.livenessInterval = livenessInterval
            self.defaultResultTTL = defaultResultTTL
            self.shutdownGracePeriod = shutdownGracePeriod
            self.timerResolution = timerResolution
            self.maxQueuedJobs = maxQueuedJobs
            self.maxExecutionTimeout = maxExecutionTimeout
            self.maxResultTTL = maxResultTTL
            self.maxDeviceTimeout = maxDeviceTimeout
            self.maxOutputBytes = maxOutputBytes
        }

        /// Checks every limit.
        ///
        /// - Throws: ``ConfigurationError`` naming the first limit at fault.
        public func validate() throws(ConfigurationError) {
            for (name, value) in [
                ("max_open_connections", maxOpenConnections), ("max_connects_in_progress", maxConnectsInProgress),
                ("max_pinned_sessions", maxPinnedSessions), ("round_robin_lanes", roundRobinLanes),
                ("max_queued_jobs", maxQueuedJobs), ("max_output_bytes", maxOutputBytes),
            ] where value < 1 {
                throw ConfigurationError(field: "limits.\(name)", reason: "must be at least 1, got \(value)")
            }
            if maxConnectsInProgress > maxOpenConnections {
                throw ConfigurationError(
                    field: "limits.max_connects_in_progress",
                    reason: "must not exceed max_open_connections (\(maxOpenConnections)), got \(maxConnectsInProgress)"
                )
            }
            for (name, value) in [
                ("idle_timeout", idleTimeout), ("liveness_interval", livenessInterval),
                ("max_execution_timeout", maxExecutionTimeout), ("max_device_timeout", maxDeviceTimeout),
            ] where value <= .zero {
                throw ConfigurationError(field: "limits.\(name)", reason: "must be greater than 0")
            }
            for (name, value) in [
                ("default_result_ttl", defaultResultTTL), ("shutdown_grace_period", shutdownGracePeriod),
                ("timer_resolution", timerResolution), ("max_result_ttl", maxResultTTL),
            ] where value < .zero {
                throw ConfigurationError(field: "limits.\(name)", reason: "must not be negative")
            }
        }
    }

    /// The drivers requests may name.
    public var drivers: DriverRegistry
    /// The platforms requests may name; each connection gets its profile.
    public var platforms: PlatformRegistry
    public var limits: Limits
    /// Where TTLs and timeouts are measured.
    public var clock: any SchedulerClock
    /// Where the scheduler logs (job and device in the metadata, never a secret). Never bootstrapped here.
    public var logger: Logger
    /// What turns command output into records for requests with `parsing`; `nil`: such requests are
    /// refused (field `parsing`).
    public var parser: (any OutputParser)?

    /// - Parameters:
    ///   - drivers: The drivers requests may name.
    ///   - platforms: The platforms requests may name (default: the built-in ones).
    ///   - limits: Bounds and timeouts.
    ///   - clock: The time source (default: the continuous clock).
    ///   - logger: Where to log (default: the task-local `Logger.current`, which `withLogger` binds).
    ///   - parser: What parses output for requests with `parsing` (default: none).
    public init(
        drivers: DriverRegistry,
        platforms: PlatformRegistry = .builtin,
        limits: Limits = Limits(),
        clock: any SchedulerClock = ContinuousSchedulerClock(),
        logger: Logger = Logger.current,
        parser: (any OutputParser)? = nil
    ) {
        self.drivers = drivers
        self.platforms = platforms
        self.limits = limits
        self.clock = clock
        self.logger = logger
        self.parser = parser
    }
}

/// A scheduler configuration that cannot be used, with the name of the offending setting.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The setting at fault (`limits.max_open_connections`).
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}
