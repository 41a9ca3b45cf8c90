import NetPulse
import NetPulseTesting
import Testing

@Suite("Scheduler: limits and fairness", .timeLimit(.minutes(1)))
struct SchedulerLimitsTests {
    @Test("the caps on open connections, handshakes and lanes are never exceeded")
    func capsNeverExceeded() async throws {
        let driver = InMemoryDriver(
            fallback: ScriptedDevice(connectLatency: .milliseconds(1), commandLatency: .milliseconds(1)))
        let limits = SchedulerFixture.limits(open: 10, handshakes: 3, pinned: 6, lanes: 8)
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits)) { scheduler in
            let roundRobin = SchedulerFixture.request(hosts: SchedulerFixture.hosts(150, prefix: "rr"), strategy: .roundRobin)
            let pinned = SchedulerFixture.request(hosts: SchedulerFixture.hosts(40, prefix: "p"), strategy: .pinned)
            let pinnedAgain = SchedulerFixture.request(hosts: SchedulerFixture.hosts(40, prefix: "p"), strategy: .pinned)
            let handles = try [roundRobin, pinned, pinnedAgain].map { request in
                (try scheduler.submit(request), request)
            }
            for (handle, request) in handles {
                let result = await collectChecked(handle, request)
                #expect(result.success)
            }
            #expect(scheduler.stats.openConnections <= 6, "only idle pinned sessions remain")
            // 40 pinned devices, room for 6 sessions: at least 34 were evicted (closed) on the way.
            #expect(driver.stats.totalCloses >= 150 + 34)
        }
        let stats = driver.stats
        #expect(stats.peakOpenSessions <= 10)
        #expect(stats.peakConnectsInProgress <= 3)
        #expect(stats.peakRunningExecutions <= 10)
        #expect(stats.overlappingExecutions == 0)
        // The caps were actually reached, so the bounds above were tested.
        #expect(stats.peakConnectsInProgress == 3)
        #expect(stats.peakOpenSessions >= 6)
        #expect(stats.totalConnects >= 150 + 40)
        #expect(stats.openSessions == 0)
    }

    @Test("a small batch submitted after a large one is served in turn, not after it")
    func fairness() async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(commandLatency: .milliseconds(1)))
        let limits = SchedulerFixture.limits(lanes: 2)
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits)) { scheduler in
            let large = SchedulerFixture.request(hosts: SchedulerFixture.hosts(300, prefix: "big"), strategy: .roundRobin)
            let small = SchedulerFixture.request(hosts: SchedulerFixture.hosts(5, prefix: "small"), strategy: .roundRobin)
            let largeHandle = try scheduler.submit(large)
            var stream = largeHandle.results.makeAsyncIterator()
            _ = await stream.next()
            let submitted = ContinuousClock.now
            let smallResult = try await runChecked(scheduler, small)
            #expect(smallResult.success)
            await collectChecked(largeHandle, large)
            // Served in turn on 2 lanes: about one large job per small job while the small batch ran.
            let (before, meanwhile) = largeJobsStarted(after: submitted, stats: driver.stats)
            #expect(before <= 20, "large batch started \(before) jobs before the small one's first")
            #expect(meanwhile <= 5 + 2 + 2, "large batch started \(meanwhile) jobs while the small one ran")
        }
    }

    @Test("fairness holds for pinned batches too")
    func pinnedFairness() async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(commandLatency: .milliseconds(1)))
        let limits = SchedulerFixture.limits(pinned: 2)
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits)) { scheduler in
            let large = SchedulerFixture.request(hosts: SchedulerFixture.hosts(200, prefix: "big"), strategy: .pinned)
            let small = SchedulerFixture.request(hosts: SchedulerFixture.hosts(5, prefix: "small"), strategy: .pinned)
            let largeHandle = try scheduler.submit(large)
            var stream = largeHandle.results.makeAsyncIterator()
            _ = await stream.next()
            let submitted = ContinuousClock.now
            try await runChecked(scheduler, small)
            await collectChecked(largeHandle, large)
            let (before, meanwhile) = largeJobsStarted(after: submitted, stats: driver.stats)
            #expect(before <= 20, "large batch started \(before) jobs before the small one's first")
            #expect(meanwhile <= 5 + 2 + 2, "large batch started \(meanwhile) jobs while the small one ran")
        }
    }

    /// Executions of `big*` hosts that started after the small batch was submitted and before its first
    /// execution started (a few, at most, allowing for the test task's own scheduling), and between the
    /// first start and the last end of the `small*` ones (from the driver's records).
    func largeJobsStarted(
        after submitted: ContinuousClock.Instant, stats: InMemoryDriver.Stats
    ) -> (before: Int, meanwhile: Int) {
        let small = stats.executions.filter { $0.device.host.hasPrefix("small") }
        guard let first = small.map(\.start).min(), let last = small.map(\.end).max() else { return (.max, .max) }
        let large = stats.executions.filter { $0.device.host.hasPrefix("big") }
        return (
            large.count { $0.start > submitted && $0.start < first },
            large.count { $0.start > first && $0.start < last }
        )
    }

    @Test("invalid limits are refused with the setting's name")
    func invalidLimits() async {
        let driver = InMemoryDriver()
        var limits = SchedulerFixture.limits(open: 4, handshakes: 8)
        await #expect(
            throws: ConfigurationError(
                field: "limits.max_connects_in_progress",
                reason: "must not exceed max_open_connections (4), got 8")
        ) {
            try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits)) { _ in }
        }
        limits = SchedulerFixture.limits(lanes: 0)
        let error = await #expect(throws: ConfigurationError.self) {
            try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits)) { _ in }
        }
        #expect(error?.field == "limits.round_robin_lanes")
    }
}
