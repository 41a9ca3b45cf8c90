/// The interactive CLI of an emulated router or switch (`cisco_ios`, `arista_eos`, `cisco_nxos`,
/// `juniper_junos`, `huawei`, `hp_comware`), per PLATFORM-CONVENTIONS.md: prompts, enable, paging,
/// config mode, errors, save, and the questions real devices ask (`[confirm]`, `[Y/N]:`).
final class RouterTerminal: Terminal {
    enum Context: Equatable {
        case global
        case interface(String)
        case vlan(Int)
    }

    enum Mode: Equatable {
        /// `R1>`, `admin@mx1>`, `<HW1>`.
        case user
        /// `R1#` (IOS and EOS after `enable`; NX-OS from the start).
        case privileged
        case config(Context)
    }

    enum Awaiting {
        case line
        case enableSecret
        case pager(lines: [String], isCommand: Bool)
        /// A question answered with a line (`Destination filename [startup-config]?`, `[Y/N]:`).
        case question(Question)
        /// A `[confirm]`: one key decides (Return or `y` confirms, anything else cancels).
        case confirm(Question)
    }

    let device: DeviceState
    var mode: Mode
    var pagingEnabled = true
    var awaiting: Awaiting = .line
    var editor = LineEditor()
    /// Junos: the candidate configuration being edited, committed by `commit`.
    var candidate: DeviceConfig?

    init(device: DeviceState) {
        self.device = device
        mode = device.platform.startsPrivileged ? .privileged : .user
    }

    var platform: LabPlatform { device.platform }
    var hostname: String { device.running.hostname }

    // MARK: Prompts and text

    var prompt: String {
        switch (platform, mode) {
        case (.juniperJunos, .user): return "\(device.username)@\(hostname)> "
        case (.juniperJunos, .config): return "\r\n[edit]\r\n\(device.username)@\(hostname)# "
        case (.huawei, .user), (.huawei, .privileged), (.hpComware, .user), (.hpComware, .privileged):
            return "<\(hostname)>"
        case (.huawei, .config(.global)), (.hpComware, .config(.global)): return "[\(hostname)]"
        case (.huawei, .config(.interface(let name))), (.hpComware, .config(.interface(let name))):
            return "[\(hostname)-\(name)]"
        case (.huawei, .config(.vlan(let id))), (.hpComware, .config(.vlan(let id))): return "[\(hostname)-vlan\(id)]"
        case (.ciscoNXOS, .config(.global)): return "\(hostname)(config)# "
        case (.ciscoNXOS, .config(.interface)): return "\(hostname)(config-if)# "
        case (.ciscoNXOS, .config(.vlan)): return "\(hostname)(config-vlan)# "
        case (.ciscoNXOS, _): return "\(hostname)# "
        case (_, .user): return "\(hostname)>"
        case (_, .privileged): return "\(hostname)#"
        case (_, .config(.global)): return "\(hostname)(config)#"
        case (.aristaEOS, .config(.interface(let name))): return "\(hostname)(config-if-\(Self.shortName(name)))#"
        case (.aristaEOS, .config(.vlan(let id))): return "\(hostname)(config-vlan-\(id))#"
        case (_, .config(.interface)): return "\(hostname)(config-if)#"
        case (_, .config(.vlan)): return "\(hostname)(config-vlan)#"
        }
    }

    /// The last line of the prompt: what the caret column is counted from.
    var promptLine: String {
        String(prompt.split(separator: "\n", omittingEmptySubsequences: false).last ?? "")
    }

    var pagerText: String {
        switch platform {
        case .juniperJunos: "---(more)---"
        case .huawei, .hpComware: "  ---- More ----"
        default: " --More-- "
        }
    }

    func start() -> [TerminalEvent] {
        let banner: String
        switch platform {
        case .ciscoIOS:
            banner =
                "\r\n**************************************************\r\n"
                + "* \(hostname): NetPulseLab emulated Cisco IOS XE device *\r\n"
                + "* Unauthorized access is prohibited.             *\r\n"
                + "**************************************************\r\n\r\n"
        case .aristaEOS:
            banner = "Last login: Sun Nov 29 08:00:00 2026 from 127.0.0.1\r\n"
        case .juniperJunos:
            banner = "--- JUNOS \(device.version) Kernel 64-bit  JNPR-12.1-20210101.0_builder_stable_12\r\n"
        case .huawei:
            banner =
                "\r\nInfo: The max number of VTY users is 20, and the number\r\n"
                + "      of current VTY users on line is 1.\r\n"
                + "      The current login time is 2026-11-29 08:00:00.\r\n"
        case .ciscoNXOS:
            banner =
                "Cisco Nexus Operating System (NX-OS) Software\r\nTAC support: http://www.cisco.com/tac\r\n"
                + "Copyright (C) 2002-2026, Cisco and/or its affiliates.\r\nAll rights reserved.\r\n"
                + "The copyrights to certain works contained in this software are\r\n"
                + "owned by other third parties and used and distributed under their own\r\n"
                + "licenses, such as open source.\r\n"
        case .hpComware:
            banner =
                "\r\n******************************************************************************\r\n"
                + "* Copyright (c) 2010-2026 Hewlett Packard Enterprise Development LP          *\r\n"
                + "* Without the owner's prior written consent,                                 *\r\n"
                + "* no decompiling or reverse-engineering shall be allowed.                    *\r\n"
                + "******************************************************************************\r\n\r\n"
        case .linux:
            banner = ""
        }
        return [.output(Array(banner + prompt), isCommand: false)]
    }

