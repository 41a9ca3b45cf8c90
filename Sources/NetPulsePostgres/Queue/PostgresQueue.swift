public import Foundation
import Logging
public import NetPulse
public import PostgresNIO

/// The scheduler's queue on PostgreSQL: batches submitted by any number of API processes, jobs claimed
/// and run by any number of worker processes (``PostgresWorker``), results kept until `result_ttl`.
///
/// Rows, not processes, hold the state: a restart of an API process loses nothing, and a worker that
/// dies has its running jobs taken back (see ``PostgresWorker``). Round-robin jobs are claimed with
/// `FOR UPDATE SKIP LOCKED` in one statement that commits at once: no transaction stays open while a
/// device is worked on.
public final class PostgresQueue: Sendable {
    /// The pool every query goes through; the caller runs it (`PostgresClient/run()`).
    public let client: PostgresClient
    /// Drivers, platforms and limits requests are validated against (workers need the same drivers).
    public let configuration: SchedulerConfiguration
    let logger: Logger

    /// The channel a submit notifies and workers listen on.
    static let jobsChannel = "netpulse_jobs"

    public init(client: PostgresClient, configuration: SchedulerConfiguration) {
        self.client = client
        self.configuration = configuration
        self.logger = configuration.logger
    }

    // MARK: Submitting

    /// A batch as the queue stores it.
    public struct SubmittedBatch: Sendable, Hashable {
        public var id: String
        public var jobIDs: [String]
    }

    /// Validates a JSON request (the batch guide's format) and queues its jobs in one transaction.
    ///
    /// The request is stored as given (credentials included: the database is as trusted as the API
    /// process) and validated again by the worker that loads it.
    ///
    /// - Throws: `RequestError` naming the field at fault, or ``PostgresQueueError``.
    public func submit(json: Data) async throws -> SubmittedBatch {
        let request = try BatchRequest(json: json)
        let validated = try ValidatedBatch(request, configuration: configuration)
        guard let text = String(data: json, encoding: .utf8) else {
            throw RequestError(field: "", reason: "is not UTF-8")
        }
        let limit = configuration.limits.maxQueuedJobs
        let queued = try await queuedJobs()
        guard queued + validated.specs.count <= limit else {
            throw RequestError(
                field: "devices",
                reason: "the queue holds \(queued) queued jobs; \(validated.specs.count) more would pass its bound of "
                    + "\(limit); try again later",
                kind: .overloaded)
        }
        return try await submit(validated, json: text)
    }

    /// Jobs queued and not yet claimed, over every batch (the bound `SchedulerConfiguration/Limits/maxQueuedJobs`
    /// applies to, as in memory; checked before the insert, so concurrent submits may pass it by one batch).
    public func queuedJobs() async throws(PostgresQueueError) -> Int {
        do {
            for try await count in try await client.query(
                "SELECT count(*) FROM np_job WHERE state = 0", logger: logger
            ).decode(Int.self) {
                return count
            }
            return 0
        } catch {
            throw .wrapping(error, "counting queued jobs")
        }
    }

