#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import CoreMetrics
import Logging
import Synchronization
import Tracing

/// Runs batches on devices with bounded concurrency and reports every device exactly once.
///
/// Create one with ``withScheduler(configuration:isolation:_:)``; it shuts down when the closure
/// returns. Submit batches with ``submit(_:tenant:annotation:)-(BatchRequest,_,_)`` (returns at once) or ``run(_:)`` (awaits the result).
///
/// ```swift
/// let result = try await withScheduler(configuration: .init(drivers: drivers)) { scheduler in
///     try await scheduler.run(request)
/// }
/// ```
///
/// - Pinned batches run on one serial queue per device (host, port, user) with one persistent
///   session reused across jobs and batches.
/// - Round-robin batches run on a fixed number of lanes, each job on a fresh connection.
/// - Concurrent batches are served in turn; connections and handshakes are capped.
public final class Scheduler: Sendable {
    let core: SchedulerCore

    init(core: SchedulerCore) { self.core = core }

    /// What the scheduler was built with: its drivers, platforms, limits, clock and logger.
    public var configuration: SchedulerConfiguration { core.configuration }

    /// Validates a batch and queues its jobs; returns at once.
    ///
    /// Every number a request chooses is bounded by ``SchedulerConfiguration/Limits``: `execution_timeout`
    /// (a job without one gets the bound), `result_ttl`, connect and read timeouts and `max_output_bytes`
    /// are clamped to their bound; ``BatchHandle/options`` tells the values in force. After shutdown has
    /// begun, the batch is accepted and every device is reported `cancelled`.
    ///
    /// - Parameters:
    ///   - request: The batch.
    ///   - tenant: An opaque name of who submits (the HTTP API passes its API key's identity): a pinned
    ///     session is reused only by jobs of the same tenant, on top of the same credentials and settings.
    ///     `nil` is a tenant of its own.
    ///   - annotation: Anything the caller wants kept with the batch (``BatchHandle/annotation``), and
    ///     released with it when its results are purged.
    /// - Returns: A handle on the batch: its id, job ids, streamed results, progress and final result.
    /// - Throws: ``RequestError`` naming the first invalid field (an unknown driver is field `driver`;
    ///   `parsing` without a ``SchedulerConfiguration/parser`` is field `parsing`), or
    ///   of kind ``RequestError/Kind/overloaded`` when the batch would pass
    ///   ``SchedulerConfiguration/Limits/maxQueuedJobs``.
    public func submit(
        _ request: BatchRequest, tenant: String? = nil, annotation: (any Sendable)? = nil
    ) throws(RequestError) -> BatchHandle {
        try submit(ValidatedBatch(request, configuration: core.configuration), tenant: tenant, annotation: annotation)
    }

    /// Queues a batch validated by ``ValidatedBatch/init(_:configuration:)``; returns at once.
    ///
    /// The batch must have been validated against this scheduler's configuration (its drivers and limits).
    ///
    /// - Throws: ``RequestError`` of kind ``RequestError/Kind/overloaded`` when the batch would pass
    ///   ``SchedulerConfiguration/Limits/maxQueuedJobs``.
    public func submit(
        _ validated: ValidatedBatch, tenant: String? = nil, annotation: (any Sendable)? = nil
    ) throws(RequestError) -> BatchHandle {
        let configuration = core.configuration
        let limits = configuration.limits
        let request = validated.request
        let options = validated.options
        let now = core.clock.now
        let sequence = core.state.withLock { state -> UInt64 in
            state.nextBatchSequence += 1
            return state.nextBatchSequence
        }
        // A child of the submitter's context (the HTTP request's span, say); jobs restore it.
        let span =
            SchedulerCore.tracing ? startSpan("netpulse.batch", context: ServiceContext.current ?? .topLevel) : nil
        let batch = BatchRecord(
            id: UUID().uuidString.lowercased(), specs: validated.specs, options: options, driver: validated.driver,
            driverName: validated.driverName, resultTTL: validated.resultTTL, submittedAt: now,
            platforms: configuration.platforms, tenant: tenant, sequence: sequence, annotation: annotation,
            parsing: request.parsing, span: span)
        span?.attributes["netpulse.batch.id"] = batch.id
        span?.attributes["netpulse.batch.devices"] = batch.total
        span?.attributes["netpulse.driver"] = validated.driverName
        let queued = core.update { state -> (Int?, SchedulerActions) in
            switch state.submit(batch, now: now) {
            case .accepted(let actions): (nil, actions)
            case .overloaded(let queuedJobs): (queuedJobs, SchedulerActions())
            }
        }
        if let queued {
            core.metrics.refusedBatches.increment()
            span?.setStatus(SpanStatus(code: .error, message: "overloaded"))
            span?.end()
            throw RequestError(
                field: "devices",
                reason: "the scheduler holds \(queued) queued jobs; \(batch.total) more would pass its bound of "
                    + "\(limits.maxQueuedJobs); try again later",
                kind: .overloaded)
        }
        core.metrics.submittedBatches.increment()
        core.logger.debug(
            "batch submitted",
            metadata: [
                "batch": .string(batch.id), "devices": .stringConvertible(batch.total),
                "strategy": .string(batch.strategy.rawValue),
            ])
        return BatchHandle(core: core, batch: batch)
    }

