import Foundation
import Testing

@testable import NetPulseLab

/// Feeds typed text to a terminal and returns everything it sends back, as text.
func type(_ terminal: any Terminal, _ input: String) -> String {
    var text = ""
    for event in terminal.receive(Array(input.utf8)) {
        switch event {
        case .echo(let bytes), .output(let bytes, _): text += String(decoding: bytes, as: UTF8.self)
        case .close: text += "<close>"
        case .reload: text += "<reload>"
        }
    }
    return text
}

func startText(_ terminal: any Terminal) -> String {
    terminal.start().map { event -> String in
        if case .output(let bytes, _) = event { return String(decoding: bytes, as: UTF8.self) }
        return ""
    }.joined()
}

func router(_ platform: LabPlatform, index: Int = 0, secret: String? = "enable") -> RouterTerminal {
    RouterTerminal(device: DeviceState(platform: platform, index: index, username: "admin", enableSecret: secret))
}

@Suite("Cisco IOS emulation")
struct CiscoIOSTests {
    @Test func bannerAndUserPrompt() {
        let terminal = router(.ciscoIOS)
        let text = startText(terminal)
        #expect(text.contains("Unauthorized access is prohibited"))
        #expect(text.hasSuffix("\r\nR1>"))
    }

    @Test func pagingIsOnUntilTerminalLengthZero() {
        let terminal = router(.ciscoIOS)
        _ = terminal.start()
        let first = type(terminal, "show interfaces\r")
        #expect(first.hasSuffix(" --More-- "))
        // Echo line plus 24 lines of output before the pager.
        #expect(first.components(separatedBy: "\r\n").count == 1 + 24 + 1)
        let second = type(terminal, " ")
        #expect(second.hasSuffix(" --More-- "))
        #expect(second.hasPrefix("\u{8}"))
        let quit = type(terminal, "q")
        #expect(quit.hasSuffix("R1>"))
        #expect(!quit.contains("--More--"))
        // Enter gives one more line.
        _ = type(terminal, "show interfaces\r")
        let oneLine = type(terminal, "\r")
        #expect(oneLine.components(separatedBy: "\r\n").count == 2)

        _ = type(terminal, "q")
        #expect(type(terminal, "terminal length 0\r").hasSuffix("R1>"))
        let whole = type(terminal, "show interfaces\r")
        #expect(!whole.contains("--More--"))
        #expect(whole.hasSuffix("R1>"))
        #expect(whole.components(separatedBy: "\r\n").count > 200)
    }

