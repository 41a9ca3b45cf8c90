import Foundation
import Logging
import NetPulseTesting
import Synchronization
import Testing

@testable import NetPulse

/// What the in-memory scheduler holds and for how long (memory-only: its state machine, its records, its
/// timer): per-job cancel, purges that free, clamped targets, a timer that never waits for a device. The
/// queue cap, clamped options and paging run on both stores in Tests/NetPulsePostgresTests/SchedulerSuite.
@Suite("Scheduler: bounds, purge and per-job cancel", .timeLimit(.minutes(1)))
struct SchedulerBoundsTests {
    @Test("a cancel that lands after its job finished never hits the worker's next job; the job is not a success")
    func lateCancelRetiresTheWorker() throws {
        let limits = SchedulerFixture.limits(lanes: 1)
        var state = SchedulerState(
            limits: limits, logger: SchedulerFixture.logger, handshakes: HandshakeGate(limit: 4))
        let request = SchedulerFixture.request(hosts: ["r1", "r2"], strategy: .roundRobin)
        let batch = BatchRecord(
            id: "b", specs: try request.validated(), options: request.options, driver: InMemoryDriver(),
            driverName: "memory", resultTTL: .seconds(60), submittedAt: .zero, platforms: .builtin)
        state.enqueue(batch, now: .zero)
        state.workers.insert(0)
        let taken = state.workerTurn(worker: 0, completed: nil, mayContinue: true, now: .zero, wallNow: Date()).job
        #expect(taken?.index == 0)
        // Cancel job 0: the decision is taken now, the worker's task is cancelled a moment later...
        let cancel = state.cancel(batch, 0, reason: .cancelled("the job was cancelled"), now: .zero)
        #expect(cancel.cancelled)
        #expect(cancel.actions.stopWorkers == [0])
        // ...and meanwhile the device finished job 0: the worker reports it and must not take job 1.
        let done = Completion(
            batch: batch, index: 0,
            result: DeviceResult(hostname: "r1", index: 0, jobID: batch.jobIDs[0], success: true, output: "ok"),
            kind: .roundRobin, keptSession: nil)
        let next = state.workerTurn(worker: 0, completed: done, mayContinue: true, now: .seconds(1), wallNow: Date())
            .job
        #expect(next == nil ? true : false, "the worker whose job was stopped retires")
        #expect(batch.slots[0].status == .cancelled, "a cancelled job is never reported successful")
        #expect(batch.slots[0].result?.success == false)
        #expect(batch.slots[0].result?.output == "ok", "what the device did is still reported")
        #expect(batch.slots[1].status == .queued, "job 1 waits for a worker whose task is not doomed")
        // A fresh worker takes job 1.
        state.workers.insert(1)
        let fresh = state.workerTurn(worker: 1, completed: nil, mayContinue: true, now: .seconds(1), wallNow: Date())
            .job
        #expect(fresh?.index == 1)
    }

