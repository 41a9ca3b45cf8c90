/// What to do on a device: run show commands, or push configuration lines.
public enum DeviceOperation: Sendable, Hashable, CustomStringConvertible {
    /// Commands run one after another; each command's output is reported.
    case commands([String])
    /// Configuration lines sent in config mode, in order.
    case config([String])

    /// The commands or lines.
    public var lines: [String] {
        switch self {
        case .commands(let lines), .config(let lines): lines
        }
    }

    public var isConfig: Bool {
        if case .config = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .commands(let lines): "commands(\(lines.count))"
        case .config(let lines): "config(\(lines.count) lines)"
        }
    }
}
