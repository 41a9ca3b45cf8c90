import NetPulse
import NetPulseSSHCore
import SSHTestSupport
import Testing

@Suite("Driver: many sessions")
struct LoadScenarios {
    @Test("200 concurrent sessions, each runs a command while all are open", arguments: Backends.all)
    func concurrent(_ backend: Backend) async throws {
        FileLimits.raiseOpenFileLimit()
        try await TestSSHD.with { server in
            let driver = Fixture.driver(backend)
            let target = Fixture.target(
                server, credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)],
                connectTimeout: .seconds(30))
            let count = 200
            let sessions = try await withThrowingTaskGroup(of: (any DriverSession).self) { group in
                for _ in 0..<count {
                    group.addTask { try await driver.connect(to: target, context: Fixture.context()) }
                }
                var sessions: [any DriverSession] = []
                do {
                    for try await session in group { sessions.append(session) }
                } catch {
                    for session in sessions { await session.close() }
                    throw error
                }
                return sessions
            }
            #expect(sessions.count == count)
            #expect(Fixture.socketsConnected(toPort: server.port).count == count)
            let outputs = await withTaskGroup(of: String?.self) { group in
                for (index, session) in sessions.enumerated() {
                    group.addTask {
                        try? await session.execute(Fixture.commands("echo \(index)")).outputs.first?.output
                    }
                }
                var outputs: Set<String> = []
                for await output in group { if let output { outputs.insert(output) } }
                return outputs
            }
            #expect(outputs == Set((0..<count).map { "\($0)\n" }))
            await withTaskGroup(of: Void.self) { group in
                for session in sessions { group.addTask { await session.close() } }
            }
            #expect(Fixture.socketsConnected(toPort: server.port).isEmpty)
        }
    }

    /// Descriptor check: only our sockets connected to this test's own sshd port are compared (from
    /// /proc/self/fd and /proc/net/tcp), because other tests run in parallel in this process and
    /// open and close descriptors of their own; the total count would be noise. A leak of this
    /// driver (a socket never closed) shows as a socket to this port. The whole-process count is
    /// also checked with a tolerance for the other tests.
    @Test("1,000 sequential open/close cycles leave no descriptor behind", arguments: Backends.all)
    func cycles(_ backend: Backend) async throws {
        // sshd without re-exec and without PAM: its per-login cost is what bounds this test's time.
        var configuration = TestSSHD.Configuration(extraConfig: ["UsePAM no"])
        configuration.arguments = ["-r"]
        try await TestSSHD.with(configuration: configuration) { server in
            let driver = Fixture.driver(backend)
            let target = Fixture.target(server, credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)])
            let before = Fixture.socketsConnected(toPort: server.port)
            #expect(before.isEmpty)
            for cycle in 0..<1000 {
                let session = try await driver.connect(to: target, context: Fixture.context())
                await session.close()
                if cycle == 0 { #expect(Fixture.socketsConnected(toPort: server.port).isEmpty) }
            }
            #expect(Fixture.socketsConnected(toPort: server.port) == before)
        }
    }
}
