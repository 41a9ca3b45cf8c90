#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Tracing

/// A job handed to a worker: everything it needs to run outside the lock.
struct Assignment: Sendable {
    enum Kind: Sendable {
        case roundRobin
        /// `session`: the device's idle session, if it had one; `checkLiveness`: it was idle long enough
        /// to be checked before use.
        case pinned(device: PinnedDevice, session: (any DriverSession)?, checkLiveness: Bool)
    }

    let batch: BatchRecord
    let index: Int
    let spec: DeviceJobSpec
    let kind: Kind
    /// An idle pinned session closed to make room for this job (its connection permit is ours now).
    let evicting: (any DriverSession)?
    /// The job was given a handshake permit for its first connect.
    let holdsHandshake: Bool
}

/// What a worker reports when a job is over.
struct Completion: Sendable {
    let batch: BatchRecord
    let index: Int
    var result: DeviceResult
    let kind: Assignment.Kind
    /// Pinned: the session to keep for the device's next job (`nil`: it was closed or never opened).
    let keptSession: (any DriverSession)?
}

/// What a deadline of the scheduler is for.
enum DeadlineEvent {
    /// The batch's queued jobs expire (`ttl`).
    case ttl(BatchRecord)
    /// A running job is stopped (`execution_timeout`).
    case execution(BatchRecord, Int)
    /// The batch's results that became final earliest are purged (`result_ttl`).
    case purge(BatchRecord)
    /// An idle pinned session is closed.
    case idle(PinnedDevice)
}

/// The scheduler's whole mutable state, guarded by one lock (`SchedulerCore.state`): a state machine in
/// the manner of swift-nio-ssh's. Events come in with the time (`now`), decisions come out as
/// ``SchedulerActions`` that ``SchedulerCore`` carries out (start or cancel worker tasks, wake waiters,
/// close sessions, wake the timer).
///
/// Every decision (which job runs next, which connection may open, which session to evict, when a
/// device gets its result) is taken here, synchronously, so there is no lost wake-up and no double
/// report; it holds no task, continuation, clock or lock of its own, and does no I/O (sessions are held
/// as opaque values and handed back to be closed). The one exception is the ``HandshakeGate``, a
/// counter shared with connects that wait for a permit outside the lock.
///
/// The entry points: ``submit(_:now:)``, ``workerTurn(worker:completed:mayContinue:now:wallNow:)``,
/// ``cancel(_:_:reason:now:)``, ``cancel(_:reason:now:)``, ``deadlinesDue(now:)``, ``handshakeReleased()``,
/// ``sessionsClosed(_:)``, ``beginShutdown(now:)``, ``stopRunningJobs()``, ``closeIdleSessions()``.
struct SchedulerState {
    let limits: SchedulerConfiguration.Limits
    let logger: Logger
    let handshakes: HandshakeGate

    var accepting = true
    /// Set once shutdown starts cancelling running jobs.
    var cancellingRunning = false
    var batches: [String: BatchRecord] = [:]
    var roundRobinRing = FIFO<BatchRecord>()
    var pinnedRing = FIFO<BatchRecord>()
    /// Upper bounds of the jobs waiting in each ring (cancelled and expired ones are skipped lazily).
    var roundRobinReady = 0
    var pinnedReady = 0
    var devices: [DeviceKey: PinnedDevice] = [:]
    var idle = IdleLRU()
    var openConnections = 0
    var pinnedSessions = 0
    var runningRoundRobin = 0
    var runningPinned = 0
    var queuedJobs = 0
    /// Live workers (their tasks are the core's).
    var workers: Set<Int> = []
    var nextWorkerID = 0
    var preferPinned = false
    /// The head job of a ring could not start for want of a connection or handshake permit: no new
    /// worker is started for that ring until something is freed (else workers would spin).
    var roundRobinBlocked = false
    var pinnedBlocked = false
    var nextWaiterID: UInt64 = 0

    /// Every ttl, execution timeout, idle close and purge, earliest first.
    var deadlines = DeadlineHeap<DeadlineEvent>()
    /// Batches in submission order, for paged job lists; purged ones are dropped in bulk.
    var batchOrder: [BatchRecord] = []
    var purgedInOrder = 0
    var nextBatchSequence: UInt64 = 0
    /// Sessions handed out to be closed whose close is not reported yet (``sessionsClosed(_:)``).
    var closesInFlight = 0
    /// What the timer task sleeps until (`nil`: it waits for a signal only).
    var timerTarget: Duration?
    var timerNeedsSignal = false
    var timerStopped = false

