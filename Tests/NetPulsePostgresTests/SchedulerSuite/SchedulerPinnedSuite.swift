import Foundation
import NetPulse
import NetPulseTesting
import Testing

/// Pinned queues through ``BatchStore``, on both stores: order, one session per device, dead sessions.
@Suite("Scheduler suite: pinned queues", .serialized, .timeLimit(.minutes(1)))
struct SchedulerPinnedSuite {
    @Test("jobs of one device run in submission order, never two at once, on one session", arguments: Backend.allCases)
    func orderAndNoOverlap(_ backend: Backend) async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(commandLatency: .milliseconds(1)))
        let hosts = SuiteRequest.hosts(4)
        let batches = 6
        try await withSuiteStore(
            backend, drivers: suiteDrivers(driver), setup: StoreSetup(workers: 2), sessionsOf: [driver]
        ) {
            store in
            // Several batches on the same devices, submitted back to back, all queued at once.
            var submitted: [(StoredBatch, SuiteRequest)] = []
            for batch in 0..<batches {
                let request = SuiteRequest(
                    hosts: hosts, strategy: .pinned,
                    commands: hosts.map { ["b\(batch) \($0) first", "b\(batch) \($0) second"] })
                submitted.append((try await submit(store, request), request))
            }
            for (index, (batch, request)) in submitted.enumerated() {
                let outcome = try await collectChecked(store, batch, request)
                #expect(outcome.success)
                // Later batches reused the session the first batch opened.
                #expect(outcome.results.allSatisfy { $0.sessionReused == (index > 0) }, "batch \(index)")
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
            #expect(stats.connects[deviceKey(host)] == 1, "one connect for \(batches) jobs on \(host)")
            #expect(stats.closes[deviceKey(host)] == 1, "closed once, at shutdown")
        }
    }

    @Test(
        "a session that died while idle is replaced: the job is retried once on a fresh session",
        arguments: Backend.allCases)
    func deadSessionRetried(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            let request = SuiteRequest(hosts: ["r1"], strategy: .pinned)
            try await runChecked(store, request)
            driver.killSessions(host: "r1")
            let outcome = try await runChecked(store, request)
            #expect(outcome.success)
            #expect(outcome.results[0].sessionReused == false, "ran on the fresh session")
            // The job found the session dead (session_unavailable), then ran again on a new one.
            #expect(driver.stats.executions(host: "r1").count == 3)
            #expect(driver.stats.totalConnects == 2)
            try await settle(driver, "the dead session closed") { $0.totalCloses == 1 }
            // The replacement is kept and reused.
            let third = try await runChecked(store, request)
            #expect(third.results[0].sessionReused)
            #expect(driver.stats.totalConnects == 2)
        }
    }

    @Test(
        "a second session_unavailable on the fresh session is reported, not retried again", arguments: Backend.allCases)
    func retryOnlyOnce(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            let request = SuiteRequest(hosts: ["r1"], strategy: .pinned)
            try await runChecked(store, request)
            // Refuse new connections: the retry cannot get a fresh session.
            driver.setDevice(ScriptedDevice(fault: .refuse), for: "r1")
            driver.killSessions(host: "r1")
            let outcome = try await runChecked(store, request)
            #expect(outcome.results[0].error?.kind == .connectionRefused)
            #expect(driver.stats.totalConnects == 2)
        }
    }

    @Test("a pinned session is reused only by jobs of the same driver and platform", arguments: Backend.allCases)
    func sessionIdentity(_ backend: Backend) async throws {
        let first = InMemoryDriver()
        let second = InMemoryDriver()
        var drivers = suiteDrivers(first)
        drivers.register(second, as: "other")
        try await withSuiteStore(backend, drivers: drivers, sessionsOf: [first, second]) { store in
            let request = SuiteRequest(hosts: ["r1"], strategy: .pinned)
            try await runChecked(store, request)
            var viaOther = request
            viaOther.driver = "other"
            let outcome = try await runChecked(store, viaOther)
            #expect(outcome.success)
            #expect(!outcome.results[0].sessionReused)
            try await settle(first, "the first driver's session replaced") { $0.totalCloses == 1 }
            #expect(second.stats.totalConnects == 1)
            var otherPlatform = viaOther
            otherPlatform.connection["device_type"] = .string("arista_eos")
            try await runChecked(store, otherPlatform)
            #expect(second.stats.totalConnects == 2, "a session for another platform is not reused")
            try await runChecked(store, otherPlatform)
            #expect(second.stats.totalConnects == 2)
            try await settle(second, "one pinned session kept in all") {
                $0.openSessions == 1 && first.stats.openSessions == 0
            }
        }
    }

    @Test("a round-robin job opens a fresh connection and closes it", arguments: Backend.allCases)
    func roundRobinFreshConnections(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            let request = SuiteRequest(hosts: SuiteRequest.hosts(20), strategy: .roundRobin)
            try await runChecked(store, request)
            try await runChecked(store, request)
            #expect(driver.stats.totalConnects == 40)
            try await settle(driver, "every round-robin connection closed") {
                $0.totalCloses == 40 && $0.openSessions == 0
            }
            if let open = try await store.storeStats().openConnections { #expect(open == 0) }
        }
    }
}

