import Foundation
import Logging
import NetPulse
import NetPulseTesting
import Testing

@testable import NetPulsePostgres

/// How a test of the scheduler's suite sizes each store.
///
/// The in-memory scheduler takes ``memory`` as its limits as they are. The PostgreSQL queue validates
/// requests against the same limits (clamps, defaults) and runs jobs in ``workers`` workers of
/// ``capacity`` connections each, of which ``lanes`` for round-robin jobs (`nil`: shared with pinned
/// devices).
struct StoreSetup: Sendable {
    var memory: SchedulerConfiguration.Limits
    var workers = 1
    var capacity = 8
    var lanes: Int?

    /// Limits small enough to reach in a test (the scheduler suite's former `SchedulerFixture.limits`).
    static func limits(
        open: Int = 64, handshakes: Int = 16, pinned: Int = 32, lanes: Int = 16, resultTTL: Duration = .seconds(600)
    ) -> SchedulerConfiguration.Limits {
        SchedulerConfiguration.Limits(
            maxOpenConnections: open, maxConnectsInProgress: handshakes, maxPinnedSessions: pinned,
            roundRobinLanes: lanes, idleTimeout: .seconds(300), livenessInterval: .seconds(30),
            defaultResultTTL: resultTTL, shutdownGracePeriod: .seconds(5), timerResolution: .zero)
    }

    init(memory: SchedulerConfiguration.Limits = limits(), workers: Int = 1, capacity: Int = 8, lanes: Int? = nil) {
        self.memory = memory
        self.workers = workers
        self.capacity = capacity
        self.lanes = lanes
    }
}

/// Runs `body` with a store of `backend` over `drivers`; returns once the store has stopped and every
/// device session it opened is closed (within a deadline, else an issue).
func withSuiteStore(
    _ backend: Backend, drivers: DriverRegistry, setup: StoreSetup = StoreSetup(),
    sessionsOf watched: [InMemoryDriver] = [],
    _ body: @escaping @Sendable (any BatchStore) async throws -> Void
) async throws {
    switch backend {
    case .memory:
        let configuration = SchedulerConfiguration(
            drivers: drivers, limits: setup.memory, logger: Logger(label: "test.suite"))
        try await withScheduler(configuration: configuration) { scheduler in try await body(scheduler) }
    case .postgres:
        try await withTestQueue(drivers: drivers, limits: setup.memory) { queue in
            var options = PostgresBatchStore.Options()
            options.pollInterval = .milliseconds(200)
            let store = PostgresBatchStore(queue: queue, options: options)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await store.run() }
                try await withWorkers(
                    setup.workers, queue: queue, capacity: setup.capacity,
                    configure: { $0.roundRobinLanes = setup.lanes ?? setup.capacity }
                ) { _ in
                    try await body(store)
                }
                group.cancelAll()
            }
        }
    }
    for driver in watched {
        try await settle(driver, "every session closed once the store stopped") { $0.openSessions == 0 }
    }
}

/// A registry with `driver` as "memory" (and "netmiko").
func suiteDrivers(_ driver: InMemoryDriver) -> DriverRegistry {
    var registry = DriverRegistry()
    registry.register(driver, as: "memory", aliases: ["netmiko"])
    return registry
}

/// Waits (with a deadline) until the driver's counters satisfy `condition`; an issue if they never do.
/// Sessions are closed apart from the job that used them, so counts of closes settle a moment later.
func settle(
    _ driver: InMemoryDriver, _ what: String, within limit: Duration = .seconds(15),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: @escaping @Sendable (InMemoryDriver.Stats) -> Bool
) async throws {
    let reached = await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            await driver.waitUntil(condition)
            return true
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return false
        }
        defer { group.cancelAll() }
        return await group.next() ?? false
    }
    if !reached { Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation) }
}

/// A batch request as JSON: `hosts` with a `show <host>` command each unless `commands` or `config`
/// gives the device's lines.
struct SuiteRequest: Sendable {
    var hosts: [String]
    var strategy: String
    var commands: [[String]]? = nil
    var config: [String]? = nil
    var options: [String: JSONValue] = [:]
    var connection: [String: JSONValue] = [:]
    var password = "s3cret-pw"
    var driver = "memory"
    /// Set on the parsed request, past the JSON's bounds (60 s at least), as a library caller may.
    var resultTTL: Duration? = nil
    /// Set on the parsed request, past the JSON's bounds, to show the store's clamp.
    var overrides: (@Sendable (inout BatchOptions) -> Void)? = nil

    init(
        hosts: [String], strategy: QueueStrategy, commands: [[String]]? = nil, config: [String]? = nil,
        options: [String: JSONValue] = [:], password: String = "s3cret-pw"
    ) {
        self.hosts = hosts
        self.strategy = strategy == .pinned ? "pinned" : "round_robin"
        self.commands = commands
        self.config = config
        self.options = options
        self.password = password
    }

