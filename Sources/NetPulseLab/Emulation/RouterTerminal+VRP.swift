/// Huawei VRP and HPE Comware: `display`, `system-view`, `return`, `save`.
extension RouterTerminal {
    private static let vrpCommands: [(String, String)] = [
        ("version", "display version"), ("current", "display current-configuration"),
        ("saved", "display saved-configuration"), ("brief", "display interface brief"),
        ("interfaces", "display interface"), ("vlan", "display vlan"), ("length", "screen-length <x> temporary"),
        ("system", "system-view"), ("save", "save"), ("quit", "quit"), ("return", "return"),
        ("sysname", "sysname <x>"), ("interface", "interface <x>"), ("interface", "interface <x> <x>"),
        ("vlanview", "vlan <x>"), ("vlanbatch", "vlan batch <rest>"), ("undovlan", "undo vlan <x>"),
        ("description", "description <rest>"), ("undodescription", "undo description"), ("shutdown", "shutdown"),
        ("undoshutdown", "undo shutdown"), ("ipaddress", "ip address <x> <x>"), ("name", "name <x>"),
        ("clock", "display clock"), ("reboot", "reboot"),
    ]
    private static let huaweiMatcher = CommandMatcher(vrpCommands)
    /// Comware: `screen-length disable`, `save force`, no `vlan batch`.
    private static let comwareMatcher = CommandMatcher(
        vrpCommands.filter { $0.0 != "length" && $0.0 != "vlanbatch" } + [
            ("nopaging", "screen-length disable"), ("saveforce", "save force"),
        ])

    func vrp(_ line: String) -> [TerminalEvent] {
        let comware = platform == .hpComware
        let match = (comware ? Self.comwareMatcher : Self.huaweiMatcher).match(line)
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
        case "clock":
            return respond(
                comware
                    ? "08:00:00.000 UTC Sun 11/29/2026\n" : "2026-11-29 08:00:00\nSunday\nTime Zone(UTC) : UTC\n")
        case "length":
            guard context == nil, let length = Int(args[0]) else { return invalid }
            pagingEnabled = length != 0
            return respond("Info: The configuration takes effect on the current user terminal interface only.\n")
        case "nopaging":
            guard context == nil else { return invalid }
            pagingEnabled = false
            return respond("")
        case "system":
            guard context == nil else { return invalid }
            mode = .config(.global)
            return respond(
                comware
                    ? "System View: return to User View with Ctrl+Z.\n"
                    : "Enter system view, return user view with Ctrl+Z.\n")
        case "save":
            return ask(.vrpSave)
        case "saveforce":
            device.startup = device.running
            return respond(Self.comwareSaved)
        case "reboot":
            guard context == nil else { return invalid }
            return ask(comware && device.running != device.startup ? .vrpRebootSave : .vrpReboot)
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
                if device.running.vlans[vlanID] == nil {
                    device.running.vlans[vlanID] = comware ? "VLAN " + Self.fourDigits(vlanID) : "VLAN \(vlanID)"
                }
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
}
