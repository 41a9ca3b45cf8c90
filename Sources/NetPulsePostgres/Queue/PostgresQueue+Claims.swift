import Foundation
import Logging
import NetPulse
import PostgresNIO

/// One job a worker claimed: which job, which attempt, and for a pinned job the lease epoch it runs under.
struct ClaimedJob: Sendable, Hashable {
    var batchID: UUID
    var index: Int
    var attempt: Int
    var device: String
    /// The fencing token of the device's lease, for pinned jobs.
    var epoch: Int?
}

/// A finished job on its way to the database.
struct JobCompletion: Sendable {
    var job: ClaimedJob
    /// The result as JSON (a ``DeviceResult``).
    var result: String
}

/// What a worker process reads and writes, each a single statement (one round trip) that commits at once.
extension PostgresQueue {
    func register(
        worker id: UUID, name: String, hostname: String, pid: Int32, capacity: Int
    ) async throws(PostgresQueueError) {
        do {
            try await client.query(
                """
                INSERT INTO np_worker (id, name, hostname, pid, capacity)
                VALUES (\(id), \(name), \(hostname), \(Int(pid)), \(capacity))
                """, logger: logger)
        } catch {
            throw .wrapping(error, "registering the worker")
        }
    }

    func unregister(worker id: UUID) async {
        _ = try? await client.query(
            """
            WITH gone AS (DELETE FROM np_worker WHERE id = \(id))
            UPDATE np_device_lease SET lease_until = now() WHERE worker_id = \(id)
            """, logger: logger)
    }

