public import Foundation
import Logging
public import NetPulse
public import NetPulseServer
import PostgresNIO
import Synchronization

/// A `BatchStore` over a ``PostgresQueue``: batches are rows, their jobs run in ``PostgresWorker``
/// processes (or one run beside the API), and every answer is read from the database, so any number
/// of API processes serve the same batches and a restarted one answers as before.
///
/// Results are streamed through `LISTEN netpulse_results` (a trigger notifies a batch when one of its
/// jobs becomes final), with a poll every ``Options/pollInterval`` as a fallback. Run ``run()`` for the
/// listener; without it, streams poll.
///
/// A batch's webhook is kept in its row (``submitBatch(_:source:tenant:annotation:webhook:)``); the
/// deliveries are sent by a ``PostgresWebhookFollower``, which every API process over the store runs
/// (`netpulse serve --database` does): without one, they wait in the database until one runs.
///
/// What it does not do, and says so (`BatchStoreError/Kind/unsupported`): submit a batch without its
/// JSON request (`source`).
public final class PostgresBatchStore: BatchStore, WebhookKeepingStore {
    /// How the store polls and what it keeps in memory.
    public struct Options: Sendable {
        /// How often a results stream reads the database when no notification came.
        public var pollInterval: Duration = .seconds(1)
        /// Batches whose options and annotation are kept decoded in memory (an LRU of this size).
        public var cachedBatches: Int = 1_024
        /// Workers running in this process (`netpulse serve` without `--no-worker`): their open device
        /// connections are `BatchStoreStats.openConnections`. With none, that count is `nil` (the jobs
        /// run in other processes).
        public var localWorkers: [PostgresWorker] = []

        public init() {}
    }

    public let queue: PostgresQueue
    let annotations: BatchAnnotationCodec?
    let options: Options
    let logger: Logger
    private let cache: Mutex<StoreBatchCache>
    private let wakers = Mutex<ResultWakerTable>(ResultWakerTable())
    /// Signalled when this store queued a batch with a webhook: its follower claims it at once.
    let webhookSubmitted = WakeSignal()
    /// The channel the `np_job_done` trigger notifies.
    static let resultsChannel = "netpulse_results"

    /// - Parameters:
    ///   - queue: The queue (its client must be running).
    ///   - annotations: How submitters' annotations are kept (the HTTP API's is `NetPulseAPI.annotationCodec`);
    ///     `nil` keeps none.
    ///   - options: Polling and caching.
    public init(queue: PostgresQueue, annotations: BatchAnnotationCodec? = nil, options: Options = Options()) {
        self.queue = queue
        self.annotations = annotations
        self.options = options
        self.logger = queue.configuration.logger
        self.cache = Mutex(StoreBatchCache(capacity: max(1, options.cachedBatches)))
    }

    public var configuration: SchedulerConfiguration { queue.configuration }

