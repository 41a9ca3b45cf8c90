#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import CoreMetrics
import Logging
import Synchronization
import Tracing

/// The engine behind ``Scheduler``: one lock over ``SchedulerState``, a pool of worker tasks that
/// run jobs (a worker runs job after job; there is no task per queued job), one timer task for TTLs,
/// execution timeouts, idle closes and result purges, and one closer task.
///
/// The state decides; the core only carries out its ``SchedulerActions``: it starts and cancels
/// tasks, wakes waiters, hands sessions to the closer, wakes the timer and records metrics.
final class SchedulerCore: Sendable {
    let state: Mutex<SchedulerState>
    /// Tasks and continuations, beside the state under its lock.
    let held = SchedulerHeld()
    let configuration: SchedulerConfiguration
    let clock: any SchedulerClock
    let handshakes: HandshakeGate
    let timerSignal = WakeSignal()
    let metrics = SchedulerMetrics()
    let logger: Logger
    /// Sessions to close go to the closer task: a slow close never delays a deadline or a worker.
    let closing: AsyncStream<[any DriverSession]>
    let closingInput: AsyncStream<[any DriverSession]>.Continuation

    init(configuration: SchedulerConfiguration) {
        self.configuration = configuration
        self.clock = configuration.clock
        let handshakes = HandshakeGate(limit: configuration.limits.maxConnectsInProgress)
        self.handshakes = handshakes
        self.state = Mutex(
            SchedulerState(limits: configuration.limits, logger: configuration.logger, handshakes: handshakes))
        self.logger = configuration.logger
        (closing, closingInput) = AsyncStream.makeStream(of: [any DriverSession].self)
    }

    var limits: SchedulerConfiguration.Limits { configuration.limits }

    // MARK: Carrying out the state's actions

    /// What is left to do once the lock is released.
    private struct Outside {
        var stopping: [Task<Void, Never>] = []
        var closing: [any DriverSession] = []
        var wakeTimer = false
    }

    /// Runs an event of the state under the lock and carries out the actions it returns.
    func update<Result: Sendable>(_ body: (inout SchedulerState) -> (Result, SchedulerActions)) -> Result {
        let (result, outside, counts, evictions, gauges) = state.withLock { state in
            let (result, actions) = body(&state)
            let outside = carryOut(actions)
            let counts = state.finalCounts
            if !counts.isEmpty { state.finalCounts = FinalCounts() }
            let evictions = state.evictions
            state.evictions = 0
            // Gauges are sampled (every 64th update, and whenever the scheduler goes idle): recording
            // them on every job would cost more than the rest of the bookkeeping with some backends.
            state.gaugeTick &+= 1
            let gauges =
                state.gaugeTick & 63 == 0 || state.runningJobs == 0
                ? (state.openConnections, state.runningJobs, state.queuedJobs) : nil
            return (result, outside, counts, evictions, gauges)
        }
        if outside.wakeTimer { timerSignal.signal() }
        for task in outside.stopping { task.cancel() }
        if !outside.closing.isEmpty { closingInput.yield(outside.closing) }
        if let gauges {
            metrics.openConnections.record(gauges.0)
            metrics.runningJobs.record(gauges.1)
            metrics.queuedJobs.record(gauges.2)
        }
        if !counts.isEmpty { metrics.record(counts) }
        if evictions > 0 { metrics.evicted.increment(by: evictions) }
        return result
    }

    /// Runs an event that returns only actions.
    func perform(_ body: (inout SchedulerState) -> SchedulerActions) {
        update { state in ((), body(&state)) }
    }

