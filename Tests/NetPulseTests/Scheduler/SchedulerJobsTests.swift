import NetPulse
import NetPulseTesting
import Testing

/// Memory-only: what the in-memory scheduler alone has (deadlines to the instant on a manual clock, `BatchHandle`, shutdown of the process that runs the jobs). The behaviour a user sees through
/// `BatchStore` runs on both stores in Tests/NetPulsePostgresTests/SchedulerSuite.
@Suite("Scheduler: jobs, TTLs, cancel, shutdown", .timeLimit(.minutes(1)))
struct SchedulerJobsTests {
    @Test("queued jobs not started within their ttl expire unstarted (pinned and round-robin)")
    func ttlExpiry() async throws {
        let driver = InMemoryDriver(devices: ["stuck": ScriptedDevice(fault: .hangOnCommand)])
        let clock = ManualSchedulerClock()
        let limits = SchedulerFixture.limits(lanes: 1)
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits, clock: clock)) {
            scheduler in
            // Pinned: a job stuck on the device holds its queue.
            let blockerRequest = SchedulerFixture.request(hosts: ["stuck"], strategy: .pinned)
            let blocker = try scheduler.submit(blockerRequest)
            // Round-robin: the only lane is held by a stuck job.
            let laneBlockerRequest = SchedulerFixture.request(hosts: ["stuck"], strategy: .roundRobin)
            let laneBlocker = try scheduler.submit(laneBlockerRequest)
            try await waitForDriver(driver, "both stuck jobs running") { $0.runningExecutions == 2 }

            let options = BatchOptions(ttl: .seconds(5))
            let pinnedRequest = SchedulerFixture.request(hosts: ["stuck"], strategy: .pinned, options: options)
            let roundRobinRequest = SchedulerFixture.request(
                hosts: ["a", "b", "c"], strategy: .roundRobin, options: options)
            let pinned = try scheduler.submit(pinnedRequest)
            let roundRobin = try scheduler.submit(roundRobinRequest)
            #expect(scheduler.job(id: pinned.jobIDs[0])?.status == .queued)
            clock.advance(by: .seconds(4))
            #expect(pinned.progress.queued == 1, "not expired before its ttl")
            clock.advance(by: .seconds(2))
            let pinnedResult = await collectChecked(pinned, pinnedRequest)
            let roundRobinResult = await collectChecked(roundRobin, roundRobinRequest)
            for result in pinnedResult.results + roundRobinResult.results {
                #expect(result.error?.kind == .expired)
                #expect(result.startedAt == nil, "never started")
            }
            #expect(scheduler.job(id: pinned.jobIDs[0])?.status == .expired)
            #expect(scheduler.jobs(status: .expired).count == 4)
            #expect(driver.stats.totalConnects == 2, "expired jobs never connected")
            blocker.cancel()
            laneBlocker.cancel()
            #expect(await collectChecked(blocker, blockerRequest).results[0].error?.kind == .cancelled)
            #expect(await collectChecked(laneBlocker, laneBlockerRequest).results[0].error?.kind == .cancelled)
        }
        #expect(driver.stats.openSessions == 0)
    }

    @Test("a job running past its execution_timeout is stopped, failed with timeout, its session closed")
    func executionTimeout() async throws {
        let driver = InMemoryDriver(devices: ["slow": ScriptedDevice(fault: .hangOnCommand)])
        let clock = ManualSchedulerClock()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, clock: clock)) { scheduler in
            let request = SchedulerFixture.request(
                hosts: ["slow", "fast"], strategy: .pinned, options: BatchOptions(executionTimeout: .seconds(30)))
            let handle = try scheduler.submit(request)
            try await waitForDriver(driver, "the hanging job") { $0.runningExecutions == 1 && $0.executions.count == 1 }
            clock.advance(by: .seconds(31))
            let result = await collectChecked(handle, request)
            #expect(result.results[0].error?.kind == .timeout)
            #expect(result.results[1].success)
            #expect(scheduler.job(id: handle.jobIDs[0])?.status == .failed)
            let slow = DeviceKey(host: "slow", port: 22, username: "admin")
            #expect(driver.stats.closes[slow] == 1, "the timed-out job's session was closed")
            // The device's next job gets a fresh session.
            driver.setDevice(ScriptedDevice(), for: "slow")
            let next = try await runChecked(scheduler, SchedulerFixture.request(hosts: ["slow"], strategy: .pinned))
            #expect(next.success)
            #expect(driver.stats.connects[slow] == 2)
        }
    }

    @Test("a connect that hangs is stopped by the execution timeout too (round-robin)")
    func connectTimeout() async throws {
        let driver = InMemoryDriver(devices: ["mute": ScriptedDevice(fault: .hangOnConnect)])
        let clock = ManualSchedulerClock()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, clock: clock)) { scheduler in
            let request = SchedulerFixture.request(
                hosts: ["mute"], strategy: .roundRobin, options: BatchOptions(executionTimeout: .seconds(10)))
            let handle = try scheduler.submit(request)
            try await waitForDriver(driver, "the hanging connect") { $0.connectsInProgress == 1 }
            clock.advance(by: .seconds(11))
            let result = await collectChecked(handle, request)
            #expect(result.results[0].error?.kind == .timeout)
            #expect(scheduler.stats.openConnections == 0)
        }
    }

    @Test("results stay queryable for result_ttl, then are purged")
    func resultPurge() async throws {
        let driver = InMemoryDriver()
        let clock = ManualSchedulerClock()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, clock: clock)) { scheduler in
            let shortRequest = SchedulerFixture.request(
                hosts: ["r1", "r2"], strategy: .roundRobin, options: BatchOptions(resultTTL: .seconds(10)))
            let longRequest = SchedulerFixture.request(
                hosts: ["r1"], strategy: .roundRobin, options: BatchOptions(resultTTL: .seconds(100)))
            let short = try scheduler.submit(shortRequest)
            let long = try scheduler.submit(longRequest)
            await collectChecked(short, shortRequest)
            await collectChecked(long, longRequest)
            #expect(scheduler.job(id: short.jobIDs[0])?.status == .finished)
            #expect(scheduler.jobs(batchID: short.batchID)?.count == 2)
            clock.advance(by: .seconds(9))
            #expect(scheduler.job(id: short.jobIDs[1]) != nil)
            clock.advance(by: .seconds(2))
            try await withDeadline(.seconds(10), "the purge") { await clock.waitForSleeper(after: .seconds(11)) }
            #expect(scheduler.job(id: short.jobIDs[0]) == nil)
            #expect(scheduler.jobs(batchID: short.batchID) == nil)
            #expect(scheduler.batch(id: short.batchID) == nil)
            #expect(scheduler.job(id: long.jobIDs[0])?.status == .finished, "a longer result_ttl is kept")
            // A handle kept by the caller still has its result.
            await collectChecked(short, shortRequest)
            // A later batch keeps a deadline pending, so the timer goes back to sleep after the purge.
            let laterRequest = SchedulerFixture.request(
                hosts: ["r3"], strategy: .roundRobin, options: BatchOptions(resultTTL: .seconds(1000)))
            let later = try scheduler.submit(laterRequest)
            await collectChecked(later, laterRequest)
            clock.advance(by: .seconds(100))
            try await withDeadline(.seconds(10), "the second purge") {
                await clock.waitForSleeper(after: .seconds(111))
            }
            #expect(scheduler.job(id: long.jobIDs[0]) == nil)
            #expect(scheduler.job(id: later.jobIDs[0])?.status == .finished)
            #expect(scheduler.stats.batches == 1)
        }
    }

    @Test("cancel one queued job and one running job")
    func cancelJobs() async throws {
        let driver = InMemoryDriver(devices: ["stuck": ScriptedDevice(fault: .hangOnCommand)])
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in
            let first = SchedulerFixture.request(hosts: ["stuck"], strategy: .pinned)
            let running = try scheduler.submit(first)
            try await waitForDriver(driver, "the stuck job") { $0.runningExecutions == 1 }
            let second = SchedulerFixture.request(hosts: ["stuck", "ok"], strategy: .pinned)
            let queued = try scheduler.submit(second)
            #expect(scheduler.job(id: queued.jobIDs[0])?.status == .queued)
            #expect(queued.cancel(jobID: queued.jobIDs[0]))
            #expect(!queued.cancel(jobID: queued.jobIDs[0]), "already final")
            #expect(!queued.cancel(jobID: running.jobIDs[0]), "not a job of this batch")
            let queuedResult = await collectChecked(queued, second)
            #expect(queuedResult.results[0].error?.kind == .cancelled)
            #expect(queuedResult.results[1].success)
            // Now the running one.
            #expect(scheduler.job(id: running.jobIDs[0])?.status == .started)
            #expect(scheduler.cancel(jobID: running.jobIDs[0]))
            let runningResult = await collectChecked(running, first)
            #expect(runningResult.results[0].error?.kind == .cancelled)
            #expect(runningResult.results[0].startedAt != nil)
            #expect(scheduler.job(id: running.jobIDs[0])?.status == .cancelled)
            #expect(!scheduler.cancel(jobID: "no-such-job.0"))
            let stuck = DeviceKey(host: "stuck", port: 22, username: "admin")
            #expect(driver.stats.closes[stuck] == 1, "a stopped job's session is closed")
        }
    }

    @Test("shutdown with jobs in flight: running jobs finish within the grace period, the rest are cancelled")
    func shutdownInFlight() async throws {
        let driver = InMemoryDriver(
            devices: [
                "stuck": ScriptedDevice(fault: .hangOnCommand),
                "slow": ScriptedDevice(),
            ])
        // "slow" answers only once shutdown has begun (its queued neighbours are cancelled), so the
        // next job of its queue cannot start first however loaded the machine is.
        driver.hold(host: "slow")
        let limits = SchedulerFixture.limits(pinned: 2, lanes: 1, grace: .seconds(2))
        let pinnedRequest = SchedulerFixture.request(
            hosts: ["stuck", "slow"] + SchedulerFixture.hosts(5), strategy: .pinned)
        let roundRobinRequest = SchedulerFixture.request(
            hosts: SchedulerFixture.hosts(5, prefix: "q"), strategy: .roundRobin)
        let idleRequest = SchedulerFixture.request(hosts: ["idle"], strategy: .pinned)
        let (pinned, roundRobin) = try await withScheduler(
            configuration: SchedulerFixture.configuration(driver, limits: limits)
        ) {
            scheduler in
            try await runChecked(scheduler, idleRequest)  // leaves an idle pinned session open
            let pinned = try scheduler.submit(pinnedRequest)
            driver.setDevice(ScriptedDevice(fault: .hangOnCommand), for: "q0")
            let roundRobin = try scheduler.submit(roundRobinRequest)
            try await waitForDriver(driver, "three jobs running") { $0.runningExecutions == 3 }
            Task {
                var cancelled = 0
                for await result in pinned.results where result.error?.kind == .cancelled && result.startedAt == nil {
                    cancelled += 1
                    if cancelled == 5 { break }
                }
                driver.release(host: "slow")
            }
            return (pinned, roundRobin)
        }
        // Everything is final once withScheduler returned.
        #expect(pinned.progress.isComplete)
        #expect(roundRobin.progress.isComplete)
        let pinnedResult = await collectChecked(pinned, pinnedRequest)
        let roundRobinResult = await collectChecked(roundRobin, roundRobinRequest)
        #expect(pinnedResult.results[0].error?.kind == .cancelled, "stuck past the grace period")
        #expect(pinnedResult.results[0].startedAt != nil)
        #expect(pinnedResult.results[1].success, "slow but within the grace period")
        #expect(pinnedResult.results[2...].allSatisfy { $0.error?.kind == .cancelled && $0.startedAt == nil })
        #expect(roundRobinResult.results[0].error?.kind == .cancelled)
        #expect(roundRobinResult.results[1...].allSatisfy { $0.error?.kind == .cancelled })
        let stats = driver.stats
        #expect(stats.openSessions == 0, "every session closed")
        #expect(stats.totalCloses == stats.totalConnects)
    }

    @Test("a batch submitted after shutdown is reported cancelled, device by device")
    func submitAfterShutdown() async throws {
        let driver = InMemoryDriver()
        var kept: Scheduler?
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in kept = scheduler }
        let request = SchedulerFixture.request(hosts: SchedulerFixture.hosts(3), strategy: .roundRobin)
        let result = try await runChecked(try #require(kept), request)
        #expect(result.results.allSatisfy { $0.error?.kind == .cancelled })
        #expect(driver.stats.totalConnects == 0)
    }

}
