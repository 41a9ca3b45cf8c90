/// Juniper Junos: operational mode, candidate configuration, `commit`.
extension RouterTerminal {
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

    func junos(_ line: String) -> [TerminalEvent] {
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
}
