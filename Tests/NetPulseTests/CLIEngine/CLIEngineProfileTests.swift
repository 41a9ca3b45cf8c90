import Logging
import NetPulse
import NetPulseTesting
import Testing

/// Per-platform fixtures for the simulated devices.
enum Fixture {
    static let logger = Logger(label: "cli-test")
    static let secret = "s3cret-Enable"

    static let platforms = [
        "cisco_ios", "cisco_xe", "cisco_nxos", "arista_eos", "juniper_junos", "huawei", "hp_comware", "linux",
    ]
    static let configPlatforms = platforms.filter { $0 != "linux" }
    static let chunkings: [ScriptedShellChannel.Chunking] = [.whole, .every(1), .every(7)]

    static func profile(_ name: String) -> PlatformProfile { PlatformRegistry.builtin.profile(named: name)! }

    static func hostname(_ platform: String) -> String {
        switch platform {
        case "cisco_nxos": "N1"
        case "arista_eos": "sw1"
        case "juniper_junos": "mx1"
        case "huawei": "HW1"
        case "hp_comware": "HP1"
        case "linux": "host1"
        default: "R1"
        }
    }

    static func base(_ platform: String, hostname: String? = nil) -> String {
        let name = hostname ?? self.hostname(platform)
        return platform == "juniper_junos" || platform == "linux" ? "admin@\(name)" : name
    }

    static func setup(_ platform: String) -> SimulatedDevice.Setup {
        var setup = SimulatedDevice.Setup(platform: platform, hostname: hostname(platform))
        if ["cisco_ios", "cisco_xe", "arista_eos"].contains(platform) { setup.enableSecret = secret }
        if platform == "cisco_nxos" { setup.startsPrivileged = true }
        setup.banner = "\r\n*** Authorised access only ***\r\n# no > trespassing #\r\n\r\n"
        return setup
    }

    /// Config lines: good ones, and a line the device rejects in the middle.
    static func configLines(_ platform: String) -> (lines: [String], bad: String) {
        switch platform {
        case "juniper_junos":
            (
                ["set interfaces ge-0/0/0 description uplink", "set bogus thing", "set system ntp server 10.0.0.1"],
                "set bogus thing"
            )
        case "huawei", "hp_comware":
            (
                ["interface GigabitEthernet0/0/1", "description uplink", "bogus thing", "quit", "ntp enable"],
                "bogus thing"
            )
        default:
            (["interface Gi0/1", "description uplink", "bogus thing", "exit", "ntp server 10.0.0.1"], "bogus thing")
        }
    }

    static func renameLine(_ platform: String, to name: String) -> String {
        switch platform {
        case "juniper_junos": "set system host-name \(name)"
        case "huawei", "hp_comware": "sysname \(name)"
        default: "hostname \(name)"
        }
    }

    static func engine(
        _ device: SimulatedDevice, chunking: ScriptedShellChannel.Chunking = .whole, secret: String? = secret
    ) -> (CLIEngine, ScriptedShellChannel) {
        let channel = device.channel(chunking: chunking)
        let engine = CLIEngine(
            channel: channel, profile: profile(device.setup.platform), enableSecret: secret.map { Secret($0) },
            logger: logger)
        return (engine, channel)
    }

    static func request(
        _ operation: NetPulse.DeviceOperation, stopOnError: Bool = true, save: Bool = false, enable: Bool? = nil,
        timeout: Duration = .seconds(5)
    ) -> ExecutionRequest {
        ExecutionRequest(
            operation: operation, stopOnError: stopOnError, save: save, enable: enable, readTimeout: timeout,
            logger: logger)
    }
}

@Suite("CLI engine: every built-in profile against a simulated device")
struct CLIEngineProfileTests {
    @Test(
        "start, then several commands: one output each, echo/prompt/CR/ANSI stripped", arguments: Fixture.platforms,
        Fixture.chunkings)
    func commands(platform: String, chunking: ScriptedShellChannel.Chunking) async throws {
        var setup = Fixture.setup(platform)
        setup.colourPrompt = true
        setup.outputs = [
            "show version": "Software version 1.2.3\nUptime is 5 weeks\n\nLast line",
            "show clock": "*10:00:00.000 UTC Sun Nov 29 2026",
        ]
        let device = SimulatedDevice(setup)
        let (engine, _) = Fixture.engine(device, chunking: chunking)
        try await engine.start(deadline: .now + .seconds(5))
        #expect(await engine.basePrompt == Fixture.base(platform))

        let outcome = try await engine.execute(
            Fixture.request(.commands(["show version", "show clock", "show empty"])))
        #expect(outcome.success)
        #expect(outcome.outputs.map(\.command) == ["show version", "show clock", "show empty"])
        #expect(outcome.outputs[0].output == "Software version 1.2.3\nUptime is 5 weeks\n\nLast line")
        #expect(outcome.outputs[1].output == "*10:00:00.000 UTC Sun Nov 29 2026")
        #expect(outcome.outputs[2].output == "output of show empty")
        #expect(outcome.outputs.allSatisfy { $0.status == .ok })
    }

