import Foundation
import NetPulse

/// Dates as the results show them: ISO 8601 with fractional seconds, UTC.
func iso8601(_ date: Date) -> String {
    date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
}

/// `201` answer to a submission.
struct SubmitResponse: Encodable {
    struct Job: Encodable {
        var index: Int
        var host: String
        var port: Int
        var jobID: String

        enum CodingKeys: String, CodingKey {
            case index, host, port
            case jobID = "job_id"
        }
    }

    /// One queued device as NetPulse's bulk answer lists it (`succeeded`).
    struct Queued: Encodable {
        var id: String
        var status: String
        var host: String
        var port: Int
        var index: Int
        var queue: String
        var createdAt: String

        enum CodingKeys: String, CodingKey {
            case id, status, host, port, index, queue
            case createdAt = "created_at"
            case enqueuedAt = "enqueued_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(status, forKey: .status)
            try container.encode(host, forKey: .host)
            try container.encode(port, forKey: .port)
            try container.encode(index, forKey: .index)
            try container.encode(queue, forKey: .queue)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(createdAt, forKey: .enqueuedAt)
        }
    }

    /// A device NetPulse's bulk answer lists as not queued (`failed`).
    struct Failed: Encodable {
        var host: String
        var reason: String
    }

    var batchID: String
    /// Set for `/device/exec` only: its single job (also as `id`, NetPulse's job entry).
    var jobID: String?
    var jobIDs: [String]
    var jobs: [Job]
    var rejected: [Rejection]
    var submittedAt: String
    var status: String
    /// The options in force, with the server's bounds applied.
    var options: Options
    /// NetPulse's view of the same: the queued jobs, and the devices not queued.
    var succeeded: [Queued]
    var failed: [Failed]

    init(
        batchID: String, exec: Bool, jobs: [Job], rejected: [Rejection], submittedAt: String, options: BatchOptions
    ) {
        self.batchID = batchID
        self.jobID = exec ? jobs.first?.jobID : nil
        self.jobIDs = jobs.map(\.jobID)
        self.jobs = jobs
        self.rejected = rejected
        self.submittedAt = submittedAt
        self.status = "queued"
        self.options = Options(options)
        let queue = options.queueStrategy == .pinned ? "pinned" : "fifo"
        succeeded = jobs.map {
            Queued(
                id: $0.jobID, status: "queued", host: $0.host, port: $0.port, index: $0.index,
                queue: queue == "pinned" ? "pinned:\($0.host)" : queue, createdAt: submittedAt)
        }
        failed = rejected.map { Failed(host: $0.host, reason: "\($0.field): \($0.reason)") }
    }

    /// The batch's options as they are in force (clamped to the server's bounds), in the request's units.
    struct Options: Encodable {
        var queueStrategy: String
        var ttl: Double?
        var executionTimeout: Double?
        var resultTTL: Double?
        var maxOutputBytes: Int?

        init(_ options: BatchOptions) {
            queueStrategy = options.queueStrategy.rawValue
            ttl = options.ttl.map(Self.seconds)
            executionTimeout = options.executionTimeout.map(Self.seconds)
            resultTTL = options.resultTTL.map(Self.seconds)
            maxOutputBytes = options.maxOutputBytes
        }

        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }

        /// Seconds to the microsecond, as results show them.
        static func round(_ seconds: Double) -> Double { (seconds * 1_000_000).rounded() / 1_000_000 }

        enum CodingKeys: String, CodingKey {
            case ttl
            case queueStrategy = "queue_strategy"
            case executionTimeout = "execution_timeout"
            case resultTTL = "result_ttl"
            case maxOutputBytes = "max_output_bytes"
        }
    }

    enum CodingKeys: String, CodingKey {
        case batchID = "batch_id"
        case jobID = "job_id"
        case id
        case jobIDs = "job_ids"
        case jobs, rejected, status, options, succeeded, failed
        case submittedAt = "submitted_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(batchID, forKey: .batchID)
        try container.encodeIfPresent(jobID, forKey: .jobID)
        try container.encodeIfPresent(jobID, forKey: .id)
        try container.encode(jobIDs, forKey: .jobIDs)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(rejected, forKey: .rejected)
        try container.encode(status, forKey: .status)
        try container.encode(options, forKey: .options)
        try container.encode(submittedAt, forKey: .submittedAt)
        try container.encode(succeeded, forKey: .succeeded)
        try container.encode(failed, forKey: .failed)
    }
}