    /// Submits a batch and waits for its result.
    ///
    /// - Parameter request: The batch.
    /// - Returns: One result per device, in request order.
    /// - Throws: ``RequestError`` if the request is invalid.
    public func run(_ request: BatchRequest) async throws(RequestError) -> BatchResult {
        let handle = try submit(request)
        return await handle.result()
    }

    /// A job by id, until its result is purged.
    public func job(id: String) -> JobInfo? {
        guard let (batchID, index) = JobID.parse(id) else { return nil }
        return core.state.withLock { state in
            guard let batch = state.batches[batchID], index < batch.total else { return nil }
            return batch.info(index)
        }
    }

    /// The jobs of a batch in request order, or `nil` for an unknown or purged batch.
    public func jobs(batchID: String) -> [JobInfo]? {
        core.state.withLock { state in
            guard let batch = state.batches[batchID] else { return nil }
            return (0..<batch.total).compactMap(batch.info)
        }
    }

    /// Jobs of every batch still kept, filtered by status and host, read page by page (the lock is
    /// never held for all of them at once). Prefer ``jobs(_:)`` to read a bounded page.
    ///
    /// - Parameters:
    ///   - status: Only jobs with this status; `nil` for all.
    ///   - host: Only jobs on this host; `nil` for all.
    /// - Returns: Matching jobs, in submission order of their batches, in request order within a batch.
    public func jobs(status: JobStatus? = nil, host: String? = nil) -> [JobInfo] {
        var found: [JobInfo] = []
        var query = JobQuery(status: status, host: host, limit: 10_000)
        while true {
            guard let page = try? jobs(query) else { return found }
            found += page.jobs
            guard let next = page.next else { return found }
            query.cursor = next
        }
    }

    /// One page of jobs still kept, filtered by status, host and batch, built under the lock from at
    /// most ``JobQuery/scanLimit`` jobs looked at: a page may hold fewer than `limit` jobs and still have
    /// a ``JobPage/next``.
    ///
    /// - Parameter query: The filter, the page size and where the previous page ended.
    /// - Returns: The jobs (submission order of their batches, request order within a batch) and the
    ///   cursor of the next page.
    /// - Throws: ``RequestError`` (field `cursor` or `limit`) for a malformed cursor or a limit below 1.
    public func jobs(_ query: JobQuery) throws(RequestError) -> JobPage {
        guard query.limit >= 1 else { throw RequestError(field: "limit", reason: "must be at least 1") }
        var start: (sequence: UInt64, index: Int) = (0, 0)
        if let cursor = query.cursor {
            guard let parsed = JobQuery.parse(cursor) else {
                throw RequestError(field: "cursor", reason: "is not a cursor this server returned")
            }
            start = parsed
        }
        return core.state.withLock { state in state.jobPage(query, from: start) }
    }

