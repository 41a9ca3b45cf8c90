/// The platforms NetPulseLab emulates, named as NetPulse's `device_type`.
public enum LabPlatform: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case ciscoIOS = "cisco_ios"
    case aristaEOS = "arista_eos"
    case juniperJunos = "juniper_junos"
    case huawei = "huawei"
    case linux = "linux"
    case ciscoNXOS = "cisco_nxos"
    case hpComware = "hp_comware"

    /// The `device_type` name.
    public var description: String { rawValue }

    /// The base of generated host names (`R1`, `sw1`, `mx1`, `HW1`, `host1`, `N1`, `HP1`).
    var hostnamePrefix: String {
        switch self {
        case .ciscoIOS: "R"
        case .aristaEOS: "sw"
        case .juniperJunos: "mx"
        case .huawei: "HW"
        case .linux: "host"
        case .ciscoNXOS: "N"
        case .hpComware: "HP"
        }
    }

    /// Whether privileged mode sits behind `enable` and a secret.
    var hasEnable: Bool { self == .ciscoIOS || self == .aristaEOS }

    /// Whether the session starts in privileged mode (NX-OS logs admins in at `#`).
    var startsPrivileged: Bool { self == .ciscoNXOS }

    /// Whether the CLI is Cisco-like (`show`, `configure terminal`, `end`).
    var isCiscoLike: Bool { self == .ciscoIOS || self == .aristaEOS || self == .ciscoNXOS }

    /// Whether the CLI is VRP-like (`display`, `system-view`, `return`).
    var isVRPLike: Bool { self == .huawei || self == .hpComware }
}
