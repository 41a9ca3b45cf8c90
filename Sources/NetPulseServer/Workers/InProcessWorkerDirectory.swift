public import Foundation
public import NetPulse

/// This process as the one worker: the scheduler it serves runs every job. The default directory of
/// ``NetPulseAPI`` when the configuration gives none.
public struct InProcessWorkerDirectory: WorkerDirectory {
    let scheduler: Scheduler
    let startedAt: Date
    let hostname: String
    let pid: Int32

    /// - Parameters:
    ///   - scheduler: The scheduler whose jobs this process runs.
    ///   - startedAt: When the process started serving.
    public init(scheduler: Scheduler, startedAt: Date = Date()) {
        self.scheduler = scheduler
        self.startedAt = startedAt
        self.hostname = ProcessInfo.processInfo.hostName
        self.pid = ProcessInfo.processInfo.processIdentifier
    }

    public func workers() async throws -> [WorkerInfo] {
        let stats = scheduler.stats
        return [
            WorkerInfo(
                name: "netpulse-\(hostname)-\(pid)", hostname: hostname, pid: pid,
                status: stats.runningJobs > 0 ? "busy" : "idle", runningJobs: stats.runningJobs,
                capacity: scheduler.configuration.limits.maxOpenConnections, startedAt: startedAt,
                lastHeartbeat: Date())
        ]
    }
}