    /// Queues a validated batch whose request is `json`, with the submitter's `annotation` (kept as is,
    /// and purged with the batch) and `tenant` (a pinned device's session is reused only by jobs of the
    /// same tenant; a name such as `key-2`, never a secret).
    ///
    /// `webhook` is the batch's webhook as JSON (with its header values: stored as the request is),
    /// followed by an API process's ``PostgresWebhookFollower``.
    public func submit(
        _ batch: ValidatedBatch, json: String, annotation: String? = nil, tenant: String? = nil,
        webhook: String? = nil
    ) async throws(PostgresQueueError) -> SubmittedBatch {
        let id = UUID()
        let specs = batch.specs
        let pinned = batch.options.queueStrategy == .pinned
        let expiresIn = batch.options.ttl.map(\.seconds)
        let resultTTL = batch.resultTTL.seconds
        var indices: [Int] = []
        var hosts: [String] = []
        var ports: [Int] = []
        var users: [String] = []
        var devices: [String] = []
        var configs: [Bool] = []
        for spec in specs {
            indices.append(spec.index)
            hosts.append(spec.target.host)
            ports.append(spec.target.port)
            users.append(spec.target.username)
            devices.append(spec.target.key.description)
            configs.append(spec.operation.isConfig)
        }
        let total = specs.count
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO np_batch (id, request, total, pinned, expires_at, result_ttl, annotation, tenant,
                                          webhook, webhook_open)
                    VALUES (\(id), \(json), \(total), \(pinned),
                            now() + make_interval(secs => \(expiresIn)), \(resultTTL), \(annotation), \(tenant),
                            \(webhook), \(webhook != nil))
                    """, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO np_job (batch_id, idx, host, port, username, device, pinned, is_config)
                    SELECT \(id), t.idx, t.host, t.port, t.username, t.device, \(pinned), t.is_config
                    FROM unnest(\(indices)::integer[], \(hosts)::text[], \(ports)::integer[], \(users)::text[],
                                \(devices)::text[], \(configs)::boolean[])
                         AS t(idx, host, port, username, device, is_config)
                    ORDER BY t.idx
                    """, logger: logger)
                try await connection.query("SELECT pg_notify(\(Self.jobsChannel), '')", logger: logger)
            }
        } catch {
            throw .wrapping(error, "submitting a batch")
        }
        let batchID = id.uuidString.lowercased()
        return SubmittedBatch(id: batchID, jobIDs: indices.map { "\(batchID).\($0)" })
    }

    // MARK: Reading

    /// How far a batch is; `nil` for an unknown or purged batch.
    public func progress(batchID: String) async throws(PostgresQueueError) -> BatchProgress? {
        guard let id = UUID(uuidString: batchID) else { return nil }
        do {
            let rows = try await client.query(
                """
                SELECT b.total,
                       count(*) FILTER (WHERE j.state = 0), count(*) FILTER (WHERE j.state = 1),
                       count(*) FILTER (WHERE j.state = 2 AND j.error_kind IS NULL
                                        AND (j.result::jsonb ->> 'success')::boolean),
                       count(*) FILTER (WHERE j.state = 2)
                FROM np_batch b LEFT JOIN np_job j ON j.batch_id = b.id
                WHERE b.id = \(id) GROUP BY b.total
                """, logger: logger)
            for try await (total, queued, running, succeeded, final) in rows.decode((Int, Int, Int, Int, Int).self) {
                return BatchProgress(
                    total: total, queued: queued, running: running, succeeded: succeeded, failed: final - succeeded)
            }
            return nil
        } catch {
            throw .wrapping(error, "reading a batch's progress")
        }
    }

    /// The final results of a batch's jobs so far, in request order (jobs not final are left out);
    /// `nil` for an unknown or purged batch.
    public func results(batchID: String) async throws(PostgresQueueError) -> [DeviceResult]? {
        guard let id = UUID(uuidString: batchID) else { return nil }
        do {
            var found = false
            for try await _ in try await client.query("SELECT 1 FROM np_batch WHERE id = \(id)", logger: logger)
                .decode(Int.self)
            {
                found = true
            }
            guard found else { return nil }
            let rows = try await client.query(
                """
                SELECT idx, host, port, username, result, error_kind, error_message, started_at, finished_at
                FROM np_job WHERE batch_id = \(id) AND state = 2 ORDER BY idx
                """, logger: logger)
            var results: [DeviceResult] = []
            let decoder = JSONDecoder()
            for try await row in rows.decode(
                (Int, String, Int, String, String?, String?, String?, Date?, Date?).self)
            {
                let (index, host, port, username, result, kind, message, startedAt, finishedAt) = row
                let jobID = "\(batchID).\(index)"
                if let result {
                    do {
                        results.append(try decoder.decode(DeviceResult.self, from: Data(result.utf8)))
                    } catch {
                        throw PostgresQueueError(.corruptRow, "the stored result of job \(jobID) is not readable")
                    }
                } else {
                    let error = NetPulseError(
                        .init(rawValue: kind ?? "driver_error"), message ?? "no result was stored")
                    results.append(
                        DeviceResult(
                            hostname: host, port: port, username: username, index: index, jobID: jobID,
                            success: false, output: "", outputs: [], error: error,
                            executionTime: 0, startedAt: startedAt, finishedAt: finishedAt, sessionReused: false))
                }
            }
            return results
        } catch {
            throw .wrapping(error, "reading a batch's results")
        }
    }

    /// Waits until every job of the batch is final, polling every `interval`, and returns the result;
    /// `nil` if the batch is unknown or was purged meanwhile.
    public func result(batchID: String, pollEvery interval: Duration = .milliseconds(200)) async throws -> BatchResult?
    {
        while true {
            guard let progress = try await progress(batchID: batchID) else { return nil }
            if progress.queued == 0 && progress.running == 0 {
                guard let results = try await results(batchID: batchID) else { return nil }
                return BatchResult(batchID: batchID, results: results)
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Cancels a job: a queued job is final at once (`cancelled`); a running one is asked to stop (its
    /// worker sees the request at its next heartbeat) and reports `cancelled`.
    ///
    /// - Returns: `false` if the job is unknown or already final.
    @discardableResult
    public func cancel(jobID: String) async throws(PostgresQueueError) -> Bool {
        guard let dot = jobID.lastIndex(of: "."), let id = UUID(uuidString: String(jobID[..<dot])),
            let index = Int(jobID[jobID.index(after: dot)...])
        else { return false }
        do {
            let rows = try await client.query(
                """
                WITH queued AS (
                    UPDATE np_job SET state = 2, error_kind = 'cancelled', error_message = 'the job was cancelled',
                                      finished_at = now()
                    WHERE batch_id = \(id) AND idx = \(index) AND state = 0 RETURNING 1),
                running AS (
                    UPDATE np_job SET cancel_requested = true
                    WHERE batch_id = \(id) AND idx = \(index) AND state = 1 AND NOT cancel_requested RETURNING 1)
                SELECT (SELECT count(*) FROM queued) + (SELECT count(*) FROM running)
                """, logger: logger)
            for try await count in rows.decode(Int.self) { return count > 0 }
            return false
        } catch {
            throw .wrapping(error, "cancelling a job")
        }
    }
}

extension Duration {
    /// Seconds as a floating-point number (the database's intervals are built from seconds).
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension NetPulseError.Kind {
    /// A config job was running on a worker that stopped answering: it is not run again (a config push
    /// is never repeated), and its outcome on the device is unknown.
    public static let workerLost = NetPulseError.Kind(rawValue: "worker_lost")
}
