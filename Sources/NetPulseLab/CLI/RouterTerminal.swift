/// The interactive CLI of an emulated router or switch (`cisco_ios`, `arista_eos`, `juniper_junos`,
/// `huawei`), per PLATFORM-CONVENTIONS.md: prompts, enable, paging, config mode, errors, save.
final class RouterTerminal: Terminal {
    enum Context: Equatable {
        case global
        case interface(String)
        case vlan(Int)
    }

    enum Mode: Equatable {
        /// `R1>`, `admin@mx1>`, `<HW1>`.
        case user
        /// `R1#` (IOS and EOS only).
        case privileged
        case config(Context)
    }

    private enum Awaiting {
        case line
        case enableSecret
        case pager(lines: [String], isCommand: Bool)
        case copyDestination
        case saveConfirmation
    }

    let device: DeviceState
    private(set) var mode: Mode = .user
    private(set) var pagingEnabled = true
    private var awaiting: Awaiting = .line
    private var editor = LineEditor()
    /// Junos: the candidate configuration being edited, committed by `commit`.
    private var candidate: DeviceConfig?

    init(device: DeviceState) {
        self.device = device
    }

    private var platform: LabPlatform { device.platform }
    private var hostname: String { device.running.hostname }

    // MARK: Prompts and text

    var prompt: String {
        switch (platform, mode) {
        case (.juniperJunos, .user): return "\(device.username)@\(hostname)> "
        case (.juniperJunos, .config): return "\r\n[edit]\r\n\(device.username)@\(hostname)# "
        case (.huawei, .user), (.huawei, .privileged): return "<\(hostname)>"
        case (.huawei, .config(.global)): return "[\(hostname)]"
        case (.huawei, .config(.interface(let name))): return "[\(hostname)-\(name)]"
        case (.huawei, .config(.vlan(let id))): return "[\(hostname)-vlan\(id)]"
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
    private var promptLine: String {
        String(prompt.split(separator: "\n", omittingEmptySubsequences: false).last ?? "")
    }

    var pagerText: String {
        switch platform {
        case .juniperJunos: "---(more)---"
        case .huawei: "  ---- More ----"
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
            case .copyDestination, .saveConfirmation, .enableSecret, .line:
                let secret: Bool = if case .enableSecret = awaiting { true } else { false }
                guard let step = editor.feed(byte, echo: !secret) else { continue }
                switch step {
                case .echo(let echo):
                    events.append(.echo(echo))
                case .interrupt:
                    awaiting = .line
                    events.append(.echo(Array("^C\r\n")))
                    events.append(.output(Array(prompt), isCommand: false))
                case .line(let line):
                    events.append(.echo([13, 10]))
                    events += enter(line)
                }
            }
            if events.last == .close { return events }
        }
        return events
    }

    private func pagerKey(_ byte: UInt8, lines: [String], isCommand: Bool) -> [TerminalEvent] {
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
    private func page(_ lines: [String], count: Int, isCommand: Bool) -> [UInt8] {
        if lines.count <= count {
            awaiting = .line
            return Array(lines.map { $0 + "\r\n" }.joined() + prompt)
        }
        awaiting = .pager(lines: Array(lines.dropFirst(count)), isCommand: isCommand)
        return Array(lines.prefix(count).map { $0 + "\r\n" }.joined() + pagerText)
    }

    /// The answer to a command: output then prompt, paged when paging is on.
    private func respond(_ body: String) -> [TerminalEvent] {
        var lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if let outputFilter { lines = lines.filter(outputFilter) }
        if pagingEnabled {
            return [.output(page(lines, count: device.pageLines, isCommand: true), isCommand: true)]
        }
        return [.output(Array(lines.map { $0 + "\r\n" }.joined() + prompt), isCommand: true)]
    }

    private func enter(_ line: String) -> [TerminalEvent] {
        switch awaiting {
        case .enableSecret:
            awaiting = .line
            if let secret = device.enableSecret, line == secret {
                mode = .privileged
                return [.output(Array(prompt), isCommand: true)]
            }
            return respond("% Access denied\n")
        case .copyDestination:
            awaiting = .line
            guard line.isEmpty || line == "startup-config" else { return respond("%Error opening \(line)\n") }
            device.startup = device.running
            return respond("Building configuration...\n[OK]\n")
        case .saveConfirmation:
            awaiting = .line
            guard line.lowercased().hasPrefix("y") else { return respond("Info: The save operation is canceled.\n") }
            device.startup = device.running
            return respond(
                "Now saving the current configuration to the slot 0.\nInfo: Save the configuration successfully.\n")
        case .line, .pager:
            break
        }
        return command(line)
    }

    // MARK: Commands

    private func command(_ line: String) -> [TerminalEvent] {
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
        case .huawei: return huawei(text)
        default: return ciscoLike(text)
        }
    }

    /// A filter applied by `respond` to the lines of the current command's output.
    private var outputFilter: ((String) -> Bool)?

    /// The platform's error text for a line that does not parse.
    private func error(_ match: CommandMatcher.Match, line: String) -> [TerminalEvent] {
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
        default:
            return respond("% Invalid input\n")
        }
    }

