/// A question a device asks before it acts, as the real ones print it.
enum Question: Equatable {
    /// IOS `copy running-config startup-config`: `Destination filename [startup-config]? ` (a line).
    case copyDestination
    /// IOS `write erase`: `... Continue? [confirm]`.
    case eraseStartup
    /// IOS `reload` with unsaved changes: `System configuration has been modified. Save? [yes/no]: `.
    case reloadSave
    /// IOS `reload`: `Proceed with reload? [confirm]`.
    case reloadProceed
    /// IOS `clear counters`: `Clear "show interface" counters on all interfaces [confirm]`.
    case clearCounters
    /// NX-OS `reload`: `This command will reboot the system. (y/n)?  [n] `.
    case nxosReload
    /// NX-OS `write erase`: `Do you wish to proceed anyway? (y/n)  [n] `.
    case nxosErase
    /// Huawei `save`: `... Continue? [Y/N]:`; Comware `save`: `... Are you sure? [Y/N]:`.
    case vrpSave
    /// Comware `save`: the file name (Enter keeps `flash:/startup.cfg`).
    case comwareSaveFile
    /// Comware `save`: `flash:/startup.cfg exists, overwrite? [Y/N]:`.
    case comwareOverwrite
    /// Comware `reboot` with unsaved changes: `... save current configuration? [Y/N]:`.
    case vrpRebootSave
    /// Huawei and Comware `reboot`: `... Continue? [Y/N]:`.
    case vrpReboot
}

extension RouterTerminal {
    /// Shows a question and waits for its answer: a whole line, or one key for `[confirm]`.
    func ask(_ question: Question) -> [TerminalEvent] {
        let text: String
        var oneKey = false
        switch question {
        case .copyDestination:
            text = "Destination filename [startup-config]? "
        case .eraseStartup:
            text = "Erasing the nvram filesystem will remove all configuration files! Continue? [confirm]"
            oneKey = true
        case .reloadSave:
            text = "System configuration has been modified. Save? [yes/no]: "
        case .reloadProceed:
            text = "Proceed with reload? [confirm]"
            oneKey = true
        case .clearCounters:
            text = "Clear \"show interface\" counters on all interfaces [confirm]"
            oneKey = true
        case .nxosReload:
            text = "This command will reboot the system. (y/n)?  [n] "
        case .nxosErase:
            text =
                "Warning: This command will erase the startup-configuration.\r\n"
                + "Do you wish to proceed anyway? (y/n)  [n] "
        case .vrpSave:
            text =
                platform == .hpComware
                ? "The current configuration will be written to the device. Are you sure? [Y/N]:"
                : "Warning: The current configuration will be written to the device. Continue? [Y/N]:"
        case .comwareSaveFile:
            text =
                "Please input the file name(*.cfg)[flash:/startup.cfg]\r\n"
                + "(To leave the existing filename unchanged, press the enter key):"
        case .comwareOverwrite:
            text = "flash:/startup.cfg exists, overwrite? [Y/N]:"
        case .vrpRebootSave:
            text = "Current configuration will be lost after the reboot, save current configuration? [Y/N]:"
        case .vrpReboot:
            text =
                platform == .hpComware
                ? "Start to check configuration with next startup configuration file, please wait.........DONE!\r\n"
                    + "This command will reboot the device. Continue? [Y/N]:"
                : "Info: The system is comparing the configuration, please wait.\r\n"
                    + "System will reboot! Continue ? [y/n]:"
        }
        awaiting = oneKey ? .confirm(question) : .question(question)
        return [.output(Array(text), isCommand: true)]
    }

    /// The answer to a question asked with a line.
    func answered(_ question: Question, line: String) -> [TerminalEvent] {
        let answer = line.trimmingCharacters().lowercased()
        let yes = answer == "y" || answer == "yes"
        switch question {
        case .copyDestination:
            guard answer.isEmpty || answer == "startup-config" else { return respond("%Error opening \(line)\n") }
            device.startup = device.running
            return respond("Building configuration...\n[OK]\n")
        case .reloadSave:
            switch answer {
            case "yes", "y":
                device.startup = device.running
                return [.output(Array("Building configuration...\r\n[OK]\r\n"), isCommand: false)]
                    + ask(.reloadProceed)
            case "no", "n":
                return ask(.reloadProceed)
            default:
                return [.output(Array("% Please answer 'yes' or 'no'.\r\n"), isCommand: false)] + ask(.reloadSave)
            }
        case .nxosReload:
            return yes ? reloadNow() : respond("")
        case .nxosErase:
            if yes {
                device.startup = DeviceConfig(hostname: device.startup.hostname, interfaces: [], vlans: [1: "default"])
            }
            return respond("")
        case .vrpSave:
            guard yes else {
                return respond(platform == .hpComware ? "" : "Info: The save operation is canceled.\n")
            }
            if platform == .hpComware { return ask(.comwareSaveFile) }
            device.startup = device.running
            return respond(
                "Now saving the current configuration to the slot 0.\nInfo: Save the configuration successfully.\n")
        case .comwareSaveFile:
            guard answer.isEmpty || answer == "flash:/startup.cfg" || answer == "startup.cfg" else {
                return respond("The file name is invalid(does not end with .cfg).\n")
            }
            return ask(.comwareOverwrite)
        case .comwareOverwrite:
            guard yes else { return respond("") }
            device.startup = device.running
            return respond(Self.comwareSaved)
        case .vrpRebootSave:
            if yes { device.startup = device.running }
            return ask(.vrpReboot)
        case .vrpReboot:
            return yes ? reloadNow() : respond("")
        case .eraseStartup, .reloadProceed, .clearCounters:
            // Asked with [confirm]; a line never answers them.
            return respond("")
        }
    }

    /// The key pressed at a `[confirm]`.
    func confirmed(_ question: Question, yes: Bool) -> [TerminalEvent] {
        guard yes else { return [.output(Array(prompt), isCommand: true)] }
        switch question {
        case .eraseStartup:
            device.startup = DeviceConfig(hostname: device.startup.hostname, interfaces: [], vlans: [1: "default"])
            return respond("[OK]\nErase of nvram: complete\n")
        case .reloadProceed:
            return reloadNow()
        default:
            return respond("")
        }
    }

    /// What the device prints as it goes down; the session ends there.
    private func reloadNow() -> [TerminalEvent] {
        let text =
            switch platform {
            case .hpComware: "Now rebooting, please wait...\r\n"
            case .huawei: "Info: system is rebooting ,please wait...\r\n"
            case .ciscoNXOS: "[ 1234.567890] Shutdown Ports..\r\n"
            default:
                "\r\n*Nov 29 08:00:00.000: %SYS-5-RELOAD: Reload requested by \(device.username) on vty0 "
                    + "(127.0.0.1). Reload Reason: Reload Command.\r\n"
            }
        return [.output(Array(text), isCommand: true), .reload]
    }

    static let comwareSaved =
        "Validating file. Please wait...\nSaved the current configuration to mainboard device successfully.\n"
}
