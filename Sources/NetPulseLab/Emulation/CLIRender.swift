/// Plausible `show` output per platform, rendered from a device's state (lines end with `\n`; the
/// terminal turns them into `\r\n`).
enum CLIRender {
    static func mask(prefix: Int) -> String {
        let bits: UInt32 = prefix <= 0 ? 0 : UInt32.max << UInt32(32 - min(prefix, 32))
        return [24, 16, 8, 0].map { String((bits >> UInt32($0)) & 0xFF) }.joined(separator: ".")
    }

    static func prefixLength(_ mask: String?) -> Int {
        guard let mask else { return 24 }
        return mask.split(separator: ".").compactMap { UInt8($0) }.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func version(_ device: DeviceState) -> String {
        let name = device.running.hostname
        switch device.platform {
        case .ciscoIOS:
            return """
                Cisco IOS XE Software, Version \(device.version)
                Cisco IOS Software [Amsterdam], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version \
                \(device.version), RELEASE SOFTWARE (fc3)
                Technical Support: http://www.cisco.com/techsupport
                Copyright (c) 1986-2026 by Cisco Systems, Inc.

                ROM: IOS-XE ROMMON

                \(name) uptime is \(device.uptime)
                Uptime for this control processor is \(device.uptime)
                System returned to ROM by reload
                System image file is "bootflash:isr4300-universalk9.\(device.version).SPA.bin"
                Last reload reason: Reload Command

                cisco \(device.model)/K9 (1RU) processor with 1795999K/6147K bytes of memory.
                Processor board ID FDO\(device.serial)
                \(device.running.interfaces.count - 1) Gigabit Ethernet interfaces
                32768K bytes of non-volatile configuration memory.
                4194304K bytes of physical memory.

                Configuration register is 0x2102

                """
        case .aristaEOS:
            return """
                Arista \(device.model)
                Hardware version: 11.02
                Serial number: JPE\(device.serial)
                Hardware MAC address: \(device.running.interfaces[0].mac)
                System MAC address: \(device.running.interfaces[0].mac)

                Software image version: \(device.version)
                Architecture: x86_64
                Internal build version: \(device.version)-\(device.index + 20_000_000)
                Image format version: 3.0
                Image optimization: Default

                Uptime: \(device.uptime)
                Total memory: 8099732 kB
                Free memory: 6133452 kB

                """
        case .juniperJunos:
            return """
                Hostname: \(name)
                Model: \(device.model)
                Junos: \(device.version)
                JUNOS OS Kernel 64-bit  [20210101.abcdef0_builder_stable_12]
                JUNOS OS libs [20210101.abcdef0_builder_stable_12]
                JUNOS OS runtime [20210101.abcdef0_builder_stable_12]
                JUNOS Packet Forwarding Engine Support (MX Common) [\(device.version)]
                JUNOS Routing Software Suite [\(device.version)]
                Serial number: \(device.serial)

                """
        case .huawei:
            return """
                Huawei Versatile Routing Platform Software
                VRP (R) software, Version 5.170 (\(device.model) \(device.version))
                Copyright (C) 2000-2026 HUAWEI TECH CO., LTD
                HUAWEI \(device.model) Routing Switch uptime is \(device.uptime)

                ES5D2T28S005 0(Master) : uptime is \(device.uptime)
                DDR             Memory Size : 512  M bytes
                FLASH Total     Memory Size : 512  M bytes
                BOARD SERIAL: \(device.serial)

                """
        case .linux:
            return "Linux \(name) \(device.version) #1 SMP PREEMPT_DYNAMIC Debian x86_64 GNU/Linux\n"
        case .ciscoNXOS:
            return nxosVersion(device)
        case .hpComware:
            return comwareVersion(device)
        }
    }

    static func interfaceBrief(_ device: DeviceState) -> String {
        let interfaces = device.running.interfaces
        func status(_ interface: EmulatedInterface) -> String {
            interface.shutdown ? "administratively down" : "up"
        }
        switch device.platform {
        case .ciscoIOS:
            var text = "Interface              IP-Address      OK? Method Status                Protocol\n"
            for interface in interfaces {
                text +=
                    pad(interface.name, 23) + pad(interface.address ?? "unassigned", 16) + "YES "
                    + pad(interface.address == nil ? "unset" : "NVRAM", 7) + pad(status(interface), 22)
                    + (interface.shutdown ? "down" : "up") + "\n"
            }
            return text
        case .aristaEOS:
            var text = "                                                                     Address\n"
            text += "Interface       IP Address            Status       Protocol          MTU    Owner\n"
            text += "--------------- --------------------- ------------ -------------- ---------- -------\n"
            for interface in interfaces {
                let address = interface.address.map { "\($0)/\(prefixLength(interface.mask))" } ?? "unassigned"
                text +=
                    pad(interface.name, 16) + pad(address, 22) + pad(interface.shutdown ? "adminDown" : "up", 13)
                    + pad(interface.shutdown ? "down" : "up", 15) + "1500\n"
            }
            return text
        case .juniperJunos:
            var text = "Interface               Admin Link Proto    Local                 Remote\n"
            for interface in interfaces {
                let admin = interface.shutdown ? "down" : "up"
                text += pad(interface.name, 24) + pad(admin, 6) + admin + "\n"
                if let address = interface.address {
                    text +=
                        pad(interface.name + ".0", 24) + pad(admin, 6) + pad(admin, 5) + pad("inet", 9)
                        + "\(address)/\(prefixLength(interface.mask))\n"
                }
            }
            return text
        case .ciscoNXOS:
            return nxosIPInterfaceBrief(device)
        case .hpComware:
            return comwareInterfaceBrief(device)
        case .huawei, .linux:
            var text = "PHY: Physical\n*down: administratively down\n(l): loopback\n(s): spoofing\n"
            text += "Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors\n"
            for interface in interfaces {
                text +=
                    pad(interface.name, 28) + pad(interface.shutdown ? "*down" : "up", 6)
                    + pad(interface.shutdown ? "down" : "up", 9) + "   0%     0%          0          0\n"
            }
            return text
        }
    }

    static func interfaces(_ device: DeviceState) -> String {
        switch device.platform {
        case .ciscoNXOS: return nxosInterfaces(device)
        case .hpComware: return comwareInterfaces(device)
        default: break
        }
        var text = ""
        for (number, interface) in device.running.interfaces.enumerated() {
            let state = interface.shutdown ? "administratively down" : "up"
            let protocolState = interface.shutdown ? "down" : "up"
            let linkState = interface.shutdown ? "Down" : "Up"
            let address = interface.address.map { "\($0)/\(prefixLength(interface.mask))" } ?? "unassigned"
            let packets = (device.index + 1) * 7919 * (number + 3) % 9_999_991
            switch device.platform {
            case .juniperJunos:
                text += """
                    Physical interface: \(interface.name), Enabled, Physical link is \(linkState)
                      Interface index: \(148 + number), SNMP ifIndex: \(500 + number)
                      Description: \(interface.description ?? "")
                      Link-level type: Ethernet, MTU: 1514, Speed: 1000mbps
                      Current address: \(interface.mac), Hardware address: \(interface.mac)
                      Input packets : \(packets)
                      Output packets: \(packets / 2 + 11)

                    """
            case .huawei:
                text += """
                    \(interface.name) current state : \(state.uppercased())
                    Line protocol current state : \(protocolState.uppercased())
                    Description: \(interface.description ?? "")
                    Route Port,The Maximum Frame Length is 9216
                    IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is \(interface.mac)
                    Last 300 seconds input rate 0 bits/sec, 0 packets/sec
                    Last 300 seconds output rate 0 bits/sec, 0 packets/sec
                    Input:  \(packets) packets
                    Output: \(packets / 2 + 11) packets

                    """
            default:
                text += """
                    \(interface.name) is \(state), line protocol is \(protocolState)
                      Hardware is Ethernet, address is \(interface.mac) (bia \(interface.mac))
                      Description: \(interface.description ?? "")
                      Internet address is \(address)
                      MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,
                         reliability 255/255, txload 1/255, rxload 1/255
                      Encapsulation ARPA, loopback not set
                      Full Duplex, 1000Mbps, link type is auto, media type is RJ45
                      5 minute input rate 0 bits/sec, 0 packets/sec
                      5 minute output rate 0 bits/sec, 0 packets/sec
                         \(packets) packets input, \(packets * 64) bytes, 0 no buffer
                         \(packets / 2 + 11) packets output, \(packets * 32) bytes, 0 underruns

                    """
            }
        }
        return text
    }

    static func vlans(_ device: DeviceState, _ config: DeviceConfig) -> String {
        let ids = config.vlans.keys.sorted()
        switch device.platform {
        case .juniperJunos:
            var text = "Routing instance        VLAN name             Tag          Interfaces\n"
            for id in ids { text += pad("default-switch", 24) + pad(config.vlans[id]!, 22) + String(id) + "\n" }
            return text
        case .hpComware:
            return comwareVLANs(config)
        case .huawei:
            var text = "The total number of vlans is : \(ids.count)\n"
            text += "VID  Status  Property      MAC-LRN Statistics Description\n"
            text += "-------------------------------------------------------------------------------\n"
            for id in ids {
                text += pad(String(id), 5) + "enable  default       enable  disable    \(config.vlans[id]!)\n"
            }
            return text
        default:
            var text = "VLAN Name                             Status    Ports\n"
            text += "---- -------------------------------- --------- -------------------------------\n"
            for id in ids { text += pad(String(id), 5) + pad(config.vlans[id]!, 33) + "active\n" }
            return text
        }
    }

    static func config(_ device: DeviceState, _ config: DeviceConfig) -> String {
        let ids = config.vlans.keys.sorted()
        switch device.platform {
        case .ciscoNXOS:
            return nxosConfig(device, config)
        case .hpComware:
            return comwareConfig(device, config)
        case .ciscoIOS, .aristaEOS:
            let ios = device.platform == .ciscoIOS
            let indent = ios ? " " : "   "
            var body =
                ios
                ? "!\nversion \(device.version.split(separator: ".").prefix(2).joined(separator: "."))\n"
                    + "service timestamps debug datetime msec\nservice timestamps log datetime msec\n!\n"
                : "! Command: show running-config\n"
                    + "! device: \(config.hostname) (\(device.model), EOS-\(device.version))\n!\n"
            body += "hostname \(config.hostname)\n!\n"
            if ios {
                body +=
                    "boot-start-marker\nboot-end-marker\n!\n"
                    + "username \(device.username) privilege 15 secret 9 $9$lab\n!\n"
            }
            for id in ids where id != 1 {
                body += "vlan \(id)\n\(indent)name \(config.vlans[id]!)\n!\n"
            }
            for interface in config.interfaces {
                body += "interface \(interface.name)\n"
                if let description = interface.description { body += "\(indent)description \(description)\n" }
                if let address = interface.address {
                    body +=
                        ios
                        ? "\(indent)ip address \(address) \(interface.mask ?? "255.255.255.0")\n"
                        : "\(indent)no switchport\n\(indent)ip address \(address)/\(prefixLength(interface.mask))\n"
                } else if ios {
                    body += "\(indent)no ip address\n"
                }
                if interface.shutdown { body += "\(indent)shutdown\n" }
                body += "!\n"
            }
            body +=
                ios
                ? "ip ssh version 2\n!\nline vty 0 4\n login local\n transport input ssh\n!\nend\n"
                : "management ssh\n   idle-timeout 0\n!\nend\n"
            return ios ? "Building configuration...\n\nCurrent configuration : \(body.utf8.count) bytes\n" + body : body
        case .juniperJunos:
            var text = "## Last commit: 2026-11-29 08:00:00 UTC by \(device.username)\nversion \(device.version);\n"
            text += "system {\n    host-name \(config.hostname);\n    services {\n        ssh;\n    }\n}\n"
            text += "interfaces {\n"
            for interface in config.interfaces {
                text += "    \(interface.name) {\n"
                if let description = interface.description { text += "        description \"\(description)\";\n" }
                if interface.shutdown { text += "        disable;\n" }
                if let address = interface.address {
                    text += "        unit 0 {\n            family inet {\n"
                    text += "                address \(address)/\(prefixLength(interface.mask));\n"
                    text += "            }\n        }\n"
                }
                text += "    }\n"
            }
            text += "}\nvlans {\n"
            for id in ids where id != 1 {
                text += "    \(config.vlans[id]!) {\n        vlan-id \(id);\n    }\n"
            }
            return text + "}\n"
        case .huawei, .linux:
            var text = "!Software Version \(device.version)\n#\n sysname \(config.hostname)\n#\n"
            text += "vlan batch \(ids.filter { $0 != 1 }.map(String.init).joined(separator: " "))\n#\n"
            for id in ids where id != 1 { text += "vlan \(id)\n description \(config.vlans[id]!)\n#\n" }
            for interface in config.interfaces {
                text += "interface \(interface.name)\n"
                if let description = interface.description { text += " description \(description)\n" }
                if let address = interface.address {
                    text += " ip address \(address) \(interface.mask ?? "255.255.255.0")\n"
                }
                if interface.shutdown { text += " shutdown\n" }
                text += "#\n"
            }
            return text + "return\n"
        }
    }
}