/// A pinned session is reused only by a job that would have opened the same session, on both stores.
@Suite("Scheduler suite: pinned session identity", .serialized, .timeLimit(.minutes(1)))
struct SchedulerSessionIdentitySuite {
    static func pinned(password: String, _ connection: [String: JSONValue] = [:]) -> SuiteRequest {
        var request = SuiteRequest(hosts: ["r1"], strategy: .pinned, password: password)
        request.connection = connection
        return request
    }

    @Test(
        "another password never runs on the session the right one opened: it logs in itself, and fails",
        arguments: Backend.allCases)
    func wrongPasswordDoesNotReuse(_ backend: Backend) async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(acceptedPasswords: ["right-pw"]))
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            let first = try await runChecked(store, Self.pinned(password: "right-pw"))
            #expect(first.success)
            let second = try await runChecked(store, Self.pinned(password: "wrong-pw"))
            #expect(!second.success)
            #expect(second.results[0].error?.kind == .authentication)
            #expect(second.results[0].sessionReused == false)
            // The right password again: a fresh login as well (the first session was replaced).
            let third = try await runChecked(store, Self.pinned(password: "right-pw"))
            #expect(third.success)
        }
        #expect(driver.stats.totalConnects == 3)
    }

    static let settings: [(String, [String: JSONValue])] = [
        ("enable secret", ["secret": .string("other-enable")]),
        ("host-key policy", ["host_key_policy": .string("accept_new")]),
        (
            "known_hosts file",
            ["host_key_policy": .string("strict"), "known_hosts_file": .string("/tmp/other_known_hosts")]
        ),
        ("legacy algorithms", ["legacy_algorithms": .bool(true)]),
        ("keepalive", ["keepalive": .number(5)]),
        ("driver args", ["driver_args": .object(["vrf": .string("mgmt")])]),
        ("jump host", ["jump_host": .object(["host": .string("bastion-a")])]),
    ]

    @Test(
        "each setting that authenticated or configured the session is part of its identity",
        arguments: Backend.allCases, settings.map(\.0))
    func settingsAreIdentity(_ backend: Backend, name: String) async throws {
        let driver = InMemoryDriver()
        let base: [String: JSONValue] = ["secret": .string("enable"), "host_key_policy": .string("strict")]
        let other = try #require(Self.settings.first { $0.0 == name }?.1)
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            try await runChecked(store, Self.pinned(password: "pw", base))
            let same = try await runChecked(store, Self.pinned(password: "pw", base))
            #expect(same.results[0].sessionReused == true, "the same settings reuse the session")
            let changed = base.merging(other) { _, new in new }
            let outcome = try await runChecked(store, Self.pinned(password: "pw", changed))
            #expect(outcome.success)
            #expect(outcome.results[0].sessionReused == false, "\(name) differs: a fresh session")
        }
        #expect(driver.stats.totalConnects == 2)
        #expect(driver.stats.totalCloses == 2)
    }

    @Test("tenants do not share sessions, even with equal credentials; one tenant does", arguments: Backend.allCases)
    func tenantsAreIdentity(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            let request = Self.pinned(password: "pw")
            let first = try await runChecked(store, request, tenant: "key-a")
            let again = try await runChecked(store, request, tenant: "key-a")
            let other = try await runChecked(store, request, tenant: "key-b")
            let none = try await runChecked(store, request)
            #expect(first.success && again.success && other.success && none.success)
            #expect(again.results[0].sessionReused == true)
            #expect(other.results[0].sessionReused == false)
            #expect(none.results[0].sessionReused == false)
        }
        #expect(driver.stats.totalConnects == 3)
    }
}
