/// Cisco NX-OS output, as a Nexus 9000 prints it.
extension CLIRender {
    static func nxosVersion(_ device: DeviceState) -> String {
        """
        Cisco Nexus Operating System (NX-OS) Software
        TAC support: http://www.cisco.com/tac
        Copyright (C) 2002-2026, Cisco and/or its affiliates.
        All rights reserved.

        Software
          BIOS: version 07.69
          NXOS: version \(device.version)
          BIOS compile time:  04/08/2021
          NXOS image file is: bootflash:///nxos.\(device.version.replacingParentheses()).bin
          NXOS compile time:  12/16/2025 7:00:00 [12/16/2025 16:14:39]

        Hardware
          cisco Nexus9000 \(device.model) chassis
          Intel(R) Xeon(R) CPU  @ 1.80GHz with 24632888 kB of memory.
          Processor Board ID FDO\(device.serial)

          Device name: \(device.running.hostname)
          bootflash: 53298520 kB
        Kernel uptime is \(device.uptime)

        Last reset
          Reason: Reset Requested by CLI command reload

        """
    }

    /// `show ip interface brief`: interfaces with an address only.
    static func nxosIPInterfaceBrief(_ device: DeviceState) -> String {
        var text = "IP Interface Status for VRF \"default\"(1)\n"
        text += "Interface            IP Address      Interface Status\n"
        for interface in device.running.interfaces where interface.address != nil && interface.name != "mgmt0" {
            let state = interface.shutdown ? "protocol-down/link-down/admin-down" : "protocol-up/link-up/admin-up"
            text += pad(shortNXOSName(interface.name), 21) + pad(interface.address ?? "", 16) + state + "\n"
        }
        return text
    }

    /// `show interface brief`.
    static func nxosInterfaceBrief(_ device: DeviceState) -> String {
        let rule = String(repeating: "-", count: 80) + "\n"
        var text = "\n" + rule
        text += "Ethernet      VLAN    Type Mode   Status  Reason                   Speed     Port\n"
        text += "Interface                                                                    Ch #\n" + rule
        for interface in device.running.interfaces where interface.name.hasPrefix("Ethernet") {
            let routed = interface.address != nil
            text +=
                pad(shortNXOSName(interface.name), 14) + pad(routed ? "--" : "1", 8) + "eth  "
                + pad(routed ? "routed" : "access", 7) + pad(interface.shutdown ? "down" : "up", 8)
                + pad(interface.shutdown ? "Administratively down" : "none", 27) + pad("10G(D)", 10) + "--\n"
        }
        text += "\n" + rule + "Port   VRF          Status IP Address                              Speed    MTU\n" + rule
        if let management = device.running.interfaces.first(where: { $0.name == "mgmt0" }) {
            text +=
                "mgmt0  --           " + pad(management.shutdown ? "down" : "up", 7)
                + pad(management.address ?? "--", 40) + "1000     1500\n"
        }
        return text
    }

    static func nxosInterfaces(_ device: DeviceState) -> String {
        var text = ""
        for (number, interface) in device.running.interfaces.enumerated() {
            let packets = (device.index + 1) * 7919 * (number + 3) % 9_999_991
            let state = interface.shutdown ? "down (Administratively down)" : "up"
            text += """
                \(interface.name) is \(state)
                admin state is \(interface.shutdown ? "down" : "up"), Dedicated Interface
                  Hardware: 100/1000/10000/25000 Ethernet, address: \(interface.mac) (bia \(interface.mac))
                  Description: \(interface.description ?? "")
                  Internet Address is \(interface.address.map { "\($0)/\(prefixLength(interface.mask))" } ?? "--")
                  MTU 1500 bytes, BW 10000000 Kbit , DLY 10 usec
                  reliability 255/255, txload 1/255, rxload 1/255
                  Encapsulation ARPA, medium is broadcast
                  full-duplex, 10 Gb/s, media type is 10G
                  RX
                    \(packets) unicast packets  0 multicast packets  0 broadcast packets
                  TX
                    \(packets / 2 + 11) unicast packets  0 multicast packets  0 broadcast packets

                """
        }
        return text
    }

    static func nxosConfig(_ device: DeviceState, _ config: DeviceConfig) -> String {
        let ids = config.vlans.keys.sorted()
        var text = "\n!Command: show running-config\n!Running configuration last done at: Sun Nov 29 08:00:00 2026\n"
        text += "!Time: Sun Nov 29 08:00:00 2026\n\nversion \(device.version) Bios:version 07.69\n"
        text += "hostname \(config.hostname)\nvdc \(config.hostname) id 1\n"
        text += "  limit-resource vlan minimum 16 maximum 4094\n\nfeature ssh\nfeature lacp\n\n"
        text += "username \(device.username) password 5 $5$lab  role network-admin\n\n"
        text += "vlan " + ids.map(String.init).joined(separator: ",") + "\n"
        for id in ids where id != 1 { text += "vlan \(id)\n  name \(config.vlans[id] ?? "")\n" }
        for interface in config.interfaces {
            text += "\ninterface \(interface.name)\n"
            if let description = interface.description { text += "  description \(description)\n" }
            if interface.name == "mgmt0" {
                text += "  vrf member management\n"
            } else if interface.address != nil {
                text += "  no switchport\n"
            }
            if let address = interface.address { text += "  ip address \(address)/\(prefixLength(interface.mask))\n" }
            if interface.name != "mgmt0" { text += interface.shutdown ? "  shutdown\n" : "  no shutdown\n" }
        }
        return text + "line console\nline vty\n\n"
    }

    /// `Ethernet1/1` -> `Eth1/1`, as NX-OS tables print it.
    static func shortNXOSName(_ name: String) -> String {
        name.hasPrefix("Ethernet") ? "Eth" + name.dropFirst("Ethernet".count) : name
    }
}

extension String {
    /// `9.3(10)` -> `9.3.10`.
    func replacingParentheses() -> String {
        String(compactMap { $0 == "(" ? "." : $0 == ")" ? nil : $0 })
    }
}
