/// How a batch's jobs are queued.
public enum QueueStrategy: String, Sendable, Hashable, CaseIterable, Codable {
    /// One serial queue and one reused, kept-alive session per device.
    case pinned
    /// Shared lanes fed in turn; each job opens a fresh connection. NetPulse's `fifo` means this.
    case roundRobin = "round_robin"

    /// Parses a request's `queue_strategy`, accepting `fifo` as ``roundRobin``.
    public init?(name: String) {
        switch name.lowercased() {
        case "pinned": self = .pinned
        case "round_robin", "round-robin", "roundrobin", "fifo": self = .roundRobin
        default: return nil
        }
    }
}
