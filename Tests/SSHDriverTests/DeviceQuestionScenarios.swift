import Foundation
import Logging
import NetPulse
import NetPulseLab
import NetPulseSSH
import NetPulseSSH2
import NetPulseSSHCore
import SSHTestSupport
import Testing

/// Device questions and `driver_args`, end to end: JSON requests through the scheduler and both SSH
/// backends, against NetPulseLab's IOS emulation and against a shell script served by a real OpenSSH sshd.
@Suite("Driver: device questions and driver_args", .timeLimit(.minutes(5)))
struct DeviceQuestionScenarios {
    static let logger = Logger(label: "test.questions")
    static let password = "pw-4-questions-only"
    static let enableSecret = "en-4-questions"

    /// Runs `body` with a scheduler whose drivers are both backends, strict against `knownHostsFile`.
    static func withDrivers<T: Sendable>(
        knownHostsFile: String, _ body: (Scheduler) async throws -> T
    ) async throws -> T {
        var drivers = DriverRegistry()
        let ssh = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: knownHostsFile))
        drivers.registerLibSSH(configuration: ssh)
        drivers.registerLibSSH2(configuration: ssh)
        return try await withScheduler(configuration: SchedulerConfiguration(drivers: drivers, logger: logger)) {
            try await body($0)
        }
    }

    /// A batch on one lab device, pinned, with a long read timeout (so that nothing below is a timeout).
    static func labRequest(
        _ driver: String, _ device: LabDevice, knownHostsFile: String, body: String
    ) throws -> BatchRequest {
        let json = #"""
            {"driver": "\#(driver)", "devices": [{"host": "\#(device.host)", "port": \#(device.port)}],
             "connection_args": {"device_type": "cisco_ios", "username": "\#(device.username)",
                                 "password": "\#(password)", "secret": "\#(enableSecret)", "read_timeout": 60,
                                 "host_key_policy": "strict", "known_hosts_file": "\#(knownHostsFile)"},
             "options": {"queue_strategy": "pinned", "execution_timeout": 60}, \#(body)}
            """#
        return try BatchRequest(json: Data(json.utf8))
    }

    static let labConfiguration = LabConfiguration(
        devices: 1, platforms: [.ciscoIOS], password: Secret(password), enableSecret: Secret(enableSecret))

    @Test(
        "lab IOS: copy running-config startup-config answered by the profile, then read back", arguments: Backends.all)
    func copyRunStart(backend: Backend) async throws {
        try await withLab(Self.labConfiguration) { lab in
            let device = lab.devices[0]
            try await Self.withDrivers(knownHostsFile: lab.knownHostsFile) { scheduler in
                let push = try Self.labRequest(
                    backend.name, device, knownHostsFile: lab.knownHostsFile,
                    body: #""config": ["interface GigabitEthernet0/1", " description np-question-marker"]"#)
                let pushed = try await scheduler.run(push)
                #expect(pushed.results.first?.success == true, "\(pushed.results)")
                let copy = try Self.labRequest(
                    backend.name, device, knownHostsFile: lab.knownHostsFile,
                    body: #""command": ["copy running-config startup-config", "show startup-config"]"#)
                let copied = try #require(try await scheduler.run(copy).results.first)
                #expect(copied.success, "\(String(describing: copied.error))")
                #expect(copied.outputs.map(\.status) == [.ok, .ok])
                #expect(copied.outputs.first?.output.contains("Destination filename [startup-config]?") == true)
                #expect(copied.outputs.first?.output.contains("[OK]") == true, "\(copied.outputs)")
                #expect(copied.outputs.last?.output.contains("description np-question-marker") == true)
                #expect(copied.sessionReused == true)
            }
        }
    }

    @Test("lab IOS: expect_string per command, the answer as the next command", arguments: Backends.all)
    func expectStringPerCommand(backend: Backend) async throws {
        try await withLab(Self.labConfiguration) { lab in
            let device = lab.devices[0]
            try await Self.withDrivers(knownHostsFile: lab.knownHostsFile) { scheduler in
                let request = try Self.labRequest(
                    backend.name, device, knownHostsFile: lab.knownHostsFile,
                    body: #"""
                        "command": ["copy running-config startup-config", "startup-config", "show clock"],
                        "driver_args": {"per_command": {"copy running-config startup-config":
                                                            {"expect_string": "Destination filename"}}}
                        """#)
                let result = try #require(try await scheduler.run(request).results.first)
                #expect(result.success, "\(String(describing: result.error))")
                #expect(result.outputs[0].output.contains("Destination filename"), "\(result.outputs)")
                #expect(!result.outputs[0].output.contains("[OK]"))
                #expect(result.outputs[1].output.contains("[OK]"), "\(result.outputs)")
                #expect(!result.outputs[2].output.isEmpty)
            }
        }
    }

    @Test(
        "lab IOS: an unanswered [confirm] is unexpected_prompt at once; the session is reused", arguments: Backends.all)
    func unansweredQuestion(backend: Backend) async throws {
        try await withLab(Self.labConfiguration) { lab in
            let device = lab.devices[0]
            try await Self.withDrivers(knownHostsFile: lab.knownHostsFile) { scheduler in
                // Read timeout and execution timeout are 60 s: a result here did not wait for either.
                let ask = try Self.labRequest(
                    backend.name, device, knownHostsFile: lab.knownHostsFile,
                    body: #""command": ["clear counters", "show clock"]"#)
                let asked = try #require(try await scheduler.run(ask).results.first)
                #expect(!asked.success)
                #expect(asked.error?.kind == .unexpectedPrompt, "\(String(describing: asked.error))")
                #expect(asked.error?.kind != .timeout)
                #expect(asked.error?.message.contains("[confirm]") == true, "\(String(describing: asked.error))")
                #expect(asked.outputs.map(\.status) == [.failed, .skipped])

                // The same pinned session, back at its prompt.
                let again = try Self.labRequest(
                    backend.name, device, knownHostsFile: lab.knownHostsFile, body: #""command": ["show clock"]"#)
                let reused = try #require(try await scheduler.run(again).results.first)
                #expect(reused.success, "\(String(describing: reused.error))")
                #expect(reused.sessionReused == true)

                // The answer from the request (other driver_args: a session of its own).
                let answered = try Self.labRequest(
                    backend.name, device, knownHostsFile: lab.knownHostsFile,
                    body: #""command": ["clear counters", "show clock"], "driver_args": {"answers": {"[confirm]": ""}}"#
                )
                let result = try #require(try await scheduler.run(answered).results.first)
                #expect(result.success, "\(String(describing: result.error))")
                #expect(result.outputs.map(\.status) == [.ok, .ok])
            }
        }
    }

    @Test("unknown driver_args are refused for the built-in drivers, naming the field")
    func unknownDriverArgs() async throws {
        try await Self.withDrivers(knownHostsFile: "/nonexistent") { scheduler in
            let json = #"""
                {"driver": "libssh2", "devices": [{"host": "127.0.0.1", "driver_args": {"vrf": "mgmt"}}],
                 "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p"},
                 "command": "show clock"}
                """#
            let error = #expect(throws: RequestError.self) {
                try scheduler.submit(try BatchRequest(json: Data(json.utf8)))
            }
            #expect(error?.field == "devices[0].driver_args.vrf")
            let bad = #"""
                {"driver": "libssh2", "devices": ["127.0.0.1"], "driver_args": {"expect_string": "(unclosed"},
                 "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p"},
                 "command": "show clock"}
                """#
            let regex = #expect(throws: RequestError.self) {
                try scheduler.submit(try BatchRequest(json: Data(bad.utf8)))
            }
            #expect(regex?.field == "driver_args.expect_string")
            let linux = #"""
                {"driver": "libssh", "devices": ["127.0.0.1"], "driver_args": {"strip_prompt": false},
                 "connection_args": {"device_type": "linux", "username": "u", "password": "p"},
                 "command": "uname"}
                """#
            let exec = #expect(throws: RequestError.self) {
                try scheduler.submit(try BatchRequest(json: Data(linux.utf8)))
            }
            #expect(exec?.field == "devices[0].driver_args.strip_prompt")
        }
    }

    // MARK: - Against a shell script served by OpenSSH

    static let scriptPath = "/tmp/netpulse-question-shell-v1.py"

    /// A Cisco-like CLI (prompt `Q1#`) with a slow command and two questions: `slow` answers after 3 s,
    /// `erase` asks `Proceed? [confirm]` (one key), `overwrite` asks `Overwrite the file? [yes/no]: ` (a
    /// line). Ctrl-C at a question prints `^C` and the prompt.
    static let script = #"""
        import os, sys, time, tty
        try:
            tty.setraw(0)
        except Exception:
            pass

        def out(text):
            data = text.encode()
            while data:
                n = os.write(1, data)
                data = data[n:]

        def prompt():
            out("Q1#")

        state = {"ask": None}

        def run(line):
            if line in ("", "terminal length 0", "terminal width 511"):
                prompt()
            elif line == "slow":
                time.sleep(3)
                out("slow answer done\r\n")
                prompt()
            elif line == "show ok":
                out("all good\r\n")
                prompt()
            elif line == "erase":
                out("Proceed? [confirm]")
                state["ask"] = "key"
            elif line == "overwrite":
                out("Overwrite the file? [yes/no]: ")
                state["ask"] = "line"
            else:
                out("% Invalid input detected at '^' marker.\r\n")
                prompt()

        out("\r\nQuestion test device\r\n\r\n")
        prompt()
        line = b""
        last = b""
        while True:
            data = os.read(0, 4096)
            if not data:
                break
            for byte in data:
                ch = bytes([byte])
                if ch == b"\n" and last == b"\r":
                    last = ch
                    continue
                last = ch
                if ch == b"\x03":
                    line = b""
                    state["ask"] = None
                    out("^C\r\n")
                    prompt()
                elif state["ask"] == "key":
                    state["ask"] = None
                    out("\r\n" + ("erased\r\n" if ch in (b"\r", b"\n", b"y") else ""))
                    prompt()
                elif ch in (b"\r", b"\n"):
                    out("\r\n")
                    text = line.decode(errors="replace").strip()
                    line = b""
                    if state["ask"] == "line":
                        state["ask"] = None
                        out("overwritten\r\n" if text == "yes" else "kept\r\n")
                        prompt()
                    else:
                        run(text)
                elif ch in (b"\x7f", b"\b"):
                    line = line[:-1]
                else:
                    line += ch
                    os.write(1, ch)
        """#

    static func withQuestionShell<T>(_ body: (TestSSHD, _ port: Int) async throws -> T) async throws -> T {
        if (try? String(contentsOfFile: scriptPath, encoding: .utf8)) != script {
            let temporary = "\(scriptPath).\(UUID().uuidString)"
            try script.write(toFile: temporary, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary)
            #expect(rename(temporary, scriptPath) == 0)
        }
        var devicePort = 0
        return try await TestSSHD.with(configuration: {
            let port = try TestSSHD.freePort()
            devicePort = port
            return TestSSHD.Configuration(extraConfig: [
                "Port \(port)", "Match LocalPort \(port)", "    ForceCommand exec /usr/bin/python3 \(scriptPath)",
            ])
        }) { server in
            try await body(server, devicePort)
        }
    }

    static func sshdRequest(
        _ driver: String, _ server: TestSSHD, port: Int, readTimeout: Double, body: String
    ) throws -> BatchRequest {
        let json = #"""
            {"driver": "\#(driver)", "devices": [{"host": "\#(server.host)", "port": \#(port)}],
             "connection_args": {"device_type": "cisco_ios", "username": "\#(TestSSHD.username)",
                                 "password": "\#(TestSSHD.password)", "read_timeout": \#(readTimeout),
                                 "conn_timeout": 30,
                                 "host_key_policy": "strict", "known_hosts_file": "\#(server.knownHostsFile)"},
             "options": {"queue_strategy": "pinned", "execution_timeout": 60}, \#(body)}
            """#
        return try BatchRequest(json: Data(json.utf8))
    }

    @Test(
        "sshd: driver_args.read_timeout lets a slow command finish that the default cuts off", arguments: Backends.all)
    func readTimeoutOverride(backend: Backend) async throws {
        try await Self.withQuestionShell { server, port in
            try await Self.withDrivers(knownHostsFile: server.knownHostsFile) { scheduler in
                // The default here is 0.75 s; `slow` answers after 3 s.
                let short = try Self.sshdRequest(
                    backend.name, server, port: port, readTimeout: 1.5, body: #""command": ["show ok", "slow"]"#)
                let cut = try #require(try await scheduler.run(short).results.first)
                #expect(cut.error?.kind == .timeout, "\(String(describing: cut.error))")

                let long = try Self.sshdRequest(
                    backend.name, server, port: port, readTimeout: 1.5,
                    body: #""command": ["show ok", "slow"], "driver_args": {"read_timeout": 120}"#)
                let done = try #require(try await scheduler.run(long).results.first)
                #expect(done.success, "\(String(describing: done.error))")
                #expect(done.outputs.last?.output == "slow answer done")
            }
        }
    }

    @Test("sshd: questions unanswered, answered from the request, and output options", arguments: Backends.all)
    func shellQuestions(backend: Backend) async throws {
        try await Self.withQuestionShell { server, port in
            try await Self.withDrivers(knownHostsFile: server.knownHostsFile) { scheduler in
                let ask = try Self.sshdRequest(
                    backend.name, server, port: port, readTimeout: 60, body: #""command": ["overwrite", "show ok"]"#)
                let asked = try #require(try await scheduler.run(ask).results.first)
                #expect(asked.error?.kind == .unexpectedPrompt, "\(String(describing: asked.error))")
                #expect(asked.error?.message.contains("Overwrite the file? [yes/no]:") == true)
                #expect(asked.outputs.map(\.status) == [.failed, .skipped])
                let again = try Self.sshdRequest(
                    backend.name, server, port: port, readTimeout: 60, body: #""command": ["show ok"]"#)
                let reused = try #require(try await scheduler.run(again).results.first)
                #expect(reused.sessionReused == true)
                #expect(reused.outputs.first?.output == "all good")

                let answered = try Self.sshdRequest(
                    backend.name, server, port: port, readTimeout: 60,
                    body: #"""
                        "command": ["overwrite", "erase", "show ok"],
                        "driver_args": {"answers": {"[yes/no]": "yes", "[confirm]": ""}, "strip_prompt": false,
                                        "strip_command": false, "error_pattern": "^kept$"}
                        """#)
                let result = try #require(try await scheduler.run(answered).results.first)
                #expect(result.success, "\(String(describing: result.error))")
                #expect(result.outputs.map(\.output).last == "show ok\nall good\nQ1#")
                #expect(result.outputs[0].output.contains("overwritten"))
                #expect(result.outputs[1].output.contains("erased"))

                // error_pattern adds to the profile's: `kept` now marks the command as failed.
                let rejected = try Self.sshdRequest(
                    backend.name, server, port: port, readTimeout: 60,
                    body: #"""
                        "command": ["overwrite"],
                        "driver_args": {"answers": {"[yes/no]": "no"}, "error_pattern": ["^kept$"]}
                        """#)
                let kept = try #require(try await scheduler.run(rejected).results.first)
                #expect(kept.error?.kind == .commandError, "\(String(describing: kept.error))")
                #expect(kept.outputs.first?.status == .failed)
            }
        }
    }
}
