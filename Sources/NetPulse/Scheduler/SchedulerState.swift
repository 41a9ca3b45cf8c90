#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

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

/// The scheduler's whole mutable state, guarded by one lock (`SchedulerCore.state`).
///
/// Every decision (which job runs next, which connection may open, which session to evict) is taken
/// here, synchronously, so there is no lost wake-up and no double report; workers run the I/O outside.
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
    var workers: [Int: Task<Void, Never>] = [:]
    var nextWorkerID = 0
    var preferPinned = false
    /// The head job of a ring could not start for want of a connection or handshake permit: no new
    /// worker is started for that ring until something is freed (else workers would spin).
    var roundRobinBlocked = false
    var pinnedBlocked = false
    var nextWaiterID: UInt64 = 0

    var ttlDeadlines = DeadlineQueues<BatchRecord>()
    var executionDeadlines = DeadlineQueues<(batch: BatchRecord, index: Int)>()
    var purgeDeadlines = DeadlineQueues<(batch: BatchRecord, index: Int)>()
    var idleDeadlines = DeadlineQueues<(device: PinnedDevice, generation: UInt64)>()
    /// What the timer task sleeps until (`nil`: it waits for a signal only).
    var timerTarget: Duration?
    var timerNeedsSignal = false
    var timerStopped = false
    var noRunningWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var noWorkersWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]

    /// Events for metrics, drained outside the lock.
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

    // MARK: Timers

    var nextDeadline: Duration? {
        [ttlDeadlines.next, executionDeadlines.next, purgeDeadlines.next, idleDeadlines.next].compactMap { $0 }.min()
    }

    /// Notes a new deadline; the timer must be woken if it sleeps past it.
    mutating func deadlineAdded(_ deadline: Duration) {
        if let target = timerTarget, target <= deadline { return }
        timerNeedsSignal = true
    }

    // MARK: Submission

    /// Something was freed (a permit, a session) or added: blocked rings may try again.
    mutating func unblock() {
        roundRobinBlocked = false
        pinnedBlocked = false
    }

    mutating func enqueue(_ batch: BatchRecord, now: Duration) {
        unblock()
        batches[batch.id] = batch
        queuedJobs += batch.total
        if let expiresAt = batch.expiresAt, let ttl = batch.options.ttl {
            ttlDeadlines.push(batch, at: expiresAt, group: ttl)
            deadlineAdded(expiresAt)
        }
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
        victim.session = nil
        victim.holdsSlot = false
        victim.idleGeneration &+= 1
        forgetIfUnused(victim)
        if !pinned { pinnedSessions -= 1 }
        evictions += 1
        return (true, session)
    }

    /// The next job for a worker, honouring lanes, caps and batch turns; `nil` when none may start now.
    mutating func takeJob(worker: Int, now: Duration) -> Assignment? {
        guard accepting else { return nil }
        preferPinned.toggle()
        if preferPinned {
            return takePinned(worker: worker, now: now)
                ?? takeRoundRobin(worker: worker, now: now)
        }
        return takeRoundRobin(worker: worker, now: now)
            ?? takePinned(worker: worker, now: now)
    }

    private mutating func takeRoundRobin(worker: Int, now: Duration) -> Assignment? {
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
                expire(batch, index, now: now)
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
            let spec = start(batch, index, worker: worker, now: now)
            return Assignment(
                batch: batch, index: index, spec: spec, kind: .roundRobin, evicting: connection.evicting,
                holdsHandshake: true)
        }
        return nil
    }

    private mutating func takePinned(worker: Int, now: Duration) -> Assignment? {
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
                expire(batch, index, now: now)
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
            idle.remove(device)
            device.idleGeneration &+= 1
            device.running = true
            let session = device.session
            device.session = nil
            let check = session != nil && now - device.lastUsed >= limits.livenessInterval
            runningPinned += 1
            let spec = start(batch, index, worker: worker, now: now)
            return Assignment(
                batch: batch, index: index, spec: spec,
                kind: .pinned(device: device, session: session, checkLiveness: check), evicting: evicting,
                holdsHandshake: needsConnect)
        }
        return nil
    }

    private mutating func start(_ batch: BatchRecord, _ index: Int, worker: Int, now: Duration) -> DeviceJobSpec {
        batch.slots[index].status = .started
        batch.slots[index].startedAt = Date()
        batch.slots[index].worker = worker
        batch.queued -= 1
        batch.running += 1
        queuedJobs -= 1
        if let timeout = batch.options.executionTimeout {
            executionDeadlines.push((batch, index), at: now + timeout, group: timeout)
            deadlineAdded(now + timeout)
        }
        return batch.slots[index].spec!
    }

    // MARK: Finishing

    /// Records a worker's completion and releases what the job held.
    mutating func complete(_ completion: Completion, now: Duration) -> Completion {
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
                device.idleGeneration &+= 1
                idle.append(device)
                idleDeadlines.push(
                    (device, device.idleGeneration), at: now + limits.idleTimeout, group: limits.idleTimeout)
                deadlineAdded(now + limits.idleTimeout)
            } else if device.holdsSlot {
                device.holdsSlot = false
                openConnections -= 1
                pinnedSessions -= 1
            }
            promote(device)
            forgetIfUnused(device)
        }
        let slot = completion.batch.slots[completion.index]
        if !completion.result.success {
            if let reason = slot.stopReason {
                completion.result.error = reason
            } else if cancellingRunning {
                completion.result.error = .cancelled("the scheduler shut down while the job was running")
            }
        }
        return completion
    }

    /// Makes a job final with its result: the single place where a device gets its result.
    /// - Returns: `false` if the job was already final (the result is then dropped).
    @discardableResult
    mutating func finish(_ batch: BatchRecord, _ index: Int, _ result: DeviceResult, now: Duration) -> Bool {
        let previous = batch.slots[index].status
        guard !previous.isFinal else { return false }
        if previous == .queued {
            batch.queued -= 1
            queuedJobs -= 1
        } else {
            batch.running -= 1
        }
        batch.slots[index].status = JobStatus(result: result)
        batch.slots[index].result = result
        batch.slots[index].spec = nil
        batch.slots[index].stopReason = nil
        batch.slots[index].worker = -1
        if result.success { batch.succeeded += 1 } else { batch.failed += 1 }
        finalCounts.add(batch.slots[index].status)
        batch.order.append(index)
        purgeDeadlines.push((batch, index), at: now + batch.resultTTL, group: batch.resultTTL)
        deadlineAdded(now + batch.resultTTL)
        if !batch.streamWaiters.isEmpty {
            for waiter in batch.streamWaiters.values { waiter.resume() }
            batch.streamWaiters.removeAll()
        }
        if batch.isComplete {
            for waiter in batch.doneWaiters.values { waiter.resume() }
            batch.doneWaiters.removeAll()
        }
        return true
    }

    /// A failed result for a job that did not run to its end (expired, cancelled).
    func failure(_ batch: BatchRecord, _ index: Int, _ error: NetPulseError) -> DeviceResult? {
        guard let spec = batch.slots[index].spec else { return nil }
        return .failure(spec.target, index: index, jobID: batch.jobIDs[index], error: error)
    }

    mutating func expire(_ batch: BatchRecord, _ index: Int, now: Duration) {
        guard batch.slots[index].status == .queued,
            let result = failure(batch, index, .expired("not started within the batch's ttl"))
        else { return }
        finish(batch, index, result, now: now)
    }

    /// Cancels a job: a queued one gets its result now; a running one is stopped (its task returned).
    mutating func cancel(
        _ batch: BatchRecord, _ index: Int, reason: NetPulseError, now: Duration, stopping: inout [Task<Void, Never>]
    ) -> Bool {
        switch batch.slots[index].status {
        case .queued:
            guard let result = failure(batch, index, reason) else { return false }
            return finish(batch, index, result, now: now)
        case .started:
            guard batch.slots[index].stopReason == nil else { return false }
            batch.slots[index].stopReason = reason
            if let task = workers[batch.slots[index].worker] { stopping.append(task) }
            return true
        default:
            return false
        }
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
