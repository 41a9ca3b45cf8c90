public import Foundation
import Logging
import NetPulse
import PostgresNIO
import Synchronization

/// A worker process's loop: claims jobs of a ``PostgresQueue``, runs them with its drivers, writes
/// their results, and keeps its heartbeat and device leases alive.
///
/// - Round-robin jobs are claimed up to the free capacity and ``Options/roundRobinLanes``, a fresh
///   connection each. Batches are served in turn, pinned ones too: each claim prefers a batch this
///   worker has not served yet, then the one it served least recently.
/// - Pinned devices: the worker takes a device's lease (fencing epoch), runs its jobs one at a time in
///   submission order on one kept session, and gives the lease up when the device has no job left.
/// - Results are written in batches (one statement for all that finished since the last write), each
///   only if the job still belongs to this worker in the same attempt and lease epoch.
/// - Wake-ups: LISTEN on the jobs channel, and a poll every ``Options/pollInterval`` besides.
/// - Every ``Options/heartbeatInterval`` the worker renews its row and leases, picks up cancellations,
///   and (one process at a time) takes back the jobs of workers silent for ``Options/deadAfter``.
public final class PostgresWorker: Sendable {
    /// How a worker runs.
    public struct Options: Sendable {
        /// The name `GET /workers` shows.
        public var name: String
        /// Connections at once: running jobs and kept pinned sessions together (`--max-connections`).
        public var capacity: Int
        /// Round-robin jobs at once (`--round-robin-lanes`). Below ``capacity``, the other
        /// `capacity - roundRobinLanes` connections are kept for pinned devices, so that a round-robin
        /// batch never closes a kept pinned session; equal to ``capacity`` (the default), round-robin jobs
        /// and pinned devices share it, and a round-robin job that needs room closes the least recently
        /// used idle pinned session.
        public var roundRobinLanes: Int
        public var heartbeatInterval: Duration = .seconds(1)
        /// How long a device lease lasts without renewal.
        public var lease: Duration = .seconds(10)
        /// A worker whose heartbeat is older than this is dead: its jobs are taken back.
        public var deadAfter: Duration = .seconds(10)
        public var pollInterval: Duration = .seconds(1)

        /// - Parameters:
        ///   - name: The name `GET /workers` shows; not empty.
        ///   - capacity: Connections at once, 1 to 10,000.
        ///   - roundRobinLanes: Round-robin jobs at once, between 1 and `capacity`; `nil` for `capacity`.
        /// - Throws: ``PostgresQueueError`` (`invalidConfiguration`) naming the option at fault.
        public init(name: String, capacity: Int, roundRobinLanes: Int? = nil) throws(PostgresQueueError) {
            guard !name.isEmpty else { throw PostgresQueueError(.invalidConfiguration, "--name: is empty") }
            guard (1...10_000).contains(capacity) else {
                throw PostgresQueueError(.invalidConfiguration, "--max-connections: must be between 1 and 10000")
            }
            if let roundRobinLanes, !(1...capacity).contains(roundRobinLanes) {
                throw PostgresQueueError(
                    .invalidConfiguration,
                    "--round-robin-lanes: must be between 1 and --max-connections (\(capacity)), got \(roundRobinLanes)"
                )
            }
            self.name = name
            self.capacity = capacity
            self.roundRobinLanes = roundRobinLanes ?? capacity
        }
    }

    public let queue: PostgresQueue
    public let options: Options
    /// This worker's id in `np_worker`.
    public let id = UUID()
    let stats = Mutex(Stats())

    /// Counters of one worker, for benchmarks.
    public struct Stats: Sendable {
        public var claimed = 0
        public var written = 0
        /// Results refused because the job was no longer this worker's (fenced).
        public var refused = 0
        /// Statements sent (claims, writes, leases, heartbeats).
        public var roundTrips = 0
    }

    public var currentStats: Stats { stats.withLock { $0 } }

    /// Connections to devices this worker holds now: one per running job and each kept pinned session
    /// (`GET /health`'s `open_connections` in `netpulse serve`, whose worker runs in the same process).
    public var openConnections: Int { open.load(ordering: .relaxed) }
    let open = Atomic<Int>(0)

    public init(queue: PostgresQueue, options: Options) {
        self.queue = queue
        self.options = options
    }