    // MARK: Input

    func receive(_ bytes: [UInt8]) -> [TerminalEvent] {
        var events: [TerminalEvent] = []
        for byte in bytes {
            switch awaiting {
            case .pager(let lines, let isCommand):
                events += pagerKey(byte, lines: lines, isCommand: isCommand)
            case .confirm(let question):
                guard !editor.swallowsLineFeed(byte) else { continue }
                awaiting = .line
                events.append(.echo([13, 10]))
                let yes = byte == 13 || byte == 10 || byte == UInt8(ascii: "y") || byte == UInt8(ascii: "Y")
                events += confirmed(question, yes: yes)
            case .question, .enableSecret, .line:
                let secret: Bool = if case .enableSecret = awaiting { true } else { false }
                guard let step = editor.feed(byte, echo: !secret) else { continue }
                switch step {
                case .typed(let byte):
                    events.appendEcho(byte)
                case .echo(let echo):
                    events.appendEcho(echo)
                case .interrupt:
                    awaiting = .line
                    events.appendEcho(Array("^C\r\n"))
                    events.append(.output(Array(prompt), isCommand: false))
                case .line(let line):
                    events.appendEcho([13, 10])
                    events += enter(line)
                }
            }
            if events.last == .close || events.last == .reload { return events }
        }
        return events
    }

    func pagerKey(_ byte: UInt8, lines: [String], isCommand: Bool) -> [TerminalEvent] {
        let erase =
            String(repeating: "\u{8}", count: pagerText.count) + String(repeating: " ", count: pagerText.count)
            + String(repeating: "\u{8}", count: pagerText.count)
        switch byte {
        case UInt8(ascii: "q"), UInt8(ascii: "Q"), 3:
            awaiting = .line
            return [.output(Array(erase + prompt), isCommand: false)]
        case 13, 10:
            return [.output(Array(erase) + page(lines, count: 1, isCommand: isCommand), isCommand: false)]
        default:
            return [
                .output(Array(erase) + page(lines, count: device.pageLines, isCommand: isCommand), isCommand: false)
            ]
        }
    }

    /// Sends up to `count` lines; the pager text if more remain, else the prompt.
    func page(_ lines: [String], count: Int, isCommand: Bool) -> [UInt8] {
        if lines.count <= count {
            awaiting = .line
            return Array(lines.map { $0 + "\r\n" }.joined() + prompt)
        }
        awaiting = .pager(lines: Array(lines.dropFirst(count)), isCommand: isCommand)
        return Array(lines.prefix(count).map { $0 + "\r\n" }.joined() + pagerText)
    }

    /// The answer to a command: output then prompt, paged when paging is on.
    func respond(_ body: String) -> [TerminalEvent] {
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if let outputFilter { lines = lines.filter(outputFilter) }
        if pagingEnabled {
            return [.output(page(lines, count: device.pageLines, isCommand: true), isCommand: true)]
        }
        return [.output(Array(lines.map { $0 + "\r\n" }.joined() + prompt), isCommand: true)]
    }

    func enter(_ line: String) -> [TerminalEvent] {
        switch awaiting {
        case .enableSecret:
            awaiting = .line
            if let secret = device.enableSecret, line == secret {
                mode = .privileged
                return [.output(Array(prompt), isCommand: true)]
            }
            return respond("% Access denied\n")
        case .question(let question):
            awaiting = .line
            return answered(question, line: line)
        case .line, .pager, .confirm:
            break
        }
        return command(line)
    }

    // MARK: Commands

