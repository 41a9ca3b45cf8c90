#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// A view of one job, for queries (``Scheduler/job(id:)``, ``Scheduler/jobs(status:host:)``).
///
/// It carries the device's identity (host, port, user), never its credentials.
public struct JobInfo: Sendable, Hashable, CustomStringConvertible {
    public var id: String
    public var batchID: String
    /// The device's position in its batch's request.
    public var index: Int
    public var device: DeviceKey
    public var status: JobStatus
    /// The device's result, once the job is final.
    public var result: DeviceResult?
    /// When a worker took the job (wall clock); `nil` while queued, and for jobs that never started.
    public var startedAt: Date?

    public init(
        id: String, batchID: String, index: Int, device: DeviceKey, status: JobStatus, result: DeviceResult?,
        startedAt: Date? = nil
    ) {
        self.id = id
        self.batchID = batchID
        self.index = index
        self.device = device
        self.status = status
        self.result = result
        self.startedAt = startedAt
    }

    public var description: String {
        var text = "job \(id) \(device) \(status)"
        if let error = result?.error { text += " (\(error))" }
        return text
    }
}

/// Counts over one batch's jobs at one moment.
public struct BatchProgress: Sendable, Hashable, CustomStringConvertible {
    public var total: Int
    public var queued: Int
    public var running: Int
    /// Jobs that finished successfully.
    public var succeeded: Int
    /// Jobs that failed, were cancelled or expired.
    public var failed: Int

    public init(total: Int, queued: Int, running: Int, succeeded: Int, failed: Int) {
        self.total = total
        self.queued = queued
        self.running = running
        self.succeeded = succeeded
        self.failed = failed
    }

    /// Jobs with a final status.
    public var done: Int { succeeded + failed }
    /// Whether every job has its result.
    public var isComplete: Bool { done == total }

    public var description: String {
        "\(done)/\(total) done (\(succeeded) ok, \(failed) failed), \(running) running, \(queued) queued"
    }
}
