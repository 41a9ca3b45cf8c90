import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

/// ECDSA host keys and NIST-curve key exchange, as seen by clients we did not write (OpenSSH's `ssh` and
/// `ssh-keyscan`) and by both NetPulse drivers with strict host-key checking.
@Suite("Host key types: ECDSA devices, NIST key exchange")
struct HostKeyTypeTests {
    /// `ssh-keyscan` of one device for every key type it knows: the lines it printed, comments dropped.
    static func keyscan(_ device: LabDevice) async throws -> [String] {
        let result = try await ChildProcess.run(
            "/usr/bin/ssh-keyscan", ["-T", "10", "-t", "rsa,ecdsa,ed25519", "-p", String(device.port), device.host],
            environment: [:])
        return result.stdout.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    }

    /// A known_hosts file beside the lab's whose only line gives `device`'s address the key `key`.
    static func knownHosts(_ lab: Lab, _ device: LabDevice, key: String, name: String) throws -> String {
        let path = lab.folder + "/" + name
        try "[\(device.host)]:\(device.port) \(key)\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Device 0 keeps the default (ed25519); devices 1 and 2 are ECDSA devices (a per-device profile).
    @Test func ecdsaDevicesPresentOnlyTheirECDSAKey() async throws {
        let configuration = LabConfiguration(
            devices: 3, platforms: [.linux], deviceProfiles: [1: .ecdsa, 2: LabDeviceProfile(hostKey: .ecdsa)])
        try await withLab(configuration) { lab in
            let (plain, ecdsa, other) = (lab.devices[0], lab.devices[1], lab.devices[2])
            #expect(plain.hostKey.hasPrefix("ssh-ed25519 AAAA"))
            #expect(ecdsa.hostKey.hasPrefix("ecdsa-sha2-nistp256 AAAA"), "\(ecdsa.hostKey)")
            #expect(other.hostKey.hasPrefix("ecdsa-sha2-nistp256 AAAA"))
            #expect(ecdsa.hostKey != other.hostKey, "one key per device")
            let known = try String(contentsOfFile: lab.knownHostsFile, encoding: .utf8)
            #expect(known.contains("[127.0.0.1]:\(ecdsa.port) \(ecdsa.hostKey)"))

            // ssh-keyscan asks for each type in turn: the device has the ECDSA key only.
            let scanned = try await Self.keyscan(ecdsa)
            #expect(scanned == ["[127.0.0.1]:\(ecdsa.port) \(ecdsa.hostKey)"], "\(scanned)")
            #expect(try await Self.keyscan(plain) == ["[127.0.0.1]:\(plain.port) \(plain.hostKey)"])

            // OpenSSH's ssh negotiates the ECDSA host key and checks it against known_hosts.
            let result = try await OpenSSHClient.exec(
                ecdsa, knownHosts: lab.knownHostsFile, auth: ["-v"] + OpenSSHClient.password(), password: "admin",
                command: "hostname")
            #expect(result.status == 0, "\(result.stderr.suffix(300))")
            #expect(result.stdout == "host2\n")
            let kex = RealismTests.negotiated(result.stderr)
            #expect(kex.contains("host key algorithm: ecdsa-sha2-nistp256"), "\(kex)")
            #expect(kex.contains("algorithm: curve25519-sha256"), "modern key exchange unchanged: \(kex)")
            // The fingerprint the lab reports is ssh-keygen's.
            let keygen = try await ChildProcess.run(
                "/usr/bin/ssh-keygen", ["-l", "-F", "[127.0.0.1]:\(ecdsa.port)", "-f", lab.knownHostsFile],
                environment: [:])
            #expect(keygen.stdout.contains("ECDSA \(ecdsa.hostKeyFingerprint)"), "\(keygen.stdout)")

            // Both drivers, strict: in with the device's key, a typed mismatch with another ECDSA key.
            let wrong = try Self.knownHosts(lab, ecdsa, key: other.hostKey, name: "wrong_known_hosts")
            for (name, driver) in RealismTests.drivers(lab) {
                let output = await RealismTests.hostname(driver, ecdsa, lab: lab)
                #expect((try? output.get()) == "host2\n", "\(name): \(output)")
                let refused = await Self.hostname(driver, ecdsa, knownHosts: wrong)
                guard case .failure(let error) = refused else {
                    Issue.record("\(name) accepted another ECDSA key")
                    continue
                }
                #expect(error.kind == .hostKeyMismatch, "\(name): \(error)")
            }
        }
    }

    /// `hostname` on a device with a given known_hosts file.
    static func hostname(
        _ driver: any Driver, _ device: LabDevice, knownHosts: String
    ) async -> Result<String, NetPulseError> {
        do {
            let session = try await driver.connect(
                to: device.target(
                    hostKeyPolicy: .strict(knownHostsFile: knownHosts), readTimeout: .seconds(30),
                    connectTimeout: .seconds(30)),
                context: DriverContext(platform: PlatformProfile.linux, logger: RealismTests.logger))
            let outcome = try await session.execute(
                ExecutionRequest(
                    operation: .commands(["hostname"]), readTimeout: .seconds(30), logger: RealismTests.logger))
            await session.close()
            return .success(outcome.outputs.first?.output ?? "")
        } catch {
            return .failure(NetPulseError(wrapping: error))
        }
    }

    /// `nist`: key exchange on NIST curves only; clients that prefer curve25519 fall back to nistp256.
    @Test func nistDevicesExchangeKeysOnNISTCurvesOnly() async throws {
        let profile = try LabDeviceProfile(parsing: "ecdsa+nist")
        try await withLab(LabConfiguration(devices: 1, platforms: [.linux], profile: profile)) { lab in
            let device = lab.devices[0]
            let result = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: ["-v"] + OpenSSHClient.password(), password: "admin",
                command: "hostname")
            #expect(result.status == 0, "\(result.stderr.suffix(300))")
            let kex = RealismTests.negotiated(result.stderr)
            #expect(kex.contains("algorithm: ecdh-sha2-nistp256"), "\(kex)")
            #expect(kex.contains("host key algorithm: ecdsa-sha2-nistp256"), "\(kex)")
            // A client that offers curve25519 only finds nothing in common.
            let curveOnly = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile,
                auth: ["-v", "-o", "KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org"]
                    + OpenSSHClient.password(), password: "admin", command: "hostname")
            #expect(curveOnly.status == 255)
            #expect(
                curveOnly.stderr.contains("no matching key exchange") || curveOnly.stderr.contains("Connection closed"),
                "\(curveOnly.stderr.suffix(300))")
            for (name, driver) in RealismTests.drivers(lab) {
                let output = await RealismTests.hostname(driver, device, lab: lab)
                #expect((try? output.get()) == "host1\n", "\(name): \(output)")
            }
        }
    }

    @Test func ecdsaKeysPersistInTheLabFolderAndAWrongTypeIsNamed() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let configuration = LabConfiguration(devices: 2, platforms: [.linux], folder: folder, profile: .ecdsa)
        let first = try await withLab(configuration) { lab in lab.devices.map(\.hostKey) }
        let second = try await withLab(configuration) { lab in lab.devices.map(\.hostKey) }
        #expect(first == second)
        #expect(first.allSatisfy { $0.hasPrefix("ecdsa-sha2-nistp256 AAAA") })
        // The same folder for ed25519 devices: the kept key is of the wrong type, and the error says so.
        do {
            try await withLab(LabConfiguration(devices: 2, platforms: [.linux], folder: folder)) { _ in }
            Issue.record("started ed25519 devices on ECDSA keys")
        } catch let error as LabError {
            #expect(error.field == "folder")
            #expect(error.reason.contains("is ecdsa, device 0 needs ed25519"), "\(error)")
        }
    }
}