    @Test func invalidInputHasCaretUnderTheBadWord() {
        let terminal = router(.ciscoIOS)
        _ = terminal.start()
        let text = type(terminal, "show foo\r")
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "show foo")
        #expect(lines[1] == String(repeating: " ", count: "R1>show ".count) + "^")
        #expect(lines[2] == "% Invalid input detected at '^' marker.")
        #expect(text.hasSuffix("R1>"))
    }

    @Test func incompleteAndAmbiguous() {
        let terminal = router(.ciscoIOS)
        _ = terminal.start()
        #expect(type(terminal, "show\r").contains("% Incomplete command."))
        _ = type(terminal, "enable\renable\r")
        #expect(type(terminal, "co\r").contains("% Ambiguous command:  \"co\""))
        #expect(type(terminal, "sh ver\r").contains("Cisco IOS XE Software"))
    }

    @Test func enableWithWrongThenRightSecret() {
        let terminal = router(.ciscoIOS)
        _ = terminal.start()
        #expect(type(terminal, "enable\r").hasSuffix("Password: "))
        let wrong = type(terminal, "nope\r")
        #expect(!wrong.contains("nope"), "the secret is not echoed")
        #expect(wrong.contains("% Access denied"))
        #expect(wrong.hasSuffix("R1>"))
        _ = type(terminal, "enable\r")
        #expect(type(terminal, "enable\r").hasSuffix("R1#"))
        #expect(terminal.mode == .privileged)
    }

    @Test func showRunningConfigNeedsPrivilegedMode() {
        let terminal = router(.ciscoIOS)
        _ = terminal.start()
        #expect(type(terminal, "show running-config\r").contains("% Invalid input detected"))
    }

    @Test func configChangesShowInRunningConfigAndPrompt() {
        let terminal = router(.ciscoIOS)
        _ = terminal.start()
        _ = type(terminal, "terminal length 0\renable\renable\r")
        #expect(type(terminal, "configure terminal\r").hasSuffix("R1(config)#"))
        #expect(type(terminal, "hostname CORE7\r").hasSuffix("CORE7(config)#"))
        #expect(type(terminal, "interface Gi0/2\r").hasSuffix("CORE7(config-if)#"))
        _ = type(terminal, "description to R2 Gi0/1\r")
        #expect(type(terminal, "vlan 42\r").hasSuffix("CORE7(config-vlan)#"))
        _ = type(terminal, "name SALES\r")
        #expect(type(terminal, "end\r").hasSuffix("CORE7#"))
        let config = type(terminal, "show running-config\r")
        #expect(config.contains("hostname CORE7\r\n"))
        #expect(config.contains("interface GigabitEthernet0/2\r\n description to R2 Gi0/1\r\n"))
        #expect(config.contains("vlan 42\r\n name SALES\r\n"))
        #expect(type(terminal, "show vlan brief\r").contains("SALES"))
        #expect(type(terminal, "configure terminal\rfoo bar\r").contains("% Invalid input detected at '^' marker."))
    }

    @Test func saveWithWriteMemoryAndCopy() {
        let terminal = router(.ciscoIOS)
        _ = terminal.start()
        _ = type(terminal, "terminal length 0\renable\renable\rconfigure terminal\rhostname SAVED1\rend\r")
        #expect(!type(terminal, "show startup-config\r").contains("hostname SAVED1"))
        #expect(type(terminal, "write memory\r").contains("[OK]"))
        #expect(type(terminal, "show startup-config\r").contains("hostname SAVED1"))
        _ = type(terminal, "configure terminal\rhostname SAVED2\rend\r")
        #expect(
            type(terminal, "copy running-config startup-config\r").hasSuffix("Destination filename [startup-config]? "))
        #expect(type(terminal, "\r").contains("[OK]"))
        #expect(type(terminal, "show startup-config\r").contains("hostname SAVED2"))
    }

    @Test func filtersAndExit() {
        let terminal = router(.ciscoIOS)
        _ = terminal.start()
        let filtered = type(terminal, "show ip interface brief | include Loopback\r")
        #expect(filtered.contains("Loopback0"))
        #expect(!filtered.contains("GigabitEthernet0/1 "))
        #expect(type(terminal, "exit\r").hasSuffix("<close>"))
    }

    @Test func outputIsDeterministicPerDevice() {
        let a = router(.ciscoIOS, index: 3)
        let b = router(.ciscoIOS, index: 3)
        let c = router(.ciscoIOS, index: 4)
        for terminal in [a, b, c] { _ = type(terminal, "terminal length 0\r") }
        let versionA = type(a, "show version\r")
        #expect(versionA == type(b, "show version\r"))
        #expect(
            versionA.replacingOccurrences(of: "R4", with: "")
                != type(c, "show version\r").replacingOccurrences(of: "R5", with: ""))
    }

    @Test func execRunsOneCommandWithoutPaging() {
        let result = router(.ciscoIOS).exec("show interfaces")
        #expect(result.status == 0)
        #expect(!String(decoding: result.stdout, as: UTF8.self).contains("--More--"))
    }
}

@Suite("Arista EOS emulation")
struct AristaEOSTests {
    @Test func promptsEnableConfigAndErrors() {
        let terminal = router(.aristaEOS, index: 1)
        #expect(startText(terminal).hasSuffix("sw2>"))
        #expect(type(terminal, "show interfaces\r").hasSuffix(" --More-- "))
        _ = type(terminal, "q")
        _ = type(terminal, "enable\r")
        #expect(type(terminal, "wrong\r").contains("% Access denied"))
        _ = type(terminal, "enable\r")
        #expect(type(terminal, "enable\r").hasSuffix("sw2#"))
        #expect(type(terminal, "show bogus\r").contains("% Invalid input"))
        #expect(type(terminal, "terminal length 0\r").hasSuffix("sw2#"))
        _ = type(terminal, "configure terminal\r")
        #expect(type(terminal, "interface Ethernet1\r").hasSuffix("sw2(config-if-Et1)#"))
        _ = type(terminal, "description core link\r")
        #expect(type(terminal, "vlan 300\r").hasSuffix("sw2(config-vlan-300)#"))
        _ = type(terminal, "name VOICE\rend\r")
        let config = type(terminal, "show running-config\r")
        #expect(config.contains("interface Ethernet1\r\n   description core link\r\n"))
        #expect(config.contains("vlan 300\r\n   name VOICE\r\n"))
        #expect(type(terminal, "write memory\r").contains("Copy completed successfully."))
    }
}

