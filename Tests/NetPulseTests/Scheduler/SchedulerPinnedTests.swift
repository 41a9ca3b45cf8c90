import NetPulse
import NetPulseTesting
import Testing

@Suite("Scheduler: pinned queues", .timeLimit(.minutes(1)))
struct SchedulerPinnedTests {
    @Test("jobs of one device run in submission order, never two at once, on one session")
    func orderAndNoOverlap() async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(commandLatency: .milliseconds(1)))
        let hosts = SchedulerFixture.hosts(4)
        let batches = 6
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in
            // Several batches on the same devices, submitted back to back, all queued at once.
            var handles: [(BatchHandle, BatchRequest)] = []
            for batch in 0..<batches {
                let request = SchedulerFixture.request(
                    hosts: hosts, strategy: .pinned,
                    operations: hosts.map { .commands(["b\(batch) \($0) first", "b\(batch) \($0) second"]) })
                handles.append((try scheduler.submit(request), request))
            }
            for (handle, request) in handles {
                let result = await collectChecked(handle, request)
                #expect(result.success)
            }
            // Later batches reused the session the first batch opened.
            for (batch, (handle, _)) in handles.enumerated() {
                let result = await handle.result()
                #expect(result.results.allSatisfy { $0.sessionReused == (batch > 0) })
            }
        }
        let stats = driver.stats
        #expect(stats.overlappingExecutions == 0)
        for host in hosts {
            let records = stats.executions(host: host)
            #expect(records.map { $0.operation.lines[0] } == (0..<batches).map { "b\($0) \(host) first" })
            for (earlier, later) in zip(records, records.dropFirst()) {
                #expect(earlier.end <= later.start, "executions on \(host) overlap")
            }
            #expect(Set(records.map(\.sessionID)).count == 1, "one session per device")
            let key = DeviceKey(host: host, port: 22, username: "admin")
            #expect(stats.connects[key] == 1, "one connect for \(batches) jobs on \(host)")
            #expect(stats.closes[key] == 1, "closed once, at shutdown")
        }
        #expect(stats.openSessions == 0)
    }

    @Test("a session that died while idle is replaced: the job is retried once on a fresh session")
    func deadSessionRetried() async throws {
        let driver = InMemoryDriver()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in
            let request = SchedulerFixture.request(hosts: ["r1"], strategy: .pinned)
            try await runChecked(scheduler, request)
            driver.killSessions(host: "r1")
            let result = try await runChecked(scheduler, request)
            #expect(result.success)
            #expect(result.results[0].sessionReused == false, "ran on the fresh session")
            // The job found the session dead (session_unavailable), then ran again on a new one.
            #expect(driver.stats.executions(host: "r1").count == 3)
            #expect(driver.stats.totalConnects == 2)
            #expect(driver.stats.totalCloses == 1, "the dead session was closed")
            // The replacement is kept and reused.
            let third = try await runChecked(scheduler, request)
            #expect(third.results[0].sessionReused)
            #expect(driver.stats.totalConnects == 2)
        }
    }

    @Test("a session idle past the liveness interval is checked before reuse and replaced when dead")
    func livenessCheckBeforeReuse() async throws {
        let driver = InMemoryDriver()
        let clock = ManualSchedulerClock()
        let limits = SchedulerFixture.limits(liveness: .seconds(10))
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits, clock: clock)) {
            scheduler in
            let request = SchedulerFixture.request(hosts: ["r1"], strategy: .pinned)
            try await runChecked(scheduler, request)
            driver.killSessions(host: "r1")
            clock.advance(by: .seconds(11))
            let result = try await runChecked(scheduler, request)
            #expect(result.success)
            // Found dead by the check: no execution was attempted on it.
            #expect(driver.stats.executions(host: "r1").count == 2)
            #expect(driver.stats.totalConnects == 2)
        }
    }

    @Test("a second session_unavailable on the fresh session is reported, not retried again")
    func retryOnlyOnce() async throws {
        let driver = InMemoryDriver()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in
            let request = SchedulerFixture.request(hosts: ["r1"], strategy: .pinned)
            try await runChecked(scheduler, request)
            // Refuse new connections: the retry cannot get a fresh session.
            driver.setDevice(ScriptedDevice(fault: .refuse), for: "r1")
            driver.killSessions(host: "r1")
            let result = try await runChecked(scheduler, request)
            #expect(result.results[0].error?.kind == .connectionRefused)
            #expect(driver.stats.totalConnects == 2)
        }
    }

    @Test("an idle session is closed after the idle timeout, not before")
    func idleClose() async throws {
        let driver = InMemoryDriver()
        let clock = ManualSchedulerClock()
        let limits = SchedulerFixture.limits(idle: .seconds(60))
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits, clock: clock)) {
            scheduler in
            let request = SchedulerFixture.request(hosts: SchedulerFixture.hosts(3), strategy: .pinned)
            try await runChecked(scheduler, request)
            #expect(driver.stats.openSessions == 3)
            clock.advance(by: .seconds(30))
            // Still open at 30 s: the next batch reuses the sessions.
            let again = try await runChecked(scheduler, request)
            #expect(again.results.allSatisfy { $0.sessionReused })
            #expect(driver.stats.totalConnects == 3)
            // 61 s after that last use, all three are closed.
            clock.advance(by: .seconds(61))
            try await withDeadline(.seconds(10), "idle closes") { await clock.waitForSleeper(after: .seconds(91)) }
            #expect(driver.stats.totalCloses == 3)
            #expect(driver.stats.openSessions == 0)
            #expect(scheduler.stats.openConnections == 0)
            #expect(scheduler.stats.pinnedSessions == 0)
            // The next job connects again.
            try await runChecked(scheduler, request)
            #expect(driver.stats.totalConnects == 6)
        }
    }

    @Test("at the cap on pinned sessions, the least recently used idle session is evicted")
    func lruEviction() async throws {
        let driver = InMemoryDriver()
        let limits = SchedulerFixture.limits(pinned: 2)
        try await withScheduler(configuration: SchedulerFixture.configuration(driver, limits: limits)) { scheduler in
            func run(_ host: String) async throws {
                let result = try await runChecked(scheduler, SchedulerFixture.request(hosts: [host], strategy: .pinned))
                #expect(result.success)
            }
            try await run("r0")
            try await run("r1")
            try await run("r0")  // r1 is now the least recently used
            try await run("r2")  // evicts r1
            let key = { (host: String) in DeviceKey(host: host, port: 22, username: "admin") }
            var stats = driver.stats
            #expect(stats.closes[key("r1")] == 1)
            #expect(stats.closes[key("r0")] == nil)
            #expect(stats.peakOpenSessions == 2)
            try await run("r0")  // still open: reused
            stats = driver.stats
            #expect(stats.connects[key("r0")] == 1)
            #expect(scheduler.stats.pinnedSessions == 2)
        }
        #expect(driver.stats.openSessions == 0)
    }

    @Test("a pinned session is reused only by jobs of the same driver and platform")
    func sessionIdentity() async throws {
        let first = InMemoryDriver()
        let second = InMemoryDriver()
        var drivers = SchedulerFixture.drivers(first)
        drivers.register(second, as: "other")
        let configuration = SchedulerConfiguration(drivers: drivers, logger: SchedulerFixture.logger)
        try await withScheduler(configuration: configuration) { scheduler in
            let request = SchedulerFixture.request(hosts: ["r1"], strategy: .pinned)
            try await runChecked(scheduler, request)
            var viaOther = request
            viaOther.driver = "other"
            let result = try await runChecked(scheduler, viaOther)
            #expect(result.success)
            #expect(!result.results[0].sessionReused)
            #expect(first.stats.totalCloses == 1, "the first driver's session was replaced")
            #expect(second.stats.totalConnects == 1)
            var otherPlatform = viaOther
            otherPlatform.connectionArgs.deviceType = "arista_eos"
            try await runChecked(scheduler, otherPlatform)
            #expect(second.stats.totalConnects == 2, "a session for another platform is not reused")
            try await runChecked(scheduler, otherPlatform)
            #expect(second.stats.totalConnects == 2)
            #expect(scheduler.stats.pinnedSessions == 1)
        }
        #expect(first.stats.openSessions == 0)
        #expect(second.stats.openSessions == 0)
    }

    @Test("a round-robin job opens a fresh connection and closes it")
    func roundRobinFreshConnections() async throws {
        let driver = InMemoryDriver()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in
            let request = SchedulerFixture.request(hosts: SchedulerFixture.hosts(20), strategy: .roundRobin)
            try await runChecked(scheduler, request)
            try await runChecked(scheduler, request)
            #expect(driver.stats.totalConnects == 40)
            #expect(driver.stats.totalCloses == 40)
            #expect(driver.stats.openSessions == 0)
            #expect(scheduler.stats.openConnections == 0)
        }
    }
}
