public import NetPulse

/// One running emulated device: where it listens, what it emulates, how to log in, its host key and
/// its fault.
public struct LabDevice: Sendable, Hashable, CustomStringConvertible {
    /// Index in the fleet (0-based); seeds the device's output.
    public var index: Int
    /// The address it listens on (`127.0.0.1`).
    public var host: String
    public var port: Int
    public var platform: LabPlatform
    /// Its host name at start (`R1`, `sw2`, ...): the prompt's base.
    public var hostname: String
    public var username: String
    public var password: Secret
    /// The enable secret (IOS, EOS).
    public var enableSecret: Secret
    /// The host key in `known_hosts` form: `ssh-ed25519 AAAA...` (or `ssh-rsa AAAA...`).
    public var hostKey: String
    /// The host key's SHA-256 fingerprint as OpenSSH prints it (`SHA256:...`).
    public var hostKeyFingerprint: String
    /// The injected fault, if any.
    public var fault: LabFault?
    /// Its speed, host key type and algorithms.
    public var profile: LabDeviceProfile = .modern

    /// The device's line in a known_hosts file: `[127.0.0.1]:PORT ssh-ed25519 AAAA...`.
    public var knownHostsLine: String { "[\(host)]:\(port) \(hostKey)" }

    public var description: String {
        "\(platform) \(hostname) at \(host):\(port)" + (profile == .modern ? "" : " profile=\(profile)")
            + (fault.map { " fault=\($0)" } ?? "")
    }

    /// A `DeviceTarget` for a driver, logging in as the lab's user.
    ///
    /// - Parameters:
    ///   - hostKeyPolicy: How the driver checks the host key (e.g. `.strict(knownHostsFile: lab.knownHostsFile)`).
    ///   - credentials: Ways to log in; default: password.
    ///   - readTimeout: Deadline for each read.
    ///   - connectTimeout: Deadline for connect and login.
    ///   - legacyAlgorithms: Whether the driver may use SHA-1 key exchange, `ssh-rsa` and CBC; default: only
    ///     for legacy-only devices (libssh2 1.10 also needs it for RSA devices: it knows no `rsa-sha2-*`).
    /// - Returns: The target.
    public func target(
        hostKeyPolicy: HostKeyPolicy,
        credentials: [Credential]? = nil,
        readTimeout: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(10),
        legacyAlgorithms: Bool? = nil
    ) -> DeviceTarget {
        DeviceTarget(
            host: host,
            port: port,
            username: username,
            credentials: credentials ?? [.password(password)],
            enableSecret: enableSecret,
            platform: platform.rawValue,
            connectTimeout: connectTimeout,
            readTimeout: readTimeout,
            hostKeyPolicy: hostKeyPolicy,
            legacyAlgorithms: legacyAlgorithms ?? (profile.algorithms == .legacyOnly)
        )
    }
}

/// Counters of a running lab, read with ``Lab/statistics()``.
public struct LabStatistics: Sendable, Hashable {
    /// TCP connections accepted.
    public var connections = 0
    /// Successful authentications.
    public var logins = 0
    /// Rejected authentication attempts.
    public var failedAuthentications = 0
    /// Commands answered (lines entered in shells, exec requests).
    public var commands = 0
    /// Channels opened (shell and exec), over every session.
    public var channels = 0
    /// Channels the client closed first, answered with the lab's CLOSE.
    public var closesAnswered = 0
    /// Sessions closed by the lab because they did not log in within the login timeout.
    public var loginTimeouts = 0
    /// Sessions closed by the lab because they sat idle past the idle timeout.
    public var idleTimeouts = 0
    /// Sessions open now.
    public var activeSessions = 0
    /// Most sessions open at once.
    public var peakSessions = 0
    /// CPU time the event-loop thread has used.
    public var loopCPUTime: Duration = .zero
    /// Time spent creating or loading host keys at start-up.
    public var hostKeySetupTime: Duration = .zero

    public init() {}
}