/// One job as `GET /jobs/{id}` shows it: status, timestamps, the device (secrets masked), the result.
struct JobView: Encodable {
    var id: String
    var batchID: String
    /// The device's position in the request.
    var index: Int
    var status: String
    var host: String
    var port: Int
    var username: String
    var device: MaskedDevice?
    var submittedAt: String?
    var startedAt: String?
    var finishedAt: String?
    var result: JobResult?
    /// NetPulse's: seconds on the device, and seconds waiting in the queue.
    var duration: Double?
    var queueTime: Double?

    init(_ info: JobInfo, entry: BatchEntry?) {
        id = info.id
        batchID = info.batchID
        let requestIndex = entry.flatMap {
            $0.requestIndices.indices.contains(info.index) ? $0.requestIndices[info.index] : nil
        }
        index = requestIndex ?? info.index
        status = info.status.netPulseName
        host = info.device.host
        port = info.device.port
        username = info.device.username
        device = entry.flatMap { $0.devices.indices.contains(info.index) ? $0.devices[info.index] : nil }
        submittedAt = entry.map { iso8601($0.submittedAt) }
        var result = info.result
        result?.index = index
        let started = result?.startedAt ?? info.startedAt
        startedAt = started.map(iso8601)
        finishedAt = result?.finishedAt.map(iso8601)
        self.result = result.map(JobResult.init)
        duration = result.map { SubmitResponse.Options.round($0.executionTime) }
        if let started, let submitted = entry?.submittedAt {
            queueTime = SubmitResponse.Options.round(max(0, started.timeIntervalSince(submitted)))
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, index, status, host, port, username, device, result, duration
        case batchID = "batch_id"
        case submittedAt = "submitted_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case queueTime = "queue_time"
        case createdAt = "created_at"
        case enqueuedAt = "enqueued_at"
        case endedAt = "ended_at"
        case deviceName = "device_name"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(batchID, forKey: .batchID)
        try container.encode(index, forKey: .index)
        try container.encode(status, forKey: .status)
        try container.encode(host, forKey: .host)
        try container.encode(host, forKey: .deviceName)
        try container.encode(port, forKey: .port)
        try container.encode(username, forKey: .username)
        try container.encodeIfPresent(device, forKey: .device)
        try container.encodeIfPresent(submittedAt, forKey: .submittedAt)
        try container.encodeIfPresent(submittedAt, forKey: .createdAt)
        try container.encodeIfPresent(submittedAt, forKey: .enqueuedAt)
        try container.encodeIfPresent(startedAt, forKey: .startedAt)
        try container.encodeIfPresent(finishedAt, forKey: .finishedAt)
        try container.encodeIfPresent(finishedAt, forKey: .endedAt)
        try container.encodeIfPresent(result, forKey: .result)
        try container.encodeIfPresent(duration, forKey: .duration)
        try container.encodeIfPresent(queueTime, forKey: .queueTime)
    }
}

/// A job's result: the device's result, plus NetPulse's `type` (1 succeeded, 2 failed) and `retval`
/// (one `{command, stdout, stderr, exit_status}` per command).
struct JobResult: Encodable {
    struct Command: Encodable {
        var command: String
        var stdout: String
        var stderr: String
        var exitStatus: Int
        var parsed: [JSONValue]?

        enum CodingKeys: String, CodingKey {
            case command, stdout, stderr, parsed
            case exitStatus = "exit_status"
        }
    }

    var device: DeviceResult

    init(_ device: DeviceResult) { self.device = device }

    enum CodingKeys: String, CodingKey {
        case type, retval
    }

    func encode(to encoder: any Encoder) throws {
        try device.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(device.success ? 1 : 2, forKey: .type)
        let retval = device.outputs.map { output in
            Command(
                command: output.command, stdout: output.output, stderr: output.stderr ?? "",
                exitStatus: output.exitStatus ?? (output.status == .ok ? 0 : 1), parsed: output.parsed)
        }
        try container.encode(retval, forKey: .retval)
    }
}

/// `GET /workers`: one worker as NetPulse lists it.
struct WorkerView: Encodable {
    var name: String
    var status: String
    var pid: Int32
    var hostname: String
    var queues: [String]
    var lastHeartbeat: String
    var birthAt: String
    var runningJobs: Int
    var capacity: Int