    /// Events for metrics, drained by the core.
    var evictions = 0
    var gaugeTick = 0
    var finalCounts = FinalCounts()

    init(limits: SchedulerConfiguration.Limits, logger: Logger, handshakes: HandshakeGate) {
        self.limits = limits
        self.logger = logger
        self.handshakes = handshakes
    }

    var runningJobs: Int { runningRoundRobin + runningPinned }

    mutating func makeWaiterID() -> UInt64 {
        nextWaiterID += 1
        return nextWaiterID
    }

    /// Ends every event: starts the workers the ready work wants and passes on a timer wake-up.
    private mutating func settle(_ actions: inout SchedulerActions) {
        let wanted = workersWanted
        if wanted > 0 {
            let first = nextWorkerID
            nextWorkerID += wanted
            for id in first..<nextWorkerID { workers.insert(id) }
            actions.startWorkers = first..<nextWorkerID
        }
        if timerNeedsSignal {
            timerNeedsSignal = false
            actions.wakeTimer = true
        }
    }

    // MARK: Timers

    var nextDeadline: Duration? { deadlines.next }

    /// Records where an event's entry sits in the heap (-1: not in it) with its owner.
    static func place(_ event: DeadlineEvent, at position: Int) {
        switch event {
        case .ttl(let batch): batch.ttlPosition = position
        case .execution(let batch, let index): batch.slots[index].executionPosition = position
        case .purge(let batch): batch.purgePosition = position
        case .idle(let device): device.idlePosition = position
        }
    }

    mutating func addDeadline(_ event: DeadlineEvent, at deadline: Duration) {
        deadlines.push(event, at: deadline, moved: Self.place)
        deadlineAdded(deadline)
    }

    /// Drops a deadline that no longer matters (its owner remembers the position; -1: none).
    mutating func removeDeadline(at position: Int) {
        guard position >= 0 else { return }
        Self.place(deadlines.remove(at: position, moved: Self.place), at: -1)
    }

    /// The next deadline that is due at `now`, taken out of the heap.
    mutating func popDueDeadline(_ now: Duration) -> DeadlineEvent? {
        guard let event = deadlines.popDue(now, moved: Self.place) else { return nil }
        Self.place(event, at: -1)
        return event
    }

    /// What the timer does next: stop, or sleep until the next deadline (plus `resolution`) or until
    /// woken (`nil`). The target is remembered: a deadline added before it wakes the timer.
    mutating func timerPlan(resolution: Duration) -> Duration?? {
        if timerStopped { return .none }
        let next = nextDeadline.map { $0 + resolution }
        timerTarget = next
        return .some(next)
    }

    /// A batch has no queued job left: its ttl no longer matters.
    mutating func queuedJobLeft(_ batch: BatchRecord) {
        batch.queued -= 1
        queuedJobs -= 1
        if batch.queued == 0 { removeDeadline(at: batch.ttlPosition) }
    }

    /// A device's idle session is taken (by a job, an eviction, shutdown): its idle close no longer matters.
    mutating func leaveIdle(_ device: PinnedDevice) {
        idle.remove(device)
        removeDeadline(at: device.idlePosition)
    }

    /// Adds a batch to the submission order used by paged job lists.
    mutating func remember(_ batch: BatchRecord) {
        batches[batch.id] = batch
        batchOrder.append(batch)
    }

    /// Purges the results of `batch` that are past their `result_ttl`, in the order they became final;
    /// a batch whose every result is purged is forgotten.
    mutating func purgeDue(_ batch: BatchRecord, now: Duration) {
        while batch.purgedCount < batch.order.count {
            let index = batch.order[batch.purgedCount]
            let due = batch.slots[index].finishedAt + batch.resultTTL
            guard due <= now else {
                addDeadline(.purge(batch), at: due)
                return
            }
            batch.slots[index].purged = true
            batch.purgedCount += 1
        }
        guard batch.purgedCount == batch.total, batches[batch.id] === batch else { return }
        batches[batch.id] = nil
        purgedInOrder += 1
        if purgedInOrder * 2 >= batchOrder.count {
            batchOrder.removeAll { $0.purgedCount == $0.total }
            purgedInOrder = 0
        }
    }

