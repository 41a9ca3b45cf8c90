/// How an in-memory device behaves: its answers, its latency and its faults.
public struct ScriptedDevice: Sendable, Hashable {
    /// A fault the device shows.
    public enum Fault: Sendable, Hashable {
        /// Connections are refused (`connection_refused`).
        case refuse
        /// Credentials are rejected (`authentication`).
        case rejectCredentials
        /// The host key does not match (`host_key_mismatch`).
        case hostKeyMismatch
        /// Connect never completes, until the task is cancelled.
        case hangOnConnect
        /// The first command never completes, until the task is cancelled.
        case hangOnCommand
        /// The connection drops after this many lines of an operation were answered
        /// (`connection_lost`, with nothing of the failing line returned).
        case dropAfter(lines: Int)
    }

    /// Output per command or config line; a line not listed answers ``defaultOutput`` with the
    /// line in place of `{}`.
    public var responses: [String: String]
    public var defaultOutput: String
    /// Lines the device rejects, with the platform-style message it answers.
    public var rejectedLines: [String: String]
    /// Time to connect and authenticate.
    public var connectLatency: Duration
    /// Time per command or line.
    public var commandLatency: Duration
    public var fault: Fault?
    /// Passwords the device accepts; `nil` accepts any credential.
    public var acceptedPasswords: Set<String>?

    public init(
        responses: [String: String] = [:],
        defaultOutput: String = "output of {}",
        rejectedLines: [String: String] = [:],
        connectLatency: Duration = .zero,
        commandLatency: Duration = .zero,
        fault: Fault? = nil,
        acceptedPasswords: Set<String>? = nil
    ) {
        self.responses = responses
        self.defaultOutput = defaultOutput
        self.rejectedLines = rejectedLines
        self.connectLatency = connectLatency
        self.commandLatency = commandLatency
        self.fault = fault
        self.acceptedPasswords = acceptedPasswords
    }

    func output(for line: String) -> String {
        responses[line] ?? defaultOutput.replacingAll("{}", with: line)
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
