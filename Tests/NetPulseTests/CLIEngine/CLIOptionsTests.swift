import Logging
import NetPulse
import NetPulseTesting
import Testing

/// The CLI engine with `driver_args` (``CLIOptions``), against recorded IOS sessions.
@Suite("CLI engine: driver_args and questions")
struct CLIOptionsTests {
    static let logger = Logger(label: "test.cli-options")

    /// Login and setup of an IOS device already at `R1#`.
    static let start: [ScriptedShellChannel.Step] = [
        .device("\r\nR1#"), .expect("\n"), .device("\r\nR1#"),
        .expect("terminal length 0\n"), .device("terminal length 0\r\nR1#"),
        .expect("terminal width 511\n"), .device("terminal width 511\r\nR1#"),
    ]

    static func engine(_ steps: [ScriptedShellChannel.Step]) async throws -> (CLIEngine, ScriptedShellChannel) {
        let channel = ScriptedShellChannel(transcript: start + steps, chunking: .every(3))
        let engine = CLIEngine(channel: channel, profile: .ciscoIOS, enableSecret: nil, logger: logger)
        try await engine.start(deadline: .now + .seconds(5))
        return (engine, channel)
    }

    static func request(_ operation: NetPulse.DeviceOperation, _ cli: CLIOptions) -> ExecutionRequest {
        ExecutionRequest(operation: operation, enable: false, readTimeout: .seconds(5), cli: cli, logger: logger)
    }

    static func parse(_ json: [String: JSONValue], refuse: Bool = true) throws(RequestError) -> CLIOptions.Parsed {
        try CLIOptions.parse(json, path: "driver_args", accepted: [], refuseUnknown: refuse)
    }

    @Test("an unanswered question: Ctrl-C typed, unexpected_prompt, later commands skipped, session usable")
    func unanswered() async throws {
        let (engine, channel) = try await Self.engine([
            .expect("reload\n"), .device("reload\r\nProceed with reload? [confirm]"),
            .expect("\u{3}"), .device("\r\nR1#"),
            .expect("show clock\n"), .device("show clock\r\n10:00:00 UTC\r\nR1#"),
        ])
        let outcome = try await engine.execute(Self.request(.commands(["reload", "show clock"]), CLIOptions()))
        #expect(outcome.error?.kind == .unexpectedPrompt)
        #expect(outcome.error?.message.contains("Proceed with reload? [confirm]") == true)
        #expect(outcome.outputs.map(\.status) == [.failed, .skipped])
        #expect(channel.written.contains("\u{3}"))
        #expect(await engine.isUsable)
        let next = try await engine.execute(Self.request(.commands(["show clock"]), CLIOptions()))
        #expect(next.outputs.first?.output == "10:00:00 UTC")
    }

    @Test("an unanswered question in a push: aborted, the rest skipped, configuration mode left")
    func unansweredInPush() async throws {
        let (engine, channel) = try await Self.engine([
            .expect("configure terminal\n"), .device("configure terminal\r\nR1(config)#"),
            .expect("crypto key generate rsa\n"),
            .device("crypto key generate rsa\r\n% You already have RSA keys defined named R1.\r\n"),
            .device("% Do you really want to replace them? [yes/no]: "),
            .expect("\u{3}"), .device("^C\r\nR1(config)#"),
            .expect("end\n"), .device("end\r\nR1#"),
        ])
        let outcome = try await engine.execute(
            Self.request(.config(["crypto key generate rsa", "ip ssh version 2"]), CLIOptions()))
        #expect(outcome.error?.kind == .unexpectedPrompt, "\(String(describing: outcome.error))")
        #expect(outcome.error?.message.contains("[yes/no]") == true)
        #expect(outcome.outputs.map(\.status) == [.failed, .skipped])
        #expect(channel.written.last == "end\n")
        #expect(await engine.prompt == "R1#")
        #expect(await engine.isUsable)
    }

    @Test("output that holds a question's shape away from the end of the open line is not a question")
    func shapeInOutput() async throws {
        let channel = ScriptedShellChannel(
            transcript: Self.start + [
                .expect("show help\n"),
                .device("show help\r\nType [confirm] or (y/n) when asked, then wait for the prompt"),
                .device("\r\nR1#"),
            ], chunking: .whole)
        let engine = CLIEngine(channel: channel, profile: .ciscoIOS, enableSecret: nil, logger: Self.logger)
        try await engine.start(deadline: .now + .seconds(5))
        let outcome = try await engine.execute(Self.request(.commands(["show help"]), CLIOptions()))
        #expect(outcome.success, "\(String(describing: outcome.error))")
        #expect(outcome.outputs.first?.output == "Type [confirm] or (y/n) when asked, then wait for the prompt")
        #expect(!channel.written.contains("\u{3}"))
    }