    /// Notes a new deadline; the timer must be woken if it sleeps past it.
    mutating func deadlineAdded(_ deadline: Duration) {
        if let target = timerTarget, target <= deadline { return }
        timerNeedsSignal = true
    }

    /// Every deadline due at `now`: a batch's queued jobs expire (ttl), a job past its execution timeout
    /// is stopped, an idle session is handed out to be closed, old results are purged.
    mutating func deadlinesDue(now: Duration) -> SchedulerActions {
        var actions = SchedulerActions()
        timerTarget = nil
        while let event = popDueDeadline(now) {
            switch event {
            case .ttl(let batch):
                for index in 0..<batch.total where batch.queued > 0 && batch.slots[index].status == .queued {
                    expire(batch, index, now: now, &actions)
                }
            case .execution(let batch, let index):
                guard batch.slots[index].status == .started else { break }
                let timeout = batch.options.executionTimeout ?? .zero
                _ = stop(
                    batch, index, reason: .timeout("execution did not finish within \(timeout)"), now: now, &actions)
            case .idle(let device):
                guard !device.running, let session = device.session else { break }
                idle.remove(device)
                actions.closeSessions.append(session)
                device.session = nil
                device.holdsSlot = false
                forgetIfUnused(device)
            case .purge(let batch):
                purgeDue(batch, now: now)
            }
        }
        closesInFlight += actions.closeSessions.count
        settle(&actions)
        return actions
    }

    // MARK: Submission

    /// What became of a submitted batch.
    enum SubmitDecision {
        /// Queued (or, after shutdown began, every job reported cancelled).
        case accepted(SchedulerActions)
        /// Refused: it would pass the bound on queued jobs, which holds this many now.
        case overloaded(queuedJobs: Int)
    }

    /// A new batch: queued if it fits under ``SchedulerConfiguration/Limits/maxQueuedJobs``; once
    /// shutdown began, kept with every job cancelled.
    mutating func submit(_ batch: BatchRecord, now: Duration) -> SubmitDecision {
        var actions = SchedulerActions()
        if accepting {
            guard queuedJobs + batch.total <= limits.maxQueuedJobs else { return .overloaded(queuedJobs: queuedJobs) }
            enqueue(batch, now: now)
        } else {
            remember(batch)
            queuedJobs += batch.total
            for index in 0..<batch.total {
                if let result = failure(batch, index, .cancelled("the scheduler is shutting down")) {
                    finish(batch, index, result, now: now, &actions)
                }
            }
        }
        settle(&actions)
        return .accepted(actions)
    }

    /// Something was freed (a permit, a session) or added: blocked rings may try again.
    mutating func unblock() {
        roundRobinBlocked = false
        pinnedBlocked = false
    }

    /// A handshake permit was returned and a job had been turned away for want of one: the rings may try
    /// again.
    mutating func handshakeReleased() -> SchedulerActions {
        var actions = SchedulerActions()
        unblock()
        settle(&actions)
        return actions
    }

    /// Sessions handed out to be closed (idle closes, shutdown) are closed: their connection permits and
    /// pinned slots are free.
    mutating func sessionsClosed(_ count: Int) -> SchedulerActions {
        var actions = SchedulerActions()
        openConnections -= count
        pinnedSessions -= count
        closesInFlight -= count
        unblock()
        actions.noPendingCloses = closesInFlight == 0
        settle(&actions)
        return actions
    }

    mutating func enqueue(_ batch: BatchRecord, now: Duration) {
        unblock()
        remember(batch)
        queuedJobs += batch.total
        if let expiresAt = batch.expiresAt { addDeadline(.ttl(batch), at: expiresAt) }
        switch batch.strategy {
        case .roundRobin:
            roundRobinReady += batch.total
            batch.inRing = true
            roundRobinRing.append(batch)
        case .pinned:
            for index in 0..<batch.total {
                let key = batch.slots[index].spec!.target.key
                let device: PinnedDevice
                if let known = devices[key] {
                    device = known
                } else {
                    device = PinnedDevice(key: key, logger: logger)
                    devices[key] = device
                }
                device.queue.append((batch, index))
                promote(device)
            }
        }
    }