    init(_ info: WorkerInfo) {
        name = info.name
        status = info.status
        pid = info.pid
        hostname = info.hostname
        queues = ["pinned", "fifo"]
        lastHeartbeat = iso8601(info.lastHeartbeat)
        birthAt = iso8601(info.startedAt)
        runningJobs = info.runningJobs
        capacity = info.capacity
    }

    enum CodingKeys: String, CodingKey {
        case name, status, pid, hostname, queues, capacity
        case lastHeartbeat = "last_heartbeat"
        case birthAt = "birth_at"
        case runningJobs = "running_jobs"
    }
}

/// `GET /batches/{id}`: the guide's result shape (`success`, `results`, `summary`) while and after
/// the batch runs, with its progress.
struct BatchView: Encodable {
    struct Summary: Encodable {
        var total: Int
        var successful: Int
        var failed: Int
        var pending: Int
    }

    struct Progress: Encodable {
        var queued: Int
        var running: Int
        var succeeded: Int
        var failed: Int
    }

    var batchID: String
    var status: String
    var complete: Bool
    var success: Bool
    var results: [DeviceResult]
    var summary: Summary
    var progress: Progress
    var jobIDs: [String]
    var rejected: [Rejection]
    var submittedAt: String?
    var endpoint: String?

    init(snapshot: BatchSnapshot, jobs: [JobInfo], entry: BatchEntry?) {
        let progress = snapshot.progress
        batchID = snapshot.batchID
        complete = progress.isComplete
        status = progress.isComplete ? "complete" : (progress.running > 0 || progress.done > 0 ? "running" : "queued")
        success = progress.isComplete && progress.succeeded == progress.total
        results = jobs.compactMap { info in
            guard var result = info.result else { return nil }
            if let entry, entry.requestIndices.indices.contains(info.index) {
                result.index = entry.requestIndices[info.index]
            }
            return result
        }
        summary = Summary(
            total: progress.total, successful: progress.succeeded, failed: progress.failed,
            pending: progress.queued + progress.running)
        self.progress = Progress(
            queued: progress.queued, running: progress.running, succeeded: progress.succeeded, failed: progress.failed)
        jobIDs = snapshot.jobIDs
        rejected = entry?.rejected ?? []
        submittedAt = entry.map { iso8601($0.submittedAt) }
        endpoint = entry?.endpoint.rawValue
    }

    enum CodingKeys: String, CodingKey {
        case status, complete, success, results, summary, progress, rejected, endpoint
        case batchID = "batch_id"
        case jobIDs = "job_ids"
        case submittedAt = "submitted_at"
    }
}

/// `GET /health`.
struct HealthView: Encodable {
    struct Scheduler: Encodable {
        /// Left out when the store's jobs run in other processes (PostgreSQL workers).
        var openConnections: Int?
        var runningJobs: Int
        var queuedJobs: Int
        var batches: Int

        enum CodingKeys: String, CodingKey {
            case batches
            case openConnections = "open_connections"
            case runningJobs = "running_jobs"
            case queuedJobs = "queued_jobs"
        }
    }

    /// Webhook deliveries since the server started.
    struct Webhooks: Encodable {
        var queued: Int
        var delivered: Int
        var failed: Int
        var dropped: Int
        var attempts: Int

        init(_ stats: WebhookDispatcher.Stats) {
            queued = stats.queued
            delivered = stats.delivered
            failed = stats.failed
            dropped = stats.dropped
            attempts = stats.attempts
        }
    }

    var status: String
    var scheduler: Scheduler
    var webhooks: Webhooks
}

extension JobStatus {
    /// The status as NetPulse (RQ) names it, so that its clients see every final job as final:
    /// `cancelled` is spelled `canceled`, and `expired` (never started within its `ttl`; NetPulse has no
    /// such status) is shown as `failed`, its result's error kind saying `expired`.
    var netPulseName: String {
        switch self {
        case .cancelled: "canceled"
        case .expired: "failed"
        case .queued, .started, .finished, .failed: rawValue
        }
    }

    /// The statuses a `status` query parameter names: NetPulse's names, plus `cancelled` and `expired`.
    /// `failed` selects failed and expired jobs, as they are shown.
    static func matching(queryName name: String) -> [JobStatus]? {
        switch name {
        case "canceled", "cancelled": [.cancelled]
        case "failed": [.failed, .expired]
        default: JobStatus(rawValue: name).map { [$0] }
        }
    }
}