    /// Runs until the task is cancelled (then stops claiming, waits for running jobs and writes their
    /// results) or until the worker learns it was declared dead.
    ///
    /// - Throws: ``PostgresQueueError`` when registering fails or the worker was declared dead.
    public func run() async throws {
        let queue = self.queue
        let options = self.options
        let logger = queue.logger
        let id = self.id
        do {
            try await queue.register(
                worker: id, name: options.name, hostname: ProcessInfo.processInfo.hostName,
                pid: ProcessInfo.processInfo.processIdentifier, capacity: options.capacity)
        } catch {
            // Stopped while registering: nothing was claimed, nothing to report.
            if Task.isCancelled { return }
            throw error
        }
        logger.info("worker started", metadata: ["worker": "\(options.name)", "id": "\(id)"])
        let (events, input) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let shared = Shared(input: input)
        let lost: Bool = await withTaskGroup(of: Void.self, returning: Bool.self) { group in
            // Wake-ups: LISTEN, with a poll besides (a NOTIFY can be missed while reconnecting).
            group.addTask {
                while !Task.isCancelled {
                    do {
                        try await queue.client.withConnection { connection in
                            try await connection.listen(on: PostgresQueue.jobsChannel) { notifications in
                                shared.wake(newJobs: true)
                                for try await _ in notifications { shared.wake(newJobs: true) }
                            }
                        }
                    } catch {
                        if Task.isCancelled { return }
                        logger.debug("LISTEN failed; polling until it is back", metadata: ["error": "\(error)"])
                    }
                    try? await Task.sleep(for: options.pollInterval)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: options.pollInterval)
                    shared.wake(newJobs: true)
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: options.heartbeatInterval)
                    if Task.isCancelled { return }
                    do {
                        let beat = try await queue.heartbeat(
                            worker: id, running: shared.running.load(ordering: .relaxed),
                            keeping: shared.kept.withLock { $0 }, lease: options.lease,
                            deadAfter: options.deadAfter)
                        self.stats.withLock { $0.roundTrips += 4 }
                        shared.beats.withLock { $0.append(beat) }
                        shared.wake()
                    } catch {
                        if Task.isCancelled { return }
                        logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
                    }
                }
            }
            // The loop runs apart from this task's cancellation: a stop lets running jobs finish and
            // writes their results.
            let loop = Task { await self.loop(events: events, shared: shared) }
            let lost = await withTaskCancellationHandler {
                await loop.value
            } onCancel: {
                shared.stop.store(true, ordering: .relaxed)
                shared.wake()
            }
            group.cancelAll()
            input.finish()
            return lost
        }
        if lost {
            throw PostgresQueueError(
                .database, "this worker was declared dead (its heartbeat lapsed); its jobs were taken back")
        }
        // Apart from this task's cancellation (which would stop the statement before it is sent), and for
        // at most 5 s: with the database gone, the row simply ages out after `deadAfter`.
        await Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await queue.unregister(worker: id) }
                group.addTask { try? await Task.sleep(for: .seconds(5)) }
                await group.next()
                group.cancelAll()
            }
        }.value
        logger.info("worker stopped", metadata: ["worker": "\(options.name)"])
    }

    /// The claim-run-write loop (the decisions are ``WorkerStateMachine``'s); returns `true` if the worker
    /// was declared dead.
    private func loop(events: AsyncStream<Void>, shared: Shared) async -> Bool {
        let queue = self.queue
        let logger = queue.logger
        let id = self.id
        var state = WorkerStateMachine<KeptSession>(
            capacity: options.capacity, roundRobinLanes: options.roundRobinLanes)
        var tasks: [JobKey: Task<Void, Never>] = [:]
        var batches = BatchCache()
        func close(_ sessions: [KeptSession]) {
            for kept in sessions { Task { await kept.session.close() } }
        }

        var iterator = events.makeAsyncIterator()
        while true {
            if shared.stop.load(ordering: .relaxed) { state.stop() }
            // Write what finished since the last pass, in one statement.
            let finished = shared.inbox.withLock { items in
                defer { items.removeAll(keepingCapacity: true) }
                return items
            }
            if !finished.isEmpty {
                for (completion, session) in finished {
                    tasks[JobKey(batchID: completion.job.batchID, index: completion.job.index)] = nil
                    if let closing = state.finished(completion.job, keeping: session) { close([closing]) }
                }
                shared.running.store(state.running.count, ordering: .relaxed)
                open.store(state.openConnections, ordering: .relaxed)
                // Published before the results are written: a heartbeat in between keeps these leases.
                shared.kept.withLock { $0 = state.keptDevices }
                await write(finished.map(\.0))
            }
            switch state.next {
            case .exit:
                close(state.takeSessions())
                open.store(0, ordering: .relaxed)
                return state.lost
            case .wait:
                break
            case .claim(let pinned, let roundRobin, let limit):
                do {
                    var claimed: [ClaimedJob] = []
                    if pinned > 0 {
                        let leases = try await queue.acquireLeases(
                            worker: id, limit: pinned, lease: options.lease, turns: state.turns)
                        let jobs = try await queue.claimPinned(worker: id, limit: pinned, turns: state.turns)
                        stats.withLock { $0.roundTrips += 2 }
                        state.pinnedClaimed(leases: leases.count, jobs: jobs.count)
                        claimed += jobs
                    }
                    let free = min(roundRobin, limit - claimed.count)
                    if free > 0 {
                        let jobs = try await queue.claimRoundRobin(worker: id, limit: free, turns: state.turns)
                        stats.withLock { $0.roundTrips += 1 }
                        state.roundRobinClaimed(jobs.count, asked: free)
                        claimed += jobs
                    }
                    stats.withLock { $0.claimed += claimed.count }
                    for job in claimed {
                        let (prepared, tenant) = await batches.prepared(job.batchID, queue: queue)
                        let (session, closing) = state.start(job) { kept in
                            guard case .success(let batch) = prepared, let spec = batch.spec(job.index) else {
                                return false
                            }
                            return spec.target == kept.target && batch.driverName == kept.driverName
                                && tenant == kept.tenant
                        }
                        tasks[JobKey(batchID: job.batchID, index: job.index)] = Task {
                            // Sessions this job replaces or evicts are closed before it connects.
                            for kept in closing { await kept.session.close() }
                            let (result, keep) = await Self.execute(
                                job, prepared: prepared, tenant: tenant, session: session, queue: queue)
                            let text = Self.encode(result)
                            shared.inbox.withLock { $0.append((JobCompletion(job: job, result: text), keep)) }
                            shared.wake()
                        }
                    }
                    shared.running.store(state.running.count, ordering: .relaxed)
                    open.store(state.openConnections, ordering: .relaxed)
                } catch {
                    logger.error("claiming failed", metadata: ["error": "\(error)"])
                }
            }
            // Wait for something to happen: a job finished, new jobs, a heartbeat, a stop.
            guard await iterator.next() != nil else { return state.lost }
            if shared.newJobs.exchange(false, ordering: .relaxed) { state.jobsAnnounced() }
            for beat in shared.beats.withLock({ beats in
                defer { beats.removeAll() }
                return beats
            }) {
                let wasLost = state.lost
                let cancels = beat.cancelRequested.map { JobKey(batchID: $0.batchID, index: $0.index) }
                let (stop, closing) = state.heartbeat(
                    alive: beat.alive, cancelRequested: cancels, released: beat.released)
                if state.lost && !wasLost {
                    logger.error("this worker was declared dead; stopping its jobs (their results will be refused)")
                }
                for key in stop { tasks[key]?.cancel() }
                close(closing)
                open.store(state.openConnections, ordering: .relaxed)
            }
            // Sessions idle past the idle timeout are closed; their leases go at the next heartbeat.
            let idle = state.expireIdle(before: .now - queue.configuration.limits.idleTimeout)
            if !idle.isEmpty {
                close(idle)
                shared.kept.withLock { $0 = state.keptDevices }
                open.store(state.openConnections, ordering: .relaxed)
            }
        }
    }

    /// Writes results in one statement and counts what was refused.
    private func write(_ completions: [JobCompletion]) async {
        do {
            let written = try await queue.complete(worker: id, completions)
            stats.withLock {
                $0.roundTrips += 1
                $0.written += written.count
                $0.refused += completions.count - written.count
            }
            if written.count < completions.count {
                queue.logger.warning(
                    "results refused: the jobs are no longer this worker's",
                    metadata: ["refused": "\(completions.count - written.count)"])
            }
        } catch {
            queue.logger.error("writing results failed", metadata: ["error": "\(error)"])
        }
    }

    /// A result as the JSON the queue stores; a result that cannot be encoded (not expected: every field
    /// is a plain value) is stored as a failure saying so, never dropped.
    static func encode(_ result: DeviceResult) -> String {
        let encoder = JSONEncoder()
        if let data = try? encoder.encode(result) { return String(decoding: data, as: UTF8.self) }
        var failure = DeviceResult(
            hostname: result.hostname, port: result.port, username: result.username, index: result.index,
            jobID: result.jobID, success: false)
        failure.error = NetPulseError(.driverError, "the result could not be encoded")
        return (try? encoder.encode(failure)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Runs one job within its batch's `execution_timeout`; a cancelled job reports `cancelled`.
    static func execute(
        _ job: ClaimedJob, prepared: Result<ValidatedBatch, NetPulseError>, tenant: String?, session kept: KeptSession?,
        queue: PostgresQueue
    ) async -> (DeviceResult, KeptSession?) {
        let jobID = "\(job.batchID.uuidString.lowercased()).\(job.index)"
        let batch: ValidatedBatch
        switch prepared {
        case .success(let value): batch = value
        case .failure(let error):
            return (DeviceResult(hostname: "", index: job.index, jobID: jobID, success: false, error: error), nil)
        }
        guard let spec = batch.spec(job.index) else {
            let error = NetPulseError(.invalidRequest, "the stored batch has no device \(job.index)")
            return (DeviceResult(hostname: "", index: job.index, jobID: jobID, success: false, error: error), nil)
        }
        let execution = JobExecution(
            batch: batch, spec: spec, jobID: jobID, platforms: queue.configuration.platforms,
            parser: queue.configuration.parser, logger: queue.logger)
        let timeout = batch.options.executionTimeout ?? queue.configuration.limits.maxExecutionTimeout
        let keep = job.epoch != nil
        // A job stopped (timeout, cancel) had started: its result says when, as the scheduler's does.
        let startedAt = Date()
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                let (result, session) = await execution.run(session: kept?.session, keep: keep)
                return .done(
                    result,
                    session.map {
                        KeptSession(session: $0, target: spec.target, driverName: batch.driverName, tenant: tenant)
                    })
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return .timedOut
                } catch {
                    return .cancelled
                }
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            switch first {
            case .done(let result, let kept):
                return (result, kept)
            case .timedOut:
                let result = execution.failure(.timeout("execution did not finish within \(timeout)"), startedAt)
                await Self.closeLeftover(group: &group)
                return (result, nil)
            case .cancelled:
                await Self.closeLeftover(group: &group)
                return (execution.failure(.cancelled("the job was cancelled"), startedAt), nil)
            }
        }
    }

    private static func closeLeftover(group: inout TaskGroup<Outcome>) async {
        while let rest = await group.next() {
            if case .done(_, let kept?) = rest { await kept.session.close() }
        }
    }

    /// What the loop shares with the tasks around it; every change is followed by a wake-up (wake-ups
    /// coalesce: the loop reads all that changed at each one).
    final class Shared: Sendable {
        let input: AsyncStream<Void>.Continuation
        let stop = Atomic<Bool>(false)
        let newJobs = Atomic<Bool>(false)
        let beats = Mutex<[PostgresQueue.Beat]>([])

        init(input: AsyncStream<Void>.Continuation) { self.input = input }

        func wake(newJobs: Bool = false) {
            if newJobs { self.newJobs.store(true, ordering: .relaxed) }
            input.yield()
        }

        let running = Atomic<Int>(0)
        /// Devices whose session the loop keeps (their leases are kept).
        let kept = Mutex<[String]>([])
        /// Finished jobs not yet written, with the session a pinned job keeps.
        let inbox = Mutex<[(JobCompletion, KeptSession?)]>([])
    }

    /// A pinned device's open session and what it was opened with.
    struct KeptSession: Sendable {
        let session: any DriverSession
        let target: DeviceTarget
        let driverName: String
        /// Who submitted the job that opened it: only that tenant's jobs reuse it.
        let tenant: String?
    }

    enum Outcome: Sendable {
        case done(DeviceResult, KeptSession?)
        case timedOut
        case cancelled
    }
}

