import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseLab
import NetPulseSSH
import NetPulseSSH2
import SSHTestSupport
import Testing

/// Several channels one after another on one SSH session, and a client's CLOSE answered.
@Suite("Channels on one session")
struct ChannelTests {
    static let logger = Logger(label: "test.lab.channels")

    /// OpenSSH multiplexing: a master connection (`-M`, no command), then three clients that each run one
    /// command on a new exec channel of the master's session.
    @Test func openSSHRunsThreeExecChannelsOnOneSession() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let key = try await makeClientKey(in: folder)
        // A control socket path short enough for sun_path.
        let socket = "/tmp/np-mux-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try await withLab(LabConfiguration(devices: 1, platforms: [.linux], authorizedKeys: [key.publicLine])) { lab in
            let device = lab.devices[0]
            let options = OpenSSHClient.options(
                for: device, knownHosts: lab.knownHostsFile, auth: OpenSSHClient.key(key.privateKey))
            // -f: the first process exits once the master is authenticated and listens on its socket.
            let master = try OpenSSHClient(
                ["-M", "-S", socket, "-o", "ControlPersist=60", "-f", "-N"] + options)
            #expect(await master.exitStatus(within: .seconds(20)) == 0, "\(master.errorOutput)")
            defer {
                let stop = try? OpenSSHClient(["-S", socket, "-O", "exit"] + options)
                stop?.closeInput()
            }
            var outputs: [String] = []
            for command in ["hostname", "echo two", "uname -r"] {
                let client = try OpenSSHClient(["-S", socket, "-o", "ControlMaster=no"] + options + [command])
                client.closeInput()
                let status = await client.exitStatus(within: .seconds(20))
                #expect(status == 0, "\(command): \(client.errorOutput)")
                outputs.append(client.output)
            }
            #expect(outputs == ["host1\n", "two\n", "6.1.0-18-amd64\n"])
            let statistics = lab.statistics()
            #expect(statistics.logins == 1, "one session")
            #expect(statistics.channels == 3)
            #expect(statistics.commands == 3)
            let stop = try OpenSSHClient(["-S", socket, "-O", "exit"] + options)
            stop.closeInput()
            #expect(await stop.exitStatus(within: .seconds(10)) == 0, "\(stop.errorOutput)")
        }
    }

    static func drivers(_ knownHosts: String) -> [(String, any Driver)] {
        let configuration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: knownHosts))
        return [
            ("libssh", LibSSHDriver(configuration: configuration)),
            ("libssh2", LibSSH2Driver(configuration: configuration)),
        ]
    }

    /// Our drivers run each `linux` command on its own exec channel: three commands, three channels, one login.
    @Test func bothDriversRunThreeExecChannelsOnOneSession() async throws {
        try await withLab(LabConfiguration(devices: 1, platforms: [.linux])) { lab in
            let device = lab.devices[0]
            for (name, driver) in Self.drivers(lab.knownHostsFile) {
                let before = lab.statistics()
                let profile = try #require(PlatformRegistry.builtin.profile(named: "linux"))
                let session = try await driver.connect(
                    to: device.target(
                        hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile), readTimeout: .seconds(30),
                        connectTimeout: .seconds(30)),
                    context: DriverContext(platform: profile, logger: Self.logger))
                let outcome = try await session.execute(
                    ExecutionRequest(
                        operation: .commands(["hostname", "echo two", "uname -r"]), readTimeout: .seconds(10),
                        logger: Self.logger))
                await session.close()
                #expect(outcome.success, "\(name): \(String(describing: outcome.error))")
                #expect(outcome.outputs.map(\.output) == ["host1\n", "two\n", "6.1.0-18-amd64\n"], "\(name)")
                let after = lab.statistics()
                #expect(after.logins - before.logins == 1, "\(name): one session")
                #expect(after.channels - before.channels == 3, "\(name): three channels")
            }
        }
    }

    /// A client that closes a shell channel first and waits for the answer (libssh2's own
    /// `libssh2_channel_wait_closed`, bounded by the session timeout) gets the lab's CLOSE.
    @Test func aClientsCloseIsAnswered() async throws {
        try await withLab(LabConfiguration(devices: 1, platforms: [.ciscoIOS])) { lab in
            let device = lab.devices[0]
            let result = await offPool { () -> Result<[Int32], RawSSH2Client.Failure> in
                do {
                    let client = try RawSSH2Client(device, password: "admin")
                    // Two channels one after the other, each closed by the client.
                    return .success(try (0..<2).map { _ in client.closeAndWait(try client.openShell()) })
                } catch let failure as RawSSH2Client.Failure {
                    return .failure(failure)
                } catch {
                    return .failure(RawSSH2Client.Failure(description: "\(error)"))
                }
            }
            let results = try result.get()
            #expect(results == [0, 0], "0: the peer's CLOSE came; otherwise LIBSSH2_ERROR_TIMEOUT (-9)")
            let statistics = await lab.statistics(waitingUpTo: .seconds(10)) { $0.closesAnswered == 2 }
            #expect(statistics.closesAnswered == 2)
            #expect(statistics.logins == 1)
        }
    }
}