    // MARK: Cisco IOS and Arista EOS

    private static let ciscoExec: [(String, String)] = [
        ("version", "show version"), ("interfaces", "show interfaces"),
        ("brief", "show ip interface brief"), ("vlan", "show vlan"), ("vlan", "show vlan brief"),
        ("clock", "show clock"), ("running", "show running-config"), ("startup", "show startup-config"),
        ("length", "terminal length <x>"), ("width", "terminal width <x>"), ("enable", "enable"),
        ("disable", "disable"), ("configure", "configure terminal"), ("write", "write memory"),
        ("write", "write"), ("copy", "copy running-config startup-config"), ("exit", "exit"),
        ("exit", "logout"), ("exit", "quit"), ("ping", "ping <x>"),
    ]
    private static let ciscoPrivileged: Set<String> = [
        "running", "startup", "disable", "configure", "write", "copy",
    ]
    private static let ciscoConfig: [(String, String)] = [
        ("hostname", "hostname <x>"), ("interface", "interface <x>"), ("interface", "interface <x> <x>"),
        ("vlan", "vlan <x>"), ("novlan", "no vlan <x>"), ("end", "end"), ("exit", "exit"), ("do", "do <rest>"),
        ("description", "description <rest>"), ("nodescription", "no description"), ("shutdown", "shutdown"),
        ("noshutdown", "no shutdown"), ("ipaddress", "ip address <x> <x>"), ("noipaddress", "no ip address"),
        ("name", "name <x>"), ("switchport", "switchport <rest>"), ("noswitchport", "no switchport"),
    ]
    private static let execMatcher = CommandMatcher(ciscoExec)
    private static let configMatcher = CommandMatcher(ciscoConfig)

    private func ciscoLike(_ line: String) -> [TerminalEvent] {
        if case .config(let context) = mode {
            return ciscoConfigLine(line, context: context)
        }
        let match = Self.execMatcher.match(line)
        guard case .command(let id, let args) = match else {
            return match == .empty ? [.output(Array(prompt), isCommand: true)] : error(match, line: line)
        }
        if mode == .user && Self.ciscoPrivileged.contains(id) && id != "disable" {
            let column = CommandMatcher.tokenize(line).count > 1 ? CommandMatcher.tokenize(line)[1].column : 0
            return id == "configure" || id == "write" || id == "copy"
                ? error(.invalid(token: 0, column: 0), line: line)
                : error(.invalid(token: 1, column: column), line: line)
        }
        return ciscoExec(id, args: args, line: line)
    }

