import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

@testable import NetPulseSSHCore

/// netmiko's connection pass-throughs the drivers honour: `banner_timeout`, `session_log`.
@Suite("Driver: netmiko pass-throughs")
struct PassThroughScenarios {
    @Test("banner_timeout bounds the handshake apart from the connect timeout", arguments: Backends.all)
    func bannerTimeout(_ backend: Backend) async throws {
        let (listener, port) = try Listener.open(backlog: 16)
        defer { close(listener) }
        let target = DeviceTarget(
            host: "127.0.0.1", port: port, username: "u", credentials: [.password("p")], platform: "linux",
            connectTimeout: .seconds(120), hostKeyPolicy: .off, bannerTimeout: .milliseconds(400))
        let error = await #expect(throws: NetPulseError.self) {
            _ = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
        }
        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("banner_timeout") == true, "\(String(describing: error))")
    }

    @Test(
        "auth_timeout bounds authentication: sshd's AuthorizedKeysCommand stalls the publickey answer",
        arguments: Backends.all)
    func authTimeout(_ backend: Backend) async throws {
        // The key is not in authorized_keys, so OpenSSH asks AuthorizedKeysCommand, which takes 5 s.
        let configuration = TestSSHD.Configuration(
            extraConfig: ["AuthorizedKeysCommand /bin/sleep 5", "AuthorizedKeysCommandUser nobody"])
        try await TestSSHD.with(configuration: configuration) { server in
            var target = Fixture.target(
                server, credentials: [.privateKey(path: server.unauthorizedKeyFile, passphrase: nil)],
                connectTimeout: .seconds(120))
            target.authTimeout = .milliseconds(800)
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
            }
            #expect(error?.kind == .timeout, "\(String(describing: error))")
            #expect(error?.message.contains("auth_timeout") == true, "\(String(describing: error))")
        }
    }

    @Test("auth_timeout and banner_timeout reach the target from driver_args; bad values name the field")
    func resolve() throws {
        let args = ConnectionArgs(
            deviceType: "cisco_ios", username: "u", password: "p",
            driverArgs: ["auth_timeout": .number(7), "banner_timeout": .number(2.5)])
        let target = try args.resolve(host: "h", platforms: .builtin, path: "devices[0]")
        #expect(target.authTimeout == .seconds(7))
        #expect(target.bannerTimeout == .milliseconds(2500))
        var bad = args
        bad.driverArgs["auth_timeout"] = .string("soon")
        let error = #expect(throws: RequestError.self) { try bad.resolve(host: "h", platforms: .builtin, path: "d") }
        #expect(error?.field == "d.auth_timeout")
    }

    @Test(
        "session_log: a masked transcript per device; a path is refused inside an operator folder",
        arguments: Backends.all)
    func sessionLog(_ backend: Backend) async throws {
        let folder = Fixture.temporaryPath("session-logs")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lab = LabConfiguration(
            devices: 1, platforms: [.ciscoIOS], password: "Log-Pass-5521", enableSecret: "En4ble-Secret-77")
        try await withLab(lab) { lab in
            let device = try #require(lab.devices.first)
            var configuration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            configuration.sessionLogs = .directory(folder)
            let driver = backend.makeDriver(configuration)
            var target = device.target(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            target.driverArgs["session_log"] = .string("np.log")
            let profile = try #require(PlatformRegistry.builtin.profile(named: "cisco_ios"))
            let context = DriverContext(platform: profile, logger: Fixture.logger)
            let outcome = try await Fixture.withSession(driver, target, context) { session in
                try await session.execute(
                    ExecutionRequest(
                        operation: .config(["interface GigabitEthernet0/1", " description logged"]),
                        readTimeout: .seconds(10), logger: Fixture.logger))
            }
            #expect(outcome.success, "\(String(describing: outcome.error))")
            let file = "\(folder)/np_127.0.0.1_\(device.port).log"
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("description logged"), "\(text)")
            #expect(text.contains(Secret.mask), "the enable secret's line is in the transcript, masked")
            #expect(!text.contains("En4ble-Secret-77") && !text.contains("Log-Pass-5521"))
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600)

            target.driverArgs["session_log"] = .string("../escape.log")
            let refused = await #expect(throws: NetPulseError.self) {
                _ = try await driver.connect(to: target, context: context)
            }
            #expect(refused?.kind == .invalidRequest)
            #expect(refused?.message.contains("session_log") == true)
        }
    }

    @Test("transcript masking: every secret, longest first, across the whole chunk")
    func masking() {
        let secrets = [Array("ab".utf8), Array("abc".utf8)].sorted { $0.count > $1.count }
        let masked = SessionLog.mask(Array("xabcxabx".utf8), secrets: secrets)
        #expect(String(decoding: masked, as: UTF8.self) == "x\(Secret.mask)x\(Secret.mask)x")
    }
}
