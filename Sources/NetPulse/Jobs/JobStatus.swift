/// Where a job is in its life. `queued` and `started` are live; the others are final.
public enum JobStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Waiting for its turn (its lane, its device's queue, a connection).
    case queued
    /// Running on a device.
    case started
    /// Ran and succeeded.
    case finished
    /// Ran, or tried to, and failed (refused, authentication, timeout, command error, ...).
    case failed
    /// Cancelled (alone, with its batch, or by the scheduler's shutdown) before it finished.
    case cancelled
    /// Still queued when its `ttl` ran out: it never started.
    case expired

    /// Whether the job is over.
    public var isFinal: Bool {
        switch self {
        case .queued, .started: false
        case .finished, .failed, .cancelled, .expired: true
        }
    }

    public var description: String { rawValue }

    /// The final status a result stands for.
    init(result: DeviceResult) {
        if result.success { self = .finished; return }
        switch result.error?.kind {
        case .cancelled?: self = .cancelled
        case .expired?: self = .expired
        default: self = .failed
        }
    }
}