    @Test("purge frees: a batch with a day of ttl and long timeouts is released after its result_ttl")
    func purgeFrees() async throws {
        let driver = InMemoryDriver()
        let clock = ManualSchedulerClock()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, clock: clock)) { scheduler in
            weak var record: BatchRecord?
            do {
                let request = SchedulerFixture.request(
                    hosts: ["r1", "r2"], strategy: .pinned,
                    options: BatchOptions(
                        ttl: .seconds(86_400), executionTimeout: .seconds(1_000_000), resultTTL: .seconds(10)))
                let handle = try scheduler.submit(request)
                record = handle.batch
                await collectChecked(handle, request)
            }
            #expect(record != nil)
            // Nothing but the purge of this batch is left in the heap: no ttl, no execution timeout.
            #expect(scheduler.core.state.withLock { $0.deadlines.count } == 1 + 2, "one purge, two idle closes")
            clock.advance(by: .seconds(11))
            try await withDeadline(.seconds(10), "the purge") { await clock.waitForSleeper(after: .seconds(11)) }
            #expect(scheduler.stats.batches == 0)
            #expect(record == nil, "nothing keeps a purged batch alive")
        }
    }

    @Test("client numbers are clamped to the operator's bounds, and a job without execution_timeout gets one")
    func clamps() async throws {
        let driver = InMemoryDriver()
        var limits = SchedulerFixture.limits()
        limits.maxExecutionTimeout = .seconds(60)
        limits.maxResultTTL = .seconds(120)
        limits.maxDeviceTimeout = .seconds(30)
        limits.maxOutputBytes = 1_000
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits)) { scheduler in
            driver.hold(host: "r1")
            var request = SchedulerFixture.request(
                hosts: ["r1"], strategy: .roundRobin,
                options: BatchOptions(
                    executionTimeout: .seconds(1_000_000_000), resultTTL: .seconds(1_000_000_000),
                    maxOutputBytes: 1 << 40))
            request.connectionArgs.timeout = .seconds(1_000_000_000)
            let handle = try scheduler.submit(request)
            #expect(handle.options.executionTimeout == .seconds(60))
            #expect(handle.options.resultTTL == .seconds(120))
            #expect(handle.options.maxOutputBytes == 1_000)
            let target = try #require(scheduler.core.state.withLock { _ in handle.batch.slots[0].spec?.target })
            #expect(target.connectTimeout == .seconds(30))
            #expect(target.readTimeout == .seconds(30))
            let plain = try scheduler.submit(SchedulerFixture.request(hosts: ["r2"], strategy: .roundRobin))
            #expect(plain.options.executionTimeout == .seconds(60))
            #expect(plain.options.resultTTL == .seconds(120), "the default result_ttl (600 s) is clamped too")
            driver.release(host: "r1")
            _ = await handle.result()
            _ = await plain.result()
        }
    }

    @Test("a close that never ends does not hold up the timer: later deadlines still fire")
    func timerNeverWaitsForClose() async throws {
        let gate = CloseGate()
        let driver = SlowCloseDriver(inner: InMemoryDriver(), gate: gate, slowHost: "r1")
        let clock = ManualSchedulerClock()
        var registry = DriverRegistry()
        registry.register(driver, as: "memory")
        let configuration = SchedulerConfiguration(
            drivers: registry, limits: SchedulerFixture.limits(idle: .seconds(5)), clock: clock,
            logger: SchedulerFixture.logger)
        try await withScheduler(configuration: configuration) { scheduler in
            // Whatever happens, the hung close ends with the test (else shutdown would wait for it).
            defer { gate.open() }
            _ = try await scheduler.run(SchedulerFixture.request(hosts: ["r1"], strategy: .pinned))
            let short = try scheduler.submit(
                SchedulerFixture.request(
                    hosts: ["r2"], strategy: .roundRobin, options: BatchOptions(resultTTL: .seconds(10))))
            _ = await short.result()
            // The idle session's close starts at 5 s and hangs...
            clock.advance(by: .seconds(6))
            try await withDeadline(.seconds(10), "the idle close") { await gate.waitForClose() }
            // ...and the purge at 10 s happens all the same.
            clock.advance(by: .seconds(5))
            try await withDeadline(.seconds(10), "the purge while a close hangs") {
                await clock.waitForSleeper(after: .seconds(11))
            }
            #expect(scheduler.job(id: short.jobIDs[0]) == nil)
        }
        #expect(driver.inner.stats.openSessions == 0)
    }
}

/// Holds every `close()` until opened.
final class CloseGate: Sendable {
    private struct State {
        var open = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var started = 0
        var startWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for waiter in waiting { waiter.resume() }
    }

    func pass() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (now, started) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                state.started += 1
                defer { state.startWaiters.removeAll() }
                if !state.open { state.waiting.append(continuation) }
                return (state.open, state.startWaiters)
            }
            for waiter in started { waiter.resume() }
            if now { continuation.resume() }
        }
    }

    /// Returns once a close is waiting at the gate.
    func waitForClose() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.started > 0 { return true }
                state.startWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// The in-memory driver with sessions on one host whose `close()` waits at a gate.
struct SlowCloseDriver: Driver {
    let inner: InMemoryDriver
    let gate: CloseGate
    let slowHost: String

    func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
        let session = try await inner.connect(to: target, context: context)
        return Session(inner: session, gate: target.host == slowHost ? gate : nil)
    }

    final class Session: DriverSession {
        let inner: any DriverSession
        let gate: CloseGate?

        init(inner: any DriverSession, gate: CloseGate?) {
            self.inner = inner
            self.gate = gate
        }

        func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome { try await inner.execute(request) }
        func isAlive() async -> Bool { await inner.isAlive() }
        func close() async {
            await gate?.pass()
            await inner.close()
        }
    }
}
