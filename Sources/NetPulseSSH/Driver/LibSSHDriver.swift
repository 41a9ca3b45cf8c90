/// The `libssh` driver (alias `ssh`): SSH sessions through libssh 0.10 in non-blocking mode, woken by
/// the shared `ReadinessLoop`, with no thread per device. It negotiates the most of the two drivers
/// (`rsa-sha2-256/512` host keys, chacha20-poly1305, AES-GCM), so `netmiko` and `paramiko` payloads
/// run on it.
///
/// Each session is an `SSHSession` (the skeleton both drivers share) over libssh: device platforms
/// get a pty shell that the core `CLIEngine` drives; platforms whose `PlatformProfile/transport` is
/// `.exec` (`linux`) run each command on its own exec channel, with exit status and standard error.
///
/// ```swift
/// import NetPulseSSH
///
/// var drivers = DriverRegistry()
/// drivers.registerLibSSH(configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil)))
/// // requests may now say "driver": "libssh" or "driver": "ssh"
/// ```
public struct LibSSHDriver: Driver {
    /// The name requests use for this driver.
    public static let name = "libssh"
    /// Other names that resolve to it.
    public static let aliases = ["ssh"]

    /// Host-key policy, keepalive, terminal size, legacy algorithms and readiness loop for every session.
    public var configuration: SSHDriverConfiguration

    /// - Parameter configuration: Settings for every session; its host-key policy applies to targets
    ///   that do not name their own.
    public init(configuration: SSHDriverConfiguration) {
        self.configuration = configuration
        LibSSHTransport.initializeLibrary()
    }

    /// Opens an authenticated session: TCP connect, key exchange, host-key check, authentication with
    /// each credential in turn, then the shell (shell platforms).
    ///
    /// - Throws: `NetPulseError` of kind `connection_refused`, `timeout`, `protocol_error`,
    ///   `host_key_mismatch`, `host_key_unknown`, `authentication`, `connection_lost`, ...; `CancellationError`.
    public func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
        try await SSHSession<LibSSHTransport>.open(target: target, context: context, configuration: configuration)
    }

    /// A thread of the configuration's readiness loop, each in turn (`ReadinessLoop.nextExecutor()`): the
    /// scheduler runs a job's connect, operation and close on it.
    public func preferredExecutor(for target: DeviceTarget) -> (any TaskExecutor)? {
        configuration.loop.nextExecutor()
    }
}

extension DriverRegistry {
    /// Registers a ``LibSSHDriver`` as `libssh`, with the alias `ssh`.
    ///
    /// - Parameter configuration: The driver's configuration.
    public mutating func registerLibSSH(configuration: SSHDriverConfiguration) {
        register(LibSSHDriver(configuration: configuration), as: LibSSHDriver.name, aliases: LibSSHDriver.aliases)
    }
}
