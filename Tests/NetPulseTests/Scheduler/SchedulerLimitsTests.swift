import NetPulse
import NetPulseTesting
import Testing

/// Memory-only: what the in-memory scheduler alone has (its limits validated at start). The behaviour a user sees through
/// `BatchStore` runs on both stores in Tests/NetPulsePostgresTests/SchedulerSuite.
@Suite("Scheduler: limit settings", .timeLimit(.minutes(1)))
struct SchedulerLimitsTests {
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
