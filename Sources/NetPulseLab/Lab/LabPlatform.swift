/// The platforms NetPulseLab emulates, named as NetPulse's `device_type`.
public enum LabPlatform: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case ciscoIOS = "cisco_ios"
    case aristaEOS = "arista_eos"
    case juniperJunos = "juniper_junos"
    case huawei = "huawei"
    case linux = "linux"

    /// The `device_type` name.
    public var description: String { rawValue }

    /// The base of generated host names (`R1`, `sw1`, `mx1`, `HW1`, `host1`).
    var hostnamePrefix: String {
        switch self {
        case .ciscoIOS: "R"
        case .aristaEOS: "sw"
        case .juniperJunos: "mx"
        case .huawei: "HW"
        case .linux: "host"
        }
    }

    /// Whether privileged mode sits behind `enable` and a secret.
    var hasEnable: Bool { self == .ciscoIOS || self == .aristaEOS }
}
