import NetPulse
import NetPulseTesting
import Testing

/// The cap on connects in progress counts a connect until its driver reports the handshake over
/// (`DriverContext.handshakeFinished`), not through the set-up that follows it.
@Suite struct SchedulerHandshakeTests {
    /// Connects to `slowHost` report their handshake over, then wait at a gate (a shell's prompt on a
    /// distant device); every other connect is immediate.
    struct SlowSetUpDriver: Driver {
        let inner: InMemoryDriver
        let gate: CloseGate
        let slowHost: String
        let reportsHandshake: Bool

        func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
            let session = try await inner.connect(to: target, context: context)
            if target.host == slowHost {
                if reportsHandshake { context.handshakeFinished() }
                await gate.pass()
            }
            return session
        }
    }

    func configuration(_ driver: SlowSetUpDriver) -> SchedulerConfiguration {
        var registry = DriverRegistry()
        registry.register(driver, as: "memory")
        return SchedulerConfiguration(
            drivers: registry, limits: SchedulerFixture.limits(handshakes: 1, lanes: 2), logger: SchedulerFixture.logger
        )
    }

    @Test func aConnectPastItsHandshakeFreesThePermit() async throws {
        let gate = CloseGate()
        let driver = SlowSetUpDriver(inner: InMemoryDriver(), gate: gate, slowHost: "r0", reportsHandshake: true)
        try await withScheduler(configuration: configuration(driver)) { scheduler in
            defer { gate.open() }
            let slow = try scheduler.submit(SchedulerFixture.request(hosts: ["r0"], strategy: .roundRobin))
            // r0 holds the only permit until it reports its handshake, then waits at the gate.
            try await withDeadline(.seconds(10), "r0's set-up") { await gate.waitForClose() }
            let fast = try scheduler.submit(SchedulerFixture.request(hosts: ["r1"], strategy: .roundRobin))
            // With r0 still setting up, r1 connects and finishes.
            let fastResult = try await withDeadline(.seconds(10), "r1 beside r0's set-up") { await fast.result() }
            #expect(fastResult.results.map(\.success) == [true])
            #expect(scheduler.job(id: slow.jobIDs[0])?.status == .started)
            gate.open()
            let slowResult = try await withDeadline(.seconds(10), "r0") { await slow.result() }
            #expect(slowResult.results.map(\.success) == [true])
        }
    }

    @Test func aConnectThatDoesNotReportHoldsThePermitToItsEnd() async throws {
        let gate = CloseGate()
        let driver = SlowSetUpDriver(inner: InMemoryDriver(), gate: gate, slowHost: "r0", reportsHandshake: false)
        try await withScheduler(configuration: configuration(driver)) { scheduler in
            defer { gate.open() }
            let slow = try scheduler.submit(SchedulerFixture.request(hosts: ["r0"], strategy: .roundRobin))
            try await withDeadline(.seconds(10), "r0's set-up") { await gate.waitForClose() }
            let fast = try scheduler.submit(SchedulerFixture.request(hosts: ["r1"], strategy: .roundRobin))
            // r1 waits for the permit r0 holds: queued, never connected, until r0's connect returns.
            #expect(scheduler.job(id: fast.jobIDs[0])?.status == .queued)
            #expect(driver.inner.stats.connects.values.reduce(0, +) == 1)
            gate.open()
            let fastResult = try await withDeadline(.seconds(10), "r1 after r0") { await fast.result() }
            #expect(fastResult.results.map(\.success) == [true])
            _ = await slow.result()
            #expect(driver.inner.stats.connects.values.reduce(0, +) == 2)
        }
    }
}
