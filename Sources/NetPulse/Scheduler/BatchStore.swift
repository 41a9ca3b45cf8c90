/// Where batches go: submitted, streamed back, looked up, listed and cancelled.
///
/// The in-memory ``Scheduler`` is one; `NetPulsePostgres` has one over a PostgreSQL queue whose jobs
/// run in worker processes. Front ends (the HTTP API) talk to this protocol, so every route works on
/// both. The requirements carry their own names (`submitBatch`, `lookUpJob`, ...) so that the
/// scheduler's synchronous API keeps its meaning for its callers.
///
/// A store that cannot answer something throws ``BatchStoreError/Kind/unsupported`` naming it,
/// rather than answering wrongly.
public protocol BatchStore: Sendable {
    /// Drivers, platforms and limits requests are validated against (``ValidatedBatch``).
    var configuration: SchedulerConfiguration { get }

    /// Queues a validated batch; returns once it is stored, not when it has run.
    ///
    /// - Parameters:
    ///   - batch: The batch, validated against ``configuration``.
    ///   - source: The request as JSON (the batch guide's format), for a store that keeps batches
    ///     outside this process; an in-process store ignores it.
    ///   - tenant: Who submits (see ``Scheduler/submit(_:tenant:annotation:)-(BatchRequest,_,_)``).
    ///   - annotation: What the caller keeps with the batch, handed back by ``lookUpBatch(id:)``.
    /// - Returns: The batch's id and one job id per device, in request order.
    /// - Throws: ``BatchStoreError`` (``BatchStoreError/Kind/refused`` with the ``RequestError`` when the
    ///   store is full).
    func submitBatch(
        _ batch: ValidatedBatch, source: JSONValue?, tenant: String?, annotation: (any Sendable)?
    ) async throws(BatchStoreError) -> StoredBatch

    /// The batch's results, each device's once, in the order they became final; the sequence ends
    /// after the last one. Each call starts from the first result. An unknown or purged batch ends at once.
    func batchResults(batchID: String) -> AsyncThrowingStream<DeviceResult, any Error>

    /// A batch still kept: its ids, options, progress and annotation; `nil` when unknown or purged.
    func lookUpBatch(id: String) async throws(BatchStoreError) -> BatchSnapshot?

    /// A job by id; `nil` when unknown or purged.
    func lookUpJob(id: String) async throws(BatchStoreError) -> JobInfo?

    /// The jobs of a batch in request order; `nil` when the batch is unknown or purged.
    func batchJobs(batchID: String) async throws(BatchStoreError) -> [JobInfo]?

    /// One page of jobs (``Scheduler/jobs(_:)``).
    ///
    /// - Throws: ``BatchStoreError/Kind/refused`` naming `cursor` or `limit` when malformed.
    func listJobs(_ query: JobQuery) async throws(BatchStoreError) -> JobPage

    /// Cancels one job (a queued one at once; a running one is stopped and reported `cancelled`).
    ///
    /// - Returns: `false` if the job is unknown or already final.
    func cancelJob(id: String) async throws(BatchStoreError) -> Bool

    /// Cancels every job of a batch that is not final.
    ///
    /// - Returns: `false` if the batch is unknown or purged.
    func cancelBatch(id: String) async throws(BatchStoreError) -> Bool

    /// Counts for `GET /health`.
    func storeStats() async throws(BatchStoreError) -> BatchStoreStats

    /// Stops taking work and releases what the store holds in this process.
    func shutdown() async
}

/// A batch as a ``BatchStore`` stored it.
public struct StoredBatch: Sendable, Hashable {
    public var batchID: String
    /// One per device, in request order.
    public var jobIDs: [String]
    /// The options in force (the request's, with every bound applied).
    public var options: BatchOptions

    public init(batchID: String, jobIDs: [String], options: BatchOptions) {
        self.batchID = batchID
        self.jobIDs = jobIDs
        self.options = options
    }
}

/// A batch at one moment.
public struct BatchSnapshot: Sendable {
    public var batchID: String
    public var jobIDs: [String]
    public var options: BatchOptions
    public var progress: BatchProgress
    /// What the submitter kept with the batch (``BatchStore/submitBatch(_:source:tenant:annotation:)``).
    public var annotation: (any Sendable)?

    public init(
        batchID: String, jobIDs: [String], options: BatchOptions, progress: BatchProgress,
        annotation: (any Sendable)?
    ) {
        self.batchID = batchID
        self.jobIDs = jobIDs
        self.options = options
        self.progress = progress
        self.annotation = annotation
    }
}

