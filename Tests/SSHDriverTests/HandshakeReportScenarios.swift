import NetPulse
import SSHTestSupport
import Synchronization
import Testing

/// The SSH session tells the scheduler when its handshake is over (`DriverContext.handshakeFinished`),
/// so that the cap on connects in progress does not cover a shell's set-up.
@Suite("Driver: reporting the end of the handshake")
struct HandshakeReportScenarios {
    /// What happened, in order: `handshake` for each report, `connected` when `connect` returned.
    final class Events: Sendable {
        let list = Mutex<[String]>([])
        func add(_ event: String) { list.withLock { $0.append(event) } }
        var all: [String] { list.withLock { $0 } }
    }

    static func context(_ profile: PlatformProfile, _ events: Events) -> DriverContext {
        DriverContext(platform: profile, logger: Fixture.logger, handshakeFinished: { events.add("handshake") })
    }

    @Test("a shell session reports once, before connect returns; a failed login does not", arguments: Backends.all)
    func shell(_ backend: Backend) async throws {
        try await DeviceShell.with { server, devicePort in
            let events = Events()
            let target = Fixture.target(server, port: devicePort, platform: "cisco_ios")
            let session = try await Fixture.driver(backend).connect(
                to: target, context: Self.context(.ciscoIOS, events))
            events.add("connected")
            await session.close()
            #expect(events.all == ["handshake", "connected"])

            let refused = Events()
            let wrong = Fixture.target(
                server, port: devicePort, platform: "cisco_ios", credentials: [.password(Secret("not-the-password"))])
            await #expect(throws: NetPulseError.self) {
                _ = try await Fixture.driver(backend).connect(to: wrong, context: Self.context(.ciscoIOS, refused))
            }
            #expect(refused.all.isEmpty)
        }
    }

    @Test("an exec session reports once, before connect returns", arguments: Backends.all)
    func exec(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let events = Events()
            let session = try await Fixture.driver(backend).connect(
                to: Fixture.target(server), context: Self.context(.linux, events))
            events.add("connected")
            await session.close()
            #expect(events.all == ["handshake", "connected"])
        }
    }
}
