import NetPulse
import SSHTestSupport
import Testing

@testable import NetPulseSSH2
@testable import NetPulseSSHCore

/// What only the libssh2 backend needs, against a real OpenSSH sshd.
@Suite("libssh2 driver specifics")
struct LibSSH2SpecificTests {
    @Test(
        "a keepalive that meets a full socket leaves the session usable (libssh2 cannot take back half a packet)",
        arguments: [PlatformProfile.linux, .ciscoIOS])
    func keepaliveOnFullSocket(_ platform: PlatformProfile) async throws {
        try await DeviceShell.with { server, devicePort in
            let driver = LibSSH2Driver(
                configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil)))
            let target = Fixture.target(
                server, port: platform.transport == .exec ? server.port : devicePort, platform: platform.name)
            let session = try await driver.connect(to: target, context: Fixture.context(platform))
            let typed = try #require(session as? SSHSession<LibSSH2Transport>)
            // The kernel takes nothing (a peer that stopped reading) while a keepalive goes out.
            await typed.withTransport { $0.simulatesFullSocket = true }
            #expect(await typed.keepaliveTick())
            // The keepalive was sent and is held, whole, for the socket.
            #expect(await typed.withTransport { $0.pendingOutputBytes } > 0)
            await typed.withTransport { $0.simulatesFullSocket = false }
            let command = platform.transport == .exec ? "echo after" : "show terminal"
            let outcome = try await session.execute(Fixture.commands(command))
            #expect(outcome.success, "\(outcome)")
            #expect(outcome.outputs.first?.output.isEmpty == false, "\(outcome)")
            await session.close()
        }
    }
}