    /// The part of the actions that must happen under the lock (so that a waiter that checked the state
    /// cannot miss its wake-up, and a task is known before its worker can retire); the rest is returned.
    private func carryOut(_ actions: SchedulerActions) -> Outside {
        var outside = Outside()
        let held = self.held
        for id in actions.startWorkers {
            held.workerTasks[id] = Task { await self.workerLoop(id: id) }
        }
        if let retired = actions.retiredWorker { held.workerTasks[retired] = nil }
        for id in actions.stopWorkers {
            if let task = held.workerTasks[id] { outside.stopping.append(task) }
        }
        actions.delivered.forEach { batch in
            if !batch.streamWaiters.isEmpty {
                for waiter in batch.streamWaiters.values { waiter.resume() }
                batch.streamWaiters.removeAll()
            }
            if batch.isComplete && !batch.completionReported {
                batch.completionReported = true
                batch.span?.attributes["netpulse.batch.failed"] = batch.failed
                batch.span?.end()
                for waiter in batch.doneWaiters.values { waiter.resume() }
                batch.doneWaiters.removeAll()
            }
        }
        if actions.noRunningJobs && !held.noRunningWaiters.isEmpty {
            for waiter in held.noRunningWaiters.values { waiter.resume() }
            held.noRunningWaiters.removeAll()
        }
        if actions.noWorkers && !held.noWorkersWaiters.isEmpty {
            for waiter in held.noWorkersWaiters.values { waiter.resume() }
            held.noWorkersWaiters.removeAll()
        }
        if actions.noPendingCloses && !held.noClosesWaiters.isEmpty {
            for waiter in held.noClosesWaiters.values { waiter.resume() }
            held.noClosesWaiters.removeAll()
        }
        outside.closing = actions.closeSessions
        outside.wakeTimer = actions.wakeTimer
        return outside
    }

    // MARK: Workers

    func workerLoop(id: Int) async {
        // Asked once per worker, not per job: the answer costs thousands of instructions (a task-local, a
        // lock and several dynamic casts), and it cannot change during the worker's life but for a
        // bootstrap after the scheduler started, which the tracing library forbids anyway.
        let tracing = Self.tracing
        var completion: Completion?
        func nextJob() -> Assignment? {
            let canContinue = !Task.isCancelled
            let wallNow = Date()
            return update { state -> (Assignment?, SchedulerActions) in
                state.workerTurn(
                    worker: id, completed: completion, mayContinue: canContinue, now: clock.now, wallNow: wallNow)
            }
        }
        // Each job runs with the executor its session will use as the task's preference (an SSH driver's
        // loop thread); the worker stays under it while the jobs that follow name the same one.
        await withPreferredExecutors(next: nextJob, executor: Self.executor(for:)) { job, executor in
            completion = await run(job, executor: executor, tracing: tracing)
        }
    }

    /// The executor a job runs with (``JobRunner/executor(session:driver:target:)``): its pinned device's idle
    /// session's, or the one its driver names for a new session.
    static func executor(for job: Assignment) -> (any TaskExecutor)? {
        var session: (any DriverSession)?
        if case .pinned(_, let kept, _) = job.kind { session = kept }
        return JobRunner.executor(session: session, driver: job.batch.driver, target: job.spec.target)
    }

    /// Whether a tracer is set up (the process's or the task's). Spans cost microseconds per job even when
    /// nothing records them, which is the scheduler's own overhead on a fast driver: without a tracer there
    /// are none.
    static var tracing: Bool { !(InstrumentationSystem.tracer is NoOpTracer) }

    /// Runs one job in its span, a child of its batch's: the worker task restores the context the batch
    /// was submitted in.
    func run(_ job: Assignment, executor: (any TaskExecutor)?, tracing: Bool) async -> Completion {
        guard tracing else { return await runJob(job, executor: executor, tracing: false) }
        return await withSpan("netpulse.job", context: job.batch.span?.context ?? .topLevel) { span in
            span.attributes["netpulse.job.id"] = job.batch.jobIDs[job.index]
            span.attributes["server.address"] = job.spec.target.host
            span.attributes["server.port"] = job.spec.target.port
            let completion = await runJob(job, executor: executor, tracing: true)
            if let error = completion.result.error {
                span.attributes["netpulse.error.kind"] = error.kind.rawValue
                span.setStatus(SpanStatus(code: .error, message: error.kind.rawValue))
            }
            return completion
        }
    }