    /// Puts an idle device's next queued job in its batch's ready list.
    mutating func promote(_ device: PinnedDevice) {
        guard !device.running, !device.headReady else { return }
        while let head = device.queue.first, head.batch.slots[head.index].status != .queued {
            _ = device.queue.popFirst()
        }
        guard let head = device.queue.first else { return }
        device.headReady = true
        head.batch.readyPinned.append((head.index, device))
        pinnedReady += 1
        if !head.batch.inRing {
            head.batch.inRing = true
            pinnedRing.append(head.batch)
        }
    }

    mutating func forgetIfUnused(_ device: PinnedDevice) {
        if device.isUnused, devices[device.key] === device { devices[device.key] = nil }
    }

    // MARK: Taking work

    /// A connection permit for a new connection, making room by evicting the least recently used idle
    /// pinned session when the caps are reached. `nil`: no room now.
    mutating func acquireConnection(pinned: Bool) -> (granted: Bool, evicting: (any DriverSession)?) {
        let pinnedRoom = !pinned || pinnedSessions < limits.maxPinnedSessions
        if openConnections < limits.maxOpenConnections && pinnedRoom {
            openConnections += 1
            if pinned { pinnedSessions += 1 }
            return (true, nil)
        }
        guard let victim = idle.popLeastRecent(), let session = victim.session else { return (false, nil) }
        // The victim's connection permit (and pinned slot) passes to the new connection.
        removeDeadline(at: victim.idlePosition)
        victim.session = nil
        victim.holdsSlot = false
        forgetIfUnused(victim)
        if !pinned { pinnedSessions -= 1 }
        evictions += 1
        return (true, session)
    }

    /// A worker's turn: records its last job's result and hands it the next job, if it may take one.
    ///
    /// A job asked to stop (cancel, execution timeout) has its worker's task cancelled, and that cancel
    /// may land only after this turn: so the worker of a stopped job retires instead of taking another
    /// job, and a late cancel can never cut an innocent job short.
    ///
    /// - Parameters:
    ///   - worker: The worker's id.
    ///   - completed: Its last job's completion, if any.
    ///   - mayContinue: `false` when the worker's task is cancelled (shutdown).
    ///   - now: The scheduler clock.
    ///   - wallNow: The wall clock, for the started job's view.
    /// - Returns: The next job (`nil`: the worker has retired), and what to do: deliver the last job's
    ///   result, start more workers, wake who waits for no running job or no worker.
    mutating func workerTurn(
        worker: Int, completed: Completion?, mayContinue: Bool, now: Duration, wallNow: Date
    ) -> (job: Assignment?, actions: SchedulerActions) {
        var actions = SchedulerActions()
        var retire = false
        if let done = completed {
            retire = done.batch.slots[done.index].stopReason != nil
            let final = complete(done, now: now)
            finish(final.batch, final.index, final.result, now: now, &actions)
        }
        let job = mayContinue && !retire ? takeJob(worker: worker, now: now, wallNow: wallNow, &actions) : nil
        if job == nil {
            workers.remove(worker)
            actions.retiredWorker = worker
            actions.noWorkers = workers.isEmpty
        }
        actions.noRunningJobs = runningJobs == 0
        settle(&actions)
        return (job, actions)
    }

    /// The next job for a worker, honouring lanes, caps and batch turns; `nil` when none may start now.
    private mutating func takeJob(
        worker: Int, now: Duration, wallNow: Date, _ actions: inout SchedulerActions
    ) -> Assignment? {
        guard accepting else { return nil }
        preferPinned.toggle()
        if preferPinned {
            return takePinned(worker: worker, now: now, wallNow: wallNow, &actions)
                ?? takeRoundRobin(worker: worker, now: now, wallNow: wallNow, &actions)
        }
        return takeRoundRobin(worker: worker, now: now, wallNow: wallNow, &actions)
            ?? takePinned(worker: worker, now: now, wallNow: wallNow, &actions)
    }

