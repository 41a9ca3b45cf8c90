import Foundation
import NetPulse
import SSHTestSupport
import Testing

/// The `netpulse lab` executable: ready line, inventory, clean stop on SIGTERM, refusal of other addresses.
@Suite("netpulse lab command")
struct LabCommandTests {
    /// The lab's output up to its "ready:" line (or its end), read on a Dispatch thread: the read blocks
    /// until the lab prints.
    static func readUntilReady(_ reader: FileHandle) async -> String {
        await offPool {
            var text = ""
            while !text.contains("ready:") {
                let data = reader.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            return text
        }
    }

    static var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("netpulse")
            .path
    }

    @Test func runsUntilSIGTERMAndWritesAValidInventory() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build the netpulse product first")
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let lab = try ChildProcess.spawn(
            Self.executable,
            [
                "lab", "--devices", "6", "--platforms", "cisco_ios,linux", "--inventory", folder + "/inventory.json",
                "--folder", folder, "--fault-rate", "0.5", "--seed", "3",
            ],
            stdout: fds[1]
        )
        close(fds[1])
        let reader = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let text = await Self.readUntilReady(reader)
        #expect(text.contains("ready: 6 devices on 127.0.0.1"))
        #expect(text.components(separatedBy: "fault: ").count - 1 == 3)
        let request = try BatchRequest(json: Data(contentsOf: URL(fileURLWithPath: folder + "/inventory.json")))
        #expect(request.devices.count == 6)
        #expect(request.devices[1].connection.deviceType == "linux")
        let sidecar = try String(contentsOfFile: folder + "/inventory.json.faults.json", encoding: .utf8)
        #expect(sidecar.components(separatedBy: "\"fault\":").count - 1 == 3)
        lab.signal(SIGTERM)
        let rest = await offPool { String(decoding: reader.readDataToEndOfFile(), as: UTF8.self) }
        #expect(await lab.wait() == 0)
        #expect(rest.contains("stopping on signal 15"))
    }

    @Test func refusesANonLoopbackAddress() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build the netpulse product first")
        let result = try await ChildProcess.run(
            Self.executable, ["lab", "--devices", "1", "--bind", "0.0.0.0"], environment: [:])
        #expect(result.status != 0)
        let message = result.stderr
        #expect(message.contains("bindAddress: '0.0.0.0' is not a loopback address"))
    }

    /// `--profile` and `--mix` reach the devices: a seeded half of the fleet gets ECDSA keys (`--mix`), the
    /// rest the `--profile` default; the known_hosts file shows which.
    @Test func profileAndMixChooseHostKeyTypes() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build the netpulse product first")
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let lab = try ChildProcess.spawn(
            Self.executable,
            [
                "lab", "--devices", "4", "--platforms", "linux", "--folder", folder, "--profile", "nist", "--mix",
                "0.5:ecdsa+nist",
            ],
            stdout: fds[1]
        )
        close(fds[1])
        let reader = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let text = await Self.readUntilReady(reader)
        #expect(text.contains("ready: 4 devices on 127.0.0.1"), "\(text)")
        let known = (try? String(contentsOfFile: folder + "/known_hosts", encoding: .utf8)) ?? ""
        let types = known.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst().first }
        #expect(types.filter { $0 == "ecdsa-sha2-nistp256" }.count == 2, "\(known)")
        #expect(types.filter { $0 == "ssh-ed25519" }.count == 2, "\(known)")
        lab.signal(SIGTERM)
        _ = await offPool { reader.readDataToEndOfFile() }
        #expect(await lab.wait() == 0)
    }

    /// A bad profile is refused before anything starts, naming the flag and the parts at fault.
    @Test func refusesConflictingOrUnknownProfiles() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable), "build the netpulse product first")
        let cases: [([String], String)] = [
            (["--profile", "ecdsa+rsa"], "--profile/--mix: profile: 'ecdsa' and 'rsa' choose different host keys"),
            (["--mix", "0.5:dsa"], "--profile/--mix: profile: unknown profile 'dsa'"),
            (["--profile", "ecdsa+legacy"], "'ecdsa' and 'legacy' choose different host keys"),
        ]
        for (arguments, message) in cases {
            let result = try await ChildProcess.run(
                Self.executable, ["lab", "--devices", "1"] + arguments, environment: [:])
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
