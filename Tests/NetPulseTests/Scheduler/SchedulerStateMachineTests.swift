import Foundation
import Logging
import NetPulseTesting
import SSHTestSupport
import Testing

@testable import NetPulse

/// ``SchedulerState`` on its own: events in (with the time), actions out. No task, no driver, no clock.
@Suite("Scheduler state machine")
struct SchedulerStateMachineTests {
    /// A session the state holds and hands back to be closed; never used for I/O here.
    final class StubSession: DriverSession {
        let name: String
        init(_ name: String) { self.name = name }
        func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome { ExecutionOutcome(outputs: []) }
        func isAlive() async -> Bool { true }
        func close() async {}
    }

    /// The state machine with a driver-free harness: batches, turns and completions by hand.
    struct Harness {
        var state: SchedulerState
        var nextBatch = 0

        init(limits: SchedulerConfiguration.Limits = SchedulerFixture.limits(), handshakes: Int = 16) {
            state = SchedulerState(
                limits: limits, logger: SchedulerFixture.logger, handshakes: HandshakeGate(limit: handshakes))
        }

        mutating func batch(
            _ hosts: [String], _ strategy: QueueStrategy, options: BatchOptions = BatchOptions(),
            resultTTL: Duration = .seconds(600), at now: Duration = .zero
        ) throws -> BatchRecord {
            nextBatch += 1
            var options = options
            options.queueStrategy = strategy
            let request = SchedulerFixture.request(hosts: hosts, strategy: strategy, options: options)
            return BatchRecord(
                id: "b\(nextBatch)", specs: try request.validated(), options: options, driver: InMemoryDriver(),
                driverName: "memory", resultTTL: resultTTL, submittedAt: now, platforms: .builtin)
        }

        /// Submits and expects it queued; returns the actions.
        @discardableResult
        mutating func submit(_ batch: BatchRecord, at now: Duration = .zero) -> SchedulerActions {
            guard case .accepted(let actions) = state.submit(batch, now: now) else {
                Issue.record("batch \(batch.id) refused")
                return SchedulerActions()
            }
            return actions
        }

        /// A worker's turn; a new worker id is registered as the core would on `startWorkers`.
        mutating func turn(
            _ worker: Int, completing done: Completion? = nil, at now: Duration = .zero, mayContinue: Bool = true
        ) -> (job: Assignment?, actions: SchedulerActions) {
            state.workers.insert(worker)
            return state.workerTurn(
                worker: worker, completed: done, mayContinue: mayContinue, now: now, wallNow: Date())
        }

        /// The completion of a job, successful unless `success` is false; pinned jobs keep `session`.
        static func done(_ job: Assignment, success: Bool = true, keeping session: (any DriverSession)? = nil)
            -> Completion
        {
            let result = DeviceResult(
                hostname: job.spec.target.host, index: job.index, jobID: job.batch.jobIDs[job.index], success: success,
                output: "out \(job.spec.target.host)")
            return Completion(batch: job.batch, index: job.index, result: result, kind: job.kind, keptSession: session)
        }
    }

    static func hosts(_ job: Assignment?) -> String { job.map { "\($0.batch.id):\($0.spec.target.host)" } ?? "none" }

    @Test("a submitted batch asks for workers; round-robin batches are served in turn, jobs in request order")
    func roundRobinFairness() throws {
        var harness = Harness()
        let first = try harness.batch(["a0", "a1", "a2"], .roundRobin)
        let second = try harness.batch(["b0", "b1", "b2"], .roundRobin)
        let started = harness.submit(first)
        #expect(started.startWorkers == 0..<3, "one worker per ready job, within the lanes")
        #expect(harness.state.workers.count == 3)
        #expect(harness.submit(second).startWorkers == 3..<6)
        var order: [String] = []
        for worker in 0..<6 {
            let turn = harness.turn(worker)
            order.append(Self.hosts(turn.job))
            #expect(turn.job?.kind.isRoundRobin == true)
            #expect(turn.job?.holdsHandshake == true)
        }
        #expect(order == ["b1:a0", "b2:b0", "b1:a1", "b2:b1", "b1:a2", "b2:b2"])
        #expect(harness.state.runningJobs == 6)
        #expect(harness.state.openConnections == 6)
        #expect(harness.turn(6).job == nil, "nothing left to take: the extra worker retires")
    }