    var json: JSONValue {
        var connectionArgs: [String: JSONValue] = [
            "device_type": .string("cisco_ios"), "username": .string("admin"), "password": .string(password),
        ]
        connectionArgs.merge(connection) { _, new in new }
        var options = self.options
        options["queue_strategy"] = .string(strategy)
        let devices: [JSONValue] = hosts.enumerated().map { index, host in
            var device: [String: JSONValue] = ["host": .string(host)]
            if let config {
                device["config"] = .array(config.map { .string($0) })
            } else {
                let lines = commands?[index] ?? ["show \(host)"]
                device["command"] = .array(lines.map { .string($0) })
            }
            return .object(device)
        }
        return .object([
            "driver": .string(driver), "devices": .array(devices), "connection_args": .object(connectionArgs),
            "options": .object(options),
        ])
    }

    static func hosts(_ count: Int, prefix: String = "r") -> [String] { (0..<count).map { "\(prefix)\($0)" } }
}

/// Validates and submits a request as the HTTP API does.
func submit(_ store: any BatchStore, _ request: SuiteRequest, tenant: String? = nil) async throws -> StoredBatch {
    let json = request.json
    var parsed = try BatchRequest(jsonValue: json)
    if let resultTTL = request.resultTTL { parsed.options.resultTTL = resultTTL }
    request.overrides?(&parsed.options)
    let validated = try ValidatedBatch(parsed, configuration: store.configuration)
    return try await store.submitBatch(validated, source: json, tenant: tenant, annotation: nil)
}

/// What one batch came to: its results in request order.
struct Outcome: Sendable {
    var batch: StoredBatch
    var results: [DeviceResult]
    var success: Bool { results.allSatisfy(\.success) }
}

/// Reads a batch's whole stream (with a deadline) and checks the scheduler's invariant: every
/// requested device exactly once, in request order by index, each failure with a typed error, and the
/// batch complete in the store.
@discardableResult
func collectChecked(
    _ store: any BatchStore, _ batch: StoredBatch, _ request: SuiteRequest, within limit: Duration = .seconds(50),
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> Outcome {
    // Sorted by index; `collect` checks one result per job id.
    let streamed = try await collect(store, batch, within: limit, sourceLocation: sourceLocation)
    let count = request.hosts.count
    #expect(streamed.count == count, "one streamed result per device", sourceLocation: sourceLocation)
    #expect(Set(streamed.map(\.index)) == Set(0..<count), "every device once", sourceLocation: sourceLocation)
    for (index, entry) in streamed.enumerated() where index < count {
        #expect(entry.index == index, sourceLocation: sourceLocation)
        #expect(entry.hostname == request.hosts[index], sourceLocation: sourceLocation)
        #expect(entry.jobID == batch.jobIDs[index], sourceLocation: sourceLocation)
        #expect(
            entry.success == (entry.error == nil), "a failure carries a typed error", sourceLocation: sourceLocation)
    }
    if let progress = try await store.lookUpBatch(id: batch.batchID)?.progress {
        #expect(progress.isComplete && progress.done == count, "\(progress)", sourceLocation: sourceLocation)
    }
    return Outcome(batch: batch, results: streamed)
}

/// Submits and collects (``collectChecked(_:_:_:within:sourceLocation:)``).
@discardableResult
func runChecked(
    _ store: any BatchStore, _ request: SuiteRequest, tenant: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> Outcome {
    let batch = try await submit(store, request, tenant: tenant)
    return try await collectChecked(store, batch, request, sourceLocation: sourceLocation)
}

/// The hostnames of a batch's results in the order the stream delivered them (with a deadline).
func streamOrder(
    _ store: any BatchStore, _ batch: StoredBatch, within limit: Duration = .seconds(50)
) async throws -> [String] {
    try await withThrowingTaskGroup(of: [String]?.self) { group in
        group.addTask {
            var order: [String] = []
            for try await result in store.batchResults(batchID: batch.batchID) { order.append(result.hostname) }
            return order
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let order = first else {
            Issue.record("the stream of \(batch.batchID) did not end within \(limit)")
            return []
        }
        return order
    }
}

extension InMemoryDriver.Stats {
    /// Execution records of one host, in start order.
    func executions(host: String) -> [InMemoryDriver.ExecutionRecord] {
        executions.filter { $0.device.host == host }.sorted { $0.start < $1.start }
    }
}

/// The key the in-memory driver counts a device's sessions under.
func deviceKey(_ host: String) -> DeviceKey { DeviceKey(host: host, port: 22, username: "admin") }
