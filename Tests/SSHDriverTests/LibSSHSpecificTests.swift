import Logging
import NetPulse
import NetPulseIO
import NetPulseSSH
import SSHTestSupport
import Testing

/// What only the libssh backend does, or does differently from libssh2.
@Suite("libssh driver specifics")
struct LibSSHSpecificTests {
    static let logger = Logger(label: "test.libssh")

    static func target(
        _ server: TestSSHD, platform: String = "linux", credentials: [Credential]? = nil,
        policy: HostKeyPolicy? = nil, legacy: Bool = false
    ) -> DeviceTarget {
        DeviceTarget(
            host: server.host, port: server.port, username: TestSSHD.username,
            credentials: credentials ?? [.password(Secret(TestSSHD.password))], platform: platform,
            connectTimeout: .seconds(10), readTimeout: .seconds(10),
            hostKeyPolicy: policy ?? .strict(knownHostsFile: server.knownHostsFile), legacyAlgorithms: legacy)
    }

    static func context(_ platform: String = "linux") -> DriverContext {
        DriverContext(platform: PlatformRegistry.builtin.profile(named: platform)!, logger: logger)
    }

    static let driver = LibSSHDriver(configuration: SSHDriverConfiguration(hostKeyPolicy: .off))

    @Test("password login and exec with exit status and stderr")
    func execSmoke() async throws {
        try await TestSSHD.with { server in
            let session = try await Self.driver.connect(to: Self.target(server), context: Self.context())
            let outcome = try await session.execute(
                ExecutionRequest(operation: .commands(["echo hi; echo err >&2; exit 3"]), logger: Self.logger))
            await session.close()
            #expect(outcome.outputs.first?.output == "hi\n")
            #expect(outcome.outputs.first?.stderr == "err\n")
            #expect(outcome.outputs.first?.exitStatus == 3)
            #expect(outcome.error?.kind == .commandError)
        }
    }
}