    private func ciscoExec(_ id: String, args: [String], line: String) -> [TerminalEvent] {
        switch id {
        case "version": return respond(CLIRender.version(device))
        case "interfaces": return respond(CLIRender.interfaces(device))
        case "brief": return respond(CLIRender.interfaceBrief(device))
        case "vlan": return respond(CLIRender.vlans(device, device.running))
        case "clock": return respond("*08:00:00.000 UTC Sun Nov 29 2026\n")
        case "running": return respond(CLIRender.config(device, device.running))
        case "startup": return respond(CLIRender.config(device, device.startup))
        case "length":
            guard let length = Int(args[0]), length >= 0 else {
                return error(.invalid(token: 2, column: 16), line: line)
            }
            pagingEnabled = length != 0
            return respond("")
        case "width": return respond("")
        case "enable":
            guard device.enableSecret != nil, mode == .user else {
                mode = .privileged
                return respond("")
            }
            awaiting = .enableSecret
            return [.output(Array("Password: "), isCommand: true)]
        case "disable":
            mode = .user
            return respond("")
        case "configure":
            mode = .config(.global)
            return respond(
                platform == .ciscoIOS ? "Enter configuration commands, one per line.  End with CNTL/Z.\n" : "")
        case "write":
            device.startup = device.running
            return respond(
                platform == .ciscoIOS ? "Building configuration...\n[OK]\n" : "Copy completed successfully.\n")
        case "copy":
            if platform == .ciscoIOS {
                awaiting = .copyDestination
                return [.output(Array("Destination filename [startup-config]? "), isCommand: true)]
            }
            device.startup = device.running
            return respond("Copy completed successfully.\n")
        case "ping":
            return respond(
                "Type escape sequence to abort.\nSending 5, 100-byte ICMP Echos to \(args[0]), timeout is 2 seconds:\n"
                    + "!!!!!\nSuccess rate is 100 percent (5/5), round-trip min/avg/max = 1/1/2 ms\n")
        default:
            return [.close]
        }
    }

    private func ciscoConfigLine(_ line: String, context: Context) -> [TerminalEvent] {
        let match = Self.configMatcher.match(line)
        guard case .command(let id, let args) = match else {
            return match == .empty ? [.output(Array(prompt), isCommand: true)] : error(match, line: line)
        }
        let interfaceOnly: Set<String> = [
            "description", "nodescription", "shutdown", "noshutdown", "ipaddress", "noipaddress", "switchport",
            "noswitchport",
        ]
        if interfaceOnly.contains(id) {
            guard case .interface(let name) = context else { return error(.invalid(token: 0, column: 0), line: line) }
            device.running.withInterface(name) { interface in
                switch id {
                case "description": interface.description = args[0]
                case "nodescription": interface.description = nil
                case "shutdown": interface.shutdown = true
                case "noshutdown": interface.shutdown = false
                case "ipaddress":
                    interface.address = args[0]
                    interface.mask = args[1]
                case "noipaddress":
                    interface.address = nil
                    interface.mask = nil
                default: break
                }
            }
            return respond("")
        }
        switch id {
        case "hostname":
            device.running.hostname = args[0]
        case "interface":
            let name = Self.interfaceName(args.joined(), platform: platform)
            device.running.withInterface(name) { _ in }
            let canonical = device.running.interfaces.first { $0.name.lowercased() == name.lowercased() }?.name
            mode = .config(.interface(canonical ?? name))
        case "vlan":
            guard let id = Int(args[0]), (1...4094).contains(id) else {
                return error(.invalid(token: 1, column: CommandMatcher.tokenize(line)[1].column), line: line)
            }
            if device.running.vlans[id] == nil { device.running.vlans[id] = "VLAN" + String(format4(id)) }
            mode = .config(.vlan(id))
        case "novlan":
            guard let id = Int(args[0]) else { return error(.invalid(token: 2, column: 8), line: line) }
            device.running.vlans[id] = nil
        case "name":
            guard case .vlan(let vlan) = context else { return error(.invalid(token: 0, column: 0), line: line) }
            device.running.vlans[vlan] = args[0]
        case "end":
            mode = .privileged
        case "exit":
            mode = context == .global ? .privileged : .config(.global)
        case "do":
            let saved = mode
            mode = .privileged
            let paging = pagingEnabled
            var events = ciscoLike(args[0])
            mode = saved
            pagingEnabled = paging
            // The prompt inside the answer was rendered in privileged mode: render again in config mode.
            if case .output(let bytes, let isCommand) = events.last, case .line = awaiting {
                let text = String(decoding: bytes, as: UTF8.self)
                let privileged = "\(hostname)#"
                if text.hasSuffix(privileged) {
                    events[events.count - 1] = .output(
                        Array(text.dropLast(privileged.count) + prompt), isCommand: isCommand)
                }
            }
            return events
        default:
            break
        }
        return respond("")
    }