    /// Listens for results until cancelled, waking the streams of the batches notified; reconnects
    /// after a failure (streams poll meanwhile).
    public func run() async {
        while !Task.isCancelled {
            do {
                try await queue.client.withConnection { connection in
                    try await connection.listen(on: Self.resultsChannel) { notifications in
                        // Anything may have been missed before the listen: wake everyone once.
                        self.wakeAll()
                        for try await notification in notifications { self.wake(batchID: notification.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("LISTEN for results failed; polling until it is back", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: options.pollInterval)
        }
    }

    // MARK: Submitting

    public func submitBatch(
        _ batch: ValidatedBatch, source: JSONValue?, tenant: String?, annotation: (any Sendable)?
    ) async throws(BatchStoreError) -> StoredBatch {
        try await submitBatch(batch, source: source, tenant: tenant, annotation: annotation, webhookJSON: nil)
    }

    /// Keeps the webhook in the batch's row (`np_batch.webhook`, header values as given, as the request's
    /// passwords are); a ``PostgresWebhookFollower`` in some API process sends the deliveries.
    public func submitBatch(
        _ batch: ValidatedBatch, source: JSONValue?, tenant: String?, annotation: (any Sendable)?, webhook: Webhook
    ) async throws(BatchStoreError) -> StoredBatch {
        let text: String
        do {
            text = String(decoding: try JSONEncoder().encode(webhook.storedJSON), as: UTF8.self)
        } catch {
            throw .refused(RequestError(field: "webhook", reason: "cannot be encoded as JSON"))
        }
        let stored = try await submitBatch(
            batch, source: source, tenant: tenant, annotation: annotation, webhookJSON: text)
        webhookSubmitted.signal()
        return stored
    }

    private func submitBatch(
        _ batch: ValidatedBatch, source: JSONValue?, tenant: String?, annotation: (any Sendable)?,
        webhookJSON: String?
    ) async throws(BatchStoreError) -> StoredBatch {
        guard let source else {
            throw .unsupported(
                "submit without JSON",
                "the PostgreSQL store keeps the request as JSON for its workers; submit it with its source")
        }
        let json: String
        do {
            json = String(decoding: try JSONEncoder().encode(source), as: UTF8.self)
        } catch {
            throw .refused(RequestError(field: "", reason: "cannot be encoded as JSON"))
        }
        let limit = configuration.limits.maxQueuedJobs
        let queued = try await call { () async throws(PostgresQueueError) in try await queue.queuedJobs() }
        guard queued + batch.specs.count <= limit else {
            throw .refused(
                RequestError(
                    field: "devices",
                    reason: "the queue holds \(queued) queued jobs; \(batch.specs.count) more would pass its bound of "
                        + "\(limit); try again later",
                    kind: .overloaded))
        }
        let text = annotation.flatMap { value in annotations?.encode(value) }
        let stored = try await call { () async throws(PostgresQueueError) in
            try await queue.submit(batch, json: json, annotation: text, tenant: tenant, webhook: webhookJSON)
        }
        cache.withLock {
            $0.insert(
                stored.id,
                StoreCachedBatch(jobIDs: stored.jobIDs, options: batch.options, annotation: annotation))
        }
        return StoredBatch(batchID: stored.id, jobIDs: stored.jobIDs, options: batch.options)
    }

    // MARK: Reading

    public func lookUpBatch(id: String) async throws(BatchStoreError) -> BatchSnapshot? {
        guard let uuid = UUID(uuidString: id) else { return nil }
        guard
            let progress = try await call({ () async throws(PostgresQueueError) in
                try await queue.progress(batchID: id)
            })
        else {
            cache.withLock { $0.remove(id) }
            return nil
        }
        let cached = try await cachedBatch(uuid, id: id, total: progress.total)
        return BatchSnapshot(
            batchID: id, jobIDs: cached.jobIDs, options: cached.options, progress: progress,
            annotation: cached.annotation)
    }

    /// The batch's ids, options and annotation: from the cache, or read and decoded once.
    private func cachedBatch(_ uuid: UUID, id: String, total: Int) async throws(BatchStoreError) -> StoreCachedBatch {
        if let known = cache.withLock({ $0.get(id) }) { return known }
        let row = try await call { () async throws(PostgresQueueError) -> (String, String?)? in
            do {
                for try await row in try await queue.client.query(
                    "SELECT request, annotation FROM np_batch WHERE id = \(uuid)", logger: logger
                ).decode((String, String?).self) {
                    return row
                }
                return nil
            } catch {
                throw .wrapping(error, "reading a batch")
            }
        }
        var options = BatchOptions()
        var annotation: (any Sendable)?
        if let (request, text) = row {
            if let parsed = try? BatchRequest(json: Data(request.utf8)),
                let validated = try? ValidatedBatch(parsed, configuration: configuration)
            {
                options = validated.options
            }
            annotation = text.flatMap { annotations?.decode($0) }
        }
        let batch = StoreCachedBatch(
            jobIDs: (0..<total).map { "\(id).\($0)" }, options: options, annotation: annotation)
        cache.withLock { $0.insert(id, batch) }
        return batch
    }

    public func lookUpJob(id: String) async throws(BatchStoreError) -> JobInfo? {
        guard let (uuid, index) = Self.parseJobID(id) else { return nil }
        return try await jobs(where: .job(uuid, index)).first
    }

    public func batchJobs(batchID: String) async throws(BatchStoreError) -> [JobInfo]? {
        guard let uuid = UUID(uuidString: batchID) else { return nil }
        let exists = try await call { () async throws(PostgresQueueError) in
            try await queue.progress(batchID: batchID) != nil
        }
        guard exists else { return nil }
        return try await jobs(where: .batch(uuid))
    }

    /// Pages by the jobs' insertion sequence (submission order of batches, request order within one);
    /// the cursor is `p` and the last sequence listed. Final statuses are told apart after the read, so
    /// a page filtered on one may be short and still have a next page.
    public func listJobs(_ query: JobQuery) async throws(BatchStoreError) -> JobPage {
        guard query.limit >= 1 else { throw .refused(RequestError(field: "limit", reason: "must be at least 1")) }
        var after: Int64 = 0
        if let cursor = query.cursor {
            guard cursor.hasPrefix("p"), let value = Int64(cursor.dropFirst()), value >= 0 else {
                throw .refused(RequestError(field: "cursor", reason: "is not a cursor this server returned"))
            }
            after = value
        }
        var batch: UUID?
        if let id = query.batchID {
            guard let uuid = UUID(uuidString: id) else { return JobPage(jobs: [], next: nil) }
            batch = uuid
        }
        // The row's state narrows the scan when every status asked for has the same one.
        let states = query.statuses.map { Set($0.map(Self.state(of:))) }
        let state = states?.count == 1 ? states?.first : nil
        let limit = min(query.limit, JobQuery.scanLimit)
        let rows = try await self.rows(
            .page(after: after, state: state, host: query.host, batch: batch, limit: limit + 1))
        var page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { "p\($0.sequence)" } : nil
        if let statuses = query.statuses { page.removeAll { !statuses.contains($0.info.status) } }
        return JobPage(jobs: page.map(\.info), next: next)
    }

    /// `np_job.state` of a status: 0 queued, 1 running, 2 final.
    private static func state(of status: JobStatus) -> Int {
        switch status {
        case .queued: 0
        case .started: 1
        case .finished, .failed, .cancelled, .expired: 2
        }
    }

    public func cancelJob(id: String) async throws(BatchStoreError) -> Bool {
        try await call { () async throws(PostgresQueueError) in try await queue.cancel(jobID: id) }
    }

    public func cancelBatch(id: String) async throws(BatchStoreError) -> Bool {
        guard let uuid = UUID(uuidString: id) else { return false }
        return try await call { () async throws(PostgresQueueError) in
            do {
                let rows = try await queue.client.query(
                    """
                    WITH queued AS (
                        UPDATE np_job SET state = 2, error_kind = 'cancelled',
                                          error_message = 'the batch was cancelled', finished_at = now()
                        WHERE batch_id = \(uuid) AND state = 0 RETURNING 1),
                    running AS (
                        UPDATE np_job SET cancel_requested = true
                        WHERE batch_id = \(uuid) AND state = 1 AND NOT cancel_requested RETURNING 1)
                    SELECT (SELECT count(*) FROM queued) + (SELECT count(*) FROM running),
                           EXISTS (SELECT 1 FROM np_batch WHERE id = \(uuid))
                    """, logger: logger)
                for try await (_, exists) in rows.decode((Int, Bool).self) { return exists }
                return false
            } catch {
                throw .wrapping(error, "cancelling a batch")
            }
        }
    }

    public func storeStats() async throws(BatchStoreError) -> BatchStoreStats {
        let workers = options.localWorkers
        let open = workers.isEmpty ? nil : workers.reduce(0) { $0 + $1.openConnections }
        return try await call { () async throws(PostgresQueueError) in
            do {
                let rows = try await queue.client.query(
                    """
                    SELECT (SELECT count(*) FROM np_job WHERE state = 0), (SELECT count(*) FROM np_job WHERE state = 1),
                           (SELECT count(*) FROM np_batch)
                    """, logger: logger)
                for try await (queued, running, batches) in rows.decode((Int, Int, Int).self) {
                    return BatchStoreStats(
                        runningJobs: running, queuedJobs: queued, batches: batches, openConnections: open)
                }
                return BatchStoreStats(runningJobs: 0, queuedJobs: 0, batches: 0, openConnections: open)
            } catch {
                throw .wrapping(error, "reading the queue's counts")
            }
        }
    }

    /// Ends every results stream's wait; the database keeps everything.
    public func shutdown() async {
        wakeAll()
    }

    // MARK: Results stream

    public func batchResults(batchID: String) -> AsyncThrowingStream<DeviceResult, any Error> {
        results(batchID: batchID, webhookPendingOnly: false)
    }

    /// The batch's final results whose webhook was not handed over yet (`np_job.webhook_done`), each once,
    /// as ``batchResults(batchID:)`` streams them: what a follower taking the batch over still sends.
    func webhookPendingResults(batchID: String) -> AsyncThrowingStream<DeviceResult, any Error> {
        results(batchID: batchID, webhookPendingOnly: true)
    }

    private func results(batchID: String, webhookPendingOnly: Bool) -> AsyncThrowingStream<DeviceResult, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: DeviceResult.self)
        guard let uuid = UUID(uuidString: batchID) else {
            continuation.finish()
            return stream
        }
        let waker = WakeSignal()
        let token = wakers.withLock { $0.add(batchID, waker) }
        let task = Task {
            defer { self.wakers.withLock { $0.remove(batchID, token) } }
            do {
                try await self.stream(
                    uuid, batchID: batchID, webhookPendingOnly: webhookPendingOnly, into: continuation, waker: waker)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Yields each final result once: new ones by their `done_seq` (each read resumes after the last
    /// number seen); once every job is final, a last read catches any job whose number was taken before
    /// a lower one committed, reading only the jobs not yet yielded (not the whole batch again).
    private func stream(
        _ uuid: UUID, batchID: String, webhookPendingOnly: Bool,
        into continuation: AsyncThrowingStream<DeviceResult, any Error>.Continuation,
        waker: WakeSignal
    ) async throws {
        var seen = Set<Int>()
        var floor: Int64 = 0
        while !Task.isCancelled {
            guard let progress = try await queue.progress(batchID: batchID) else { return }
            let complete = progress.isComplete
            let rows = try await doneResults(
                uuid, batchID: batchID, after: complete ? 0 : floor, excluding: complete ? Array(seen) : [],
                webhookPendingOnly: webhookPendingOnly)
            for (index, sequence, result) in rows {
                floor = max(floor, sequence)
                if seen.insert(index).inserted { continuation.yield(result) }
            }
            // Webhook-pending only: the jobs handed over before are not read, so only completion ends it.
            if complete || (!webhookPendingOnly && seen.count >= progress.total) { return }
            await waker.wait(upTo: options.pollInterval)
        }
    }

    private func doneResults(
        _ uuid: UUID, batchID: String, after floor: Int64, excluding seen: [Int], webhookPendingOnly: Bool
    ) async throws(PostgresQueueError) -> [(Int, Int64, DeviceResult)] {
        do {
            let rows = try await queue.client.query(
                """
                SELECT idx, done_seq, host, port, username, result, error_kind, error_message, started_at, finished_at
                FROM np_job WHERE batch_id = \(uuid) AND state = 2 AND done_seq > \(floor)
                  AND NOT (idx = ANY(\(seen))) AND NOT (\(webhookPendingOnly) AND webhook_done) ORDER BY done_seq
                """, logger: logger)
            var found: [(Int, Int64, DeviceResult)] = []
            for try await row in rows.decode(
                (Int, Int64, String, Int, String, String?, String?, String?, Date?, Date?).self)
            {
                let (index, sequence, host, port, username, result, kind, message, startedAt, finishedAt) = row
                found.append(
                    (
                        index, sequence,
                        try Self.result(
                            jobID: "\(batchID).\(index)", index: index, host: host, port: port, username: username,
                            json: result, kind: kind, message: message, startedAt: startedAt, finishedAt: finishedAt)
                    ))
            }
            return found
        } catch {
            throw .wrapping(error, "reading a batch's results")
        }
    }

    private func wake(batchID: String) {
        for waker in wakers.withLock({ $0.wakers(of: batchID) }) { waker.signal() }
    }

    private func wakeAll() {
        for waker in wakers.withLock({ $0.all() }) { waker.signal() }
    }

    // MARK: Rows

    private enum JobFilter {
        case job(UUID, Int)
        case batch(UUID)
        case page(after: Int64, state: Int?, host: String?, batch: UUID?, limit: Int)
    }

    private struct Row {
        var sequence: Int64
        var info: JobInfo
    }

    private func jobs(where filter: JobFilter) async throws(BatchStoreError) -> [JobInfo] {
        try await rows(filter).map(\.info)
    }

    private func rows(_ filter: JobFilter) async throws(BatchStoreError) -> [Row] {
        let columns =
            "seq, batch_id, idx, host, port, username, state, result, error_kind, error_message, started_at, finished_at"
        let query: PostgresQuery
        switch filter {
        case .job(let batch, let index):
            query = "SELECT \(unescaped: columns) FROM np_job WHERE batch_id = \(batch) AND idx = \(index)"
        case .batch(let batch):
            query = "SELECT \(unescaped: columns) FROM np_job WHERE batch_id = \(batch) ORDER BY idx"
        case .page(let after, let state, let host, let batch, let limit):
            query = """
                SELECT \(unescaped: columns) FROM np_job
                WHERE seq > \(after) AND (\(state)::integer IS NULL OR state = \(state))
                  AND (\(host)::text IS NULL OR host = \(host)) AND (\(batch)::uuid IS NULL OR batch_id = \(batch))
                ORDER BY seq LIMIT \(limit)
                """
        }
        return try await call { () async throws(PostgresQueueError) in
            do {
                var found: [Row] = []
                for try await row in try await queue.client.query(query, logger: logger).decode(
                    (Int64, UUID, Int, String, Int, String, Int, String?, String?, String?, Date?, Date?).self)
                {
                    let (sequence, batch, index, host, port, username, state, json, kind, message, started, finished) =
                        row
                    let batchID = batch.uuidString.lowercased()
                    let jobID = "\(batchID).\(index)"
                    var status: JobStatus = state == 0 ? .queued : .started
                    var result: DeviceResult?
                    if state == 2 {
                        let final = try Self.result(
                            jobID: jobID, index: index, host: host, port: port, username: username, json: json,
                            kind: kind, message: message, startedAt: started, finishedAt: finished)
                        result = final
                        status = Self.status(final)
                    }
                    found.append(
                        Row(
                            sequence: sequence,
                            info: JobInfo(
                                id: jobID, batchID: batchID, index: index,
                                device: DeviceKey(host: host, port: port, username: username), status: status,
                                result: result, startedAt: started)))
                }
                return found
            } catch {
                throw .wrapping(error, "reading jobs")
            }
        }
    }

    /// A stored result: the worker's JSON, or one built from the error a queue operation wrote (a job
    /// cancelled or expired while queued, a config job whose worker was lost).
    static func result(
        jobID: String, index: Int, host: String, port: Int, username: String, json: String?, kind: String?,
        message: String?, startedAt: Date?, finishedAt: Date?
    ) throws(PostgresQueueError) -> DeviceResult {
        if let json {
            do {
                return try JSONDecoder().decode(DeviceResult.self, from: Data(json.utf8))
            } catch {
                throw PostgresQueueError(.corruptRow, "the stored result of job \(jobID) is not readable")
            }
        }
        return DeviceResult(
            hostname: host, port: port, username: username, index: index, jobID: jobID, success: false, output: "",
            outputs: [],
            error: NetPulseError(.init(rawValue: kind ?? "driver_error"), message ?? "no result was stored"),
            executionTime: 0, startedAt: startedAt, finishedAt: finishedAt, sessionReused: false)
    }

    /// The final status a result stands for (as the in-memory scheduler tells it).
    static func status(_ result: DeviceResult) -> JobStatus {
        if result.success { return .finished }
        switch result.error?.kind {
        case .cancelled?: return .cancelled
        case .expired?: return .expired
        default: return .failed
        }
    }

    static func parseJobID(_ id: String) -> (UUID, Int)? {
        guard let dot = id.lastIndex(of: "."), let uuid = UUID(uuidString: String(id[..<dot])),
            let index = Int(id[id.index(after: dot)...]), index >= 0
        else { return nil }
        return (uuid, index)
    }

    private func call<T>(_ body: () async throws(PostgresQueueError) -> T) async throws(BatchStoreError) -> T {
        do {
            return try await body()
        } catch {
            throw BatchStoreError(.unavailable, "the database: \(error)")
        }
    }
}

/// What the store keeps decoded about a batch.
struct StoreCachedBatch: @unchecked Sendable {
    // `@unchecked`: the annotation is `any Sendable`; the rest are values.
    var jobIDs: [String]
    var options: BatchOptions
    var annotation: (any Sendable)?
}

/// A bounded cache of batches, least recently inserted out first.
struct StoreBatchCache {
    let capacity: Int
    private var entries: [String: StoreCachedBatch] = [:]
    private var order: [String] = []

    init(capacity: Int) { self.capacity = capacity }

    func get(_ id: String) -> StoreCachedBatch? { entries[id] }

    mutating func insert(_ id: String, _ batch: StoreCachedBatch) {
        if entries.updateValue(batch, forKey: id) == nil { order.append(id) }
        while order.count > capacity {
            entries.removeValue(forKey: order.removeFirst())
        }
    }

    mutating func remove(_ id: String) {
        guard entries.removeValue(forKey: id) != nil else { return }
        order.removeAll { $0 == id }
    }
}

/// The streams waiting on each batch.
struct ResultWakerTable {
    private var next: UInt64 = 0
    private var byBatch: [String: [UInt64: WakeSignal]] = [:]

    mutating func add(_ batchID: String, _ waker: WakeSignal) -> UInt64 {
        next += 1
        byBatch[batchID, default: [:]][next] = waker
        return next
    }

    mutating func remove(_ batchID: String, _ token: UInt64) {
        byBatch[batchID]?.removeValue(forKey: token)
        if byBatch[batchID]?.isEmpty == true { byBatch.removeValue(forKey: batchID) }
    }

    func wakers(of batchID: String) -> [WakeSignal] { byBatch[batchID].map { Array($0.values) } ?? [] }

    func all() -> [WakeSignal] { byBatch.values.flatMap(\.values) }
}
