import NetPulse
import NetPulseTesting
import Testing

/// A pinned session is reused only by a job that would have opened the same session.
@Suite("Scheduler: pinned session identity", .timeLimit(.minutes(1)))
struct SchedulerSessionIdentityTests {
    static func pinned(
        password: String, secret: String? = nil, policy: ConnectionArgs.HostKeyMode? = nil,
        knownHosts: String? = nil, legacy: Bool? = nil, keepalive: Duration? = nil,
        driverArgs: [String: JSONValue] = [:], jumpHosts: [JumpHostArgs]? = nil
    ) -> BatchRequest {
        var request = SchedulerFixture.request(hosts: ["r1"], strategy: .pinned, password: password)
        request.connectionArgs.secret = secret.map { Secret($0) }
        request.connectionArgs.hostKeyMode = policy
        request.connectionArgs.knownHostsFile = knownHosts
        request.connectionArgs.legacyAlgorithms = legacy
        request.connectionArgs.keepalive = keepalive
        request.connectionArgs.driverArgs = driverArgs
        request.connectionArgs.jumpHosts = jumpHosts
        return request
    }

    @Test("another password never runs on the session the right one opened: it logs in itself, and fails")
    func wrongPasswordDoesNotReuse() async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(acceptedPasswords: ["right-pw"]))
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in
            let first = try await runChecked(scheduler, Self.pinned(password: "right-pw"))
            #expect(first.success)
            let second = try await runChecked(scheduler, Self.pinned(password: "wrong-pw"))
            #expect(!second.success)
            #expect(second.results[0].error?.kind == .authentication)
            #expect(second.results[0].sessionReused == false)
            // The right password again: a fresh login as well (the first session was replaced).
            let third = try await runChecked(scheduler, Self.pinned(password: "right-pw"))
            #expect(third.success)
        }
        #expect(driver.stats.totalConnects == 3)
        #expect(driver.stats.openSessions == 0)
    }

    @Test(
        "each setting that authenticated or configured the session is part of its identity",
        arguments: [
            ("enable secret", pinned(password: "pw", secret: "other-enable")),
            ("host-key policy", pinned(password: "pw", policy: .acceptNew)),
            ("known_hosts file", pinned(password: "pw", policy: .strict, knownHosts: "/tmp/other_known_hosts")),
            ("legacy algorithms", pinned(password: "pw", legacy: true)),
            ("keepalive", pinned(password: "pw", keepalive: .seconds(5))),
            ("driver args", pinned(password: "pw", driverArgs: ["vrf": .string("mgmt")])),
            ("jump host", pinned(password: "pw", jumpHosts: [JumpHostArgs(host: "bastion-a")])),
        ])
    func settingsAreIdentity(name: String, other: BatchRequest) async throws {
        let driver = InMemoryDriver()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in
            let base = Self.pinned(password: "pw", secret: "enable", policy: .strict)
            try await runChecked(scheduler, base)
            let same = try await runChecked(scheduler, base)
            #expect(same.results[0].sessionReused == true, "the same settings reuse the session")
            var changed = other
            if name != "enable secret" { changed.connectionArgs.secret = "enable" }
            if name != "host-key policy" && name != "known_hosts file" { changed.connectionArgs.hostKeyMode = .strict }
            let result = try await runChecked(scheduler, changed)
            #expect(result.success)
            #expect(result.results[0].sessionReused == false, "\(name) differs: a fresh session")
        }
        #expect(driver.stats.totalConnects == 2)
        #expect(driver.stats.totalCloses == 2)
    }

    @Test("tenants do not share sessions, even with equal credentials; one tenant does")
    func tenantsAreIdentity() async throws {
        let driver = InMemoryDriver()
        try await withScheduler(configuration: SchedulerFixture.configuration(driver)) { scheduler in
            let request = Self.pinned(password: "pw")
            let first = try await scheduler.submit(request, tenant: "key-a").result()
            let again = try await scheduler.submit(request, tenant: "key-a").result()
            let other = try await scheduler.submit(request, tenant: "key-b").result()
            let none = try await scheduler.submit(request).result()
            #expect(first.success && again.success && other.success && none.success)
            #expect(again.results[0].sessionReused == true)
            #expect(other.results[0].sessionReused == false)
            #expect(none.results[0].sessionReused == false)
        }
        #expect(driver.stats.totalConnects == 3)
    }
}
