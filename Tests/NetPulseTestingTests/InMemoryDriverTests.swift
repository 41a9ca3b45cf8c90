import Logging
import NetPulse
import NetPulseTesting
import Testing

@Suite("In-memory driver")
struct InMemoryDriverTests {
    static let logger = Logger(label: "test")
    static let context = DriverContext(platform: PlatformProfile(name: "cisco_ios"), logger: logger)

    static func target(_ host: String, password: String = "pw") -> DeviceTarget {
        DeviceTarget(host: host, username: "admin", credentials: [.password(Secret(password))], platform: "cisco_ios")
    }

    static func request(_ operation: NetPulse.DeviceOperation, stopOnError: Bool = true) -> ExecutionRequest {
        ExecutionRequest(operation: operation, stopOnError: stopOnError, logger: logger)
    }

    @Test("scripted responses per command, default output for the rest")
    func responses() async throws {
        let driver = InMemoryDriver(devices: ["r1": ScriptedDevice(responses: ["show version": "IOS 15.2"])])
        let session = try await driver.connect(to: Self.target("r1"), context: Self.context)
        let outcome = try await session.execute(Self.request(.commands(["show version", "show clock"])))
        #expect(outcome.outputs.map(\.output) == ["IOS 15.2", "output of show clock"])
        #expect(outcome.success)
        await session.close()
        #expect(driver.stats.totalConnects == 1)
        #expect(driver.stats.totalCloses == 1)
        #expect(driver.stats.openSessions == 0)
        #expect(driver.stats.executions.count == 1)
    }

    @Test("an unknown host is refused when there is no fallback")
    func unknownHost() async {
        let driver = InMemoryDriver(devices: [:], fallback: nil)
        let error = await #expect(throws: NetPulseError.self) {
            _ = try await driver.connect(to: Self.target("nowhere"), context: Self.context)
        }
        #expect(error?.kind == .connectionRefused)
    }

    @Test(
        "faults at connect map to typed errors",
        arguments: [
            (ScriptedDevice.Fault.refuse, NetPulseError.Kind.connectionRefused),
            (.rejectCredentials, .authentication),
            (.hostKeyMismatch, .hostKeyMismatch),
        ])
    func connectFaults(fault: ScriptedDevice.Fault, kind: NetPulseError.Kind) async {
        let driver = InMemoryDriver(devices: ["r1": ScriptedDevice(fault: fault)])
        let error = await #expect(throws: NetPulseError.self) {
            _ = try await driver.connect(to: Self.target("r1"), context: Self.context)
        }
        #expect(error?.kind == kind)
        #expect(driver.stats.openSessions == 0)
    }

    @Test("a wrong password is rejected, the right one accepted")
    func passwords() async throws {
        let driver = InMemoryDriver(devices: ["r1": ScriptedDevice(acceptedPasswords: ["right"])])
        let error = await #expect(throws: NetPulseError.self) {
            _ = try await driver.connect(to: Self.target("r1", password: "wrong"), context: Self.context)
        }
        #expect(error?.kind == .authentication)
        #expect(error?.message.contains("wrong") == false)
        let session = try await driver.connect(to: Self.target("r1", password: "right"), context: Self.context)
        await session.close()
    }

    @Test("hang on connect lasts until cancelled")
    func hangOnConnect() async {
        let driver = InMemoryDriver(devices: ["r1": ScriptedDevice(fault: .hangOnConnect)])
        let task = Task { try await driver.connect(to: Self.target("r1"), context: Self.context) }
        // Cancel once the connect is in progress (an event, not a sleep).
        await waitUntil { driver.stats.connectsInProgress == 1 }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(driver.stats.connectsInProgress == 0)
    }

    @Test("hang on command lasts until cancelled")
    func hangOnCommand() async throws {
        let driver = InMemoryDriver(devices: ["r1": ScriptedDevice(fault: .hangOnCommand)])
        let session = try await driver.connect(to: Self.target("r1"), context: Self.context)
        let task = Task { try await session.execute(Self.request(.commands(["show version"]))) }
        await waitUntil { driver.stats.runningExecutions == 1 }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        await session.close()
    }

    @Test("drop mid-command loses the connection and kills the session")
    func dropMidCommand() async throws {
        let driver = InMemoryDriver(devices: ["r1": ScriptedDevice(fault: .dropAfter(lines: 1))])
        let session = try await driver.connect(to: Self.target("r1"), context: Self.context)
        let error = await #expect(throws: NetPulseError.self) {
            _ = try await session.execute(Self.request(.commands(["a", "b", "c"])))
        }
        #expect(error?.kind == .connectionLost)
        #expect(await session.isAlive() == false)
        let again = await #expect(throws: NetPulseError.self) {
            _ = try await session.execute(Self.request(.commands(["a"])))
        }
        #expect(again?.kind == .sessionUnavailable)
        await session.close()
    }

    @Test("rejected config line: stop on error skips the rest, otherwise goes on")
    func rejectedConfig() async throws {
        let script = ScriptedDevice(rejectedLines: ["bogus": "% Invalid input detected at '^' marker."])
        let driver = InMemoryDriver(devices: ["r1": script])
        let session = try await driver.connect(to: Self.target("r1"), context: Self.context)
        let lines = ["interface Gi0/1", "bogus", "description x"]
        let stopped = try await session.execute(Self.request(.config(lines), stopOnError: true))
        #expect(stopped.outputs.map(\.status) == [.ok, .failed, .skipped])
        #expect(stopped.error?.kind == .commandError)
        let continued = try await session.execute(Self.request(.config(lines), stopOnError: false))
        #expect(continued.outputs.map(\.status) == [.ok, .failed, .ok])
        #expect(continued.error?.kind == .commandError)
        await session.close()
    }

    @Test("latency is waited on the driver's clock")
    func latency() async throws {
        let driver = InMemoryDriver(
            devices: ["r1": ScriptedDevice(connectLatency: .milliseconds(20), commandLatency: .milliseconds(10))]
        )
        let clock = ContinuousClock()
        let start = clock.now
        let session = try await driver.connect(to: Self.target("r1"), context: Self.context)
        _ = try await session.execute(Self.request(.commands(["a", "b"])))
        #expect(clock.now - start >= .milliseconds(40))
        await session.close()
    }

    @Test("killSessions makes open sessions of a host dead")
    func kill() async throws {
        let driver = InMemoryDriver()
        let one = try await driver.connect(to: Self.target("r1"), context: Self.context)
        let other = try await driver.connect(to: Self.target("r2"), context: Self.context)
        driver.killSessions(host: "r1")
        #expect(await one.isAlive() == false)
        #expect(await other.isAlive())
        await one.close()
        await other.close()
        #expect(driver.stats.peakOpenSessions == 2)
    }
}

/// Waits for a condition with a deadline, yielding between checks.
func waitUntil(
    timeout: Duration = .seconds(5),
    _ condition: () -> Bool,
    sourceLocation: SourceLocation = #_sourceLocation
) async {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline {
            Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
            return
        }
        await Task.yield()
    }
}
