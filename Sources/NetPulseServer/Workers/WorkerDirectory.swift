public import Foundation

/// A worker process as `GET /workers` lists it.
public struct WorkerInfo: Sendable, Equatable {
    public var name: String
    public var hostname: String
    public var pid: Int32
    public var status: String  // "idle" | "busy"
    public var runningJobs: Int
    public var capacity: Int
    public var startedAt: Date
    public var lastHeartbeat: Date
    public init(
        name: String, hostname: String, pid: Int32, status: String, runningJobs: Int,
        capacity: Int, startedAt: Date, lastHeartbeat: Date
    ) {
        self.name = name
        self.hostname = hostname
        self.pid = pid
        self.status = status
        self.runningJobs = runningJobs
        self.capacity = capacity
        self.startedAt = startedAt
        self.lastHeartbeat = lastHeartbeat
    }
}
/// Where `GET /workers` reads the live workers from.
public protocol WorkerDirectory: Sendable {
    func workers() async throws -> [WorkerInfo]
}
