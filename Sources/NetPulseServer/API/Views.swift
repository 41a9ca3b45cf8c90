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

    var batchID: String
    /// Set for `/device/exec` only: its single job.
    var jobID: String?
    var jobIDs: [String]
    var jobs: [Job]
    var rejected: [Rejection]
    var submittedAt: String
    var status: String
    /// The options in force, with the server's bounds applied.
    var options: Options

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
        case jobIDs = "job_ids"
        case jobs, rejected, status, options
        case submittedAt = "submitted_at"
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
    var result: DeviceResult?

    init(_ info: JobInfo, entry: BatchEntry?) {
        id = info.id
        batchID = info.batchID
        let requestIndex = entry.flatMap {
            $0.requestIndices.indices.contains(info.index) ? $0.requestIndices[info.index] : nil
        }
        index = requestIndex ?? info.index
        status = info.status.rawValue
        host = info.device.host
        port = info.device.port
        username = info.device.username
        device = entry.flatMap { $0.devices.indices.contains(info.index) ? $0.devices[info.index] : nil }
        submittedAt = entry.map { iso8601($0.submittedAt) }
        var result = info.result
        result?.index = index
        startedAt = (result?.startedAt ?? info.startedAt).map(iso8601)
        finishedAt = result?.finishedAt.map(iso8601)
        self.result = result
    }

    enum CodingKeys: String, CodingKey {
        case id, index, status, host, port, username, device, result
        case batchID = "batch_id"
        case submittedAt = "submitted_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }
}

/// `GET /jobs`.
struct JobList: Encodable {
    var jobs: [JobView]
    var count: Int
    /// More jobs match: pass ``nextCursor`` as `cursor` for the next page.
    var truncated: Bool
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case jobs, count, truncated
        case nextCursor = "next_cursor"
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

    init(handle: BatchHandle, jobs: [JobInfo], entry: BatchEntry?) {
        let progress = handle.progress
        batchID = handle.batchID
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
        jobIDs = handle.jobIDs
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
        var openConnections: Int
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

    var status: String
    var scheduler: Scheduler
}
