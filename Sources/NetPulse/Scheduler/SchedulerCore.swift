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
/// run jobs (a worker runs job after job; there is no task per queued job), and one timer task for
/// TTLs, execution timeouts, idle closes and result purges.
final class SchedulerCore: Sendable {
    let state: Mutex<SchedulerState>
    let configuration: SchedulerConfiguration
    let clock: any SchedulerClock
    let handshakes: HandshakeGate
    let timerSignal = WakeSignal()
    let metrics = SchedulerMetrics()
    let logger: Logger
    /// Sessions the timer closes go to the closer task: a slow close never delays a deadline.
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

    // MARK: Locked sections with their side effects

    /// Runs `body` under the lock, then starts the workers the new state wants, wakes the timer if a
    /// deadline came before its target, and records metrics.
    func update<Result>(_ body: (inout SchedulerState) -> sending Result) -> Result {
        let (result, signal, counts, evictions, gauges) = state.withLock { state in
            let result = body(&state)
            let wanted = state.workersWanted
            for _ in 0..<wanted {
                let id = state.nextWorkerID
                state.nextWorkerID += 1
                state.workers[id] = Task { await self.workerLoop(id: id) }
            }
            let signal = state.timerNeedsSignal
            state.timerNeedsSignal = false
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
            return (result, signal, counts, evictions, gauges)
        }
        if signal { timerSignal.signal() }
        if let gauges {
            metrics.openConnections.record(gauges.0)
            metrics.runningJobs.record(gauges.1)
            metrics.queuedJobs.record(gauges.2)
        }
        if !counts.isEmpty { metrics.record(counts) }
        if evictions > 0 { metrics.evicted.increment(by: evictions) }
        return result
    }

    // MARK: Workers

    func workerLoop(id: Int) async {
        var completion: Completion?
        while true {
            let canContinue = !Task.isCancelled
            let next = update { state -> Assignment? in
                let next = state.workerTurn(worker: id, completed: completion, mayContinue: canContinue, now: clock.now)
                if next == nil {
                    state.workers[id] = nil
                    if state.workers.isEmpty {
                        for waiter in state.noWorkersWaiters.values { waiter.resume() }
                        state.noWorkersWaiters.removeAll()
                    }
                }
                if state.runningJobs == 0 && !state.noRunningWaiters.isEmpty {
                    for waiter in state.noRunningWaiters.values { waiter.resume() }
                    state.noRunningWaiters.removeAll()
                }
                return next
            }
            guard let next else { return }
            completion = await run(next)
        }
    }

    /// Whether a tracer is set up (the process's or the task's). Spans cost microseconds per job even when
    /// nothing records them, which is the scheduler's own overhead on a fast driver: without a tracer there
    /// are none.
    static var tracing: Bool { !(InstrumentationSystem.tracer is NoOpTracer) }

    /// Runs one job in its span, a child of its batch's: the worker task restores the context the batch
    /// was submitted in.
    func run(_ job: Assignment) async -> Completion {
        guard Self.tracing else { return await runJob(job) }
        return await withSpan("netpulse.job", context: job.batch.span?.context ?? .topLevel) { span in
            span.attributes["netpulse.job.id"] = job.batch.jobIDs[job.index]
            span.attributes["server.address"] = job.spec.target.host
            span.attributes["server.port"] = job.spec.target.port
            let completion = await runJob(job)
            if let error = completion.result.error {
                span.attributes["netpulse.error.kind"] = error.kind.rawValue
                span.setStatus(SpanStatus(code: .error, message: error.kind.rawValue))
            }
            return completion
        }
    }