    @Test("setup commands turn paging off and widen the terminal", arguments: Fixture.platforms)
    func setupCommands(platform: String) async throws {
        let device = SimulatedDevice(Fixture.setup(platform))
        let (engine, channel) = Fixture.engine(device)
        try await engine.start(deadline: .now + .seconds(5))
        let profile = Fixture.profile(platform)
        let sent = channel.written.filter { $0 != "\n" }
        #expect(sent == (profile.disablePaging + profile.widenTerminal).map { $0 + "\n" })
    }

    @Test("a pager that shows despite paging off is answered and stripped", arguments: Fixture.configPlatforms)
    func pager(platform: String) async throws {
        var setup = Fixture.setup(platform)
        setup.pageLines = 3
        setup.pagesAlways = true
        let long = (1...10).map { "  line \($0) of the running configuration" }.joined(separator: "\n")
        setup.outputs = ["show running-config": long]
        for chunking in Fixture.chunkings {
            let (engine, channel) = Fixture.engine(SimulatedDevice(setup), chunking: chunking)
            try await engine.start(deadline: .now + .seconds(5))
            let outcome = try await engine.execute(Fixture.request(.commands(["show running-config", "show clock"])))
            #expect(outcome.outputs[0].output == long, "chunking \(chunking)")
            #expect(outcome.outputs[1].output == "output of show clock")
            #expect(channel.written.filter { $0 == " " }.count == 3)
        }
    }

