/// One interface of an emulated device.
struct EmulatedInterface: Equatable, Sendable {
    var name: String
    var description: String?
    var address: String?
    var mask: String?
    var shutdown: Bool
    var mac: String
}

/// The part of a device's configuration that commands change.
struct DeviceConfig: Equatable, Sendable {
    var hostname: String
    var interfaces: [EmulatedInterface]
    var vlans: [Int: String]

    mutating func withInterface(_ name: String, _ change: (inout EmulatedInterface) -> Void) {
        if let index = interfaces.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
            change(&interfaces[index])
        } else {
            var new = EmulatedInterface(name: name, shutdown: false, mac: "0000.0000.0000")
            change(&new)
            interfaces.append(new)
        }
    }
}

/// The state of one emulated device, shared by all its sessions (a later session sees earlier changes).
///
/// Confined to the lab's event-loop thread (or a test's own thread); never shared across threads.
final class DeviceState {
    let platform: LabPlatform
    let index: Int
    let username: String
    let enableSecret: String?
    var running: DeviceConfig
    var startup: DeviceConfig
    let serial: String
    let uptime: String
    let model: String
    let version: String
    /// How many lines a page holds before the pager text.
    let pageLines = 24

    /// A reload: unsaved changes are lost.
    func reload() {
        running = startup
    }

    /// A device with output derived only from `index` (and the platform).
    init(platform: LabPlatform, index: Int, username: String, enableSecret: String?) {
        self.platform = platform
        self.index = index
        self.username = username
        self.enableSecret = enableSecret
        var random = SeededGenerator(seed: UInt64(index) &* 0x2545_F491_4F6C_DD1D &+ 17)
        let hex = "0123456789ABCDEF"
        func code(_ count: Int) -> String {
            String((0..<count).map { _ in hex.randomElement(using: &random)! })
        }
        let hostname = "\(platform.hostnamePrefix)\(index + 1)"
        let ports = 24 + Int(random.next() % 9)
        let third = index % 250
        let names: [String] =
            switch platform {
            case .ciscoIOS: (0..<ports).map { "GigabitEthernet0/\($0)" } + ["Loopback0"]
            case .aristaEOS: (1...ports).map { "Ethernet\($0)" } + ["Management1"]
            case .juniperJunos: (0..<ports).map { "ge-0/0/\($0)" } + ["lo0", "fxp0"]
            case .huawei: (1...ports).map { "GigabitEthernet0/0/\($0)" } + ["MEth0/0/1"]
            case .linux: ["eth0", "lo"]
            case .ciscoNXOS: (1...ports).map { "Ethernet1/\($0)" } + ["mgmt0"]
            case .hpComware: (1...ports).map { "GigabitEthernet1/0/\($0)" } + ["M-GigabitEthernet0/0/0"]
            }
        var interfaces: [EmulatedInterface] = []
        for (number, name) in names.enumerated() {
            let up = random.next() % 5 != 0
            let mac = "\(code(4).lowercased()).\(code(4).lowercased()).\(code(4).lowercased())"
            let addressed = number % 3 == 0
            interfaces.append(
                EmulatedInterface(
                    name: name,
                    description: number == 0 ? "uplink to core" : nil,
                    address: addressed ? "10.\(index / 250 % 250).\(third).\(number + 1)" : nil,
                    mask: addressed ? "255.255.255.0" : nil,
                    shutdown: !up,
                    mac: mac
                ))
        }
        var vlans: [Int: String] = [1: "default"]
        for _ in 0..<(2 + Int(random.next() % 4)) {
            let id = 10 + Int(random.next() % 390)
            vlans[id] = "VLAN\(String(id))"
        }
        running = DeviceConfig(hostname: hostname, interfaces: interfaces, vlans: vlans)
        startup = running
        serial = code(11)
        let weeks = Int(random.next() % 52)
        let days = Int(random.next() % 7)
        let hours = Int(random.next() % 24)
        uptime = "\(weeks) weeks, \(days) days, \(hours) hours, \(Int(random.next() % 60)) minutes"
        switch platform {
        case .ciscoIOS:
            model = ["ISR4331", "ISR4451", "C8300-1N1S"][index % 3]
            version = "17.\(3 + index % 6).\(1 + index % 4)"
        case .aristaEOS:
            model = ["DCS-7050SX3-48YC8", "DCS-7280SR-48C6", "DCS-7020TR-48"][index % 3]
            version = "4.\(28 + index % 4).\(index % 3)F"
        case .juniperJunos:
            model = ["mx204", "mx480", "ex4300-48t"][index % 3]
            version = "21.\(1 + index % 4)R\(1 + index % 3).\(index % 9 + 1)"
        case .huawei:
            model = ["S5720-28X-SI-AC", "CE6881-48S6CQ", "AR6280"][index % 3]
            version = "V200R0\(19 + index % 3)C10SPC500"
        case .linux:
            model = "x86_64"
            version = "6.1.0-\(18 + index % 8)-amd64"
        case .ciscoNXOS:
            model = ["C93180YC-EX", "C9336C-FX2", "C93108TC-FX"][index % 3]
            version = "9.3(\(8 + index % 5))"
        case .hpComware:
            model = ["5130-24G-4SFP+ EI", "5940 48XGT 6QSFP+", "5510 48G 4SFP+ HI"][index % 3]
            version = "7.1.070, Release \(3208 + index % 20)P0\(1 + index % 9)"
        }
    }
}
