import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseLab
import NetPulseSSH
import NetPulseSSH2
import SSHTestSupport
import Testing

/// Devices as slow and as old as real ones, seen by clients we did not write (OpenSSH's ssh) and by our
/// drivers with the core platform profiles.
@Suite("Realism: latency, old algorithms, questions")
struct RealismTests {
    static let logger = Logger(label: "test.lab.realism")

    /// The key exchange, host key, cipher and MAC OpenSSH negotiated, from `ssh -v`.
    static func negotiated(_ stderr: String) -> [String] {
        stderr.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).compactMap { line -> String? in
            guard let range = line.range(of: "kex: ") else { return nil }
            return String(line[range.upperBound...])
        }
    }

    static func drivers(_ lab: Lab) -> [(String, any Driver)] {
        let configuration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
        return [
            ("libssh", LibSSHDriver(configuration: configuration)),
            ("libssh2", LibSSH2Driver(configuration: configuration)),
        ]
    }

    /// Connects to a `linux` device and runs `hostname`.
    static func hostname(
        _ driver: any Driver, _ device: LabDevice, lab: Lab, legacy: Bool? = nil
    ) async -> Result<String, NetPulseError> {
        do {
            let session = try await driver.connect(
                to: device.target(
                    hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile), readTimeout: .seconds(30),
                    connectTimeout: .seconds(30), legacyAlgorithms: legacy),
                context: DriverContext(platform: PlatformProfile.linux, logger: Self.logger))
            let outcome = try await session.execute(
                ExecutionRequest(operation: .commands(["hostname"]), readTimeout: .seconds(30), logger: Self.logger))
            await session.close()
            return .success(outcome.outputs.first?.output ?? "")
        } catch {
            return .failure(NetPulseError(wrapping: error))
        }
    }

    @Test func legacyOnlyDevicesOfferOnlyOldAlgorithms() async throws {
        try await withLab(LabConfiguration(devices: 1, platforms: [.linux], profile: .legacy)) { lab in
            let device = lab.devices[0]
            #expect(device.hostKey.hasPrefix("ssh-rsa AAAA"))
            let auth = OpenSSHClient.password()
            // OpenSSH's defaults: nothing in common.
            let modern = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: ["-v"] + auth, password: "admin", command: "hostname")
            #expect(modern.status == 255)
            // OpenSSH names the mismatch when the device's KEXINIT reached it first; when the device read
            // OpenSSH's first, it hung up before sending its own (the race depends on load).
            #expect(
                modern.stderr.contains("no matching") || modern.stderr.contains("Connection closed by"),
                "\(modern.stderr.suffix(300))")
            // With the old algorithms allowed, as an operator would for old IOS.
            let old = [
                "-v", "-o", "KexAlgorithms=+diffie-hellman-group14-sha1", "-o", "HostKeyAlgorithms=+ssh-rsa",
                "-o", "PubkeyAcceptedAlgorithms=+ssh-rsa", "-o", "Ciphers=+aes128-cbc", "-o", "MACs=+hmac-sha1",
            ]
            let legacy = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: old + auth, password: "admin", command: "hostname")
            #expect(legacy.status == 0, "\(legacy.stderr)")
            #expect(legacy.stdout == "host1\n")
            let kex = Self.negotiated(legacy.stderr)
            #expect(kex.contains("algorithm: diffie-hellman-group14-sha1"), "\(kex)")
            #expect(kex.contains("host key algorithm: ssh-rsa"), "\(kex)")
            #expect(kex.contains { $0.contains("cipher: aes128-cbc MAC: hmac-sha1") }, "\(kex)")
            // Our drivers: in with legacy algorithms allowed (the target default for such a device), a typed
            // error without.
            for (name, driver) in Self.drivers(lab) {
                #expect(try await Self.hostname(driver, device, lab: lab).get() == "host1\n", "\(name)")
                let refused = await Self.hostname(driver, device, lab: lab, legacy: false)
                guard case .failure(let error) = refused else {
                    Issue.record("\(name) connected without legacy algorithms")
                    continue
                }
                #expect(error.kind == .protocolError || error.kind == .connectionLost, "\(name): \(error)")
            }
        }
    }

    @Test func rsaDevicesServeModernAndSHA1Clients() async throws {
        try await withLab(LabConfiguration(devices: 2, platforms: [.linux], profile: .rsa)) { lab in
            #expect(lab.devices.allSatisfy { $0.hostKey.hasPrefix("ssh-rsa AAAA") })
            let result = try await OpenSSHClient.exec(
                lab.devices[1], knownHosts: lab.knownHostsFile, auth: ["-v"] + OpenSSHClient.password(),
                password: "admin", command: "hostname")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Self.negotiated(result.stderr).contains { $0.hasPrefix("host key algorithm: rsa-sha2-") })
            // libssh knows rsa-sha2-*; libssh2 1.10 knows only ssh-rsa (SHA-1) for RSA host keys, which the
            // device offers too, and which our libssh2 driver uses only when legacy algorithms are allowed.
            let drivers = Self.drivers(lab)
            #expect(try await Self.hostname(drivers[0].1, lab.devices[0], lab: lab).get() == "host1\n")
            #expect(try await Self.hostname(drivers[1].1, lab.devices[0], lab: lab, legacy: true).get() == "host1\n")
        }
    }

    /// Per-command time, round trip and per-line pacing show in what a client sees (lower bounds only).
    @Test func latencyProfileSlowsTheDeviceDown() async throws {
        let slow = LabDeviceProfile(
            latency: LabLatency(
                roundTrip: .milliseconds(20), login: .milliseconds(100), command: .milliseconds(300),
                perLine: .milliseconds(5)))
        try await withLab(LabConfiguration(devices: 1, platforms: [.linux], profile: slow)) { lab in
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await OpenSSHClient.exec(
                lab.devices[0], knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password(), password: "admin",
                command: "seq 100")
            #expect(result.status == 0)
            #expect(result.stdout.split(separator: "\n").count == 100)
            // At least: login 100 ms, command 300 ms, 99 line pauses of 5 ms, and several 20 ms round trips.
            #expect(clock.now - started >= .milliseconds(100 + 300 + 495 + 4 * 20))
        }
    }

    /// A slow device never holds up a fast one: its delays are timers on the loop. Ordering only.
    @Test func aSlowDeviceDoesNotHoldUpAFastOne() async throws {
        let configuration = LabConfiguration(
            devices: 2, platforms: [.linux],
            deviceProfiles: [0: LabDeviceProfile(latency: LabLatency(command: .seconds(20)))])
        try await withLab(configuration) { lab in
            let slow = try OpenSSHClient(
                OpenSSHClient.options(
                    for: lab.devices[0], knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password())
                    + ["hostname"], password: "admin")
            slow.closeInput()
            // The slow command has started once the lab counted it.
            let counted = await lab.statistics(waitingUpTo: .seconds(15)) { $0.commands >= 1 }
            #expect(counted.commands == 1)
            for round in 0..<5 {
                let fast = try await OpenSSHClient.exec(
                    lab.devices[1], knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password(), password: "admin",
                    command: "echo fast-\(round)")
                #expect(fast.stdout == "fast-\(round)\n")
            }
            #expect(slow.isRunning && slow.output.isEmpty, "the slow answer is still on its timer")
            slow.terminate()
        }
    }

    /// The core profiles save on the two new platforms (and IOS) with their questions answered.
    @Test(arguments: [LabPlatform.ciscoIOS, .ciscoNXOS, .hpComware, .huawei])
    func configPushWithSaveReachesStartup(platform: LabPlatform) async throws {
        try await withLab(LabConfiguration(devices: 1, platforms: [platform])) { lab in
            let device = lab.devices[0]
            let profile = try #require(PlatformRegistry.builtin.profile(named: platform.rawValue))
            let configuration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            for driver in [LibSSHDriver(configuration: configuration), LibSSH2Driver(configuration: configuration)]
                as [any Driver]
            {
                let session = try await driver.connect(
                    to: device.target(
                        hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile), readTimeout: .seconds(30),
                        connectTimeout: .seconds(30)),
                    context: DriverContext(platform: profile, logger: Self.logger))
                let marker = "saved-\(type(of: driver))"
                let (lines, readBack): ([String], String) =
                    switch platform {
                    case .ciscoNXOS: (["interface Ethernet1/2", "description \(marker)"], "show startup-config")
                    case .hpComware:
                        (["interface GigabitEthernet1/0/2", "description \(marker)"], "display saved-configuration")
                    case .huawei:
                        (["interface GigabitEthernet0/0/2", "description \(marker)"], "display saved-configuration")
                    default: (["interface GigabitEthernet0/2", "description \(marker)"], "show startup-config")
                    }
                let pushed = try await session.execute(
                    ExecutionRequest(
                        operation: .config(lines), save: true, readTimeout: .seconds(30), logger: Self.logger))
                #expect(pushed.success, "\(platform): \(String(describing: pushed.error))")
                let read = try await session.execute(
                    ExecutionRequest(operation: .commands([readBack]), readTimeout: .seconds(30), logger: Self.logger))
                await session.close()
                #expect(read.outputs.first?.output.contains("description \(marker)") == true, "\(platform)")
            }
        }
    }

    /// `reload`, confirmed, drops the session; the device then stays down for its boot time.
    @Test func reloadDropsTheSessionAndTheDeviceIsDown() async throws {
        let configuration = LabConfiguration(
            devices: 1, platforms: [.ciscoIOS], profile: LabDeviceProfile(latency: LabLatency(boot: .seconds(60))))
        try await withLab(configuration) { lab in
            let device = lab.devices[0]
            let client = try OpenSSHClient(
                ["-tt"]
                    + OpenSSHClient.options(for: device, knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password()),
                password: "admin")
            #expect(await client.wait(upTo: .seconds(10)) { $0.hasSuffix("R1>") })
            client.send("enable\n")
            #expect(await client.wait(upTo: .seconds(10)) { $0.hasSuffix("Password: ") })
            client.send("enable\nreload\n")
            #expect(await client.wait(upTo: .seconds(10)) { $0.hasSuffix("Proceed with reload? [confirm]") })
            client.send("\n")
            let status = await client.exitStatus(within: .seconds(10))
            #expect(status == 255, "the connection drops: \(client.errorOutput)")
            #expect(client.output.contains("%SYS-5-RELOAD"))
            // Down: a new connection is closed before the banner.
            let refused = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password(), password: "admin",
                command: "show clock")
            #expect(refused.status == 255)
            #expect(!refused.stdout.contains("UTC"))
        }
    }
}