    @Test("pinned: one job at a time per device, in submission order across batches, on the kept session")
    func pinnedOrderPerDevice() throws {
        var harness = Harness()
        let first = try harness.batch(["r1", "r2"], .pinned)
        let second = try harness.batch(["r1"], .pinned)
        harness.submit(first)
        harness.submit(second)
        let one = try #require(harness.turn(0).job)
        let two = try #require(harness.turn(1).job)
        #expect(Set([Self.hosts(one), Self.hosts(two)]) == ["b1:r1", "b1:r2"])
        #expect(harness.turn(2).job == nil, "r1's second job waits for its first")
        let r1 = one.spec.target.host == "r1" ? one : two
        let session = StubSession("r1")
        let next = try #require(
            harness.turn(0, completing: Harness.done(r1, keeping: session), at: .seconds(1)).job)
        #expect(Self.hosts(next) == "b2:r1")
        guard case .pinned(_, let reused, let check) = next.kind else {
            Issue.record("not a pinned job")
            return
        }
        #expect(reused === session, "the device's next job gets the session its last job kept")
        #expect(!check, "used a second ago: no liveness check")
        #expect(!next.holdsHandshake, "no connect, no handshake permit")
        #expect(harness.state.openConnections == 2, "still one connection per device")
    }

    @Test("connection cap: the least recently used idle pinned session is evicted to make room")
    func connectionCapEvicts() throws {
        var harness = Harness(limits: SchedulerFixture.limits(open: 1, pinned: 1))
        harness.submit(try harness.batch(["r1"], .pinned))
        let one = try #require(harness.turn(0).job)
        let kept = StubSession("r1")
        let turn = harness.turn(0, completing: Harness.done(one, keeping: kept), at: .seconds(1))
        #expect(turn.job == nil)
        #expect(harness.state.idle.count == 1)
        let actions = harness.submit(try harness.batch(["r2"], .pinned), at: .seconds(2))
        #expect(actions.startWorkers.count == 1, "an idle session can be evicted: the job may start")
        let two = try #require(harness.turn(1, at: .seconds(2)).job)
        #expect(two.spec.target.host == "r2")
        #expect(two.evicting === kept, "r1's idle session is handed over to be closed")
        #expect(harness.state.openConnections == 1 && harness.state.pinnedSessions == 1, "the cap holds")
        #expect(harness.state.idle.count == 0)
        #expect(harness.state.evictions == 1)
    }

    @Test("connection cap without an idle session: the job waits, and no worker is started for it")
    func connectionCapWaits() throws {
        var harness = Harness(limits: SchedulerFixture.limits(open: 1, lanes: 4))
        harness.submit(try harness.batch(["r1", "r2"], .roundRobin))
        let one = try #require(harness.turn(0).job)
        let blocked = harness.turn(1)
        #expect(blocked.job == nil)
        #expect(harness.state.roundRobinBlocked)
        #expect(blocked.actions.startWorkers.isEmpty, "a blocked ring starts no worker")
        let after = harness.turn(0, completing: Harness.done(one), at: .seconds(1))
        #expect(after.job?.spec.target.host == "r2", "the freed connection goes to the waiting job")
    }

    @Test("ttl: queued jobs expire at the deadline, running ones are left alone; the timer is asked to wake")
    func ttlExpiry() throws {
        var harness = Harness(limits: SchedulerFixture.limits(lanes: 1))
        let batch = try harness.batch(["r1", "r2", "r3"], .roundRobin, options: BatchOptions(ttl: .seconds(10)))
        let submitted = harness.submit(batch)
        #expect(submitted.wakeTimer, "a new deadline before the timer's target")
        let running = try #require(harness.turn(0).job)
        #expect(harness.state.nextDeadline == .seconds(10))
        let early = harness.state.deadlinesDue(now: .seconds(9))
        #expect(early.delivered.isEmpty)
        let due = harness.state.deadlinesDue(now: .seconds(10))
        #expect(due.delivered.all.map(\.id) == [batch.id])
        #expect(batch.slots[1].status == .expired && batch.slots[2].status == .expired)
        #expect(batch.slots[running.index].status == .started)
        #expect(harness.state.queuedJobs == 0)
        let last = harness.turn(0, completing: Harness.done(running), at: .seconds(11))
        #expect(last.job == nil)
        #expect(batch.isComplete && batch.succeeded == 1 && batch.failed == 2)
        #expect(last.actions.delivered.all.map(\.id) == [batch.id])
        #expect(last.actions.noRunningJobs && last.actions.noWorkers && last.actions.retiredWorker == 0)
    }

    @Test("ttl: a job taken after its batch's ttl is expired instead of started")
    func ttlAtTake() throws {
        var harness = Harness()
        let batch = try harness.batch(["r1"], .pinned, options: BatchOptions(ttl: .seconds(5)))
        harness.submit(batch)
        let turn = harness.turn(0, at: .seconds(6))
        #expect(turn.job == nil)
        #expect(batch.slots[0].status == .expired)
        #expect(turn.actions.delivered.all.map(\.id) == [batch.id])
        #expect(harness.state.devices.isEmpty, "a device with nothing left is forgotten")
    }

    @Test("cancel: a queued job is final at once; a running one stops its worker, which then retires")
    func cancelQueuedAndRunning() throws {
        var harness = Harness(limits: SchedulerFixture.limits(lanes: 1))
        let batch = try harness.batch(["r1", "r2"], .roundRobin)
        harness.submit(batch)
        let running = try #require(harness.turn(7).job)
        let queued = harness.state.cancel(batch, 1, reason: .cancelled("the job was cancelled"), now: .seconds(1))
        #expect(queued.cancelled && queued.actions.stopWorkers.isEmpty)
        #expect(queued.actions.delivered.all.map(\.id) == [batch.id])
        #expect(batch.slots[1].status == .cancelled)
        #expect(!harness.state.cancel(batch, 1, reason: .cancelled("again"), now: .seconds(1)).cancelled)
        let stop = harness.state.cancel(batch, running.index, reason: .cancelled("stop"), now: .seconds(1))
        #expect(stop.cancelled && stop.actions.stopWorkers == [7])
        #expect(stop.actions.delivered.isEmpty, "a running job gets its result when its worker reports")
        #expect(!harness.state.cancel(batch, running.index, reason: .cancelled("again"), now: .seconds(1)).cancelled)
        let end = harness.turn(7, completing: Harness.done(running), at: .seconds(2))
        #expect(end.job == nil && end.actions.retiredWorker == 7)
        #expect(batch.slots[0].status == .cancelled, "stopped: never reported successful")
        #expect(batch.slots[0].result?.output == "out r1")
        #expect(batch.isComplete)
    }

    @Test("execution timeout: the deadline stops the job's worker; the job fails with a timeout")
    func executionTimeout() throws {
        var harness = Harness()
        let batch = try harness.batch(["r1"], .roundRobin, options: BatchOptions(executionTimeout: .seconds(3)))
        harness.submit(batch)
        let running = try #require(harness.turn(0, at: .seconds(1)).job)
        #expect(harness.state.deadlinesDue(now: .seconds(3)).stopWorkers.isEmpty)
        #expect(harness.state.deadlinesDue(now: .seconds(4)).stopWorkers == [0])
        _ = harness.turn(0, completing: Harness.done(running, success: false), at: .seconds(5))
        #expect(batch.slots[0].result?.error?.kind == .timeout)
    }

    @Test("exactly once: every device of many batches gets one result, whatever the interleaving")
    func exactlyOnce() throws {
        var harness = Harness(limits: SchedulerFixture.limits(open: 5, handshakes: 3, pinned: 3, lanes: 4))
        var generator = SplitMix64(seed: 42)  // a failing interleaving replays
        var batches: [BatchRecord] = []
        for number in 0..<6 {
            let strategy: QueueStrategy = number % 2 == 0 ? .roundRobin : .pinned
            let hosts = (0..<(3 + number)).map { "h\(($0 + number) % 9)" }
            let batch = try harness.batch(hosts, strategy, options: BatchOptions(ttl: .seconds(40)))
            batches.append(batch)
            harness.submit(batch)
        }
        var delivered: [String: Int] = [:]
        var running: [Int: Assignment] = [:]
        var now = Duration.zero
        var steps = 0
        func note(_ actions: SchedulerActions) { actions.delivered.forEach { delivered[$0.id, default: 0] += 1 } }
        while batches.contains(where: { !$0.isComplete }) && steps < 10_000 {
            steps += 1
            now += .milliseconds(100)
            switch generator.next() % 10 {
            case 0:
                // Cancel some job, queued or running.
                let batch = batches[Int(generator.next() % UInt64(batches.count))]
                let index = Int(generator.next() % UInt64(batch.total))
                note(harness.state.cancel(batch, index, reason: .cancelled("random"), now: now).actions)
            case 1:
                let due = harness.state.deadlinesDue(now: now)
                note(due)
                // The closer reports idle sessions closed.
                if !due.closeSessions.isEmpty { note(harness.state.sessionsClosed(due.closeSessions.count)) }
            default:
                // A worker reports (or a new one starts) and takes the next job.
                let worker: Int
                var done: Completion?
                if !running.isEmpty, generator.next() % 3 != 0 {
                    worker = running.keys.sorted()[Int(generator.next() % UInt64(running.count))]
                    let job = running.removeValue(forKey: worker)!
                    let keep: (any DriverSession)? = job.kind.isRoundRobin ? nil : StubSession(job.spec.target.host)
                    done = Harness.done(job, success: generator.next() % 4 != 0, keeping: keep)
                } else {
                    worker = harness.state.nextWorkerID
                    harness.state.nextWorkerID += 1
                }
                let turn = harness.turn(worker, completing: done, at: now)
                note(turn.actions)
                if let job = turn.job { running[worker] = job }
                // The handshake permit is returned when the connect is over (here: at once).
                if turn.job?.holdsHandshake == true, harness.state.handshakes.release() {
                    _ = harness.state.handshakeReleased()
                }
            }
            #expect(harness.state.runningJobs == running.count)
        }
        #expect(steps < 10_000, "every batch completes")
        for batch in batches {
            #expect(batch.isComplete)
            #expect(batch.order.sorted() == Array(0..<batch.total), "each device once, in \(batch.id)")
            #expect(batch.succeeded + batch.failed == batch.total)
            #expect(batch.slots.allSatisfy { $0.status.isFinal && $0.result != nil && $0.spec == nil })
            #expect((delivered[batch.id] ?? 0) >= 1, "\(batch.id)'s streams were woken")
        }
        #expect(harness.state.queuedJobs == 0 && harness.state.runningJobs == 0)
    }

    @Test("result_ttl: results are purged in the order they became final, then the batch is forgotten")
    func resultTTLPurge() throws {
        var harness = Harness()
        let batch = try harness.batch(["r1", "r2"], .roundRobin, resultTTL: .seconds(5))
        harness.submit(batch)
        let one = try #require(harness.turn(0).job)
        let two = try #require(harness.turn(1).job)
        _ = harness.turn(0, completing: Harness.done(one), at: .seconds(1))
        _ = harness.turn(1, completing: Harness.done(two), at: .seconds(3))
        _ = harness.state.deadlinesDue(now: .seconds(5))
        #expect(batch.info(one.index) != nil, "not due before 6 s")
        _ = harness.state.deadlinesDue(now: .seconds(6))
        #expect(batch.info(one.index) == nil && batch.info(two.index) != nil)
        #expect(harness.state.batches[batch.id] != nil)
        _ = harness.state.deadlinesDue(now: .seconds(8))
        #expect(batch.info(two.index) == nil)
        #expect(harness.state.batches[batch.id] == nil, "every result purged: the batch is forgotten")
        #expect(harness.state.deadlines.count == 0)
    }

    @Test("idle timeout: the session is handed out to be closed; its permits return when it is closed")
    func idleClose() throws {
        var harness = Harness(limits: SchedulerFixture.limits(idle: .seconds(30)))
        harness.submit(try harness.batch(["r1"], .pinned))
        let job = try #require(harness.turn(0).job)
        let session = StubSession("r1")
        _ = harness.turn(0, completing: Harness.done(job, keeping: session), at: .seconds(1))
        #expect(harness.state.deadlinesDue(now: .seconds(30)).closeSessions.isEmpty)
        let due = harness.state.deadlinesDue(now: .seconds(31))
        #expect(due.closeSessions.count == 1 && due.closeSessions.first === session)
        #expect(harness.state.closesInFlight == 1 && harness.state.openConnections == 1)
        #expect(harness.state.devices.isEmpty)
        let closed = harness.state.sessionsClosed(1)
        #expect(closed.noPendingCloses)
        #expect(harness.state.openConnections == 0 && harness.state.pinnedSessions == 0)
    }

    @Test("submit: past the queued-jobs bound a batch is refused and nothing is queued")
    func overloaded() throws {
        var limits = SchedulerFixture.limits()
        limits.maxQueuedJobs = 3
        var harness = Harness(limits: limits)
        harness.submit(try harness.batch(["r1", "r2"], .roundRobin))
        let refused = harness.state.submit(try harness.batch(["r3", "r4"], .roundRobin), now: .zero)
        guard case .overloaded(let queued) = refused else {
            Issue.record("accepted past the bound")
            return
        }
        #expect(queued == 2)
        #expect(harness.state.queuedJobs == 2 && harness.state.batches.count == 1)
    }

    @Test("shutdown: queued jobs are cancelled, then running workers stopped, then idle sessions closed")
    func shutdown() throws {
        var harness = Harness(limits: SchedulerFixture.limits(lanes: 1))
        let pinned = try harness.batch(["p1"], .pinned)
        harness.submit(pinned)
        let pinnedJob = try #require(harness.turn(0).job)
        _ = harness.turn(0, completing: Harness.done(pinnedJob, keeping: StubSession("p1")), at: .seconds(1))
        let batch = try harness.batch(["r1", "r2"], .roundRobin)
        harness.submit(batch)
        let running = try #require(harness.turn(1).job)
        let begin = harness.state.beginShutdown(now: .seconds(2))
        #expect(begin.first)
        #expect(begin.actions.delivered.all.map(\.id) == [batch.id])
        #expect(begin.actions.startWorkers.isEmpty && !begin.actions.noRunningJobs)
        #expect(batch.slots[1].status == .cancelled)
        #expect(!harness.state.beginShutdown(now: .seconds(2)).first)
        #expect(harness.turn(9).job == nil, "no job starts after shutdown began")
        let stop = harness.state.stopRunningJobs()
        #expect(stop.stopWorkers == [1])
        let last = harness.turn(1, completing: Harness.done(running, success: false), at: .seconds(3))
        #expect(last.actions.noWorkers && last.actions.noRunningJobs)
        #expect(batch.slots[running.index].result?.error?.kind == .cancelled)
        let close = harness.state.closeIdleSessions()
        #expect(close.closeSessions.count == 1 && close.wakeTimer && !close.noPendingCloses)
        #expect(harness.state.timerPlan(resolution: .zero) == nil, "the timer stops")
        #expect(harness.state.sessionsClosed(1).noPendingCloses)
        #expect(harness.state.openConnections == 0)
    }
}

extension Assignment.Kind {
    fileprivate var isRoundRobin: Bool {
        if case .roundRobin = self { return true }
        return false
    }
}