@Suite("Juniper Junos emulation")
struct JunosTests {
    @Test func commitChangesConfigurationAndPrompt() {
        let terminal = router(.juniperJunos, index: 2)
        #expect(startText(terminal).hasSuffix("admin@mx3> "))
        #expect(type(terminal, "show configuration\r").hasSuffix("---(more)---"))
        _ = type(terminal, "q")
        #expect(type(terminal, "set cli screen-length 0\r").contains("Screen length set to 0"))
        #expect(type(terminal, "show foo\r").contains("syntax error."))
        #expect(type(terminal, "foo\r").contains("unknown command."))
        #expect(type(terminal, "configure\r").hasSuffix("\r\n[edit]\r\nadmin@mx3# "))
        _ = type(terminal, "set system host-name edge1\r")
        _ = type(terminal, "set interfaces ge-0/0/1 description \"to core\"\r")
        _ = type(terminal, "set vlans SALES vlan-id 42\r")
        #expect(!type(terminal, "run show configuration\r").contains("edge1"), "not active before commit")
        #expect(type(terminal, "commit\r").contains("commit complete"))
        #expect(type(terminal, "exit configuration-mode\r").hasSuffix("admin@edge1> "))
        let config = type(terminal, "show configuration\r")
        #expect(config.contains("host-name edge1;"))
        #expect(config.contains("description \"to core\";"))
        #expect(config.contains("SALES {\r\n        vlan-id 42;"))
    }

    @Test func exitWithoutCommitDiscards() {
        let terminal = router(.juniperJunos)
        _ = terminal.start()
        _ = type(terminal, "set cli screen-length 0\rconfigure\rset system host-name lost\r")
        #expect(type(terminal, "exit\r").contains("uncommitted changes discarded"))
        #expect(!type(terminal, "show configuration\r").contains("lost"))
    }
}

@Suite("Huawei VRP emulation")
struct HuaweiTests {
    @Test func systemViewSaveAndErrors() {
        let terminal = router(.huawei, index: 3, secret: nil)
        #expect(startText(terminal).hasSuffix("<HW4>"))
        #expect(type(terminal, "display current-configuration\r").hasSuffix("  ---- More ----"))
        _ = type(terminal, "q")
        #expect(type(terminal, "screen-length 0 temporary\r").contains("Info:"))
        let error = type(terminal, "display foo\r")
        #expect(error.contains(String(repeating: " ", count: "<HW4>display ".count) + "^"))
        #expect(error.contains("Error: Unrecognized command found at '^' position."))
        #expect(type(terminal, "system-view\r").hasSuffix("[HW4]"))
        #expect(type(terminal, "sysname AGG1\r").hasSuffix("[AGG1]"))
        #expect(type(terminal, "interface GigabitEthernet0/0/2\r").hasSuffix("[AGG1-GigabitEthernet0/0/2]"))
        _ = type(terminal, "description to access\r")
        #expect(type(terminal, "vlan 77\r").hasSuffix("[AGG1-vlan77]"))
        _ = type(terminal, "name CAMERAS\r")
        #expect(type(terminal, "return\r").hasSuffix("<AGG1>"))
        let config = type(terminal, "display current-configuration\r")
        #expect(config.contains(" sysname AGG1\r\n"))
        #expect(config.contains("interface GigabitEthernet0/0/2\r\n description to access\r\n"))
        #expect(config.contains("vlan 77\r\n description CAMERAS\r\n"))
        #expect(type(terminal, "save\r").hasSuffix("[Y/N]:"))
        #expect(type(terminal, "y\r").contains("Save the configuration successfully."))
        #expect(type(terminal, "display saved-configuration\r").contains("sysname AGG1"))
        #expect(type(terminal, "quit\r").hasSuffix("<close>"))
    }
}

@Suite("Linux emulation")
struct LinuxTests {
    let device = DeviceState(platform: .linux, index: 4, username: "admin", enableSecret: nil)

    @Test func shellPromptEchoAndExit() {
        let terminal = LinuxTerminal(device: device)
        #expect(startText(terminal).hasSuffix("admin@host5:~$ "))
        #expect(type(terminal, "echo hello\r") == "echo hello\r\nhello\r\nadmin@host5:~$ ")
        #expect(type(terminal, "exit\r").hasSuffix("<close>"))
    }

