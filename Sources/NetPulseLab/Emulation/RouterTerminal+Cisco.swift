/// Cisco IOS, Arista EOS and Cisco NX-OS: `show`, `enable`, `configure terminal`, `end`.
extension RouterTerminal {
    private static let ciscoExec: [(String, String)] = [
        ("version", "show version"), ("interfaces", "show interfaces"),
        ("brief", "show ip interface brief"), ("vlan", "show vlan"), ("vlan", "show vlan brief"),
        ("clock", "show clock"), ("running", "show running-config"), ("startup", "show startup-config"),
        ("length", "terminal length <x>"), ("width", "terminal width <x>"), ("enable", "enable"),
        ("disable", "disable"), ("configure", "configure terminal"), ("write", "write memory"),
        ("write", "write"), ("copy", "copy running-config startup-config"), ("exit", "exit"),
        ("exit", "logout"), ("exit", "quit"), ("ping", "ping <x>"), ("reload", "reload"),
        ("erase", "write erase"), ("erase", "erase startup-config"), ("clear", "clear counters"),
    ]
    /// NX-OS adds its own `show interface brief`, and `show ip interface brief` prints differently.
    private static let nxosExec: [(String, String)] =
        ciscoExec.filter { $0.0 != "disable" && $0.0 != "write" } + [
            ("ifbrief", "show interface brief"), ("feature", "show feature"),
        ]
    private static let ciscoPrivileged: Set<String> = [
        "running", "startup", "disable", "configure", "write", "copy", "reload", "erase", "clear",
    ]
    private static let ciscoConfig: [(String, String)] = [
        ("hostname", "hostname <x>"), ("interface", "interface <x>"), ("interface", "interface <x> <x>"),
        ("vlan", "vlan <x>"), ("novlan", "no vlan <x>"), ("end", "end"), ("exit", "exit"), ("do", "do <rest>"),
        ("description", "description <rest>"), ("nodescription", "no description"), ("shutdown", "shutdown"),
        ("noshutdown", "no shutdown"), ("ipaddress", "ip address <x> <x>"), ("noipaddress", "no ip address"),
        ("name", "name <x>"), ("switchport", "switchport <rest>"), ("noswitchport", "no switchport"),
    ]
    /// NX-OS takes `ip address A.B.C.D/LEN` and `feature X`.
    private static let nxosConfig: [(String, String)] =
        ciscoConfig + [("ipprefix", "ip address <x>"), ("feature", "feature <x>"), ("nofeature", "no feature <x>")]
    private static let execMatcher = CommandMatcher(ciscoExec)
    private static let configMatcher = CommandMatcher(ciscoConfig)
    private static let nxosExecMatcher = CommandMatcher(nxosExec)
    private static let nxosConfigMatcher = CommandMatcher(nxosConfig)

    func ciscoLike(_ line: String) -> [TerminalEvent] {
        if case .config(let context) = mode {
            return ciscoConfigLine(line, context: context)
        }
        let match = (platform == .ciscoNXOS ? Self.nxosExecMatcher : Self.execMatcher).match(line)
        guard case .command(let id, let args) = match else {
            return match == .empty ? [.output(Array(prompt), isCommand: true)] : error(match, line: line)
        }
        if mode == .user && Self.ciscoPrivileged.contains(id) && id != "disable" {
            let column = CommandMatcher.tokenize(line).count > 1 ? CommandMatcher.tokenize(line)[1].column : 0
            return ["configure", "write", "copy", "reload", "erase", "clear"].contains(id)
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
        case "ifbrief": return respond(CLIRender.nxosInterfaceBrief(device))
        case "feature":
            return respond(
                "Feature Name          Instance  State\n--------------------  --------  --------\n"
                    + "bgp                   1         disabled\nlacp                  1         enabled\n"
                    + "ssh                   1         enabled\n")
        case "vlan": return respond(CLIRender.vlans(device, device.running))
        case "clock":
            return respond(
                platform == .ciscoNXOS
                    ? "08:00:00.000 UTC Sun Nov 29 2026\nTime source is NTP\n" : "*08:00:00.000 UTC Sun Nov 29 2026\n")
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
            switch platform {
            case .ciscoIOS: return ask(.copyDestination)
            case .ciscoNXOS:
                device.startup = device.running
                return respond(
                    "[########################################] 100%\n"
                        + "Copy complete, now saving to disk (please wait)...\nCopy complete.\n")
            default:
                device.startup = device.running
                return respond("Copy completed successfully.\n")
            }
        case "reload":
            switch platform {
            case .ciscoNXOS: return ask(.nxosReload)
            case .ciscoIOS: return ask(device.running != device.startup ? .reloadSave : .reloadProceed)
            default: return ask(.reloadProceed)
            }
        case "erase":
            return ask(platform == .ciscoNXOS ? .nxosErase : .eraseStartup)
        case "clear":
            return ask(.clearCounters)
        case "ping":
            return respond(
                "Type escape sequence to abort.\nSending 5, 100-byte ICMP Echos to \(args[0]), timeout is 2 seconds:\n"
                    + "!!!!!\nSuccess rate is 100 percent (5/5), round-trip min/avg/max = 1/1/2 ms\n")
        default:
            return [.close]
        }
    }

    private func ciscoConfigLine(_ line: String, context: Context) -> [TerminalEvent] {
        let match = (platform == .ciscoNXOS ? Self.nxosConfigMatcher : Self.configMatcher).match(line)
        guard case .command(let id, let args) = match else {
            return match == .empty ? [.output(Array(prompt), isCommand: true)] : error(match, line: line)
        }
        let interfaceOnly: Set<String> = [
            "description", "nodescription", "shutdown", "noshutdown", "ipaddress", "noipaddress", "switchport",
            "noswitchport", "ipprefix",
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
                case "ipprefix":
                    let parts = args[0].split(separator: "/")
                    interface.address = String(parts[0])
                    interface.mask = CLIRender.mask(prefix: parts.count > 1 ? Int(parts[1]) ?? 24 : 24)
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
            if device.running.vlans[id] == nil { device.running.vlans[id] = "VLAN" + Self.fourDigits(id) }
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
            let privileged = prompt
            let paging = pagingEnabled
            var events = ciscoLike(args[0])
            mode = saved
            pagingEnabled = paging
            // The prompt inside the answer was rendered in privileged mode: render again in config mode.
            if case .output(let bytes, let isCommand) = events.last, case .line = awaiting {
                let text = String(decoding: bytes, as: UTF8.self)
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

    static func fourDigits(_ id: Int) -> String {
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
            case .ciscoNXOS: ["Ethernet", "mgmt", "loopback", "Vlan", "port-channel"]
            case .hpComware:
                [
                    "GigabitEthernet", "Ten-GigabitEthernet", "M-GigabitEthernet", "LoopBack", "Vlan-interface",
                    "Bridge-Aggregation",
                ]
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
}