/// What `GET /health` reports of a store.
public struct BatchStoreStats: Sendable, Hashable {
    public var runningJobs: Int
    public var queuedJobs: Int
    /// Batches whose results are still kept.
    public var batches: Int
    /// Connections this process holds to devices; `nil` when the store's jobs run elsewhere.
    public var openConnections: Int?

    public init(runningJobs: Int, queuedJobs: Int, batches: Int, openConnections: Int?) {
        self.runningJobs = runningJobs
        self.queuedJobs = queuedJobs
        self.batches = batches
        self.openConnections = openConnections
    }
}

/// Why a ``BatchStore`` did not do what it was asked.
public struct BatchStoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The request was refused: ``BatchStoreError/request`` says which field and why (or that the
        /// store is full, of kind ``RequestError/Kind/overloaded``).
        case refused
        /// This store cannot do it; ``BatchStoreError/feature`` names what.
        case unsupported
        /// The store could not be reached or answered an error.
        case unavailable
    }

    public var kind: Kind
    public var message: String
    /// The refusal, for ``Kind/refused``.
    public var request: RequestError?
    /// What is not supported, for ``Kind/unsupported``.
    public var feature: String?

    public init(_ kind: Kind, _ message: String, request: RequestError? = nil, feature: String? = nil) {
        self.kind = kind
        self.message = message
        self.request = request
        self.feature = feature
    }

    /// A refused request.
    public static func refused(_ error: RequestError) -> BatchStoreError {
        BatchStoreError(.refused, error.description, request: error)
    }

    /// Something this store does not do.
    public static func unsupported(_ feature: String, _ message: String) -> BatchStoreError {
        BatchStoreError(.unsupported, message, feature: feature)
    }

    public var description: String { message }
}

extension Scheduler: BatchStore {
    public func submitBatch(
        _ batch: ValidatedBatch, source: JSONValue?, tenant: String?, annotation: (any Sendable)?
    ) async throws(BatchStoreError) -> StoredBatch {
        let handle: BatchHandle
        do {
            handle = try submit(batch, tenant: tenant, annotation: annotation)
        } catch {
            throw .refused(error)
        }
        return StoredBatch(batchID: handle.batchID, jobIDs: handle.jobIDs, options: handle.options)
    }

    public func batchResults(batchID: String) -> AsyncThrowingStream<DeviceResult, any Error> {
        guard let handle = batch(id: batchID) else { return AsyncThrowingStream { $0.finish() } }
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: DeviceResult.self)
        let task = Task {
            for await result in handle.results { continuation.yield(result) }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func lookUpBatch(id: String) async throws(BatchStoreError) -> BatchSnapshot? {
        guard let handle = batch(id: id) else { return nil }
        return BatchSnapshot(
            batchID: handle.batchID, jobIDs: handle.jobIDs, options: handle.options, progress: handle.progress,
            annotation: handle.annotation)
    }

    public func lookUpJob(id: String) async throws(BatchStoreError) -> JobInfo? { job(id: id) }

    public func batchJobs(batchID: String) async throws(BatchStoreError) -> [JobInfo]? { jobs(batchID: batchID) }

    public func listJobs(_ query: JobQuery) async throws(BatchStoreError) -> JobPage {
        do {
            return try jobs(query)
        } catch {
            throw .refused(error)
        }
    }

    public func cancelJob(id: String) async throws(BatchStoreError) -> Bool { cancel(jobID: id) }

    public func cancelBatch(id: String) async throws(BatchStoreError) -> Bool {
        guard let handle = batch(id: id) else { return false }
        handle.cancel()
        return true
    }

    public func storeStats() async throws(BatchStoreError) -> BatchStoreStats {
        let stats = self.stats
        return BatchStoreStats(
            runningJobs: stats.runningJobs, queuedJobs: stats.queuedJobs, batches: stats.batches,
            openConnections: stats.openConnections)
    }
}

/// How a store outside this process keeps a submitter's annotation (see
/// ``BatchStore/submitBatch(_:source:tenant:annotation:)``): as text, read back after a restart.
public struct BatchAnnotationCodec: Sendable {
    /// The annotation as text; `nil` for one this codec does not know (it is then not kept).
    public var encode: @Sendable (any Sendable) -> String?
    /// The annotation back; `nil` when the text is not readable.
    public var decode: @Sendable (String) -> (any Sendable)?

    public init(
        encode: @escaping @Sendable (any Sendable) -> String?, decode: @escaping @Sendable (String) -> (any Sendable)?
    ) {
        self.encode = encode
        self.decode = decode
    }
}