    @Test func execStatusStderrAndBulk() {
        let terminal = LinuxTerminal(device: device)
        #expect(terminal.exec("hostname") == ExecResult(stdout: Array("host5\n".utf8), stderr: [], status: 0))
        #expect(terminal.exec("false").status == 1)
        #expect(terminal.exec("exit 7").status == 1007)
        let error = terminal.exec("echo oops >&2")
        #expect(error.stdout.isEmpty && String(decoding: error.stderr, as: UTF8.self) == "oops\n")
        #expect(terminal.exec("nosuch").status == 127)
        let seq = terminal.exec("seq 100000")
        #expect(seq.stdout.filter { $0 == 10 }.count == 100_000)
        #expect(String(decoding: terminal.exec("uname -a").stdout, as: UTF8.self).hasPrefix("Linux host5 "))
        #expect(String(decoding: terminal.exec("cat /etc/os-release").stdout, as: UTF8.self).contains("ID=debian"))
    }
}

@Suite("Command matching and fault plans")
struct MatcherAndPlanTests {
    @Test func abbreviationsAndArguments() {
        let matcher = CommandMatcher([
            ("run", "show running-config"), ("ver", "show version"), ("host", "hostname <x>"),
        ])
        #expect(matcher.match("sh run") == .command(id: "run", args: []))
        #expect(matcher.match("SH VER") == .command(id: "ver", args: []))
        #expect(matcher.match("host R9") == .command(id: "host", args: ["R9"]))
        #expect(matcher.match("show") == .incomplete)
        #expect(matcher.match("show zz") == .invalid(token: 1, column: 5))
    }

    @Test func ambiguityExactKeywordsArgumentsAndRest() {
        let show = CommandMatcher([("ver", "show version"), ("vlan", "show vlan"), ("brief", "show vlan brief")])
        #expect(show.match("sh v") == .ambiguous(token: "v", column: 3))
        // An exact keyword wins over a longer one it abbreviates; the shortest complete pattern is taken.
        #expect(show.match("sh vlan") == .command(id: "vlan", args: []))
        #expect(show.match("sh vl b") == .command(id: "brief", args: []))
        #expect(show.match("sh vers") == .command(id: "ver", args: []))
        #expect(show.match("show version extra") == .invalid(token: 2, column: 13))
        #expect(show.match("   ") == .empty)
        // A keyword wins over an argument; an argument takes what no keyword does.
        let ping = CommandMatcher([("kw", "ping status"), ("arg", "ping <x>")])
        #expect(ping.match("ping st") == .command(id: "kw", args: []))
        #expect(ping.match("ping 10.0.0.1") == .command(id: "arg", args: ["10.0.0.1"]))
        // `<rest>` takes the rest of the line as typed, spaces included.
        let run = CommandMatcher([("do", "do <rest>"), ("desc", "description <rest>")])
        #expect(run.match("do  show   ver") == .command(id: "do", args: ["show   ver"]))
        #expect(run.match("d x") == .ambiguous(token: "d", column: 0))
        #expect(run.match("desc a b") == .command(id: "desc", args: ["a b"]))
    }

    @Test func faultPlanIsDeterministicForASeed() {
        let a = LabFault.plan(devices: 1000, rate: 0.1, kinds: LabFault.Kind.allCases, seed: 42)
        let b = LabFault.plan(devices: 1000, rate: 0.1, kinds: LabFault.Kind.allCases, seed: 42)
        let c = LabFault.plan(devices: 1000, rate: 0.1, kinds: LabFault.Kind.allCases, seed: 43)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 100)
        #expect(Set(a.values.map(\.kind)).count > 4)
    }

    @Test func nonLoopbackBindIsRefused() {
        for address in ["0.0.0.0", "192.168.1.10", "localhost", "127.0.0.256"] {
            #expect(throws: LabError.self) { try LabConfiguration(devices: 1, bindAddress: address).validate() }
        }
        do {
            try LabConfiguration(devices: 1, bindAddress: "10.0.0.1").validate()
            Issue.record("accepted a non-loopback address")
        } catch {
            #expect(error.field == "bindAddress")
            #expect(error.description.contains("not a loopback address"))
        }
        #expect(throws: Never.self) { try LabConfiguration(devices: 1, bindAddress: "127.0.0.2").validate() }
    }
}