    /// Claims up to `limit` queued round-robin jobs, shared out evenly among the oldest batches that have
    /// queued jobs (fairness across batches: a big batch does not hold back a small one behind it). Each
    /// batch's first job comes before any batch's second, and within a rank batches are served in turn:
    /// first those not in `turns`, oldest first, then those in `turns` in its order. The worker passes
    /// the batches it started jobs of, least recently first, so that with one free slot at a time it
    /// alternates between batches (a random order here let one batch win several turns in a row).
    func claimRoundRobin(
        worker id: UUID, limit: Int, turns: [UUID] = []
    ) async throws(PostgresQueueError) -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        do {
            let rows = try await client.query(
                """
                WITH b AS (
                    SELECT id, submitted_at, coalesce(array_position(\(turns)::uuid[], id), 0) AS turn FROM np_batch
                    WHERE has_queued AND NOT pinned AND (expires_at IS NULL OR expires_at > now())
                    ORDER BY submitted_at LIMIT 16),
                share AS (SELECT greatest(1, (\(limit) + count(*) - 1) / greatest(count(*), 1))::integer AS n FROM b),
                c AS (
                    SELECT q.batch_id, q.idx FROM b CROSS JOIN LATERAL (
                        SELECT j.batch_id, j.idx FROM np_job j
                        WHERE j.batch_id = b.id AND j.state = 0 AND NOT j.pinned
                        ORDER BY j.idx LIMIT (SELECT n FROM share) FOR UPDATE SKIP LOCKED) q
                    ORDER BY row_number() OVER (PARTITION BY q.batch_id ORDER BY q.idx), b.turn, b.submitted_at, b.id
                    LIMIT \(limit))
                UPDATE np_job j SET state = 1, worker_id = \(id), started_at = now(), attempt = j.attempt + 1
                FROM c WHERE j.batch_id = c.batch_id AND j.idx = c.idx
                RETURNING j.batch_id, j.idx, j.attempt, j.device
                """, logger: logger)
            var claimed: [ClaimedJob] = []
            for try await (batchID, index, attempt, device) in rows.decode((UUID, Int, Int, String).self) {
                claimed.append(ClaimedJob(batchID: batchID, index: index, attempt: attempt, device: device))
            }
            return claimed
        } catch {
            throw .wrapping(error, "claiming jobs")
        }
    }

    /// Takes the lease of up to `limit` pinned devices that have queued jobs and no live owner; a lease
    /// taken from a lapsed owner gets the next epoch. Batches take turns as in
    /// ``claimRoundRobin(worker:limit:turns:)``: each batch's first waiting device before any batch's
    /// second, and within a rank those not in `turns` (oldest first), then those in `turns` in its order,
    /// so that a small batch behind a large one is not served after it.
    func acquireLeases(
        worker id: UUID, limit: Int, lease: Duration, turns: [UUID] = []
    ) async throws(PostgresQueueError) -> [String: Int] {
        guard limit > 0 else { return [:] }
        do {
            let rows = try await client.query(
                """
                WITH heads AS (
                    SELECT DISTINCT ON (j.device) j.device, j.batch_id, j.seq FROM np_job j
                    WHERE j.pinned AND j.state = 0
                      AND NOT EXISTS (SELECT 1 FROM np_device_lease l WHERE l.device = j.device AND l.lease_until > now())
                    ORDER BY j.device, j.seq),
                cand AS (
                    SELECT device FROM heads
                    ORDER BY row_number() OVER (PARTITION BY batch_id ORDER BY seq),
                             coalesce(array_position(\(turns)::uuid[], batch_id), 0), seq
                    LIMIT \(limit))
                INSERT INTO np_device_lease AS l (device, worker_id, epoch, lease_until)
                SELECT device, \(id), 1, now() + make_interval(secs => \(lease.seconds)) FROM cand
                ON CONFLICT (device) DO UPDATE
                    SET worker_id = EXCLUDED.worker_id, epoch = l.epoch + 1, lease_until = EXCLUDED.lease_until
                    WHERE l.lease_until <= now()
                RETURNING device, epoch
                """, logger: logger)
            var leases: [String: Int] = [:]
            for try await (device, epoch) in rows.decode((String, Int).self) { leases[device] = epoch }
            return leases
        } catch {
            throw .wrapping(error, "taking device leases")
        }
    }

    /// Claims, for each device this worker holds a live lease on, the device's next job in submission
    /// order if no job of the device is running: a device's jobs run one at a time, in order. At most
    /// `limit` jobs (the worker's free capacity: it may own more devices than it has room for), batches
    /// taking turns as in ``acquireLeases(worker:limit:lease:turns:)``.
    func claimPinned(
        worker id: UUID, limit: Int = .max, turns: [UUID] = []
    ) async throws(PostgresQueueError) -> [ClaimedJob] {
        guard limit > 0 else { return [] }
        do {
            let rows = try await client.query(
                """
                WITH owned AS (
                    SELECT device, epoch FROM np_device_lease WHERE worker_id = \(id) AND lease_until > now()),
                heads AS (
                    SELECT DISTINCT ON (j.device) j.batch_id, j.idx, j.state, j.seq, o.epoch
                    FROM np_job j JOIN owned o ON o.device = j.device
                    WHERE j.pinned AND j.state < 2 ORDER BY j.device, j.seq),
                ready AS (
                    SELECT h.batch_id, h.idx, h.epoch FROM heads h WHERE h.state = 0
                    ORDER BY row_number() OVER (PARTITION BY h.batch_id ORDER BY h.seq),
                             coalesce(array_position(\(turns)::uuid[], h.batch_id), 0), h.seq
                    LIMIT \(min(limit, Int(Int32.max))))
                UPDATE np_job j SET state = 1, worker_id = \(id), started_at = now(), attempt = j.attempt + 1,
                                    epoch = h.epoch
                FROM ready h JOIN np_batch b ON b.id = h.batch_id
                WHERE j.batch_id = h.batch_id AND j.idx = h.idx
                  AND (b.expires_at IS NULL OR b.expires_at > now())
                RETURNING j.batch_id, j.idx, j.attempt, j.device, j.epoch
                """, logger: logger)
            var claimed: [ClaimedJob] = []
            for try await (batchID, index, attempt, device, epoch) in rows.decode((UUID, Int, Int, String, Int).self) {
                claimed.append(
                    ClaimedJob(batchID: batchID, index: index, attempt: attempt, device: device, epoch: epoch))
            }
            return claimed
        } catch {
            throw .wrapping(error, "claiming pinned jobs")
        }
    }

    /// Writes results, all in one statement. A result is written only if its job is still running on
    /// this worker in the same attempt and, for a pinned job, this worker still holds the device's lease
    /// in the same epoch with time left: a fenced worker writes nothing.
    ///
    /// - Returns: The jobs whose result was written.
    func complete(worker id: UUID, _ completions: [JobCompletion]) async throws(PostgresQueueError) -> Set<ClaimedJob> {
        guard !completions.isEmpty else { return [] }
        let batches = completions.map(\.job.batchID)
        let indices = completions.map(\.job.index)
        let attempts = completions.map(\.job.attempt)
        let epochs = completions.map { $0.job.epoch ?? 0 }
        let results = completions.map(\.result)
        do {
            let rows = try await client.query(
                """
                UPDATE np_job j SET state = 2, result = i.result, finished_at = now()
                FROM unnest(\(batches)::uuid[], \(indices)::integer[], \(attempts)::integer[], \(epochs)::bigint[],
                            \(results)::text[]) AS i(batch_id, idx, attempt, epoch, result)
                WHERE j.batch_id = i.batch_id AND j.idx = i.idx AND j.state = 1 AND j.worker_id = \(id)
                  AND j.attempt = i.attempt
                  AND (NOT j.pinned OR EXISTS (
                        SELECT 1 FROM np_device_lease l WHERE l.device = j.device AND l.worker_id = \(id)
                          AND l.epoch = i.epoch AND l.lease_until > now()))
                RETURNING j.batch_id, j.idx
                """, logger: logger)
            var written: Set<ClaimedJob> = []
            let byKey = Dictionary(
                completions.map { (JobKey(batchID: $0.job.batchID, index: $0.job.index), $0.job) },
                uniquingKeysWith: { first, _ in first })
            for try await (batchID, index) in rows.decode((UUID, Int).self) {
                if let job = byKey[JobKey(batchID: batchID, index: index)] { written.insert(job) }
            }
            return written
        } catch {
            throw .wrapping(error, "writing results")
        }
    }

    /// What a heartbeat learns.
    struct Beat: Sendable {
        /// `false` when this worker's row is gone: it was declared dead, and must stop writing.
        var alive: Bool
        /// Jobs of this worker whose cancellation was asked for.
        var cancelRequested: [ClaimedJob]
        /// Devices whose lease this worker gave up (no job left for them): close their sessions.
        var released: [String]
    }

    /// Renews this worker's row and leases, gives up leases of devices with no job left and no session
    /// kept (`keeping`: the devices whose session the worker keeps, idle; a device whose job ended
    /// within `lease` is kept too, as the worker may have kept its session after reading `keeping`), and
    /// reads the
    /// cancellations asked for; then, if no other process is doing it, takes back the jobs of workers
    /// silent for `deadAfter` and sweeps expired, finished and purgeable batches.
    func heartbeat(
        worker id: UUID, running: Int, keeping: [String] = [], lease: Duration, deadAfter: Duration
    ) async throws(PostgresQueueError) -> Beat {
        do {
            var alive = false
            for try await _ in try await client.query(
                """
                WITH renew AS (
                    UPDATE np_device_lease SET lease_until = now() + make_interval(secs => \(lease.seconds))
                    WHERE worker_id = \(id) AND lease_until > now() AND EXISTS (SELECT 1 FROM np_worker WHERE id = \(id)))
                UPDATE np_worker SET heartbeat_at = now(), running = \(running) WHERE id = \(id) RETURNING 1
                """, logger: logger
            ).decode(Int.self) {
                alive = true
            }
            var released: [String] = []
            for try await device in try await client.query(
                """
                DELETE FROM np_device_lease l WHERE l.worker_id = \(id)
                  AND NOT EXISTS (
                      SELECT 1 FROM np_job j WHERE j.device = l.device AND j.pinned
                        AND (j.state < 2 OR j.finished_at > now() - make_interval(secs => \(lease.seconds))))
                  AND NOT (l.device = ANY(\(keeping)))
                RETURNING l.device
                """, logger: logger
            ).decode(String.self) {
                released.append(device)
            }
            var cancels: [ClaimedJob] = []
            for try await (batchID, index, attempt, device) in try await client.query(
                """
                SELECT batch_id, idx, attempt, device FROM np_job
                WHERE worker_id = \(id) AND state = 1 AND cancel_requested
                """, logger: logger
            ).decode((UUID, Int, Int, String).self) {
                cancels.append(ClaimedJob(batchID: batchID, index: index, attempt: attempt, device: device))
            }
            try await maintain(deadAfter: deadAfter)
            return Beat(alive: alive, cancelRequested: cancels, released: released)
        } catch {
            throw .wrapping(error, "heartbeat")
        }
    }

    /// The housekeeping one process does at a time (an advisory lock held by its transaction):
    /// - workers silent for `deadAfter` are removed; their running `show` jobs go back to the queue, their
    ///   running config jobs end `worker_lost` (a config push is never run twice), their leases lapse;
    /// - queued jobs of batches past their `ttl` end `expired`;
    /// - batches whose every job is final get their purge time (`result_ttl`), and purged batches go.
    func maintain(deadAfter: Duration) async throws {
        try await client.withTransaction(logger: logger) { connection in
            var locked = false
            for try await value in try await connection.query(
                "SELECT pg_try_advisory_xact_lock(7428302)", logger: logger
            ).decode(Bool.self) {
                locked = value
            }
            guard locked else { return }
            try await connection.query(
                """
                WITH dead AS (
                    DELETE FROM np_worker WHERE heartbeat_at < now() - make_interval(secs => \(deadAfter.seconds))
                    RETURNING id),
                lapse AS (UPDATE np_device_lease l SET lease_until = now() FROM dead WHERE l.worker_id = dead.id),
                taken AS (
                    UPDATE np_job j SET
                        state = CASE WHEN j.is_config THEN 2 ELSE 0 END,
                        error_kind = CASE WHEN j.is_config THEN 'worker_lost' END,
                        error_message = CASE WHEN j.is_config THEN
                            'the worker running this config job stopped answering; it is not run again' END,
                        finished_at = CASE WHEN j.is_config THEN now() END
                    FROM dead WHERE j.worker_id = dead.id AND j.state = 1
                    RETURNING j.batch_id)
                UPDATE np_batch SET has_queued = true WHERE id IN (SELECT batch_id FROM taken)
                """, logger: logger)
            try await connection.query(
                """
                UPDATE np_job j SET state = 2, error_kind = 'expired',
                    error_message = 'the job was still queued when the batch''s ttl ran out', finished_at = now()
                FROM np_batch b
                WHERE j.batch_id = b.id AND j.state = 0 AND b.expires_at <= now() AND b.finished_at IS NULL
                """, logger: logger)
            try await connection.query(
                """
                UPDATE np_batch b SET has_queued = false
                WHERE has_queued AND NOT EXISTS (SELECT 1 FROM np_job j WHERE j.batch_id = b.id AND j.state = 0)
                """, logger: logger)
            try await connection.query(
                """
                UPDATE np_batch b SET finished_at = now(), purge_at = now() + make_interval(secs => b.result_ttl)
                WHERE finished_at IS NULL AND NOT EXISTS (SELECT 1 FROM np_job j WHERE j.batch_id = b.id AND j.state < 2)
                """, logger: logger)
            try await connection.query(
                """
                DELETE FROM np_batch WHERE id IN (SELECT id FROM np_batch WHERE purge_at <= now() LIMIT 1000)
                """, logger: logger)
        }
    }

    /// The channel workers listen on for new jobs.
    var jobsChannel: String { Self.jobsChannel }
}

struct JobKey: Hashable {
    var batchID: UUID
    var index: Int
}