    @Test(
        "config push, stop on error: the failing line is named, the rest skipped, nothing saved",
        arguments: Fixture.configPlatforms, Fixture.chunkings)
    func configStopOnError(platform: String, chunking: ScriptedShellChannel.Chunking) async throws {
        let (lines, bad) = Fixture.configLines(platform)
        var setup = Fixture.setup(platform)
        setup.rejected = [bad]
        let device = SimulatedDevice(setup)
        let (engine, channel) = Fixture.engine(device, chunking: chunking)
        try await engine.start(deadline: .now + .seconds(5))
        let outcome = try await engine.execute(Fixture.request(.config(lines), stopOnError: true, save: true))

        let badIndex = lines.firstIndex(of: bad)!
        #expect(outcome.outputs.count == lines.count)
        #expect(outcome.outputs[..<badIndex].allSatisfy { $0.status == .ok })
        #expect(outcome.outputs[badIndex].status == .failed)
        #expect(outcome.outputs[(badIndex + 1)...].allSatisfy { $0.status == .skipped && $0.output.isEmpty })
        let error = try #require(outcome.error)
        #expect(error.kind == .commandError)
        #expect(error.message.contains("`\(bad)`"))
        #expect(
            error.message.contains(platform == "juniper_junos" ? "syntax error." : "ecognized command")
                || error.message.contains("% Invalid input detected"))
        // Lines after the failure never reached the device; no save; Junos discards instead of committing.
        for line in lines[(badIndex + 1)...] { #expect(!channel.written.contains(line + "\n")) }
        #expect(!device.log.contains("saved"))
        if platform == "juniper_junos" {
            #expect(device.log.contains("rollback"))
            #expect(!device.log.contains("commit"))
        }
        // Back out of config mode, the session goes on.
        let next = try await engine.execute(Fixture.request(.commands(["show clock"])))
        #expect(next.outputs[0].output == "output of show clock")
        let prompt = await engine.prompt
        #expect(
            !prompt.contains("config") && !prompt.hasPrefix("[") && !prompt.hasSuffix("# ")
                || platform != "juniper_junos" && prompt.hasSuffix("#") && !prompt.contains("("))
    }

    @Test(
        "config push, continue on error: every line sent, the failing one marked, no save",
        arguments: Fixture.configPlatforms)
    func configContinue(platform: String) async throws {
        let (lines, bad) = Fixture.configLines(platform)
        var setup = Fixture.setup(platform)
        setup.rejected = [bad]
        let device = SimulatedDevice(setup)
        let (engine, channel) = Fixture.engine(device, chunking: .every(5))
        try await engine.start(deadline: .now + .seconds(5))
        let outcome = try await engine.execute(Fixture.request(.config(lines), stopOnError: false, save: true))
        #expect(outcome.outputs.map(\.status) == lines.map { $0 == bad ? .failed : .ok })
        #expect(outcome.error?.kind == .commandError)
        for line in lines { #expect(channel.written.contains(line + "\n")) }
        #expect(!device.log.contains("saved"))
        if platform == "juniper_junos" { #expect(device.log.contains("commit")) }
    }

    @Test("config push that succeeds is saved (or committed) when asked", arguments: Fixture.configPlatforms)
    func configSave(platform: String) async throws {
        let lines = Fixture.configLines(platform).lines.filter { $0 != Fixture.configLines(platform).bad }
        let device = SimulatedDevice(Fixture.setup(platform))
        let (engine, channel) = Fixture.engine(device, chunking: .every(3))
        try await engine.start(deadline: .now + .seconds(5))
        let outcome = try await engine.execute(Fixture.request(.config(lines), save: true))
        #expect(outcome.success)
        #expect(outcome.outputs.allSatisfy { $0.status == .ok && $0.output.isEmpty })
        if platform == "juniper_junos" {
            #expect(device.log.contains("commit"))
        } else {
            #expect(device.log.contains("saved"))
            let save = Fixture.profile(platform).save!.command
            #expect(channel.written.contains(save + "\n"))
        }
        let unsaved = try await engine.execute(Fixture.request(.config(lines), save: false))
        #expect(unsaved.success)
        #expect(device.log.filter { $0 == "saved" }.count <= 1)
    }

    @Test("a hostname change in config mode is followed", arguments: Fixture.configPlatforms, Fixture.chunkings)
    func hostnameChange(platform: String, chunking: ScriptedShellChannel.Chunking) async throws {
        let device = SimulatedDevice(Fixture.setup(platform))
        let (engine, _) = Fixture.engine(device, chunking: chunking)
        try await engine.start(deadline: .now + .seconds(5))
        let outcome = try await engine.execute(
            Fixture.request(.config([Fixture.renameLine(platform, to: "NEW-1"), "ntp server 10.0.0.2"])))
        #expect(outcome.success)
        #expect(device.hostname == "NEW-1")
        #expect(await engine.basePrompt == Fixture.base(platform, hostname: "NEW-1"))
        let after = try await engine.execute(Fixture.request(.commands(["show clock"])))
        #expect(after.outputs[0].output == "output of show clock")
    }

    @Test("output lines that look like prompts stay in the output", arguments: Fixture.platforms)
    func lookalikes(platform: String) async throws {
        var setup = Fixture.setup(platform)
        let base = Fixture.base(platform)
        let lookalikes = [
            "\(base)#", "\(base)>", "<\(base)>", "[\(base)]", "description \(base)#x", "\(base)# show clock",
            " \(base)>", "\(base)$ ",
        ]
        let text = (["header"] + lookalikes + ["footer"]).joined(separator: "\n")
        setup.outputs = ["show run": text]
        let device = SimulatedDevice(setup)
        // Chunks cut at every byte, except where the data received so far would end with a whole line
        // that is exactly a prompt: that case cannot be told from the real prompt (see CLIEngine's docs).
        let reply = "show run\r\n" + (["header"] + lookalikes + ["footer"]).map { $0 + "\r\n" }.joined()
        let bytes = Array(reply.utf8)
        let pattern = Fixture.profile(platform).prompt
        let cuts = (1..<bytes.count).filter { cut in
            let lineStart = (bytes[..<cut].lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
            let tail = String(decoding: bytes[lineStart..<cut], as: UTF8.self)
            return pattern.match(tail, base: base) == nil
        }
        #expect(cuts.count > bytes.count * 3 / 4)
        let (engine, _) = Fixture.engine(device, chunking: .at(cuts))
        try await engine.start(deadline: .now + .seconds(5))
        let outcome = try await engine.execute(Fixture.request(.commands(["show run", "show clock"])))
        #expect(outcome.outputs[0].output == text)
        #expect(outcome.outputs[1].output == "output of show clock")
    }

    @Test(
        "a command that hangs times out, names the command, and leaves the session unusable",
        arguments: Fixture.platforms)
    func hangMidCommand(platform: String) async throws {
        var setup = Fixture.setup(platform)
        setup.hangOn = ["show tech-support"]
        setup.outputs = ["show tech-support": "never"]
        let device = SimulatedDevice(setup)
        let (engine, _) = Fixture.engine(device)
        try await engine.start(deadline: .now + .seconds(5))
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.execute(
                Fixture.request(.commands(["show clock", "show tech-support"]), timeout: .seconds(2)))
        }
        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("the prompt after `show tech-support`") == true)
        #expect(error?.message.contains("timed out after 2 s") == true)
        #expect(error?.message.contains("show tech-support\\r\\n") == true)
        let again = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.commands(["show clock"])))
        }
        #expect(again?.kind == .sessionUnavailable)
    }
}
