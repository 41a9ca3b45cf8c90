/// The `libssh2` driver (alias `ssh2`): SSH sessions through libssh2 1.10 in non-blocking mode, woken
/// by the shared `ReadinessLoop` (a few epoll threads for the whole process), with no thread per
/// device.
///
/// Each session is an `SSHSession` (the skeleton both drivers share) over libssh2. libssh2 1.10
/// negotiates less than libssh: no `rsa-sha2-256/512` host keys (a server whose only host key is RSA
/// and that refuses SHA-1 signatures, as OpenSSH ≥ 8.8 does, is out of its reach: the error says to use
/// the `libssh` driver), no AES-GCM and no chacha20-poly1305.
///
/// ```swift
/// import NetPulseSSH2
///
/// var drivers = DriverRegistry()
/// drivers.registerLibSSH2(configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil)))
/// ```
public struct LibSSH2Driver: Driver {
    /// The driver's settings.
    public let configuration: SSHDriverConfiguration

    /// The registered name.
    public static let name = "libssh2"
    /// The registered alias.
    public static let aliases = ["ssh2"]

    /// Creates the driver.
    public init(configuration: SSHDriverConfiguration) {
        self.configuration = configuration
    }

    /// Opens an authenticated session: TCP connect, key exchange, host-key check, authentication with
    /// each credential in turn, then the shell (shell platforms).
    public func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
        try await SSHSession<LibSSH2Transport>.open(target: target, context: context, configuration: configuration)
    }

    /// A thread of the configuration's readiness loop, each in turn (`ReadinessLoop.nextExecutor()`): the
    /// scheduler runs a job's connect, operation and close on it.
    public func preferredExecutor(for target: DeviceTarget) -> (any TaskExecutor)? {
        configuration.loop.nextExecutor()
    }
}

extension DriverRegistry {
    /// Registers a ``LibSSH2Driver`` as `libssh2`, with the alias `ssh2`.
    ///
    /// - Parameter configuration: The driver's settings (the host-key policy is required).
    public mutating func registerLibSSH2(configuration: SSHDriverConfiguration) {
        register(LibSSH2Driver(configuration: configuration), as: LibSSH2Driver.name, aliases: LibSSH2Driver.aliases)
    }
}
