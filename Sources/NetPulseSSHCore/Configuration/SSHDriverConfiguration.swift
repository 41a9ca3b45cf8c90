public import NetPulse

/// Settings shared by the two SSH drivers (`libssh2` and `libssh`).
///
/// Host-key checking is a required choice: there is no default that silently accepts any key.
public struct SSHDriverConfiguration: Sendable {
    /// The policy for devices whose request does not name one (`host_key_policy`).
    public var hostKeyPolicy: HostKeyPolicy
    /// Keepalive interval for devices whose request does not name one; `nil` for none.
    public var keepaliveInterval: Duration?
    /// Width of the pseudo-terminal of interactive shells, in columns (wide, so devices do not wrap).
    public var terminalWidth: Int
    /// Height of the pseudo-terminal, in rows.
    public var terminalHeight: Int
    /// The readiness loop sessions wait on.
    public var loop: ReadinessLoop

    /// - Parameters:
    ///   - hostKeyPolicy: How to check host keys when a request does not say; required.
    ///   - keepaliveInterval: Default keepalive interval.
    ///   - terminalWidth: Columns of the shell's pty.
    ///   - terminalHeight: Rows of the shell's pty.
    ///   - loop: The readiness loop (the process-wide one by default).
    public init(
        hostKeyPolicy: HostKeyPolicy,
        keepaliveInterval: Duration? = nil,
        terminalWidth: Int = 511,
        terminalHeight: Int = 24,
        loop: ReadinessLoop = .shared
    ) {
        self.hostKeyPolicy = hostKeyPolicy
        self.keepaliveInterval = keepaliveInterval
        self.terminalWidth = terminalWidth
        self.terminalHeight = terminalHeight
        self.loop = loop
    }
}