/// Batches a worker has loaded and validated, by id (a handful at a time), with their tenant.
struct BatchCache {
    typealias Prepared = (batch: Result<ValidatedBatch, NetPulseError>, tenant: String?)
    private var entries: [UUID: Prepared] = [:]

    mutating func prepared(_ id: UUID, queue: PostgresQueue) async -> Prepared {
        if let known = entries[id] { return known }
        let loaded = await Self.load(id, queue: queue)
        if entries.count >= 64 { entries.removeAll() }
        entries[id] = loaded
        return loaded
    }

    private static func load(_ id: UUID, queue: PostgresQueue) async -> Prepared {
        var tenant: String?
        do {
            var text: String?
            for try await (request, owner) in try await queue.client.query(
                "SELECT request, tenant FROM np_batch WHERE id = \(id)", logger: queue.logger
            ).decode((String, String?).self) {
                text = request
                tenant = owner
            }
            guard let text else { return (.failure(NetPulseError(.invalidRequest, "the batch was purged")), nil) }
            let request = try BatchRequest(json: Data(text.utf8))
            return (.success(try ValidatedBatch(request, configuration: queue.configuration)), tenant)
        } catch let error as RequestError {
            return (.failure(NetPulseError(.invalidRequest, "this worker cannot run the batch: \(error)")), tenant)
        } catch {
            return (
                .failure(
                    NetPulseError(
                        .driverError, "loading the batch failed: \(PostgresQueueError.wrapping(error, "loading"))")),
                tenant
            )
        }
    }
}

extension ValidatedBatch {
    /// The job spec of device `index` (specs are in request order).
    func spec(_ index: Int) -> DeviceJobSpec? {
        if specs.indices.contains(index), specs[index].index == index { return specs[index] }
        return specs.first { $0.index == index }
    }
}
