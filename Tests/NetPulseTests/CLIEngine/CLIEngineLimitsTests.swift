import NetPulseTesting
import SSHTestSupport
import Testing

@testable import NetPulse

/// What a device (or a man in the middle) can make the CLI engine hold, and what the engine shows of
/// secrets it meets: bounded memory, masked lines.
@Suite("CLI engine: output bounds and redaction")
struct CLIEngineLimitsTests {
    @Test("cursor moves are clamped: 9 bytes of ESC[99999C no longer make 100 KB of line")
    func cursorClamped() {
        var terminal = TerminalText()
        let sequence = Array("\u{1B}[99999Cx".utf8)
        for _ in 0..<200 { terminal.feed(sequence) }
        #expect(terminal.line.count <= TerminalText.maxColumn + 200)
        terminal.feed(Array("\u{1B}[99999G!".utf8))
        #expect(terminal.line.count <= TerminalText.maxColumn + 200)
        terminal.feed(Array("\n".utf8))
        #expect(terminal.output.count <= TerminalText.maxColumn + 202)
    }

    @Test("the terminal stops holding bytes past its limit, inside one chunk as well")
    func terminalLimit() {
        var terminal = TerminalText()
        terminal.limit = 100_000
        // One chunk in which every 10 bytes would become a line of 32 KB.
        let chunk = [UInt8](repeating: 0, count: 0) + Array(String(repeating: "\u{1B}[32767Cx\n", count: 5_000).utf8)
        terminal.feed(chunk)
        #expect(terminal.overflowed)
        #expect(terminal.output.count + terminal.line.count <= 100_000 + 2 * TerminalText.maxColumn + 2)
        terminal.resetOutput()
        #expect(!terminal.overflowed)
    }

    /// A Cisco device that answers `show tech` with `size` bytes of output in 64 KB chunks, and any
    /// other line with its echo and the prompt.
    static func chatty(size: Int, line: String = "0123456789abcdef0123456789abcdef\r\n") -> ScriptedShellChannel {
        ScriptedShellChannel(greeting: .text("R1>"), chunking: .every(65_536)) { written in
            let command = String(written.dropLast())
            if command == "show tech" {
                let body = String(repeating: line, count: size / line.utf8.count + 1)
                return .text("show tech\r\n" + body + "R1>")
            }
            return .text(command + "\r\nR1>")
        }
    }