    private mutating func takeRoundRobin(
        worker: Int, now: Duration, wallNow: Date, _ actions: inout SchedulerActions
    ) -> Assignment? {
        guard runningRoundRobin < limits.roundRobinLanes else { return nil }
        while let batch = roundRobinRing.first {
            while batch.cursor < batch.total && batch.slots[batch.cursor].status != .queued {
                batch.cursor += 1
                roundRobinReady -= 1
            }
            if batch.cursor == batch.total {
                _ = roundRobinRing.popFirst()
                batch.inRing = false
                continue
            }
            let index = batch.cursor
            if let expiresAt = batch.expiresAt, expiresAt <= now {
                batch.cursor += 1
                roundRobinReady -= 1
                expire(batch, index, now: now, &actions)
                continue
            }
            // A job starts only with its handshake permit and its connection permit in hand: waiting for
            // either is queue time (ttl), not run time (execution_timeout).
            guard handshakes.tryAcquire() else {
                roundRobinBlocked = true
                return nil
            }
            let connection = acquireConnection(pinned: false)
            guard connection.granted else {
                handshakes.giveBack()
                roundRobinBlocked = true
                return nil
            }
            batch.cursor += 1
            roundRobinReady -= 1
            // The batch goes to the back of the ring: batches are served in turn.
            _ = roundRobinRing.popFirst()
            if batch.cursor < batch.total {
                roundRobinRing.append(batch)
            } else {
                batch.inRing = false
            }
            runningRoundRobin += 1
            let spec = start(batch, index, worker: worker, now: now, wallNow: wallNow)
            return Assignment(
                batch: batch, index: index, spec: spec, kind: .roundRobin, evicting: connection.evicting,
                holdsHandshake: true)
        }
        return nil
    }

    private mutating func takePinned(
        worker: Int, now: Duration, wallNow: Date, _ actions: inout SchedulerActions
    ) -> Assignment? {
        guard runningPinned < limits.maxPinnedSessions else { return nil }
        var blockedBatches = 0
        while let batch = pinnedRing.first {
            guard let (index, device) = batch.readyPinned.popFirst() else {
                _ = pinnedRing.popFirst()
                batch.inRing = false
                continue
            }
            pinnedReady -= 1
            _ = device.queue.popFirst()
            device.headReady = false
            var skip = batch.slots[index].status != .queued
            if !skip, let expiresAt = batch.expiresAt, expiresAt <= now {
                expire(batch, index, now: now, &actions)
                skip = true
            }
            if skip {
                promote(device)
                forgetIfUnused(device)
                if batch.readyPinned.isEmpty, batch.inRing, pinnedRing.first === batch {
                    _ = pinnedRing.popFirst()
                    batch.inRing = false
                }
                continue
            }
            var evicting: (any DriverSession)?
            let identity = batch.slots[index].identity
            // A session opened with other credentials, settings, driver or tenant is never reused: it is
            // closed and replaced, on the connection permit the device already holds. (One serial queue per
            // device runs one job at a time, so a second idle session would only hold a permit and a pinned
            // slot for the chance that the other identity comes back.)
            let mismatched = device.session != nil && device.sessionIdentity != identity
            let needsConnect = device.session == nil || mismatched
            if needsConnect {
                let handshake = handshakes.tryAcquire()
                let connection: (granted: Bool, evicting: (any DriverSession)?) =
                    !handshake ? (false, nil) : mismatched ? (true, nil) : acquireConnection(pinned: true)
                guard connection.granted else {
                    if handshake { handshakes.giveBack() }
                    // No room: the job keeps its place at the head of its device and of its batch, and
                    // the other batches get a chance (their head may have a live session).
                    device.queue.prepend((batch, index))
                    device.headReady = true
                    batch.readyPinned.prepend((index, device))
                    pinnedReady += 1
                    blockedBatches += 1
                    if blockedBatches >= pinnedRing.count {
                        pinnedBlocked = true
                        return nil
                    }
                    _ = pinnedRing.popFirst()
                    pinnedRing.append(batch)
                    continue
                }
                if mismatched {
                    evicting = device.session
                    device.session = nil
                } else {
                    evicting = connection.evicting
                    device.holdsSlot = true
                }
            }
            device.sessionIdentity = identity
            _ = pinnedRing.popFirst()
            if batch.readyPinned.isEmpty {
                batch.inRing = false
            } else {
                pinnedRing.append(batch)
            }
            leaveIdle(device)
            device.running = true
            let session = device.session
            device.session = nil
            let check = session != nil && now - device.lastUsed >= limits.livenessInterval
            runningPinned += 1
            let spec = start(batch, index, worker: worker, now: now, wallNow: wallNow)
            return Assignment(
                batch: batch, index: index, spec: spec,
                kind: .pinned(device: device, session: session, checkLiveness: check), evicting: evicting,
                holdsHandshake: needsConnect)
        }
        return nil
    }

