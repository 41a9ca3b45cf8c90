import Foundation
import Logging
import NetPulse
import NetPulseTesting
import PostgresNIO
import Testing

@testable import NetPulsePostgres

/// A fresh database per test on the throw-away cluster of scripts/pg/start.sh (NETPULSE_TEST_DATABASE_URL),
/// migrated, with a running client; dropped afterwards. Without the variable the test fails with an
/// issue saying so: these tests never pass silently without PostgreSQL.
func withTestQueue(
    driver: InMemoryDriver = InMemoryDriver(), drivers registry: DriverRegistry? = nil,
    limits: SchedulerConfiguration.Limits = SchedulerConfiguration.Limits(),
    schemaVersion: Int = PostgresSchema.latestVersion, logger queueLogger: Logger? = nil,
    _ body: (PostgresQueue) async throws -> Void
) async throws {
    guard let text = ProcessInfo.processInfo.environment["NETPULSE_TEST_DATABASE_URL"] else {
        Issue.record(
            """
            PostgreSQL is not available: NETPULSE_TEST_DATABASE_URL is not set. Run the tests through \
            `bash scripts/pg/with-postgres.sh swift test ...` (make test does).
            """)
        return
    }
    let url = try DatabaseURL(text)
    let logger = Logger(label: "test.pg")
    let name = "np_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    let admin = PostgresClient(configuration: url.clientConfiguration(maxConnections: 2), backgroundLogger: logger)
    var scoped = url
    scoped.database = name
    let client = PostgresClient(configuration: scoped.clientConfiguration(maxConnections: 20), backgroundLogger: logger)
    var drivers = DriverRegistry()
    drivers.register(driver, as: "memory")
    if let registry { drivers = registry }
    let configuration = SchedulerConfiguration(drivers: drivers, limits: limits, logger: queueLogger ?? logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await admin.run() }
        group.addTask { await client.run() }
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        do {
            try await PostgresSchema.migrate(client, logger: logger, upTo: schemaVersion)
            try await body(PostgresQueue(client: client, configuration: configuration))
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
    // A client of its own: the dropped database's connections must be gone first (FORCE ends them).
    let dropper = PostgresClient(configuration: url.clientConfiguration(maxConnections: 2), backgroundLogger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await dropper.run() }
        try await dropper.query(
            PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        group.cancelAll()
    }
}

/// Runs `count` workers on `queue` while `body` runs, then stops them (each writes what it finished).
func withWorkers<T: Sendable>(
    _ count: Int, queue: PostgresQueue, capacity: Int = 8, configure: (inout PostgresWorker.Options) -> Void = { _ in },
    _ body: ([PostgresWorker]) async throws -> T
) async throws -> T {
    var workers: [PostgresWorker] = []
    for index in 0..<count {
        var options = try PostgresWorker.Options(name: "w\(index)", capacity: capacity)
        options.pollInterval = .milliseconds(200)
        options.heartbeatInterval = .milliseconds(200)
        configure(&options)
        workers.append(PostgresWorker(queue: queue, options: options))
    }
    let all = workers
    return try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in all { group.addTask { try await worker.run() } }
        let value = try await body(all)
        group.cancelAll()
        try await group.waitForAll()
        return value
    }
}

/// A request as JSON for the in-memory driver ("memory").
func requestJSON(
    hosts: [String], command: String? = "show version", config: [String]? = nil, strategy: String = "round_robin",
    options: [String: Any] = [:]
) throws -> Data {
    var root: [String: Any] = [
        "driver": "memory",
        "devices": hosts.map { ["host": $0] },
        "connection_args": ["device_type": "cisco_ios", "username": "admin", "password": "secret-pw"],
    ]
    if let config { root["config"] = config } else if let command { root["command"] = command }
    var merged = options
    merged["queue_strategy"] = strategy
    root["options"] = merged
    return try JSONSerialization.data(withJSONObject: root)
}

/// Waits for `condition` with a deadline, checking every 50 ms.
func eventually(
    within limit: Duration = .seconds(20), _ what: String, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting for \(what)")
}
