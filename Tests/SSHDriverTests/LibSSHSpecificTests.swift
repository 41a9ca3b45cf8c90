import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseSSH
import NetPulseSSH2
import SSHTestSupport
import Testing

/// What only the libssh backend does, or does differently from libssh2, against a real OpenSSH sshd.
@Suite("libssh driver specifics")
struct LibSSHSpecificTests {
    static let logger = Logger(label: "test.libssh")

    static func target(
        _ server: TestSSHD, platform: String = "linux", credentials: [Credential]? = nil,
        policy: HostKeyPolicy? = nil, legacy: Bool = false, connectTimeout: Duration = .seconds(30)
    ) -> DeviceTarget {
        DeviceTarget(
            host: server.host, port: server.port, username: TestSSHD.username,
            credentials: credentials ?? [.password(Secret(TestSSHD.password))], enableSecret: "en-secret",
            platform: platform, connectTimeout: connectTimeout, readTimeout: .seconds(10),
            hostKeyPolicy: policy ?? .strict(knownHostsFile: server.knownHostsFile), legacyAlgorithms: legacy)
    }

    static func context(_ platform: String = "linux") -> DriverContext {
        DriverContext(platform: PlatformRegistry.builtin.profile(named: platform)!, logger: logger)
    }

    static let driver = LibSSHDriver(configuration: SSHDriverConfiguration(hostKeyPolicy: .off))

    static func commands(_ lines: String...) -> ExecutionRequest {
        ExecutionRequest(operation: .commands(lines), readTimeout: .seconds(10), logger: logger)
    }

    /// Connects, runs `echo ok`, closes; returns the output or throws the connect error.
    static func login(_ target: DeviceTarget) async throws -> String {
        let session = try await driver.connect(to: target, context: context())
        do {
            let outcome = try await session.execute(commands("echo ok"))
            await session.close()
            return outcome.outputs.first?.output ?? ""
        } catch {
            await session.close()
            throw error
        }
    }

    static func expectLogin(_ target: DeviceTarget, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let output = try await login(target)
        #expect(output == "ok\n", sourceLocation: sourceLocation)
    }

    static func kind(of body: () async throws -> Void) async -> NetPulseError.Kind? {
        do {
            try await body()
            return nil
        } catch let error as NetPulseError {
            return error.kind
        } catch {
            return .driverError
        }
    }

    // MARK: Registration

    @Test("registered as libssh with the alias ssh")
    func registration() {
        var registry = DriverRegistry()
        registry.registerLibSSH(configuration: SSHDriverConfiguration(hostKeyPolicy: .off))
        #expect(registry.canonicalName("ssh") == "libssh")
        #expect(registry.driver(named: "LIBSSH") is LibSSHDriver)
        #expect(LibSSHDriver.libraryVersion.hasPrefix("0.10"))
    }

    // MARK: Algorithms (where libssh and libssh2 differ)

    @Test(
        "libssh negotiates chacha20-poly1305 and AES-GCM (libssh2 1.10 has neither)",
        arguments: ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"])
    func modernCiphers(cipher: String) async throws {
        try await TestSSHD.with(configuration: .init(extraConfig: ["Ciphers \(cipher)"])) { server in
            try await Self.expectLogin(Self.target(server))
            // The same server refuses libssh2 1.10, which has neither cipher: the documented difference.
            let ssh2 = LibSSH2Driver(configuration: SSHDriverConfiguration(hostKeyPolicy: .off))
            let kind = await Self.kind {
                let session = try await ssh2.connect(to: Self.target(server), context: Self.context())
                await session.close()
            }
            #expect(kind == .protocolError)
        }
    }

    // MARK: Socket ownership

    @Test("every socket is closed exactly once, also when libssh closed it itself after a failure")
    func socketsClosedAfterFailures() async throws {
        // The legacy-only server makes the key exchange fail by default: libssh then closes the socket
        // itself; a successful session leaves it to the driver; an auth failure too.
        let config = ["KexAlgorithms diffie-hellman-group14-sha1,curve25519-sha256"]
        try await TestSSHD.with(configuration: .init(extraConfig: config)) { server in
            for round in 0..<10 {
                try await Self.expectLogin(Self.target(server))
                let kind = await Self.kind {
                    _ = try await Self.login(
                        Self.target(
                            server, credentials: [.privateKey(path: server.unauthorizedKeyFile, passphrase: nil)]))
                }
                #expect(kind == .authentication, "round \(round)")
            }
            #expect(Fixture.socketsConnected(toPort: server.port).isEmpty)
        }
        try await TestSSHD.with(configuration: .init(extraConfig: ["KexAlgorithms diffie-hellman-group14-sha1"])) {
            server in
            for _ in 0..<10 {
                let kind = await Self.kind { _ = try await Self.login(Self.target(server)) }
                #expect(kind == .protocolError)
            }
            #expect(Fixture.socketsConnected(toPort: server.port).isEmpty)
        }
    }
}
