import NetPulse
import NetPulseTesting
import Testing

/// Memory-only: what the in-memory scheduler alone has (liveness checks and idle closes on a manual clock, its cap on kept pinned sessions). The behaviour a user sees through
/// `BatchStore` runs on both stores in Tests/NetPulsePostgresTests/SchedulerSuite.
@Suite("Scheduler: pinned queues", .timeLimit(.minutes(1)))
struct SchedulerPinnedTests {
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

}
