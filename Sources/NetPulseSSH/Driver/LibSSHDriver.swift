internal import CLibSSH
public import NetPulse
public import NetPulseSSHCore

/// The `libssh` driver (alias `ssh`): SSH sessions through libssh 0.10 in non-blocking mode, woken by
/// the shared ``ReadinessLoop``, with no thread per device.
///
/// Device platforms get a pty shell that the core `CLIEngine` drives (prompts, paging, config mode);
/// `linux` targets run each command on its own exec channel, with exit status and standard error.
///
/// Register it under its names with ``NetPulse/DriverRegistry/registerLibSSH(configuration:)``:
/// ```swift
/// var drivers = DriverRegistry()
/// drivers.registerLibSSH(configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil)))
/// // requests may now say "driver": "libssh" or "driver": "ssh"
/// ```
public struct LibSSHDriver: Driver {
    /// The name requests use for this driver.
    public static let name = "libssh"
    /// Other names that resolve to it.
    public static let aliases = ["ssh"]

    /// The version of the libssh library linked at run time, e.g. `"0.10.6/openssl/zlib"`.
    public static var libraryVersion: String { String(cString: ssh_version(0)) }

    /// Host-key policy, keepalive, terminal size and readiness loop for every session.
    public var configuration: SSHDriverConfiguration

    /// - Parameter configuration: Settings for every session; its host-key policy applies to targets
    ///   that do not name their own.
    public init(configuration: SSHDriverConfiguration) {
        self.configuration = configuration
        _ = Self.initialized
    }

    /// libssh's global initialisation, once per process (it is not thread-safe to do it lazily).
    private static let initialized: Bool = ssh_init() == SSH_OK

    /// Opens an authenticated session: TCP connect, key exchange, host-key check, authentication with
    /// each credential in turn, then the shell (device platforms) or nothing more (`linux`).
    ///
    /// - Throws: ``NetPulseError`` of kind `connection_refused`, `timeout`, `host_key_mismatch`,
    ///   `host_key_unknown`, `authentication`, `protocol_error`, `connection_lost`, ...; `CancellationError`.
    public func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
        let session = try LibSSHSession(target: target, context: context, configuration: configuration)
        do {
            try await session.open()
            return session
        } catch {
            await session.close()
            throw error
        }
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