    /// Closes the session the job evicted, checks a long-idle session, then runs the job through
    /// ``JobRunner`` (the path ``JobExecution`` takes too) with the scheduler's connect: within the cap on
    /// handshakes, counted in the metrics.
    private func runJob(_ job: Assignment, executor: (any TaskExecutor)?, tracing: Bool) async -> Completion {
        let startedAt = Date()
        let started = ContinuousClock.now
        let target = job.spec.target
        let jobID = job.batch.jobIDs[job.index]
        // One metadata entry per logger: setting metadata is not free with some handlers (the default
        // stream handler re-renders all of it), and a pinned device keeps its logger.
        let logger: Logger
        if case .pinned(let device, _, _) = job.kind {
            logger = device.logger
        } else {
            var copy = self.logger
            copy[metadataKey: "device"] = .stringConvertible(target.key)
            logger = copy
        }

        if let victim = job.evicting {
            logger.debug("closing the least recently used idle session to make room", metadata: ["job": "\(jobID)"])
            await victim.close()
        }

        func completion(_ result: DeviceResult, kept: (any DriverSession)?) -> Completion {
            metrics.jobDuration.recordNanoseconds((ContinuousClock.now - started).totalNanoseconds)
            return Completion(batch: job.batch, index: job.index, result: result, kind: job.kind, keptSession: kept)
        }

        guard let platform = job.batch.profile(for: target.platform, in: configuration.platforms) else {
            if job.holdsHandshake, handshakes.release() { perform { $0.handshakeReleased() } }
            let error = NetPulseError.unsupported("no platform profile named '\(target.platform)'")
            return completion(JobRunner.failure(job.spec, jobID: jobID, error, startedAt: startedAt), kept: nil)
        }
        let runner = JobRunner(
            spec: job.spec, jobID: jobID, options: job.batch.options, defaultMaxOutputBytes: limits.maxOutputBytes,
            profile: platform, parsing: job.batch.parsing, parser: configuration.parser, logger: logger)
        let context = DriverContext(platform: platform, logger: logger)
        let driver = job.batch.driver

        var session: (any DriverSession)?
        var keep = false
        if case .pinned(_, let existing, let checkLiveness) = job.kind {
            keep = true
            session = existing
            if let idle = session, checkLiveness, !(await idle.isAlive()) {
                logger.debug("idle session found dead; replacing it", metadata: ["job": "\(jobID)"])
                metrics.replacedSessions.increment()
                await idle.close()
                session = nil
            }
            if session != nil { metrics.reusedSessions.increment() }
        }
        // The job's first connect uses the permit it was started with; a reconnect waits for one.
        var permitHeld = job.holdsHandshake
        let (result, kept) = await runner.run(
            session: session, keep: keep, startedAt: startedAt,
            executor: executor,
            connect: { () async throws(NetPulseError) -> any DriverSession in
                defer { permitHeld = false }
                return try await connect(driver, target, context, permitHeld: permitHeld, tracing: tracing)
            },
            execute: { session, request in try await execute(session, request, tracing: tracing) },
            retrying: {
                logger.debug("session unavailable; retrying once on a fresh session", metadata: ["job": "\(jobID)"])
                metrics.replacedSessions.increment()
            })
        return completion(result, kept: kept)
    }

    /// Connects within the cap on handshakes in progress. The first connect of a job uses the permit
    /// it was started with; a reconnect (dead pinned session) waits for one.
    private func connect(
        _ driver: any Driver, _ target: DeviceTarget, _ context: DriverContext, permitHeld: Bool, tracing: Bool
    ) async throws(NetPulseError) -> any DriverSession {
        if !permitHeld {
            do {
                try await handshakes.acquire()
            } catch {
                throw .cancelled("cancelled while waiting to connect")
            }
        }
        // The permit goes back when the driver says its handshake is over (before a shell's
        // latency-bound set-up), or when the connect ends, whichever comes first; exactly once.
        let permit = HandshakePermit(gate: handshakes) { [weak self] in self?.perform { $0.handshakeReleased() } }
        defer { permit.release() }
        var context = context
        context.handshakeFinished = { permit.release() }
        do {
            let session =
                tracing
                ? try await withSpan("netpulse.connect") { _ in try await driver.connect(to: target, context: context) }
                : try await driver.connect(to: target, context: context)
            metrics.connects.increment()
            return session
        } catch {
            metrics.failedConnects.increment()
            throw NetPulseError(wrapping: error)
        }
    }

    /// Runs the job's operation on a session, in a span of its own.
    private func execute(
        _ session: any DriverSession, _ request: ExecutionRequest, tracing: Bool
    ) async throws -> ExecutionOutcome {
        guard tracing else { return try await session.execute(request) }
        return try await withSpan("netpulse.execute") { span in
            let outcome = try await session.execute(request)
            if let error = outcome.error { span.setStatus(SpanStatus(code: .error, message: error.kind.rawValue)) }
            return outcome
        }
    }

