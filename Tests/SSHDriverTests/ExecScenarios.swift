import NetPulse
import SSHTestSupport
import Testing

@Suite("Driver: exec channels (linux targets)")
struct ExecScenarios {
    @Test("exit codes and standard error", arguments: Backends.all)
    func exitStatus(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let outcome = try await Fixture.withSession(Fixture.driver(backend), Fixture.target(server)) {
                try await $0.execute(Fixture.commands("echo out; echo err >&2; exit 3", "true", "printf abc"))
            }
            #expect(outcome.outputs.count == 3)
            let failed = outcome.outputs[0]
            #expect(failed.status == .failed && failed.exitStatus == 3)
            #expect(failed.output == "out\n" && failed.stderr == "err\n")
            #expect(outcome.outputs[1].status == .ok && outcome.outputs[1].exitStatus == 0)
            #expect(outcome.outputs[2].output == "abc" && outcome.outputs[2].stderr == "")
            #expect(outcome.error?.kind == .commandError)
            #expect(outcome.error?.message.contains("3") == true)
        }
    }

    @Test("a 10 MB output arrives whole", arguments: Backends.all)
    func bigOutput(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let size = 10 * 1024 * 1024
            let outcome = try await Fixture.withSession(Fixture.driver(backend), Fixture.target(server)) {
                // The read timeout bounds the whole command: generous, as the machine may be loaded.
                try await $0.execute(
                    Fixture.commands(
                        "head -c \(size) /dev/zero | tr '\\0' 'a'; echo -n END", readTimeout: .seconds(120)))
            }
            let output = outcome.outputs.first?.output ?? ""
            #expect(output.utf8.count == size + 3)
            #expect(output.hasSuffix("aEND"))
            #expect(output.utf8.allSatisfy { $0 == UInt8(ascii: "a") || $0 >= UInt8(ascii: "D") })
        }
    }

    @Test("the session killed mid-command: connection_lost, then not alive", arguments: Backends.all)
    func killedMidCommand(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let session = try await Fixture.driver(backend).connect(
                to: Fixture.target(server), context: Fixture.context())
            #expect(await session.isAlive())
            // $PPID of the command's shell is the sshd process serving this session.
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await session.execute(Fixture.commands("printf partial; kill -9 $PPID; cat"))
            }
            #expect(error?.kind == .connectionLost, "\(String(describing: error))")
            #expect(await session.isAlive() == false)
            let again = await #expect(throws: NetPulseError.self) {
                _ = try await session.execute(Fixture.commands("true"))
            }
            #expect(again?.kind == .sessionUnavailable)
            await session.close()
        }
    }

    @Test("a command that outlives the read timeout: timeout", arguments: Backends.all)
    func readTimeout(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            try await Fixture.withSession(Fixture.driver(backend), Fixture.target(server)) { session in
                let error = await #expect(throws: NetPulseError.self) {
                    _ = try await session.execute(Fixture.commands("cat", readTimeout: .milliseconds(300)))
                }
                #expect(error?.kind == .timeout)
            }
        }
    }

    @Test("cancellation ends an execution promptly", arguments: Backends.all)
    func cancellation(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let session = try await Fixture.driver(backend).connect(
                to: Fixture.target(server), context: Fixture.context())
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await session.execute(Fixture.commands("cat", readTimeout: .seconds(60))) }
            task.cancel()
            let result = await task.result
            #expect(throws: (any Error).self) { try result.get() }
            #expect(clock.now - start < .seconds(10))
            await session.close()
        }
    }

    @Test("configuration lines on a linux target are refused as unsupported", arguments: Backends.all)
    func configUnsupported(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            try await Fixture.withSession(Fixture.driver(backend), Fixture.target(server)) { session in
                let error = await #expect(throws: NetPulseError.self) {
                    _ = try await session.execute(Fixture.config("hostname x"))
                }
                #expect(error?.kind == .unsupported)
                // The session is still usable.
                let outcome = try await session.execute(Fixture.commands("echo still"))
                #expect(outcome.outputs.first?.output == "still\n")
            }
        }
    }
}
