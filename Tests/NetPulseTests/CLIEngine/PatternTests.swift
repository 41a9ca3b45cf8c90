@testable import NetPulse
import Testing

@Suite("Prompt and text patterns, terminal text")
struct PatternTests {
    @Test(
        "built-in prompt shapes: prompts and their base",
        arguments: [
            ("cisco_ios", "R1>", "R1"), ("cisco_ios", "R1#", "R1"), ("cisco_ios", "R1(config-if)#", "R1"),
            ("cisco_xe", "core-sw.lab_1(config)#", "core-sw.lab_1"), ("cisco_nxos", "N1(config-router)#", "N1"),
            ("arista_eos", "sw1(config-if-Et1)#", "sw1"), ("juniper_junos", "admin@mx1> ", "admin@mx1"),
            ("juniper_junos", "admin@mx1# ", "admin@mx1"), ("huawei", "<HW1>", "HW1"), ("huawei", "[~HW1]", "HW1"),
            ("hp_comware", "[HP1]", "HP1"), ("linux", "user@host:~/src$ ", "user@host"),
            ("linux", "[root@host /etc]# ", "root@host"),
        ])
    func prompts(platform: String, line: String, base: String) throws {
        let pattern = try #require(PlatformRegistry.builtin.profile(named: platform)).prompt
        let match = try #require(pattern.match(line))
        #expect(match.name == base)
        #expect(pattern.match(line, base: base) != nil)
    }

    @Test(
        "lines that are not prompts",
        arguments: [
            ("cisco_ios", "R1# show run", nil), ("cisco_ios", " R1#", nil), ("cisco_ios", "R10#", "R1"),
            ("cisco_ios", "##########", nil), ("cisco_ios", "Password:", nil), ("cisco_ios", "R1(con fig)#", nil),
            ("cisco_ios", "Destination filename [startup-config]?", nil), ("juniper_junos", "---(more)---", nil),
            ("huawei", "HW1>", nil), ("huawei", "[HW10]", "HW1"), ("huawei", "Are you sure to continue?[Y/N]:", nil),
            ("linux", "$ ", nil), ("cisco_nxos", "[########################################] 100%", "N1"),
        ] as [(String, String, String?)])
    func notPrompts(platform: String, line: String, base: String?) throws {
        let pattern = try #require(PlatformRegistry.builtin.profile(named: platform)).prompt
        #expect(pattern.match(line, base: base) == nil)
    }

    @Test("text patterns: anywhere, at line start, any case")
    func textPatterns() {
        #expect(TextPattern("--More--").matches("  --More-- "))
        #expect(!TextPattern("--More--").matches("--more--"))
        #expect(TextPattern("password:", caseInsensitive: true).matches("Password: "))
        #expect(TextPattern.lineStart("% Invalid").matches("   % Invalid input"))
        #expect(!TextPattern.lineStart("% Invalid").matches("x % Invalid input"))
        #expect(!TextPattern("abc").matches("ab"))
    }

    static func render(_ chunks: [String]) -> (output: String, line: String) {
        var terminal = TerminalText()
        for chunk in chunks { terminal.feed(Array(chunk.utf8)) }
        return (String(decoding: terminal.output, as: UTF8.self), String(decoding: terminal.line, as: UTF8.self))
    }

    @Test("terminal text: escapes and CRLF split across chunks, pager erasure, bare CR")
    func terminalText() {
        #expect(Self.render(["a\u{1B}", "[3", "1mred\u{1B}[0m\r", "\nnext"]) == ("ared\n", "next"))
        #expect(Self.render(["\u{1B}]0;title\u{7}R1#"]) == ("", "R1#"))
        #expect(Self.render(["\u{1B}]0;ti", "tle\u{1B}", "\\x"]) == ("", "x"))
        // Cisco pager erase: backspaces, spaces, backspaces, then the next line.
        let erase =
            String(repeating: "\u{8}", count: 10) + String(repeating: " ", count: 10)
            + String(repeating: "\u{8}", count: 10)
        #expect(Self.render([" --More-- ", erase, "next\r\n"]) == ("next\n", ""))
        // Huawei: ESC[16D, spaces, ESC[16D.
        #expect(
            Self.render(["  ---- More ----", "\u{1B}[16D                \u{1B}[16D", "  indented\r\n"])
                == ("  indented\n", ""))
        // A bare CR returns to column 0; ESC[K erases the rest.
        #expect(Self.render(["progress 10%\rprogress 100%\r\n"]) == ("progress 100%\n", ""))
        #expect(Self.render(["abcdef\r\u{1B}[Kxy\n"]) == ("xy\n", ""))
        #expect(Self.render(["tab\there  \r\n"]) == ("tab\there  \n", ""))
    }
}
