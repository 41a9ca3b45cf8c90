public import NetPulse
public import NetPulseSSHCore
import Logging

/// The libssh2 driver: sessions run libssh2 in non-blocking mode and wait for their sockets on the
/// shared ``ReadinessLoop`` (a few epoll threads for the whole process), so thousands of sessions
/// share two cores without a thread per device.
///
/// Register it under its name:
/// ```swift
/// var drivers = DriverRegistry()
/// drivers.registerLibSSH2(configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil)))
/// // same as: drivers.register(LibSSH2Driver(configuration: ...), as: "libssh2", aliases: ["ssh2"])
/// ```
///
/// What a session does:
/// - Connect: non-blocking TCP with `TCP_NODELAY`, then the SSH handshake, the host-key check
///   (``HostKeyPolicy``), and authentication, all before ``DeviceTarget/connectTimeout``.
/// - Algorithms: modern ones only (curve25519/ECDH/DH-SHA2 key exchange, ed25519/ECDSA/RSA-SHA2 host
///   keys, AES-CTR, HMAC-SHA2), plus SHA-1 key exchange, `ssh-rsa`/`ssh-dss` and CBC ciphers when the
///   device sets ``DeviceTarget/legacyAlgorithms``. libssh2 1.10 has no AES-GCM nor chacha20-poly1305.
/// - `linux` targets: each command runs on its own exec channel; its exit status and standard error
///   are reported, and a non-zero exit marks the command `.failed` (outcome error `command_error`).
/// - Other platforms: one pty shell channel (``SSHDriverConfiguration/terminalWidth`` columns) driven
///   by the ``CLIEngine``.
/// - Keepalives every ``DeviceTarget/keepaliveInterval`` (or the configuration's) while a session is
///   idle; ``DriverSession/isAlive()`` checks the transport without a round trip.
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

    public func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
        let deadline = ContinuousClock.now + target.connectTimeout
        let peer = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        let fd = try await TCPConnector.connect(
            host: target.host, port: target.port, deadline: deadline, loop: configuration.loop)
        let session = try SSH2Session(fd: fd, peer: peer, loop: configuration.loop)
        do {
            try Algorithms.apply(legacy: target.legacyAlgorithms, to: session)
            try await session.call("SSH handshake with \(peer)", deadline: deadline) {
                Int(libssh2Handshake($0, fd))
            }
            let key = try HostKeyVerifier.serverKey(of: session)
            try HostKeyVerifier.verify(
                key, session: session, host: target.host, port: target.port,
                policy: target.hostKeyPolicy ?? configuration.hostKeyPolicy, logger: context.logger)
            try await Authenticator.authenticate(
                session, user: target.username, credentials: target.credentials, deadline: deadline)
            let keepalive = target.keepaliveInterval ?? configuration.keepaliveInterval
            if let keepalive { configureKeepalive(session, interval: keepalive) }

            let driverSession: any DriverSession
            if context.platform.name == PlatformProfile.linux.name {
                driverSession = LibSSH2ExecSession(session: session, keepalive: keepalive)
            } else {
                let readDeadline = ContinuousClock.now + target.readTimeout
                let shell = try await SSH2ShellChannel.open(
                    session, width: configuration.terminalWidth, height: configuration.terminalHeight,
                    deadline: readDeadline)
                let engine = CLIEngine(
                    channel: shell, profile: context.platform, enableSecret: target.enableSecret,
                    logger: context.logger)
                do {
                    try await engine.start(deadline: readDeadline)
                } catch {
                    await shell.channel.free(deadline: .now + .milliseconds(200))
                    throw error
                }
                driverSession = LibSSH2ShellSession(
                    session: session, shell: shell, engine: engine, keepalive: keepalive)
            }
            context.logger.debug("connected", metadata: ["driver": "libssh2", "peer": "\(peer)"])
            return driverSession
        } catch {
            await session.shutdown(deadline: .now + .milliseconds(200))
            throw error
        }
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