    @Test("expect_string ends the read at its line; cmd_verify false takes a prompt without the echo")
    func expectAndVerify() async throws {
        let (engine, _) = try await Self.engine([
            .expect("copy running-config tftp:\n"),
            .device("copy running-config tftp:\r\nAddress or name of remote host []? "),
            .expect("192.0.2.9\n"), .device("192.0.2.9\r\nDestination filename [r1-confg]? "),
            .expect("\n"), .device("\r\n!!\r\n1234 bytes copied\r\nR1#"),
            .expect("show quiet\n"), .device("R1#"),
        ])
        var cli = CLIOptions()
        cli.perCommand["copy running-config tftp:"] = .init(expectString: try LinePattern(#"remote host \[\]\?"#))
        cli.answers = [PlatformProfile.Answer(TextPattern("Destination filename"), answer: "")]
        let outcome = try await engine.execute(
            Self.request(.commands(["copy running-config tftp:", "192.0.2.9"]), cli))
        #expect(outcome.success, "\(String(describing: outcome.error))")
        #expect(outcome.outputs[0].output.hasPrefix("Address or name of remote host []?"))
        #expect(outcome.outputs[1].output.hasSuffix("1234 bytes copied"))
        cli = CLIOptions()
        cli.verifyCommand = false
        // A device that does not echo: without cmd_verify the prompt alone ends the read.
        let quiet = try await engine.execute(Self.request(.commands(["show quiet"]), cli))
        #expect(quiet.success)
        #expect(quiet.outputs.first?.output == "")
    }

    @Test("config_mode_command replaces the profile's; exit_config_mode false stays in configuration mode")
    func configMode() async throws {
        let (engine, channel) = try await Self.engine([
            .expect("configure private\n"), .device("configure private\r\nR1(config)#"),
            .expect("ntp server 192.0.2.1\n"), .device("ntp server 192.0.2.1\r\nR1(config)#"),
        ])
        var cli = CLIOptions()
        cli.configModeCommand = "configure private"
        cli.exitConfigMode = false
        let outcome = try await engine.execute(Self.request(.config(["ntp server 192.0.2.1"]), cli))
        #expect(outcome.success, "\(String(describing: outcome.error))")
        #expect(await engine.prompt == "R1(config)#")
        #expect(!channel.written.contains("end\n"))
        var save = Self.request(.config(["x"]), cli)
        save.save = true
        let error = await #expect(throws: NetPulseError.self) { try await engine.execute(save) }
        #expect(error?.kind == .unsupported)
    }

    @Test("driver_args parsing: every field read, bad values and unknown fields refused by name")
    func parsing() throws {
        let parsed = try Self.parse([
            "read_timeout": .number(120), "expect_string": .string("#"), "strip_prompt": .bool(false),
            "strip_command": .bool(false), "cmd_verify": .bool(false), "config_mode_command": .string("conf t"),
            "exit_config_mode": .bool(false), "error_pattern": .array([.string("^oops"), .string("fail")]),
            "delay_factor": .number(2), "global_delay_factor": .number(1), "fast_cli": .bool(true),
            "answers": .object(["[confirm]": .string("")]),
            "per_command": .object(["reload": .object(["read_timeout": .number(5)])]),
        ])
        #expect(parsed.readTimeout == .seconds(120))
        #expect(parsed.options.expectString?.source == "#")
        #expect(!parsed.options.stripPrompt && !parsed.options.stripCommand && !parsed.options.verifyCommand)
        #expect(parsed.options.configModeCommand == "conf t")
        #expect(!parsed.options.exitConfigMode)
        #expect(parsed.options.errorPatterns.map(\.source) == ["^oops", "fail"])
        #expect(parsed.options.answers == [PlatformProfile.Answer(TextPattern("[confirm]"), answer: "")])
        #expect(parsed.options.perCommand["reload"]?.readTimeout == .seconds(5))

        let bad: [([String: JSONValue], String)] = [
            (["vrf": .string("mgmt")], "driver_args.vrf"),
            (["read_timeout": .number(-1)], "driver_args.read_timeout"),
            (["read_timeout": .string("120")], "driver_args.read_timeout"),
            (["expect_string": .string("(")], "driver_args.expect_string"),
            (["strip_prompt": .string("no")], "driver_args.strip_prompt"),
            (["config_mode_command": .string("conf\nt")], "driver_args.config_mode_command"),
            (["answers": .object(["[confirm]": .number(1)])], "driver_args.answers.[confirm]"),
            (["per_command": .object(["x": .object(["delay": .number(1)])])], "driver_args.per_command.x.delay"),
            (["delay_factor": .string("fast")], "driver_args.delay_factor"),
        ]
        for (args, field) in bad {
            let error = #expect(throws: RequestError.self) { try Self.parse(args) }
            #expect(error?.field == field, "\(args)")
        }
        // A driver of one's own takes fields NetPulse does not know.
        #expect(try Self.parse(["vrf": .string("mgmt")], refuse: false).options == CLIOptions())
    }
}
