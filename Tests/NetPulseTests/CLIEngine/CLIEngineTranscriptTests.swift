import Logging
import NetPulse
import NetPulseTesting
import Testing

@Suite("CLI engine: exact transcripts, enable, timeouts, failures")
struct CLIEngineTranscriptTests {
    typealias Step = ScriptedShellChannel.Step

    /// A Cisco login whose chunks are cut inside the prompt and inside escape sequences.
    static let ciscoLogin: [Step] = [
        .device("\r\n\u{1B}[1m*** R1# banner > with prompt-like text ***\u{1B}"), .device("[0m\r\n"),
        .device("R"), .device("1\u{1B}["), .device("0"), .device("m>"),
        .expect("\n"), .device("\r"), .device("\nR1>"),
        .expect("terminal length 0\n"), .device("terminal len"), .device("gth 0\r\nR1"), .device(">"),
        .expect("terminal width 511\n"), .device("terminal width 511\r\nR1>"),
    ]

    @Test("a Cisco session from an exact transcript: banner, split prompt, enable, split escapes")
    func ciscoTranscript() async throws {
        let channel = ScriptedShellChannel(
            transcript: Self.ciscoLogin + [
                .expect("enable\n"), .device("enable\r\nPass"), .device("word: "),
                .expect("s3cret\n"), .device("\r\nR1#"),
                .expect("show ip interface brief\n"),
                .device("show ip interface brief\r\nInterface   IP-Address\r\nGi0/1       10.0.0.1\u{1B}["),
                .device("K\r\nLo0         \u{1B}[32m10.255.0.1\u{1B}[0m\r\nR1#x is not a prompt\r\nR"), .device("1#"),
                .expect("show clock\n"), .device("show clock\r\n10:00\r\nR1#"),
            ])
        let engine = CLIEngine(channel: channel, profile: .ciscoIOS, enableSecret: "s3cret", logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        #expect(await engine.basePrompt == "R1")
        #expect(await engine.prompt == "R1>")
        let outcome = try await engine.execute(Fixture.request(.commands(["show ip interface brief", "show clock"])))
        #expect(outcome.success)
        #expect(
            outcome.outputs[0].output
                == "Interface   IP-Address\nGi0/1       10.0.0.1\nLo0         10.255.0.1\nR1#x is not a prompt")
        #expect(outcome.outputs[1].output == "10:00")
        #expect(await engine.isPrivileged)
    }

    @Test(
        "a banner with lines that are exactly prompts: the real prompt is confirmed before use",
        arguments: Fixture.platforms, Fixture.chunkings)
    func bannerWithPrompts(platform: String, chunking: ScriptedShellChannel.Chunking) async throws {
        var setup = Fixture.setup(platform)
        let base = Fixture.base(platform)
        let lookalikes = ["router#", "\(base)>", "\(base)# ", "<\(base)>", "[\(base)]", "other@box:~$ ", "> # >"]
        setup.banner = "\r\n####### \(base)# #######\r\n" + lookalikes.map { $0 + "\r\n" }.joined()
        let device = SimulatedDevice(setup)
        let (engine, _) = Fixture.engine(device, chunking: chunking)
        try await engine.start(deadline: .now + .seconds(5))
        #expect(await engine.basePrompt == base)
        let outcome = try await engine.execute(Fixture.request(.commands(["show clock", "show version"])))
        #expect(outcome.outputs.map(\.output) == ["output of show clock", "output of show version"])
    }

    @Test("enable with the right secret, then config", arguments: ["cisco_ios", "cisco_xe", "arista_eos"])
    func enableRight(platform: String) async throws {
        let device = SimulatedDevice(Fixture.setup(platform))
        let (engine, channel) = Fixture.engine(device, chunking: .every(2))
        try await engine.start(deadline: .now + .seconds(5))
        #expect(await !engine.isPrivileged)
        let outcome = try await engine.execute(Fixture.request(.config(["interface Gi0/1", "description x"])))
        #expect(outcome.success)
        #expect(await engine.isPrivileged)
        #expect(channel.written.contains(Fixture.secret + "\n"))
        #expect(device.log == ["interface Gi0/1", "description x"])
    }