    // MARK: Timer

    func timerLoop() async {
        while true {
            let resolution = limits.timerResolution
            let plan = state.withLock { $0.timerPlan(resolution: resolution) }
            guard case .some(let deadline) = plan else { return }
            if let deadline {
                if deadline > clock.now {
                    let clock = self.clock
                    let signal = timerSignal
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask { try? await clock.sleep(until: deadline) }
                        group.addTask { await signal.wait() }
                        await group.next()
                        group.cancelAll()
                    }
                }
            } else {
                await timerSignal.wait()
            }
            fireDeadlines()
        }
    }

    /// Handles every deadline that has passed (``SchedulerState/deadlinesDue(now:)``); idle sessions go
    /// to the closer: the timer never waits for a device.
    func fireDeadlines() {
        let idleClosed = update { state in
            let actions = state.deadlinesDue(now: clock.now)
            return (actions.closeSessions.count, actions)
        }
        if idleClosed > 0 { metrics.idleClosed.increment(by: idleClosed) }
    }

    /// Closes what it is handed, each hand-over on its own child task, until the stream ends.
    func closerLoop() async {
        await withDiscardingTaskGroup { group in
            for await sessions in closing {
                group.addTask {
                    // Concurrently: a close may wait for the device's goodbye, and shutdown closes them all.
                    await withTaskGroup(of: Void.self) { group in
                        for session in sessions { group.addTask { await session.close() } }
                    }
                    self.perform { $0.sessionsClosed(sessions.count) }
                }
            }
        }
    }

    // MARK: Waiting on state

    /// What a shutdown step waits for.
    private enum Drained {
        case noRunningJobs, noWorkers, noPendingCloses

        func holds(_ state: SchedulerState) -> Bool {
            switch self {
            case .noRunningJobs: state.runningJobs == 0
            case .noWorkers: state.workers.isEmpty
            case .noPendingCloses: state.closesInFlight == 0
            }
        }

        func waiters(_ held: SchedulerHeld) -> [UInt64: CheckedContinuation<Void, Never>] {
            switch self {
            case .noRunningJobs: held.noRunningWaiters
            case .noWorkers: held.noWorkersWaiters
            case .noPendingCloses: held.noClosesWaiters
            }
        }

        func set(_ held: SchedulerHeld, _ id: UInt64, _ waiter: CheckedContinuation<Void, Never>?) {
            switch self {
            case .noRunningJobs: held.noRunningWaiters[id] = waiter
            case .noWorkers: held.noWorkersWaiters[id] = waiter
            case .noPendingCloses: held.noClosesWaiters[id] = waiter
            }
        }
    }

    /// Waits until the state is drained as `drained` says; an action of the state wakes the waiter. With
    /// `cancellable`, a cancelled task stops waiting.
    private func wait(for drained: Drained, cancellable: Bool) async {
        let id = state.withLock { $0.makeWaiterID() }
        let held = self.held
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if drained.holds(state) || (cancellable && Task.isCancelled) { return true }
                    drained.set(held, id, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            guard cancellable else { return }
            let waiter = state.withLock { _ -> CheckedContinuation<Void, Never>? in
                let waiter = drained.waiters(held)[id]
                drained.set(held, id, nil)
                return waiter
            }
            waiter?.resume()
        }
    }

    func waitForNoRunningJobs() async { await wait(for: .noRunningJobs, cancellable: true) }

    func waitForNoPendingCloses() async { await wait(for: .noPendingCloses, cancellable: false) }

    func waitForNoWorkers() async { await wait(for: .noWorkers, cancellable: false) }
}

/// What ``SchedulerCore`` holds beside the state, under the same lock: the workers' tasks and the
/// continuations of who waits for the scheduler to drain. (Result streams' and final results' waiters
/// hang on their ``BatchRecord``, also read and written only by the core under that lock; the state
/// never touches them.)
///
/// `@unchecked Sendable`: every `var` is read and written only while holding `SchedulerCore.state`'s lock.
final class SchedulerHeld: @unchecked Sendable {
    var workerTasks: [Int: Task<Void, Never>] = [:]
    var noRunningWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var noWorkersWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var noClosesWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
}

extension Duration {
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
