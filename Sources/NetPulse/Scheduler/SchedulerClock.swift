/// The time source of a ``Scheduler``: queue TTLs, execution timeouts, idle timeouts, result
/// purges and the shutdown grace period are measured on it.
///
/// Instants are durations since the clock's origin. Production code uses ``ContinuousSchedulerClock``;
/// tests can pass a manual clock (`ManualSchedulerClock` in `NetPulseTesting`) and move time by hand.
public protocol SchedulerClock: Sendable {
    /// The time elapsed since the clock's origin.
    var now: Duration { get }

    /// Suspends until ``now`` reaches `deadline`.
    ///
    /// - Parameter deadline: The instant to wake at, as a duration since the origin.
    /// - Throws: `CancellationError` when the task is cancelled first.
    func sleep(until deadline: Duration) async throws
}

/// The real clock: `ContinuousClock`, counted from the moment the value was created.
public struct ContinuousSchedulerClock: SchedulerClock {
    private let origin: ContinuousClock.Instant

    public init() { origin = .now }

    public var now: Duration { ContinuousClock.now - origin }

    public func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin + deadline, tolerance: nil)
    }
}
