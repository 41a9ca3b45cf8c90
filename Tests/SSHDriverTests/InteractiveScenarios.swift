import NetPulse
import SSHTestSupport
import Testing

@Suite("Driver: interactive device shell (pty + CLI engine)")
struct InteractiveScenarios {
    @Test("paging disabled at start, config mode, a rejected line", arguments: Backends.all)
    func ciscoLike(_ backend: Backend) async throws {
        let (configuration, devicePort) = try DeviceShell.configuration()
        try await TestSSHD.with(configuration: configuration) { server in
            let target = Fixture.target(server, port: devicePort, platform: "cisco_ios")
            let context = Fixture.context(.ciscoIOS)
            try await Fixture.withSession(Fixture.driver(backend), target, context) { session in
                let shows = try await session.execute(Fixture.commands("show terminal", "show version"))
                #expect(shows.success)
                #expect(shows.outputs[0].output == "Length: 0 lines, Width: 511 columns")
                let version = shows.outputs[1].output.split(separator: "\n")
                #expect(version.count == 60)
                #expect(version.last == "Cisco IOS Software, NetPulse test device, line 60")
                #expect(!shows.outputs[1].output.contains("More"))

                let push = try await session.execute(
                    Fixture.config("interface GigabitEthernet0/1", "description uplink", "bogus line", "shutdown"))
                #expect(push.outputs.map(\.status) == [.ok, .ok, .failed, .skipped])
                #expect(push.error?.kind == .commandError)
                #expect(push.error?.message.contains("bogus line") == true)

                let running = try await session.execute(Fixture.commands("show running-config"))
                #expect(running.outputs[0].output.contains("interface GigabitEthernet0/1\n description uplink"))
                #expect(!running.outputs[0].output.contains("shutdown"))
                #expect(await session.isAlive())
            }
        }
    }

    @Test("paging stays on when the profile does not disable it: the engine answers --More--", arguments: Backends.all)
    func pagingOn(_ backend: Backend) async throws {
        let (configuration, devicePort) = try DeviceShell.configuration()
        try await TestSSHD.with(configuration: configuration) { server in
            var profile = PlatformProfile.ciscoIOS
            profile.disablePaging = []
            let target = Fixture.target(server, port: devicePort, platform: "cisco_ios")
            try await Fixture.withSession(Fixture.driver(backend), target, Fixture.context(profile)) { session in
                let outcome = try await session.execute(Fixture.commands("show terminal", "show version"))
                #expect(outcome.outputs[0].output == "Length: 24 lines, Width: 511 columns")
                let lines = outcome.outputs[1].output.split(separator: "\n")
                #expect(lines.count == 60)
                #expect(lines.allSatisfy { $0.hasPrefix("Cisco IOS Software") })
            }
        }
    }

    @Test("the device's session killed mid-output: connection_lost", arguments: Backends.all)
    func killedMidOutput(_ backend: Backend) async throws {
        let (configuration, devicePort) = try DeviceShell.configuration()
        try await TestSSHD.with(configuration: configuration) { server in
            let target = Fixture.target(server, port: devicePort, platform: "cisco_ios")
            let session = try await Fixture.driver(backend).connect(to: target, context: Fixture.context(.ciscoIOS))
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await session.execute(Fixture.commands("crash"))
            }
            #expect(error?.kind == .connectionLost, "\(String(describing: error))")
            #expect(await session.isAlive() == false)
            await session.close()
        }
    }

    @Test("a 10 MB output through the shell", arguments: Backends.all)
    func bigShellOutput(_ backend: Backend) async throws {
        let (configuration, devicePort) = try DeviceShell.configuration()
        try await TestSSHD.with(configuration: configuration) { server in
            let target = Fixture.target(server, port: devicePort, platform: "cisco_ios")
            try await Fixture.withSession(Fixture.driver(backend), target, Fixture.context(.ciscoIOS)) { session in
                let outcome = try await session.execute(Fixture.commands("show big 10000000"))
                let output = outcome.outputs[0].output
                // 100-byte rows ("x" * 98 + CR LF) arrive as 99-byte lines (LF only).
                #expect(output.utf8.count == 10_000_000 / 100 * 99 - 1)
                #expect(output.hasPrefix(String(repeating: "x", count: 98) + "\n"))
            }
        }
    }
}