    @Test(
        "enable with a wrong secret: authentication error without the secret; the session goes on",
        arguments: ["cisco_ios", "cisco_xe", "arista_eos"])
    func enableWrong(platform: String) async throws {
        let device = SimulatedDevice(Fixture.setup(platform))
        let (engine, _) = Fixture.engine(device, chunking: .every(3), secret: "wrong-Secret-42")
        try await engine.start(deadline: .now + .seconds(5))
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.config(["interface Gi0/1"])))
        }
        #expect(error?.kind == .authentication)
        #expect(error?.message.contains("% Bad secrets") == true)
        #expect(error?.message.contains("wrong-Secret-42") == false)
        #expect(device.log.isEmpty)
        let show = try await engine.execute(Fixture.request(.commands(["show clock"]), enable: false))
        #expect(show.outputs[0].output == "output of show clock")
    }

    @Test("enable asked for a secret that was not given: the error names connection_args.secret")
    func enableMissing() async throws {
        let device = SimulatedDevice(Fixture.setup("cisco_ios"))
        let (engine, _) = Fixture.engine(device, secret: nil)
        try await engine.start(deadline: .now + .seconds(5))
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.commands(["show run"]), enable: true))
        }
        #expect(error?.kind == .authentication)
        #expect(error?.message.contains("connection_args.secret") == true)
    }

    @Test(
        "a device that never shows a prompt: timeout with the last bytes, the secret masked",
        arguments: Fixture.platforms)
    func neverAPrompt(platform: String) async throws {
        let secret = "Top-Secret-99"
        let noise = String(repeating: "garbage line without a prompt\r\n", count: 40)
        let channel = ScriptedShellChannel(
            greeting: .text(noise + "enable secret \(secret) seen in a banner\r\n\u{1B}[31mno prompt here")
        ) { _ in .silence }
        let engine = CLIEngine(
            channel: channel, profile: Fixture.profile(platform), enableSecret: Secret(secret),
            logger: Fixture.logger)
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.start(deadline: .now + .seconds(3))
        }
        #expect(error?.kind == .timeout)
        let message = error?.message ?? ""
        #expect(message.contains("the first prompt after login"))
        // The line is sensitive (`enable secret …`): all after its keyword is masked.
        #expect(message.contains("enable secret ********\\r\\n\\u{1B}[31mno prompt here\""))
        #expect(!message.contains(secret))
        #expect(message.count < 400)  // the last ~200 bytes, not the whole banner
        let later = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.commands(["show clock"])))
        }
        #expect(later?.kind == .sessionUnavailable)
    }

    @Test("a real deadline passes in real time when the device is silent")
    func realDeadline() async throws {
        let channel = ScriptedShellChannel(greeting: .silence, deadlines: .realTime) { _ in .silence }
        let engine = CLIEngine(channel: channel, profile: .huawei, enableSecret: nil, logger: Fixture.logger)
        let start = ContinuousClock.now
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.start(deadline: start + .milliseconds(150))
        }
        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("last bytes received: nothing") == true)
        #expect(ContinuousClock.now - start >= .milliseconds(150))
    }

    @Test("cancellation ends a wait at once")
    func cancellation() async throws {
        let (written, signal) = AsyncStream.makeStream(of: String.self)
        let device = SimulatedDevice(Fixture.setup("arista_eos"))
        let channel = ScriptedShellChannel(
            greeting: .text("sw1>"), deadlines: .realTime
        ) { text in
            signal.yield(text)
            return text == "\n" ? .text("\r\nsw1>") : text.hasPrefix("show") ? .silence : .text(device.respond(text))
        }
        let engine = CLIEngine(channel: channel, profile: .aristaEOS, enableSecret: nil, logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        let task = Task {
            try await engine.execute(Fixture.request(.commands(["show tech"]), timeout: .seconds(600)))
        }
        for await text in written where text == "show tech\n" { break }
        // The engine is inside its wait: a second execution is refused, then cancel the first.
        let busy = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.commands(["show clock"])))
        }
        #expect(busy?.kind == .driverError)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test("a connection dropped mid-output is connection_lost, naming the wait")
    func connectionDrop() async throws {
        let channel = ScriptedShellChannel(
            transcript: [.device("N1# ")] + [
                .expect("\n"), .device("\r\nN1#"),
                .expect("terminal length 0\n"), .device("terminal length 0\r\nN1#"),
                .expect("terminal width 511\n"), .device("terminal width 511\r\nN1#"),
                .expect("show logging\n"), .device("show logging\r\nline 1\r\nline 2"), .close,
            ])
        let engine = CLIEngine(channel: channel, profile: .ciscoNXOS, enableSecret: nil, logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.commands(["show logging"])))
        }
        #expect(error?.kind == .connectionLost)
        #expect(error?.message.contains("the prompt after `show logging`") == true)
    }

    @Test("Junos: {master:0} and [edit] lines belong to the prompt, not the output")
    func junosPreamble() async throws {
        let channel = ScriptedShellChannel(
            transcript: [
                .device("Last login: today\r\n--- JUNOS 23.4R1 built 2026-01-01\r\n{master:0}\r\nadmin@mx1> "),
                .expect("\n"), .device("\r\n\r\n{master:0}\r\nadmin@mx1> "),
                .expect("set cli screen-length 0\n"),
                .device("set cli screen-length 0 \r\nScreen length set to 0\r\n\r\n{master:0}\r\nadmin@mx1> "),
                .expect("set cli screen-width 0\n"),
                .device("set cli screen-width 0 \r\nScreen width set to 0\r\n\r\n{master:0}\r\nadmin@mx1> "),
                .expect("show system uptime\n"),
                .device("show system uptime \r\nCurrent time: 2026-11-29\r\nSystem booted: 2026-01-01\r\n"),
                .device("\r\n{master:0}\r\nadmin@mx1> "),
            ])
        let engine = CLIEngine(channel: channel, profile: .juniperJunos, enableSecret: nil, logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        #expect(await engine.basePrompt == "admin@mx1")
        let outcome = try await engine.execute(Fixture.request(.commands(["show system uptime"])))
        #expect(outcome.outputs[0].output == "Current time: 2026-11-29\nSystem booted: 2026-01-01")
    }

    @Test("Junos: a prompt left over from the login is skipped, {master:0} included", arguments: Fixture.chunkings)
    func junosLeftoverPrompt(chunking: ScriptedShellChannel.Chunking) async throws {
        let channel = ScriptedShellChannel(
            transcript: [
                .device("--- JUNOS 23.4R1\r\nadmin@mx1> \r\n{master:0}\r\nadmin@mx1> "),
                .expect("\n"), .device("\r\n\r\n{master:0}\r\nadmin@mx1> "),
                .expect("set cli screen-length 0\n"),
                .device("set cli screen-length 0 \r\nScreen length set to 0\r\n\r\n{master:0}\r\nadmin@mx1> "),
                .expect("set cli screen-width 0\n"),
                .device("set cli screen-width 0 \r\nScreen width set to 0\r\n\r\n{master:0}\r\nadmin@mx1> "),
                .expect("show version\n"), .device("show version \r\nJunos: 23.4R1\r\n\r\n{master:0}\r\nadmin@mx1> "),
            ], chunking: chunking)
        let engine = CLIEngine(channel: channel, profile: .juniperJunos, enableSecret: nil, logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        let outcome = try await engine.execute(Fixture.request(.commands(["show version"])))
        #expect(outcome.outputs[0].output == "Junos: 23.4R1")
    }

    @Test("bad input is refused before anything is sent; Linux has no config mode")
    func badInput() async throws {
        let device = SimulatedDevice(Fixture.setup("linux"))
        let (engine, channel) = Fixture.engine(device, secret: nil)
        try await engine.start(deadline: .now + .seconds(5))
        let before = channel.written.count
        let broken = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.commands(["ls", "echo a\nrm -rf /"])))
        }
        #expect(broken?.kind == .invalidRequest)
        #expect(broken?.message.contains("command line 2") == true)
        let config = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.config(["x"])))
        }
        #expect(config?.kind == .unsupported)
        #expect(channel.written.count == before)
        let fine = try await engine.execute(Fixture.request(.commands(["uname -a"])))
        #expect(fine.outputs[0].output == "output of uname -a")
    }

    @Test("a rejected show command is reported failed; the others still run")
    func rejectedCommand() async throws {
        var setup = Fixture.setup("cisco_nxos")
        setup.rejected = ["show bogus"]
        let (engine, _) = Fixture.engine(SimulatedDevice(setup))
        try await engine.start(deadline: .now + .seconds(5))
        let outcome = try await engine.execute(Fixture.request(.commands(["show bogus", "show clock"])))
        #expect(outcome.outputs.map(\.status) == [.failed, .ok])
        #expect(outcome.error?.kind == .commandError)
        #expect(outcome.error?.message == "command line `show bogus` rejected: % Invalid input detected at '^' marker.")
    }

    @Test("save on a platform without a save command is refused before anything is sent")
    func saveUnsupported() async throws {
        var profile = PlatformProfile.ciscoIOS
        profile.name = "ios_without_save"
        profile.save = nil
        let device = SimulatedDevice(Fixture.setup("cisco_ios"))
        let channel = device.channel()
        let engine = CLIEngine(
            channel: channel, profile: profile, enableSecret: Secret(Fixture.secret), logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        let before = channel.written.count
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.config(["ntp server 10.0.0.1"]), save: true))
        }
        #expect(error?.kind == .unsupported)
        #expect(channel.written.count == before)
        let unsaved = try await engine.execute(Fixture.request(.config(["ntp server 10.0.0.1"])))
        #expect(unsaved.success)
        #expect(device.log == ["ntp server 10.0.0.1"])
    }

    @Test("a user-registered profile drives its own prompt shape")
    func customProfile() async throws {
        var platforms = PlatformRegistry.builtin
        platforms.register(
            PlatformProfile(
                name: "mikrotik_routeros", aliases: ["routeros"],
                prompt: PromptPattern(openers: "[", nameCharacters: "@._-", mode: .free, terminators: ">"),
                errorPatterns: [.lineStart("bad command name"), .lineStart("syntax error")]))
        let profile = try #require(platforms.profile(named: "RouterOS"))
        let channel = ScriptedShellChannel(
            transcript: [
                .device("\r\n  MMM      MMM       KKK\r\n\r\n[admin@MikroTik] > "),
                .expect("\n"), .device("\r\n[admin@MikroTik] > "),
                .expect("/system identity print\n"),
                .device("/system identity print\r\n  name: MikroTik\r\n[admin@MikroTik] > "),
                .expect("/bogus\n"),
                .device("/bogus\r\nbad command name bogus (line 1 column 2)\r\n[admin@MikroTik] > "),
            ])
        let engine = CLIEngine(channel: channel, profile: profile, enableSecret: nil, logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        #expect(await engine.basePrompt == "admin@MikroTik")
        let outcome = try await engine.execute(Fixture.request(.commands(["/system identity print", "/bogus"])))
        #expect(outcome.outputs.map(\.output) == ["  name: MikroTik", "bad command name bogus (line 1 column 2)"])
        #expect(outcome.outputs.map(\.status) == [.ok, .failed])
    }
}

@Suite("CLI engine: liveness")
struct CLIEngineLivenessTests {
    @Test("ping: true while the device answers, false once it is gone, then the engine is out of step")
    func ping() async throws {
        let device = SimulatedDevice(Fixture.setup("huawei"))
        let (engine, channel) = Fixture.engine(device, chunking: .every(2), secret: nil)
        try await engine.start(deadline: .now + .seconds(5))
        #expect(await engine.ping(deadline: .now + .seconds(5)))
        #expect(await engine.isUsable)
        channel.close(reason: "peer reset")
        #expect(await !engine.ping(deadline: .now + .seconds(5)))
        #expect(await !engine.isUsable)
        let error = await #expect(throws: NetPulseError.self) {
            try await engine.execute(Fixture.request(.commands(["display version"])))
        }
        #expect(error?.kind == .sessionUnavailable)
    }
}