    /// A handle on a batch still kept, by id.
    public func batch(id: String) -> BatchHandle? {
        let batch = core.state.withLock { $0.batches[id] }
        return batch.map { BatchHandle(core: core, batch: $0) }
    }

    /// Cancels one job: a queued job is reported `cancelled` at once; a running one is stopped and
    /// reported `cancelled` (its pinned session is closed).
    ///
    /// - Returns: `false` if the job is unknown or already final.
    @discardableResult
    public func cancel(jobID: String) -> Bool {
        guard let (batchID, index) = JobID.parse(jobID) else { return false }
        return core.update { state -> (Bool, SchedulerActions) in
            guard let batch = state.batches[batchID], index < batch.total else { return (false, SchedulerActions()) }
            return state.cancel(batch, index, reason: .cancelled("the job was cancelled"), now: core.clock.now)
        }
    }

    /// What the scheduler holds and runs at this moment.
    public var stats: SchedulerStats {
        core.state.withLock { state in
            SchedulerStats(
                openConnections: state.openConnections, pinnedSessions: state.pinnedSessions,
                idlePinnedSessions: state.idle.count, runningJobs: state.runningJobs, queuedJobs: state.queuedJobs,
                workers: state.workers.count, batches: state.batches.count, pinnedDevices: state.devices.count)
        }
    }

    /// Stops taking work: queued jobs are cancelled, running jobs get the grace period to finish and
    /// are then cancelled, every session is closed. Called by ``withScheduler(configuration:isolation:_:)``
    /// when its closure returns; calling it again does nothing more.
    public func shutdown() async {
        let core = self.core
        let first = core.update { state -> (Bool, SchedulerActions) in state.beginShutdown(now: core.clock.now) }
        guard first else {
            await core.waitForNoWorkers()
            return
        }
        let grace = core.limits.shutdownGracePeriod
        let clock = core.clock
        let deadline = clock.now + grace
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: deadline) }
            group.addTask { await core.waitForNoRunningJobs() }
            await group.next()
            group.cancelAll()
        }
        core.perform { $0.stopRunningJobs() }
        await core.waitForNoWorkers()
        // Every idle session goes to the closer, and the timer stops; wait for every close (also those
        // the timer handed over before).
        core.perform { $0.closeIdleSessions() }
        await core.waitForNoPendingCloses()
        core.logger.debug("scheduler shut down")
    }
}

/// A snapshot of what a ``Scheduler`` holds and runs.
public struct SchedulerStats: Sendable, Hashable {
    /// Connections counted against ``SchedulerConfiguration/Limits/maxOpenConnections``.
    public var openConnections: Int
    public var pinnedSessions: Int
    public var idlePinnedSessions: Int
    public var runningJobs: Int
    public var queuedJobs: Int
    public var workers: Int
    /// Batches whose results are still kept.
    public var batches: Int
    public var pinnedDevices: Int
}

/// Runs `body` with a new scheduler, then shuts the scheduler down (see ``Scheduler/shutdown()``),
/// also when `body` throws. Nothing of the scheduler is left running when this returns.
///
/// - Parameters:
///   - configuration: Drivers, platforms, limits, clock and logger.
///   - isolation: The actor `body` runs on (the caller's, by default).
///   - body: The code that uses the scheduler.
/// - Returns: What `body` returns.
/// - Throws: ``ConfigurationError`` for invalid limits, or what `body` throws.
public func withScheduler<Result>(
    configuration: SchedulerConfiguration,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Scheduler) async throws -> Result
) async throws -> Result {
    try configuration.limits.validate()
    let core = SchedulerCore(configuration: configuration)
    let scheduler = Scheduler(core: core)
    let timer = Task { await core.timerLoop() }
    let closer = Task { await core.closerLoop() }
    let result: Swift.Result<Result, any Error>
    do {
        result = .success(try await body(scheduler))
    } catch {
        result = .failure(error)
    }
    await scheduler.shutdown()
    await timer.value
    core.closingInput.finish()
    await closer.value
    return try result.get()
}