    @Test("past max_output_bytes a command fails with unexpected_output, and the session is not reused")
    func outputCap() async throws {
        let engine = CLIEngine(
            channel: Self.chatty(size: 3 << 20), profile: .ciscoIOS, enableSecret: nil, logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        var request = Fixture.request(.commands(["show clock", "show tech"]), enable: false)
        request.maxOutputBytes = 1 << 20
        let error = await #expect(throws: NetPulseError.self) { try await engine.execute(request) }
        #expect(error?.kind == .unexpectedOutput)
        #expect(error?.message.contains("max_output_bytes") == true)
        #expect(await !engine.isUsable)
        // Under the cap, the same output is read whole.
        let fresh = CLIEngine(
            channel: Self.chatty(size: 3 << 20), profile: .ciscoIOS, enableSecret: nil, logger: Fixture.logger)
        try await fresh.start(deadline: .now + .seconds(5))
        request.maxOutputBytes = 4 << 20
        let outcome = try await fresh.execute(request)
        #expect(outcome.outputs[1].output.utf8.count >= 3_000_000)  // line endings normalised to \\n
    }

    @Test("an amplifying device (cursor moves and line breaks) is stopped at the cap too")
    func amplificationCapped() async throws {
        let channel = ScriptedShellChannel(greeting: .text("R1>"), chunking: .every(65_536)) { written in
            let command = String(written.dropLast())
            if command == "show tech" {
                return .text("show tech\r\n" + String(repeating: "\u{1B}[99999Cx\r\n", count: 20_000) + "R1>")
            }
            return .text(command + "\r\nR1>")
        }
        let engine = CLIEngine(channel: channel, profile: .ciscoIOS, enableSecret: nil, logger: Fixture.logger)
        try await engine.start(deadline: .now + .seconds(5))
        var request = Fixture.request(.commands(["show tech"]), enable: false)
        request.maxOutputBytes = 2 << 20
        let error = await #expect(throws: NetPulseError.self) { try await engine.execute(request) }
        #expect(error?.kind == .unexpectedOutput)
    }

    @Test("sensitive config lines are masked in command_error, outputs and debug logs")
    func configRedacted() async throws {
        let logs = LogCapture()
        let secrets = ["S3cr3t-user-pw", "Publ1c-c0mmunity", "tac-key-77"]
        let lines = [
            "username admin privilege 15 secret 0 \(secrets[0])", "snmp-server community \(secrets[1]) RO",
            "tacacs-server host 10.0.0.9 key \(secrets[2])",
        ]
        let channel = ScriptedShellChannel(greeting: .text("R1#")) { written in
            let line = String(written.dropLast())
            switch line {
            case "configure terminal": return .text(line + "\r\nR1(config)#")
            case "end": return .text(line + "\r\nR1#")
            case lines[2]: return .text(line + "\r\n% Invalid input near '\(secrets[2])'\r\nR1(config)#")
            default: return .text(line + "\r\nR1(config)#")
            }
        }
        let engine = CLIEngine(
            channel: channel, profile: .ciscoIOS, enableSecret: nil, logger: logs.logger("engine"))
        try await engine.start(deadline: .now + .seconds(5))
        var request = Fixture.request(.config(lines), stopOnError: false, enable: false)
        request.logger = logs.logger("request")
        let outcome = try await engine.execute(request)
        let error = try #require(outcome.error)
        #expect(error.kind == .commandError)
        #expect(error.message.contains("tacacs-server host 10.0.0.9 key ********"), "\(error.message)")
        #expect(
            outcome.outputs.map(\.command) == [
                "username admin privilege 15 secret ********", "snmp-server community ********",
                "tacacs-server host 10.0.0.9 key ********",
            ])
        let everything = [error.message] + outcome.outputs.map { $0.command + $0.output } + logs.lines
        #expect(logs.lines.contains { $0.contains("sending") })
        for text in everything {
            for secret in secrets { #expect(!text.contains(secret), "\(secret) in \(text)") }
        }
    }

    @Test("the last bytes of a timeout are redacted line by line")
    func timeoutTailRedacted() async throws {
        let channel = ScriptedShellChannel(
            greeting: .text(
                "banner\r\nsnmp-server community Hidden-C0mm RO\r\nenable secret 5 $1$abcd$Hidden\r\nno prompt")
        ) { _ in .silence }
        let engine = CLIEngine(channel: channel, profile: .ciscoIOS, enableSecret: nil, logger: Fixture.logger)
        let error = await #expect(throws: NetPulseError.self) { try await engine.start(deadline: .now + .seconds(2)) }
        let message = error?.message ?? ""
        #expect(message.contains("snmp-server community ********"), "\(message)")
        #expect(!message.contains("Hidden"), "\(message)")
    }

    /// A device that echoes the enable secret back many times (without a line break) and never shows a
    /// prompt: masking each whole occurrence shortens the window, which must not bring a cut-off part
    /// of the secret into view.
    @Test(
        "the enable secret's tail does not leak at the window's edge",
        arguments: [(0, 5), (3_000, 19), (3_000, 30)])
    func secretWindowEdge(filler: Int, repeats: Int) async throws {
        let secret = "E" + String(repeating: "n4bl3-S3cr3t-", count: 3)  // 40 bytes, distinct tail
        #expect(secret.utf8.count == 40)
        let tail = String(secret.suffix(12))
        let echo =
            String(repeating: "f", count: filler) + String(repeating: secret, count: repeats)
            + String(repeating: "z", count: 60)
        let channel = ScriptedShellChannel(greeting: .text(echo)) { _ in .silence }
        let engine = CLIEngine(
            channel: channel, profile: .ciscoIOS, enableSecret: Secret(secret), logger: Fixture.logger)
        let error = await #expect(throws: NetPulseError.self) { try await engine.start(deadline: .now + .seconds(2)) }
        let message = error?.message ?? ""
        #expect(message.contains("********"), "\(message)")
        #expect(!message.contains(tail), "a part of the secret in \(message)")
        // No four bytes of the secret in a row anywhere.
        let bytes = Array(secret.utf8)
        for start in 0...(bytes.count - 4) {
            let part = String(decoding: bytes[start..<(start + 4)], as: UTF8.self)
            #expect(!message.contains(part), "'\(part)' of the secret in \(message)")
        }
    }
}