    private mutating func start(
        _ batch: BatchRecord, _ index: Int, worker: Int, now: Duration, wallNow: Date
    ) -> DeviceJobSpec {
        batch.slots[index].status = .started
        batch.slots[index].startedAt = wallNow
        batch.slots[index].worker = worker
        queuedJobLeft(batch)
        batch.running += 1
        if let timeout = batch.options.executionTimeout { addDeadline(.execution(batch, index), at: now + timeout) }
        return batch.slots[index].spec!
    }

    // MARK: Finishing

    /// Records a worker's completion and releases what the job held.
    private mutating func complete(_ completion: Completion, now: Duration) -> Completion {
        var completion = completion
        unblock()
        switch completion.kind {
        case .roundRobin:
            runningRoundRobin -= 1
            openConnections -= 1
        case .pinned(let device, _, _):
            runningPinned -= 1
            device.running = false
            if let session = completion.keptSession {
                device.session = session
                device.lastUsed = now
                idle.append(device)
                addDeadline(.idle(device), at: now + limits.idleTimeout)
            } else if device.holdsSlot {
                device.holdsSlot = false
                openConnections -= 1
                pinnedSessions -= 1
            }
            promote(device)
            forgetIfUnused(device)
        }
        let slot = completion.batch.slots[completion.index]
        if let reason = slot.stopReason {
            // A job that was asked to stop is never reported successful, even if the device finished first.
            if completion.result.success {
                completion.result.success = false
                completion.result.error = NetPulseError(
                    reason.kind, "\(reason.message) (the device may have completed the job before it stopped)")
            } else {
                completion.result.error = reason
            }
        } else if !completion.result.success, cancellingRunning {
            completion.result.error = .cancelled("the scheduler shut down while the job was running")
        }
        return completion
    }

    /// Makes a job final with its result: the single place where a device gets its result. The batch is
    /// listed in `actions` for its result streams (and, when complete, its final result) to wake.
    /// - Returns: `false` if the job was already final (the result is then dropped).
    @discardableResult
    private mutating func finish(
        _ batch: BatchRecord, _ index: Int, _ result: DeviceResult, now: Duration, _ actions: inout SchedulerActions
    ) -> Bool {
        let previous = batch.slots[index].status
        guard !previous.isFinal else { return false }
        if previous == .queued {
            queuedJobLeft(batch)
        } else {
            batch.running -= 1
            removeDeadline(at: batch.slots[index].executionPosition)
        }
        batch.slots[index].status = JobStatus(result: result)
        batch.slots[index].result = result
        batch.slots[index].spec = nil
        batch.slots[index].stopReason = nil
        batch.slots[index].worker = -1
        if result.success { batch.succeeded += 1 } else { batch.failed += 1 }
        finalCounts.add(batch.slots[index].status)
        batch.slots[index].finishedAt = now
        batch.order.append(index)
        // Results become final in time order: the batch waits for one purge at a time.
        if batch.purgePosition < 0 { addDeadline(.purge(batch), at: now + batch.resultTTL) }
        actions.delivered.add(batch)
        return true
    }

    /// A failed result for a job that did not run to its end (expired, cancelled).
    func failure(_ batch: BatchRecord, _ index: Int, _ error: NetPulseError) -> DeviceResult? {
        guard let spec = batch.slots[index].spec else { return nil }
        return .failure(spec.target, index: index, jobID: batch.jobIDs[index], error: error)
    }

    private mutating func expire(_ batch: BatchRecord, _ index: Int, now: Duration, _ actions: inout SchedulerActions) {
        guard batch.slots[index].status == .queued,
            let result = failure(batch, index, .expired("not started within the batch's ttl"))
        else { return }
        finish(batch, index, result, now: now, &actions)
    }

    /// Cancels one job: a queued one gets its result now; a running one is stopped (its worker's task is
    /// to be cancelled, and the job is reported with `reason` when its worker reports it).
    ///
    /// - Returns: Whether the job was cancelled (`false`: already final or already stopping), and what to do.
    mutating func cancel(
        _ batch: BatchRecord, _ index: Int, reason: NetPulseError, now: Duration
    ) -> (cancelled: Bool, actions: SchedulerActions) {
        var actions = SchedulerActions()
        let cancelled = stop(batch, index, reason: reason, now: now, &actions)
        settle(&actions)
        return (cancelled, actions)
    }

