public import Logging

/// A way to reach devices: opens sessions on them.
///
/// NetPulse ships two (`libssh2` in `NetPulseSSH2`, `libssh` in `NetPulseSSH`) and an in-memory one
/// for tests (`NetPulseTesting`). Write your own for any other transport: a conforming type is
/// registered in a ``DriverRegistry`` under a name requests use as `driver`.
///
/// The scheduler calls ``connect(to:context:)`` at most once at a time per pinned device, and it
/// owns every session it gets: it runs one execution at a time on it and always closes it.
public protocol Driver: Sendable {
    /// Opens an authenticated session on the device, ready to execute operations.
    ///
    /// - Parameters:
    ///   - target: The resolved device.
    ///   - context: The platform profile and the logger for this connection.
    /// - Returns: A live session.
    /// - Throws: A ``NetPulseError`` whose kind says why (``NetPulseError/Kind/connectionRefused``,
    ///   ``NetPulseError/Kind/authentication``, ``NetPulseError/Kind/hostKeyMismatch``,
    ///   ``NetPulseError/Kind/timeout``, ...). Other errors are reported as `driver_error`.
    ///   Must return promptly when the task is cancelled.
    func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession

    /// The `driver_args` fields this driver reads besides the CLI engine's (``CLIOptions``), or `nil` when
    /// it takes fields of its own that NetPulse cannot check. With a set, any other field is refused with
    /// a ``RequestError`` naming it. The default is `nil`; the built-in SSH drivers return `[]`.
    var acceptedDriverArgs: Set<String>? { get }

    /// The executor a new session on `target` will run on, if the driver knows it before connecting: for
    /// the SSH drivers, a readiness-loop thread. The scheduler runs a job's connect, operation and close
    /// with it as the task's executor preference (`withTaskExecutorPreference`), so that the whole
    /// connection stays on one thread instead of connecting on the concurrency pool and moving to the
    /// session's executor afterwards. A worker of the scheduler stays on it for its next job when that job
    /// names the same executor; parsing runs elsewhere. Work on it must not block: a driver that returns
    /// one does its file reads and name resolution elsewhere. Called once per job that has no open session.
    /// The default is `nil`: no preference until the session names its own
    /// (``DriverSession/preferredExecutor``).
    func preferredExecutor(for target: DeviceTarget) -> (any TaskExecutor)?
}

extension Driver {
    public var acceptedDriverArgs: Set<String>? { nil }
    public func preferredExecutor(for target: DeviceTarget) -> (any TaskExecutor)? { nil }
}

/// One open session on one device.
///
/// The scheduler never runs two calls on one session at once. A session used for pinned queues
/// lives across many executions; ``isAlive()`` is asked before reusing it after a pause.
public protocol DriverSession: AnyObject, Sendable {
    /// Runs an operation (commands or config lines) and reports each line's output.
    ///
    /// A line the device rejects is not a thrown error: it is reported in the outcome, with the
    /// outputs so far. Throw for transport failures; throw ``NetPulseError/Kind/sessionUnavailable``
    /// only when the session was found dead before anything of this operation was sent, so that the
    /// scheduler may retry on a fresh session. Must return promptly when the task is cancelled; the
    /// scheduler then closes the session.
    func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome

    /// Whether the session still works (a keepalive round trip, or a cheaper check).
    func isAlive() async -> Bool

    /// Closes the session and releases everything it holds. Called exactly once; never throws.
    func close() async

    /// The executor the session's own work runs on, if it has one: for the SSH drivers, the readiness-loop
    /// thread that watches the session's socket. A caller that runs one operation after another on the
    /// session (a pinned queue's worker) runs them with it as its task's executor preference
    /// (`withTaskExecutorPreference`), so that its task does not pass from one thread to another at the
    /// start and the end of each operation. The default is `nil`: no preference.
    var preferredExecutor: (any TaskExecutor)? { get }
}

extension DriverSession {
    public var preferredExecutor: (any TaskExecutor)? { nil }
}

/// What a driver receives with a connection.
public struct DriverContext: Sendable {
    /// The device's platform profile.
    public var platform: PlatformProfile
    /// Where the driver logs; it carries the device in its metadata.
    public var logger: Logger
    /// Tells the caller that the connect's handshake (TCP, key exchange, authentication) is over. A
    /// driver calls it once it is authenticated and before the slower rest of its set-up (opening a
    /// shell, reading the first prompt, turning paging off, all bound by the device's latency): the
    /// scheduler counts connects in progress up to
    /// ``SchedulerConfiguration/Limits/maxConnectsInProgress`` until this call, or until
    /// ``Driver/connect(to:context:)`` returns. Calling it more than once, or not at all, is harmless.
    public var handshakeFinished: @Sendable () -> Void

    public init(platform: PlatformProfile, logger: Logger, handshakeFinished: @escaping @Sendable () -> Void = {}) {
        self.platform = platform
        self.logger = logger
        self.handshakeFinished = handshakeFinished
    }
}

/// One operation to run on an open session.
public struct ExecutionRequest: Sendable {
    public var operation: DeviceOperation
    /// For config pushes: stop at the first rejected line.
    public var stopOnError: Bool
    /// For config pushes: save when every line succeeded.
    public var save: Bool
    /// Enter privileged mode first: `true`/`false`, or `nil` for the platform's default.
    public var enable: Bool?
    /// Deadline for each wait on the device.
    public var readTimeout: Duration
    /// The most output one command may produce; past it the command fails with
    /// ``NetPulseError/Kind/unexpectedOutput`` (a device, or a man in the middle, cannot exhaust memory).
    public var maxOutputBytes: Int
    /// How the CLI engine drives this execution beyond the platform profile (the request's `driver_args`).
    public var cli: CLIOptions
    public var logger: Logger

    /// The bound on a command's output when nothing else is said: 64 MiB.
    public static let defaultMaxOutputBytes = 64 << 20

    public init(
        operation: DeviceOperation,
        stopOnError: Bool = true,
        save: Bool = false,
        enable: Bool? = nil,
        readTimeout: Duration = ConnectionArgs.defaultReadTimeout,
        maxOutputBytes: Int = ExecutionRequest.defaultMaxOutputBytes,
        cli: CLIOptions = CLIOptions(),
        logger: Logger
    ) {
        self.cli = cli
        self.operation = operation
        self.stopOnError = stopOnError
        self.save = save
        self.enable = enable
        self.readTimeout = readTimeout
        self.maxOutputBytes = maxOutputBytes
        self.logger = logger
    }
}

/// What an execution produced.
public struct ExecutionOutcome: Sendable, Hashable {
    /// One entry per command or config line, skipped lines included.
    public var outputs: [CommandOutput]
    /// Set when the device rejected a line (kind ``NetPulseError/Kind/commandError``).
    public var error: NetPulseError?

    public init(outputs: [CommandOutput], error: NetPulseError? = nil) {
        self.outputs = outputs
        self.error = error
    }

    public var success: Bool { error == nil }
}