    func command(_ line: String) -> [TerminalEvent] {
        // Output filters: `| include X` (`| i`, `| match`), `| exclude X` (`| except`), `| no-more`.
        var filter: ((String) -> Bool)?
        var pagingOverride: Bool?
        var text = line
        let compare = platform == .juniperJunos && line.replacingSpaces() == "show|compare"
        if !compare, let bar = line.firstIndex(of: "|") {
            text = String(line[..<bar])
            let words = line[line.index(after: bar)...].split(separator: " ", maxSplits: 1).map(String.init)
            let verb = words.first?.lowercased() ?? ""
            let pattern = words.count > 1 ? words[1] : ""
            if verb == "no-more" {
                pagingOverride = false
            } else if ["include", "i", "inc", "match", "section", "begin"].contains(verb) {
                filter = { $0.contains(pattern) }
            } else if ["exclude", "except", "e", "ex"].contains(verb) {
                filter = { !$0.contains(pattern) }
            } else {
                return error(.invalid(token: 0, column: line.distance(from: line.startIndex, to: bar) + 2), line: line)
            }
        }
        let savedPaging = pagingEnabled
        if let pagingOverride { pagingEnabled = pagingOverride }
        outputFilter = filter
        defer {
            outputFilter = nil
            if pagingOverride != nil { pagingEnabled = savedPaging }
        }
        switch platform {
        case .juniperJunos: return junos(text)
        case .huawei, .hpComware: return vrp(text)
        default: return ciscoLike(text)
        }
    }

    /// A filter applied by `respond` to the lines of the current command's output.
    var outputFilter: ((String) -> Bool)?

    /// The platform's error text for a line that does not parse.
    func error(_ match: CommandMatcher.Match, line: String) -> [TerminalEvent] {
        let caretLine: (Int) -> String = { column in
            String(repeating: " ", count: self.promptLine.count + column) + "^\n"
        }
        switch (platform, match) {
        case (.ciscoIOS, .invalid(_, let column)):
            return respond(caretLine(column) + "% Invalid input detected at '^' marker.\n\n")
        case (.ciscoIOS, .ambiguous(let token, _)):
            return respond("% Ambiguous command:  \"\(token)\"\n")
        case (.ciscoIOS, _):
            return respond("% Incomplete command.\n\n")
        case (.aristaEOS, .invalid(let index, _)):
            let tokens = CommandMatcher.tokenize(line)
            return respond("% Invalid input (at token \(index): '\(tokens[index].text)')\n")
        case (.aristaEOS, .ambiguous):
            return respond("% Ambiguous command\n")
        case (.aristaEOS, _):
            return respond("% Incomplete command\n")
        case (.juniperJunos, .invalid(let index, let column)):
            let text = mode == .user && index == 0 ? "unknown command." : "syntax error."
            return respond(caretLine(column) + text + "\n")
        case (.juniperJunos, .ambiguous(let token, let column)):
            return respond(caretLine(column) + "'\(token)' is ambiguous.\n")
        case (.juniperJunos, _):
            return respond("error: missing argument.\n")
        case (.huawei, .invalid(_, let column)):
            return respond(caretLine(column) + "Error: Unrecognized command found at '^' position.\n")
        case (.huawei, .ambiguous(_, let column)):
            return respond(caretLine(column) + "Error: Ambiguous command found at '^' position.\n")
        case (.huawei, _):
            return respond(caretLine(line.count) + "Error: Incomplete command found at '^' position.\n")
        case (.ciscoNXOS, .invalid(_, let column)):
            return respond(caretLine(column) + "% Invalid command at '^' marker.\n")
        case (.ciscoNXOS, .ambiguous(_, let column)):
            return respond(caretLine(column) + "% Ambiguous command at '^' marker.\n")
        case (.ciscoNXOS, _):
            return respond(caretLine(line.count + 1) + "% Incomplete command at '^' marker.\n")
        case (.hpComware, .invalid(_, let column)):
            return respond(caretLine(column) + " % Unrecognized command found at '^' position.\n")
        case (.hpComware, .ambiguous(_, let column)):
            return respond(caretLine(column) + " % Ambiguous command found at '^' position.\n")
        case (.hpComware, _):
            return respond(caretLine(line.count) + " % Incomplete command found at '^' position.\n")
        default:
            return respond("% Invalid input\n")
        }
    }

    // MARK: Exec channel

    func exec(_ command: String) -> ExecResult {
        let savedMode = mode
        let savedPaging = pagingEnabled
        mode = platform.hasEnable || platform.startsPrivileged ? .privileged : .user
        pagingEnabled = false
        defer {
            mode = savedMode
            pagingEnabled = savedPaging
            awaiting = .line
        }
        let events = self.command(command)
        var text = ""
        for case .output(let bytes, _) in events { text += String(decoding: bytes, as: UTF8.self) }
        if text.hasSuffix(prompt) { text.removeLast(prompt.count) }
        return ExecResult(stdout: Array(text), stderr: [], status: 0)
    }
}

extension String {
    func replacingSpaces() -> String { String(filter { $0 != " " }) }
}