    private func format4(_ id: Int) -> String {
        let text = String(id)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    /// Expands abbreviations (`Gi0/1`, `Et1`, `lo0`) to the platform's interface names.
    static func interfaceName(_ typed: String, platform: LabPlatform) -> String {
        let lowered = typed.lowercased()
        let kinds: [String] =
            switch platform {
            case .ciscoIOS: ["GigabitEthernet", "Loopback", "Vlan", "TenGigabitEthernet"]
            case .aristaEOS: ["Ethernet", "Management", "Loopback", "Vlan", "Port-Channel"]
            case .huawei: ["GigabitEthernet", "MEth", "LoopBack", "Vlanif", "Eth-Trunk"]
            default: []
            }
        guard let firstDigit = lowered.firstIndex(where: \.isNumber) else { return typed }
        let prefix = lowered[..<firstDigit]
        guard !prefix.isEmpty, let kind = kinds.first(where: { $0.lowercased().hasPrefix(prefix) }) else {
            return typed
        }
        return kind + typed[firstDigit...]
    }

    static func shortName(_ name: String) -> String {
        guard let firstDigit = name.firstIndex(where: \.isNumber) else { return name }
        return String(name.prefix(2)) + name[firstDigit...]
    }

    // MARK: Junos

    private static let junosOperational = CommandMatcher([
        ("version", "show version"), ("configuration", "show configuration"),
        ("configuration", "show configuration <rest>"), ("terse", "show interfaces terse"),
        ("interfaces", "show interfaces"), ("vlans", "show vlans"), ("uptime", "show system uptime"),
        ("length", "set cli screen-length <x>"), ("width", "set cli screen-width <x>"),
        ("configure", "configure"), ("configure", "configure private"), ("exit", "exit"), ("exit", "quit"),
    ])
    private static let junosConfiguration = CommandMatcher([
        ("hostname", "set system host-name <x>"), ("description", "set interfaces <x> description <rest>"),
        ("address", "set interfaces <x> unit <x> family inet address <x>"),
        ("disable", "set interfaces <x> disable"), ("vlan", "set vlans <x> vlan-id <x>"),
        ("deletevlan", "delete vlans <x>"), ("deletedescription", "delete interfaces <x> description"),
        ("commit", "commit"), ("commitquit", "commit and-quit"), ("show", "show"), ("compare", "show | compare"),
        ("leave", "exit configuration-mode"), ("leave", "exit"), ("leave", "quit"), ("top", "top"),
        ("rollback", "rollback"), ("rollback", "rollback <x>"), ("run", "run <rest>"),
    ])

    private func junos(_ line: String) -> [TerminalEvent] {
        let inConfig = mode != .user
        let match = (inConfig ? Self.junosConfiguration : Self.junosOperational).match(line)
        guard case .command(let id, let args) = match else {
            return match == .empty ? [.output(Array(prompt), isCommand: true)] : error(match, line: line)
        }
        if inConfig { return junosConfig(id, args: args) }
        switch id {
        case "version": return respond(CLIRender.version(device) + "\n")
        case "configuration": return respond(CLIRender.config(device, device.running) + "\n")
        case "terse": return respond(CLIRender.interfaceBrief(device) + "\n")
        case "interfaces": return respond(CLIRender.interfaces(device) + "\n")
        case "vlans": return respond(CLIRender.vlans(device, device.running) + "\n")
        case "uptime": return respond("Current time: 2026-11-29 08:00:00 UTC\nSystem booted: \(device.uptime) ago\n\n")
        case "length":
            guard let length = Int(args[0]) else { return respond("error: invalid value\n") }
            pagingEnabled = length != 0
            return respond("Screen length set to \(length)\n\n")
        case "width": return respond("Screen width set to \(args[0])\n\n")
        case "configure":
            mode = .config(.global)
            candidate = device.running
            return [.output(Array("Entering configuration mode\r\n" + prompt), isCommand: true)]
        default: return [.close]
        }
    }

    private func junosConfig(_ id: String, args: [String]) -> [TerminalEvent] {
        var edit = candidate ?? device.running
        defer { candidate = edit }
        switch id {
        case "hostname": edit.hostname = args[0]
        case "description":
            let text =
                args[1].hasPrefix("\"") && args[1].hasSuffix("\"") && args[1].count >= 2
                ? String(args[1].dropFirst().dropLast()) : args[1]
            edit.withInterface(args[0]) { $0.description = text }
        case "deletedescription": edit.withInterface(args[0]) { $0.description = nil }
        case "address":
            let parts = args[2].split(separator: "/")
            edit.withInterface(args[0]) {
                $0.address = String(parts[0])
                $0.mask = parts.count > 1 ? CLIRender.mask(prefix: Int(parts[1]) ?? 24) : "255.255.255.0"
            }
        case "disable": edit.withInterface(args[0]) { $0.shutdown = true }
        case "vlan":
            guard let vlanID = Int(args[1]), (1...4094).contains(vlanID) else {
                return respond("error: vlan-id: value out of range\n")
            }
            edit.vlans = edit.vlans.filter { $0.value != args[0] }
            edit.vlans[vlanID] = args[0]
        case "deletevlan":
            guard edit.vlans.values.contains(args[0]) else { return respond("warning: statement not found\n") }
            edit.vlans = edit.vlans.filter { $0.value != args[0] }
        case "commit", "commitquit":
            device.running = edit
            device.startup = edit
            if id == "commitquit" {
                mode = .user
                candidate = nil
                edit = device.running
                return respond("commit complete\nExiting configuration mode\n\n")
            }
            return respond("commit complete\n")
        case "show": return respond(CLIRender.config(device, edit))
        case "compare":
            return respond(
                edit == device.running ? "" : "[edit]\n+  (candidate differs from the active configuration)\n")
        case "rollback":
            edit = device.running
            return respond("load complete\n")
        case "leave":
            let pending = edit != device.running
            mode = .user
            edit = device.running
            return respond(
                (pending ? "warning: uncommitted changes discarded on exit\n" : "") + "Exiting configuration mode\n\n")
        case "run":
            let saved = mode
            mode = .user
            let events = junos(args[0])
            mode = saved
            if case .output(let bytes, let isCommand) = events.last {
                let text = String(decoding: bytes, as: UTF8.self)
                let operational = "\(device.username)@\(hostname)> "
                if text.hasSuffix(operational) {
                    return [.output(Array(text.dropLast(operational.count) + prompt), isCommand: isCommand)]
                }
            }
            return events
        default: break
        }
        return respond("")
    }

    // MARK: Huawei

    private static let huaweiCommands = CommandMatcher([
        ("version", "display version"), ("current", "display current-configuration"),
        ("saved", "display saved-configuration"), ("brief", "display interface brief"),
        ("interfaces", "display interface"), ("vlan", "display vlan"), ("length", "screen-length <x> temporary"),
        ("system", "system-view"), ("save", "save"), ("quit", "quit"), ("return", "return"),
        ("sysname", "sysname <x>"), ("interface", "interface <x>"), ("interface", "interface <x> <x>"),
        ("vlanview", "vlan <x>"), ("vlanbatch", "vlan batch <rest>"), ("undovlan", "undo vlan <x>"),
        ("description", "description <rest>"), ("undodescription", "undo description"), ("shutdown", "shutdown"),
        ("undoshutdown", "undo shutdown"), ("ipaddress", "ip address <x> <x>"), ("name", "name <x>"),
    ])

    private func huawei(_ line: String) -> [TerminalEvent] {
        let match = Self.huaweiCommands.match(line)
        guard case .command(let id, let args) = match else {
            return match == .empty ? [.output(Array(prompt), isCommand: true)] : error(match, line: line)
        }
        let context: Context? = if case .config(let context) = mode { context } else { nil }
        let invalid = error(.invalid(token: 0, column: 0), line: line)
        switch id {
        case "version": return respond(CLIRender.version(device))
        case "current": return respond(CLIRender.config(device, device.running))
        case "saved": return respond(CLIRender.config(device, device.startup))
        case "brief": return respond(CLIRender.interfaceBrief(device))
        case "interfaces": return respond(CLIRender.interfaces(device))
        case "vlan": return respond(CLIRender.vlans(device, device.running))
        case "length":
            guard context == nil, let length = Int(args[0]) else { return invalid }
            pagingEnabled = length != 0
            return respond("Info: The configuration takes effect on the current user terminal interface only.\n")
        case "system":
            guard context == nil else { return invalid }
            mode = .config(.global)
            return respond("Enter system view, return user view with Ctrl+Z.\n")
        case "save":
            guard context == nil else { return invalid }
            awaiting = .saveConfirmation
            return [
                .output(
                    Array("Warning: The current configuration will be written to the device. Continue? [Y/N]:"),
                    isCommand: true)
            ]
        case "quit":
            switch context {
            case nil: return [.close]
            case .global?: mode = .user
            default: mode = .config(.global)
            }
        case "return":
            guard context != nil else { return invalid }
            mode = .user
        case "sysname":
            guard context != nil else { return invalid }
            device.running.hostname = args[0]
        case "interface":
            guard context != nil else { return invalid }
            let name = Self.interfaceName(args.joined(), platform: platform)
            device.running.withInterface(name) { _ in }
            let canonical = device.running.interfaces.first { $0.name.lowercased() == name.lowercased() }?.name
            mode = .config(.interface(canonical ?? name))
        case "vlanview", "undovlan":
            guard context != nil else { return invalid }
            guard let vlanID = Int(args[0]), (1...4094).contains(vlanID) else {
                return error(.invalid(token: 1, column: line.count - args[0].count), line: line)
            }
            if id == "undovlan" {
                device.running.vlans[vlanID] = nil
            } else {
                if device.running.vlans[vlanID] == nil { device.running.vlans[vlanID] = "VLAN \(vlanID)" }
                mode = .config(.vlan(vlanID))
            }
        case "vlanbatch":
            guard context != nil else { return invalid }
            let ids = args[0].split(separator: " ").compactMap { Int($0) }.filter { (1...4094).contains($0) }
            for vlanID in ids where device.running.vlans[vlanID] == nil {
                device.running.vlans[vlanID] = "VLAN \(vlanID)"
            }
            return respond("Info: This operation may take a few seconds. Please wait for a moment...done.\n")
        case "description", "name":
            switch context {
            case .interface(let name)?:
                guard id == "description" else { return invalid }
                device.running.withInterface(name) { $0.description = args[0] }
            case .vlan(let vlanID)?: device.running.vlans[vlanID] = args[0]
            default: return invalid
            }
        case "undodescription", "shutdown", "undoshutdown", "ipaddress":
            guard case .interface(let name)? = context else { return invalid }
            device.running.withInterface(name) { interface in
                switch id {
                case "undodescription": interface.description = nil
                case "shutdown": interface.shutdown = true
                case "undoshutdown": interface.shutdown = false
                default:
                    interface.address = args[0]
                    interface.mask = args[1]
                }
            }
        default: break
        }
        return respond("")
    }

    // MARK: Exec channel

    func exec(_ command: String) -> ExecResult {
        let savedMode = mode
        let savedPaging = pagingEnabled
        mode = platform.hasEnable ? .privileged : .user
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
