import Logging
import NetPulse
import NetPulseTesting
import Testing

/// Shared helpers of the scheduler tests.
enum SchedulerFixture {
    static let logger = Logger(label: "scheduler-test")

    static func drivers(_ driver: InMemoryDriver) -> DriverRegistry {
        var registry = DriverRegistry()
        registry.register(driver, as: "memory", aliases: ["netmiko"])
        return registry
    }

    /// A limit set small enough to hit in a test.
    static func limits(
        open: Int = 64, handshakes: Int = 16, pinned: Int = 32, lanes: Int = 16,
        idle: Duration = .seconds(300), liveness: Duration = .seconds(30), resultTTL: Duration = .seconds(600),
        grace: Duration = .seconds(5)
    ) -> SchedulerConfiguration.Limits {
        SchedulerConfiguration.Limits(
            maxOpenConnections: open, maxConnectsInProgress: handshakes, maxPinnedSessions: pinned,
            roundRobinLanes: lanes, idleTimeout: idle, livenessInterval: liveness, defaultResultTTL: resultTTL,
            shutdownGracePeriod: grace, timerResolution: .zero)
    }

    static func configuration(
        _ driver: InMemoryDriver, limits: SchedulerConfiguration.Limits = limits(),
        clock: any SchedulerClock = ContinuousSchedulerClock()
    ) -> SchedulerConfiguration {
        SchedulerConfiguration(drivers: drivers(driver), limits: limits, clock: clock, logger: logger)
    }

    /// A batch on `hosts`; `operations` gives per-device commands (default: `show <host>`).
    static func request(
        hosts: [String],
        strategy: QueueStrategy,
        operations: [NetPulse.DeviceOperation]? = nil,
        options: BatchOptions = BatchOptions(),
        password: String = "s3cret-pw"
    ) -> BatchRequest {
        var options = options
        options.queueStrategy = strategy
        let devices = hosts.enumerated().map { index, host in
            BatchRequest.Device(host: host, operation: operations?[index] ?? .commands(["show \(host)"]))
        }
        return BatchRequest(
            driver: "memory", devices: devices,
            connectionArgs: ConnectionArgs(deviceType: "cisco_ios", username: "admin", password: Secret(password)),
            operation: nil, options: options)
    }

    static func hosts(_ count: Int, prefix: String = "r") -> [String] { (0..<count).map { "\(prefix)\($0)" } }
}

/// Submits a batch, reads its whole result stream and its final result, and checks the invariant:
/// every requested device exactly once, in the stream and in the result.
@discardableResult
func runChecked(
    _ scheduler: Scheduler, _ request: BatchRequest, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> BatchResult {
    let handle = try scheduler.submit(request)
    return await collectChecked(handle, request, sourceLocation: sourceLocation)
}

/// Reads a handle's stream and final result and checks the exactly-once invariant on both.
@discardableResult
func collectChecked(
    _ handle: BatchHandle, _ request: BatchRequest, sourceLocation: SourceLocation = #_sourceLocation
) async -> BatchResult {
    var streamed: [DeviceResult] = []
    for await result in handle.results { streamed.append(result) }
    let result = await handle.result()
    checkExactlyOnce(result, streamed: streamed, handle: handle, request: request, sourceLocation: sourceLocation)
    return result
}

func checkExactlyOnce(
    _ result: BatchResult, streamed: [DeviceResult], handle: BatchHandle, request: BatchRequest,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let count = request.devices.count
    #expect(result.results.count == count, "one result per device", sourceLocation: sourceLocation)
    #expect(streamed.count == count, "one streamed result per device", sourceLocation: sourceLocation)
    #expect(
        Set(streamed.map(\.index)) == Set(0..<count), "every device streamed once", sourceLocation: sourceLocation)
    #expect(Set(handle.jobIDs).count == count, "distinct job ids", sourceLocation: sourceLocation)
    for (index, device) in request.devices.enumerated() where index < result.results.count {
        let entry = result.results[index]
        #expect(entry.index == index, sourceLocation: sourceLocation)
        #expect(entry.hostname == device.host, sourceLocation: sourceLocation)
        #expect(entry.jobID == handle.jobIDs[index], sourceLocation: sourceLocation)
        #expect(
            entry.success == (entry.error == nil), "a failure carries a typed error", sourceLocation: sourceLocation)
    }
    #expect(result.summary.total == count, sourceLocation: sourceLocation)
    #expect(handle.progress.isComplete, sourceLocation: sourceLocation)
    #expect(handle.progress.done == count, sourceLocation: sourceLocation)
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var description: String { "deadline exceeded waiting for \(what)" }
}

/// Runs `operation`, failing if it does not finish within `limit`; the operation is cancelled then.
func withDeadline<T: Sendable>(
    _ limit: Duration = .seconds(10), _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try? await ContinuousClock().sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(what: what) }
        return value
    }
}

/// Waits (with a deadline) until the in-memory driver's stats satisfy `condition`.
func waitForDriver(
    _ driver: InMemoryDriver, _ what: String, limit: Duration = .seconds(10),
    _ condition: @escaping @Sendable (InMemoryDriver.Stats) -> Bool
) async throws {
    try await withDeadline(limit, what) { await driver.waitUntil(condition) }
}

extension InMemoryDriver.Stats {
    /// Execution records of one host, in start order.
    func executions(host: String) -> [InMemoryDriver.ExecutionRecord] {
        executions.filter { $0.device.host == host }.sorted { $0.start < $1.start }
    }
}
