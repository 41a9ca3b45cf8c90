/// How a batch is run.
public struct BatchOptions: Sendable, Hashable {
    /// The accepted range of ``ttl``.
    public static let ttlRange: ClosedRange<Duration> = .seconds(1) ... .seconds(86_400)

    /// Pinned or round-robin queues (`queue_strategy`). Default: round-robin, NetPulse's `fifo`.
    public var queueStrategy: QueueStrategy
    /// How long a job may wait in the queue before it expires unstarted (`ttl`); `nil`: no limit.
    public var ttl: Duration?
    /// How long a started job may run before it is stopped and failed (`execution_timeout`).
    public var executionTimeout: Duration?
    /// How long finished jobs stay queryable (`result_ttl`); `nil`: the scheduler's default.
    public var resultTTL: Duration?
    /// For config pushes: stop at the first rejected line; the rest are reported as skipped.
    public var stopOnError: Bool
    /// For config pushes: save the configuration when every line succeeded.
    public var save: Bool
    /// Enter privileged (enable) mode before running, with the device's `secret`.
    public var enable: Bool?
    /// The most output one command may produce, in bytes (`max_output_bytes`); past it the command
    /// fails with `unexpected_output`. `nil`: the scheduler's bound (64 MiB by default).
    public var maxOutputBytes: Int?

    public init(
        queueStrategy: QueueStrategy = .roundRobin,
        ttl: Duration? = nil,
        executionTimeout: Duration? = nil,
        resultTTL: Duration? = nil,
        stopOnError: Bool = true,
        save: Bool = false,
        enable: Bool? = nil,
        maxOutputBytes: Int? = nil
    ) {
        self.queueStrategy = queueStrategy
        self.ttl = ttl
        self.executionTimeout = executionTimeout
        self.resultTTL = resultTTL
        self.stopOnError = stopOnError
        self.save = save
        self.enable = enable
        self.maxOutputBytes = maxOutputBytes
    }
}
