public import NetPulse

/// Settings shared by the two SSH drivers (`libssh` and `libssh2`).
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
    /// Whether any device may use legacy algorithms (SHA-1 key exchange, `ssh-rsa`, CBC). With `true`,
    /// a device gets them when its request says `legacy_algorithms: true` or, when the request says
    /// nothing, when its platform's ``PlatformProfile/legacyAlgorithms`` does (network platforms);
    /// with `false`, no device gets them, whatever its request says.
    public var allowsLegacyAlgorithms: Bool
    /// The known_hosts files, parsed once each (the process-wide store by default).
    public var knownHosts: KnownHostsStore
    /// The most output (standard output and error together) one exec command may return.
    public var maxExecOutputBytes: Int
    /// How long ``DriverSession/isAlive()`` waits for the device's answer to its round trip.
    public var livenessTimeout: Duration
    /// Where `session_log` transcripts may go (default: a path as given, as on the command line).
    public var sessionLogs: SessionLogPolicy = .anyPath
    /// The bastion sessions shared by the devices behind them (``BastionPool``); copies of a configuration
    /// share it.
    public var bastions = BastionPool()

    /// The largest private key file read.
    public static let maxKeyFileBytes = 1 << 20

    /// - Parameters:
    ///   - hostKeyPolicy: How to check host keys when a request does not say; required.
    ///   - keepaliveInterval: Default keepalive interval.
    ///   - terminalWidth: Columns of the shell's pty.
    ///   - terminalHeight: Rows of the shell's pty.
    ///   - loop: The readiness loop (the process-wide one by default).
    ///   - allowsLegacyAlgorithms: `false` refuses legacy algorithms to every device.
    ///   - knownHosts: The known_hosts store.
    ///   - maxExecOutputBytes: The output cap of one exec command (64 MiB by default).
    ///   - livenessTimeout: The deadline of a liveness round trip.
    public init(
        hostKeyPolicy: HostKeyPolicy,
        keepaliveInterval: Duration? = nil,
        terminalWidth: Int = 511,
        terminalHeight: Int = 24,
        loop: ReadinessLoop = .shared,
        allowsLegacyAlgorithms: Bool = true,
        knownHosts: KnownHostsStore = .shared,
        maxExecOutputBytes: Int = 64 << 20,
        livenessTimeout: Duration = .seconds(5)
    ) {
        self.hostKeyPolicy = hostKeyPolicy
        self.keepaliveInterval = keepaliveInterval
        self.terminalWidth = terminalWidth
        self.terminalHeight = terminalHeight
        self.loop = loop
        self.allowsLegacyAlgorithms = allowsLegacyAlgorithms
        self.knownHosts = knownHosts
        self.maxExecOutputBytes = maxExecOutputBytes
        self.livenessTimeout = livenessTimeout
    }
}
