/// HPE Comware 7 output, as a 5130/5940 prints it.
extension CLIRender {
    static func comwareVersion(_ device: DeviceState) -> String {
        let release = device.version.split(separator: " ").last.map(String.init) ?? device.version
        let image = device.model.split(separator: " ").first.map(String.init)?.lowercased() ?? "5130"
        return """
            HPE Comware Software, Version \(device.version)
            Copyright (c) 2010-2026 Hewlett Packard Enterprise Development LP
            HPE \(device.model) Switch uptime is \(device.uptime)
            Last reboot reason : Cold reboot

            Boot image: flash:/\(image)-cmw710-boot-r\(release.lowercased()).bin
            Boot image version: \(device.version)
            System image: flash:/\(image)-cmw710-system-r\(release.lowercased()).bin
            System image version: \(device.version)

            Slot 1:
            Uptime is \(device.uptime)
            \(device.model) with 1 Processor
            BOARD TYPE:         \(device.model)
            DRAM:               1024M bytes
            FLASH:              512M bytes
            PCB 1 Version:      VER.B
            Bootrom Version:    149
            CPLD 1 Version:     002
            Release Version:    HPE \(device.model)-\(release)
            Patch Version  :    None
            Reboot Cause  :     ColdReboot

            """
    }

    static func comwareInterfaceBrief(_ device: DeviceState) -> String {
        let interfaces = device.running.interfaces
        var text = "Brief information on interfaces in route mode:\nLink: ADM - administratively down; Stby - standby\n"
        text += "Protocol: (s) - spoofing\nInterface            Link Protocol Primary IP      Description\n"
        for interface in interfaces where interface.address != nil {
            text +=
                pad(shortComwareName(interface.name), 21) + pad(interface.shutdown ? "ADM" : "UP", 5)
                + pad(interface.shutdown ? "DOWN" : "UP", 9) + pad(interface.address ?? "", 16)
                + (interface.description ?? "") + "\n"
        }
        text += "\nBrief information on interfaces in bridge mode:\nLink: ADM - administratively down; Stby - standby\n"
        text += "Speed: (a) - auto\nDuplex: (a)/A - auto; H - half; F - full\nType: A - access; T - trunk; H - hybrid\n"
        text += "Interface            Link Speed   Duplex Type PVID Description\n"
        for interface in interfaces where interface.address == nil {
            text +=
                pad(shortComwareName(interface.name), 21) + pad(interface.shutdown ? "ADM" : "UP", 5)
                + pad(interface.shutdown ? "auto" : "1G(a)", 8) + pad(interface.shutdown ? "A" : "F(a)", 7)
                + "A    1    " + (interface.description ?? "") + "\n"
        }
        return text
    }

    static func comwareInterfaces(_ device: DeviceState) -> String {
        var text = ""
        for (number, interface) in device.running.interfaces.enumerated() {
            let packets = (device.index + 1) * 7919 * (number + 3) % 9_999_991
            let mac = String(interface.mac.map { $0 == "." ? "-" : $0 })
            text += """
                \(interface.name)
                Current state: \(interface.shutdown ? "Administratively DOWN" : "UP")
                Line protocol state: \(interface.shutdown ? "DOWN" : "UP")
                IP packet frame type: Ethernet II, hardware address: \(mac)
                Description: \(interface.description ?? "\(interface.name) Interface")
                Bandwidth: 1000000 kbps
                Loopback is not set
                Media type is twisted pair, port hardware type is 1000_BASE_T
                 Input (total):  \(packets) packets, \(packets * 64) bytes
                 Output (total): \(packets / 2 + 11) packets, \(packets * 32) bytes

                """
        }
        return text
    }

    static func comwareVLANs(_ config: DeviceConfig) -> String {
        let ids = config.vlans.keys.sorted()
        return " Total VLANs: \(ids.count)\n The VLANs include:\n "
            + ids.map { $0 == 1 ? "1(default)" : String($0) }.joined(separator: ", ") + "\n"
    }

    static func comwareConfig(_ device: DeviceState, _ config: DeviceConfig) -> String {
        var text = "#\n version \(device.version)\n#\n sysname \(config.hostname)\n#\n telnet server disable\n#\n"
        for id in config.vlans.keys.sorted() {
            text += "vlan \(id)\n"
            if id != 1, let name = config.vlans[id] { text += " name \(name)\n" }
            text += "#\n"
        }
        for interface in config.interfaces {
            text += "interface \(interface.name)\n"
            if interface.address == nil && interface.name.hasPrefix("GigabitEthernet") {
                text += " port link-mode bridge\n"
            }
            if let description = interface.description { text += " description \(description)\n" }
            if let address = interface.address {
                text += " ip address \(address) \(interface.mask ?? "255.255.255.0")\n"
            }
            if interface.shutdown { text += " shutdown\n" }
            text += "#\n"
        }
        return text + " ssh server enable\n#\nreturn\n"
    }

    /// `GigabitEthernet1/0/1` -> `GE1/0/1`, as Comware tables print it.
    static func shortComwareName(_ name: String) -> String {
        for (long, short) in [("M-GigabitEthernet", "M-GE"), ("GigabitEthernet", "GE")] where name.hasPrefix(long) {
            return short + name.dropFirst(long.count)
        }
        return name
    }
}