    /// Connects or reuses the device's session, executes, closes or keeps the session.
    private func runJob(_ job: Assignment) async -> Completion {
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

        func completion(
            _ outcome: Result<ExecutionOutcome, NetPulseError>, kept: (any DriverSession)?, reused: Bool
        ) -> Completion {
            let outcome = outcome.map { parsed($0, job: job) }
            let finishedAt = Date()
            let result: DeviceResult
            switch outcome {
            case .success(let outcome):
                result = DeviceResult(
                    hostname: target.host, port: target.port, username: target.username, index: job.index,
                    jobID: jobID, success: outcome.error == nil, output: outcome.outputs.joinedOutput,
                    outputs: outcome.outputs, error: outcome.error,
                    executionTime: finishedAt.timeIntervalSince(startedAt), startedAt: startedAt,
                    finishedAt: finishedAt, sessionReused: reused)
            case .failure(let error):
                var failure = DeviceResult.failure(
                    target, index: job.index, jobID: jobID, error: error, startedAt: startedAt, finishedAt: finishedAt)
                failure.sessionReused = reused
                result = failure
            }
            metrics.jobDuration.recordNanoseconds((ContinuousClock.now - started).totalNanoseconds)
            return Completion(batch: job.batch, index: job.index, result: result, kind: job.kind, keptSession: kept)
        }

        guard let platform = job.batch.profile(for: target.platform, in: configuration.platforms) else {
            if job.holdsHandshake, handshakes.release() { update { $0.unblock() } }
            return completion(
                .failure(.unsupported("no platform profile named '\(target.platform)'")), kept: nil, reused: false)
        }
        let context = DriverContext(platform: platform, logger: logger)
        let request = ExecutionRequest(
            operation: job.spec.operation, stopOnError: job.batch.options.stopOnError,
            save: job.batch.options.save, enable: job.batch.options.enable, readTimeout: target.readTimeout,
            maxOutputBytes: job.batch.options.maxOutputBytes ?? limits.maxOutputBytes, cli: job.spec.cli,
            logger: logger)

        switch job.kind {
        case .roundRobin:
            let session: any DriverSession
            do {
                session = try await connect(job.batch.driver, target, context, permitHeld: true)
            } catch {
                return completion(.failure(error), kept: nil, reused: false)
            }
            let outcome: Result<ExecutionOutcome, NetPulseError>
            do {
                outcome = .success(try await execute(session, request))
            } catch {
                outcome = .failure(NetPulseError(wrapping: error))
            }
            await session.close()
            return completion(outcome, kept: nil, reused: false)

        case .pinned(_, let existing, let checkLiveness):
            var session = existing
            var permitHeld = job.holdsHandshake
            if let idle = session, checkLiveness, !(await idle.isAlive()) {
                logger.debug("idle session found dead; replacing it", metadata: ["job": "\(jobID)"])
                metrics.replacedSessions.increment()
                await idle.close()
                session = nil
            }
            var reused = session != nil
            var retried = false
            while true {
                let current: any DriverSession
                if let session {
                    current = session
                    metrics.reusedSessions.increment()
                } else {
                    do {
                        defer { permitHeld = false }
                        current = try await connect(job.batch.driver, target, context, permitHeld: permitHeld)
                    } catch {
                        return completion(.failure(error), kept: nil, reused: false)
                    }
                }
                do {
                    let outcome = try await execute(current, request)
                    return completion(.success(outcome), kept: current, reused: reused)
                } catch let error as NetPulseError where error.kind == .sessionUnavailable && reused && !retried {
                    // Nothing was sent: run the job once more on a fresh session.
                    logger.debug("session unavailable; retrying once on a fresh session", metadata: ["job": "\(jobID)"])
                    metrics.replacedSessions.increment()
                    await current.close()
                    session = nil
                    reused = false
                    retried = true
                } catch {
                    await current.close()
                    return completion(.failure(NetPulseError(wrapping: error)), kept: nil, reused: reused)
                }
            }
        }
    }