    /// Cancels every job of a batch that is not final yet, as ``cancel(_:_:reason:now:)`` does one.
    mutating func cancel(_ batch: BatchRecord, reason: NetPulseError, now: Duration) -> SchedulerActions {
        var actions = SchedulerActions()
        for index in 0..<batch.total where !batch.slots[index].status.isFinal {
            _ = stop(batch, index, reason: reason, now: now, &actions)
        }
        settle(&actions)
        return actions
    }

    private mutating func stop(
        _ batch: BatchRecord, _ index: Int, reason: NetPulseError, now: Duration, _ actions: inout SchedulerActions
    ) -> Bool {
        switch batch.slots[index].status {
        case .queued:
            guard let result = failure(batch, index, reason) else { return false }
            return finish(batch, index, result, now: now, &actions)
        case .started:
            guard batch.slots[index].stopReason == nil else { return false }
            batch.slots[index].stopReason = reason
            let worker = batch.slots[index].worker
            if workers.contains(worker) { actions.stopWorkers.append(worker) }
            return true
        default:
            return false
        }
    }

    // MARK: Shutdown

    /// Shutdown begins: no job starts any more, and every queued job is reported cancelled.
    /// - Returns: `false` (and nothing to do) if shutdown had begun already.
    mutating func beginShutdown(now: Duration) -> (first: Bool, actions: SchedulerActions) {
        var actions = SchedulerActions()
        guard accepting else { return (false, actions) }
        accepting = false
        for batch in batches.values where batch.queued > 0 {
            for index in 0..<batch.total where batch.slots[index].status == .queued {
                if let result = failure(batch, index, .cancelled("the scheduler shut down")) {
                    finish(batch, index, result, now: now, &actions)
                }
            }
        }
        actions.noRunningJobs = runningJobs == 0
        actions.noWorkers = workers.isEmpty
        settle(&actions)
        return (true, actions)
    }

    /// The grace period is over: every worker is stopped, and a job that fails now is reported cancelled.
    mutating func stopRunningJobs() -> SchedulerActions {
        var actions = SchedulerActions()
        cancellingRunning = true
        actions.stopWorkers = workers.sorted()
        actions.noWorkers = workers.isEmpty
        settle(&actions)
        return actions
    }

    /// The last step of shutdown, once no worker is left: every idle session is handed out to be closed
    /// and the timer stops.
    mutating func closeIdleSessions() -> SchedulerActions {
        var actions = SchedulerActions()
        while let device = idle.popLeastRecent() {
            removeDeadline(at: device.idlePosition)
            if let session = device.session { actions.closeSessions.append(session) }
            device.session = nil
            device.holdsSlot = false
        }
        devices.removeAll()
        timerStopped = true
        closesInFlight += actions.closeSessions.count
        actions.noPendingCloses = closesInFlight == 0
        actions.wakeTimer = true
        settle(&actions)
        return actions
    }

    // MARK: Workers

    /// How many more workers the ready work needs now.
    var workersWanted: Int {
        guard accepting else { return 0 }
        var demand = 0
        if roundRobinReady > 0 && !roundRobinBlocked && (openConnections < limits.maxOpenConnections || idle.count > 0)
            && handshakes.hasFreePermit
        {
            demand += min(roundRobinReady, max(0, limits.roundRobinLanes - runningRoundRobin))
        }
        if pinnedReady > 0 && !pinnedBlocked {
            demand += min(pinnedReady, max(0, limits.maxPinnedSessions - runningPinned))
        }
        let starting = workers.count - runningJobs
        let room = limits.roundRobinLanes + limits.maxPinnedSessions - workers.count
        return max(0, min(demand - starting, room))
    }
}

/// Jobs made final since the metrics were last updated.
struct FinalCounts {
    var finished = 0
    var failed = 0
    var cancelled = 0
    var expired = 0

    var isEmpty: Bool { finished == 0 && failed == 0 && cancelled == 0 && expired == 0 }

    mutating func add(_ status: JobStatus) {
        switch status {
        case .finished: finished += 1
        case .failed: failed += 1
        case .cancelled: cancelled += 1
        case .expired: expired += 1
        case .queued, .started: break
        }
    }
}
