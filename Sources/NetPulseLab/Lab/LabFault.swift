/// A fault a lab device injects, as seen by a client.
///
/// The client-side error each maps to (PLATFORM-CONVENTIONS.md): `refuse` → `connection_refused`,
/// `wrongCredentials` → `authentication`, `hangBeforePrompt`/`hangMidCommand` → `timeout`,
/// `dropMidOutput` → `connection_lost`, `garbage` → `unexpected_output` or `timeout`.
public enum LabFault: Sendable, Hashable, CustomStringConvertible {
    /// Wait before each command's answer and before the SSH banner.
    case latency(perCommand: Duration, beforeBanner: Duration)
    /// Send all output at this rate.
    case slowOutput(bytesPerSecond: Int)
    /// The port is bound but never listens: connections are refused.
    case refuse
    /// Every authentication attempt fails, whatever the credentials.
    case wrongCredentials
    /// Log in, send the banner, never send a prompt; ignore input.
    case hangBeforePrompt
    /// Send half of the first multi-line answer, then nothing more.
    case hangMidCommand
    /// Send half of the first multi-line answer, then drop the TCP connection.
    case dropMidOutput
    /// Send seeded garbage bytes instead of the prompt and of every answer.
    case garbage

    /// The fault kinds, for fleet selection and the command line.
    public enum Kind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case latency
        case slowOutput = "slow_output"
        case refuse
        case wrongCredentials = "wrong_credentials"
        case hangBeforePrompt = "hang_before_prompt"
        case hangMidCommand = "hang_mid_command"
        case dropMidOutput = "drop_mid_output"
        case garbage

        public var description: String { rawValue }

        /// The fault of this kind with the lab's default parameters (200 ms latency, 2,000 bytes/s).
        public var defaultFault: LabFault {
            switch self {
            case .latency: .latency(perCommand: .milliseconds(200), beforeBanner: .milliseconds(200))
            case .slowOutput: .slowOutput(bytesPerSecond: 2_000)
            case .refuse: .refuse
            case .wrongCredentials: .wrongCredentials
            case .hangBeforePrompt: .hangBeforePrompt
            case .hangMidCommand: .hangMidCommand
            case .dropMidOutput: .dropMidOutput
            case .garbage: .garbage
            }
        }
    }

    /// This fault's kind.
    public var kind: Kind {
        switch self {
        case .latency: .latency
        case .slowOutput: .slowOutput
        case .refuse: .refuse
        case .wrongCredentials: .wrongCredentials
        case .hangBeforePrompt: .hangBeforePrompt
        case .hangMidCommand: .hangMidCommand
        case .dropMidOutput: .dropMidOutput
        case .garbage: .garbage
        }
    }

    public var description: String {
        switch self {
        case .latency(let command, let banner): "latency(per_command: \(command), before_banner: \(banner))"
        case .slowOutput(let rate): "slow_output(\(rate) bytes/s)"
        default: kind.rawValue
        }
    }
}

extension LabFault {
    /// Picks faults for a seeded fraction of a fleet: the same seed always gives the same devices and kinds.
    ///
    /// - Parameters:
    ///   - devices: The fleet size.
    ///   - rate: The fraction of devices with a fault, 0...1.
    ///   - kinds: The kinds to choose from, in turn at random.
    ///   - seed: The seed.
    /// - Returns: Faults by device index.
    public static func plan(devices: Int, rate: Double, kinds: [Kind], seed: UInt64) -> [Int: LabFault] {
        guard rate > 0, !kinds.isEmpty, devices > 0 else { return [:] }
        var random = SeededGenerator(seed: seed ^ 0x6C61_6266_6175_6C74)
        let count = min(devices, Int((Double(devices) * min(rate, 1)).rounded()))
        var indices = Array(0..<devices)
        indices.shuffle(using: &random)
        var plan: [Int: LabFault] = [:]
        for index in indices.prefix(count) {
            plan[index] = kinds[Int(random.next() % UInt64(kinds.count))].defaultFault
        }
        return plan
    }
}
