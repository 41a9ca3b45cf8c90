import Foundation
import NetPulseLab
import Testing

@Suite("Injected faults seen by OpenSSH's ssh client")
struct FaultTests {
    /// One lab holding a device per fault, plus healthy ones.
    static func configuration() -> LabConfiguration {
        LabConfiguration(
            devices: 9,
            platforms: [.linux, .ciscoIOS, .linux, .linux, .linux, .linux, .ciscoIOS, .linux, .linux],
            faults: [
                0: .refuse, 1: .hangBeforePrompt, 2: .wrongCredentials, 3: .dropMidOutput, 4: .hangMidCommand,
                5: .garbage, 6: .garbage, 7: .latency(perCommand: .milliseconds(300), beforeBanner: .milliseconds(200)),
                8: .slowOutput(bytesPerSecond: 10_000),
            ])
    }

    static func exec(_ lab: Lab, _ index: Int, _ command: String, within limit: Duration = .seconds(20)) async throws
        -> (status: Int32?, stdout: String, stderr: String)
    {
        try await OpenSSHClient.exec(
            lab.devices[index], knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password(), password: "admin",
            command: command, within: limit)
    }

    @Test func faultsAreExposedInTheAPIAndSidecar() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var configuration = Self.configuration()
        configuration.inventoryFile = folder + "-inventory.json"
        defer {
            try? FileManager.default.removeItem(atPath: folder + "-inventory.json")
            try? FileManager.default.removeItem(atPath: folder + "-inventory.json.faults.json")
        }
        try await withLab(configuration) { lab in
            #expect(lab.devices[0].fault == .refuse)
            #expect(lab.faultyDevices.count == 9)
            let sidecar = try String(contentsOfFile: folder + "-inventory.json.faults.json", encoding: .utf8)
            #expect(sidecar.contains("\"port\": \(lab.devices[3].port)"))
            #expect(sidecar.contains("\"fault\": \"drop_mid_output\""))
            let inventory = try String(contentsOfFile: folder + "-inventory.json", encoding: .utf8)
            #expect(!inventory.contains("fault"))
        }
    }

    @Test func refuseWrongCredentialsDropAndHang() async throws {
        try await withLab(Self.configuration()) { lab in
            let refused = try await Self.exec(lab, 0, "hostname")
            #expect(refused.status == 255)
            #expect(refused.stderr.contains("Connection refused"))

            let denied = try await Self.exec(lab, 2, "hostname")
            #expect(denied.status == 255)
            #expect(denied.stderr.contains("Permission denied"))

            let dropped = try await Self.exec(lab, 3, "seq 100000")
            #expect(dropped.status == 255)
            let droppedLines = dropped.stdout.split(separator: "\n").count
            #expect(droppedLines > 0 && droppedLines < 100_000)

            // Hang mid-command: some output, then nothing, and no exit.
            let hanging = try OpenSSHClient(
                OpenSSHClient.options(for: lab.devices[4], knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password())
                    + ["seq 100000"],
                password: "admin")
            #expect(await hanging.wait(upTo: .seconds(10)) { $0.hasPrefix("1\n2\n") })
            #expect(await hanging.exitStatus(within: .seconds(1)) == nil, "a hung command must not complete")
            #expect(hanging.output.split(separator: "\n").count < 100_000)
        }
    }

    @Test func hangBeforePromptSendsTheBannerOnly() async throws {
        try await withLab(Self.configuration()) { lab in
            let client = try OpenSSHClient(
                ["-tt"] + OpenSSHClient.options(for: lab.devices[1], knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password()),
                password: "admin")
            #expect(await client.wait(upTo: .seconds(10)) { $0.contains("Unauthorized access is prohibited") })
            client.send("show version\n")
            #expect(await client.wait(upTo: .seconds(1)) { $0.contains("R2>") || $0.contains("Processor board") } == false)
            client.terminate()
        }
    }

    @Test func garbageReplacesPromptAndOutput() async throws {
        try await withLab(Self.configuration()) { lab in
            let exec = try await Self.exec(lab, 5, "echo hello")
            #expect(!exec.stdout.contains("hello"))
            #expect(exec.stdout.unicodeScalars.contains { $0 == "\u{FFFD}" }, "non-UTF-8 bytes expected")
            let shell = try OpenSSHClient(
                ["-tt"] + OpenSSHClient.options(for: lab.devices[6], knownHosts: lab.knownHostsFile, auth: OpenSSHClient.password()),
                password: "admin")
            #expect(await shell.wait(upTo: .seconds(10)) { $0.utf8.count >= 128 })
            #expect(!shell.output.contains("R7>"))
            shell.terminate()
        }
    }

    @Test func latencyAndSlowOutputDelayAnswers() async throws {
        try await withLab(Self.configuration()) { lab in
            let clock = ContinuousClock()
            let started = clock.now
            let slowStart = try await Self.exec(lab, 7, "hostname")
            #expect(slowStart.status == 0 && slowStart.stdout == "host8\n")
            // Lower bounds only: the configured delays (200 ms before the banner, 300 ms per command).
            #expect(clock.now - started >= .milliseconds(500))

            let rateStart = clock.now
            let slow = try await Self.exec(lab, 8, "seq 3000")
            #expect(slow.status == 0)
            #expect(slow.stdout.split(separator: "\n").count == 3000)
            // 13,893 bytes at 10,000 bytes/s.
            #expect(clock.now - rateStart >= .milliseconds(1300))
        }
    }
}