    /// Connects within the cap on handshakes in progress. The first connect of a job uses the permit
    /// it was started with; a reconnect (dead pinned session) waits for one.
    private func connect(
        _ driver: any Driver, _ target: DeviceTarget, _ context: DriverContext, permitHeld: Bool
    ) async throws(NetPulseError) -> any DriverSession {
        if !permitHeld {
            do {
                try await handshakes.acquire()
            } catch {
                throw .cancelled("cancelled while waiting to connect")
            }
        }
        defer {
            // A freed permit may let a job start that was turned away for want of one.
            if handshakes.release() { update { $0.unblock() } }
        }
        do {
            let session =
                Self.tracing
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
    private func execute(_ session: any DriverSession, _ request: ExecutionRequest) async throws -> ExecutionOutcome {
        guard Self.tracing else { return try await session.execute(request) }
        return try await withSpan("netpulse.execute") { span in
            let outcome = try await session.execute(request)
            if let error = outcome.error { span.setStatus(SpanStatus(code: .error, message: error.kind.rawValue)) }
            return outcome
        }
    }

    // MARK: Timer

    func timerLoop() async {
        while true {
            let plan = state.withLock { state -> Duration?? in
                if state.timerStopped { return .none }
                let next = state.nextDeadline.map { $0 + limits.timerResolution }
                state.timerTarget = next
                return .some(next)
            }
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

    /// Handles every deadline that has passed: expires batches' queued jobs, stops jobs past their
    /// execution timeout, purges old results, and hands idle sessions to the closer (the timer never
    /// waits for a device).
    func fireDeadlines() {
        let (stopping, closing) = update { state -> ([Task<Void, Never>], [any DriverSession]) in
            let now = clock.now
            state.timerTarget = nil
            var stopping: [Task<Void, Never>] = []
            var closing: [any DriverSession] = []
            while let event = state.popDueDeadline(now) {
                switch event {
                case .ttl(let batch):
                    for index in 0..<batch.total where batch.queued > 0 && batch.slots[index].status == .queued {
                        state.expire(batch, index, now: now)
                    }
                case .execution(let batch, let index):
                    guard batch.slots[index].status == .started else { break }
                    let timeout = batch.options.executionTimeout ?? .zero
                    _ = state.cancel(
                        batch, index, reason: .timeout("execution did not finish within \(timeout)"), now: now,
                        stopping: &stopping)
                case .idle(let device):
                    guard !device.running, let session = device.session else { break }
                    state.idle.remove(device)
                    closing.append(session)
                    device.session = nil
                    device.holdsSlot = false
                    state.forgetIfUnused(device)
                case .purge(let batch):
                    state.purgeDue(batch, now: now)
                }
            }
            if !closing.isEmpty { state.closesInFlight += closing.count }
            return (stopping, closing)
        }
        for task in stopping { task.cancel() }
        if !closing.isEmpty {
            metrics.idleClosed.increment(by: closing.count)
            closingInput.yield(closing)
        }
    }

    /// Closes what the timer hands over, each close on its own child task, until the stream ends.
    func closerLoop() async {
        await withDiscardingTaskGroup { group in
            for await sessions in closing {
                group.addTask {
                    await self.closeReleasing(sessions)
                    self.update { state in
                        state.closesInFlight -= sessions.count
                        if state.closesInFlight == 0 {
                            for waiter in state.noClosesWaiters.values { waiter.resume() }
                            state.noClosesWaiters.removeAll()
                        }
                    }
                }
            }
        }
    }

    /// Closes sessions whose permits are still counted, then returns the permits.
    func closeReleasing(_ sessions: [any DriverSession]) async {
        // Concurrently: a close may wait for the device's goodbye, and shutdown closes them all.
        await withTaskGroup(of: Void.self) { group in
            for session in sessions { group.addTask { await session.close() } }
        }
        update { state in
            state.openConnections -= sessions.count
            state.pinnedSessions -= sessions.count
            state.unblock()
        }
    }

    // MARK: Waiting on state

    func waitForNoRunningJobs() async {
        let id = state.withLock { $0.makeWaiterID() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.runningJobs == 0 || Task.isCancelled { return true }
                    state.noRunningWaiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.noRunningWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    func waitForNoPendingCloses() async {
        let id = state.withLock { $0.makeWaiterID() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.closesInFlight == 0 { return true }
                state.noClosesWaiters[id] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    func waitForNoWorkers() async {
        let id = state.withLock { $0.makeWaiterID() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.workers.isEmpty { return true }
                state.noWorkersWaiters[id] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}

extension Duration {
    var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}
