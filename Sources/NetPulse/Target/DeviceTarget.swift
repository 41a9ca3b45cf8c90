/// One device, fully resolved: the device's own fields merged over the batch's shared
/// ``ConnectionArgs``, with every default applied.
///
/// This is what a ``Driver`` receives. Its `description` never shows a secret.
public struct DeviceTarget: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP address (IPv4 or IPv6).
    public var host: String
    /// TCP port.
    public var port: Int
    /// Login user.
    public var username: String
    /// Ways to authenticate, tried in order.
    public var credentials: [Credential]
    /// The enable (privileged mode) secret, if the platform needs one.
    public var enableSecret: Secret?
    /// Platform profile name (`cisco_ios`, `juniper_junos`, `linux`, ...), NetPulse's `device_type`.
    public var platform: String
    /// Deadline for TCP connect, key exchange and authentication.
    public var connectTimeout: Duration
    /// Deadline for each read that waits for the device (a prompt, a command's output).
    public var readTimeout: Duration
    /// Host-key checking; `nil` means the driver's configured policy.
    public var hostKeyPolicy: HostKeyPolicy?
    /// Offer old algorithms (`diffie-hellman-group14-sha1`, `ssh-rsa`, CBC ciphers) after the modern
    /// ones: `true`/`false`, or `nil` for the platform's default (``PlatformProfile/legacyAlgorithms``).
    /// A driver's configuration may refuse them to every device.
    public var legacyAlgorithms: Bool?
    /// Interval of SSH keepalives on long-lived sessions; `nil` for none.
    public var keepaliveInterval: Duration?
    /// netmiko's `banner_timeout`: how long the SSH handshake (banner and key exchange) may take once TCP
    /// is up; `nil`: within ``connectTimeout``.
    public var bannerTimeout: Duration?
    /// netmiko's `auth_timeout`: how long authentication may take once the host key is checked; `nil`:
    /// within ``connectTimeout``.
    public var authTimeout: Duration?
    /// Extra fields for drivers of one's own (`driver_args` in JSON) and the netmiko arguments that
    /// NetPulse accepts but does not need (`fast_cli`, `global_delay_factor`, ...).
    public var driverArgs: [String: JSONValue]
    /// The bastions to go through, first to last (`jump_host`, ssh's `ProxyJump`); empty: direct.
    public var jumpHosts: [JumpHost] = []

    public init(
        host: String,
        port: Int = 22,
        username: String,
        credentials: [Credential],
        enableSecret: Secret? = nil,
        platform: String,
        connectTimeout: Duration = ConnectionArgs.defaultConnectTimeout,
        readTimeout: Duration = ConnectionArgs.defaultReadTimeout,
        hostKeyPolicy: HostKeyPolicy? = nil,
        legacyAlgorithms: Bool? = nil,
        keepaliveInterval: Duration? = nil,
        driverArgs: [String: JSONValue] = [:],
        bannerTimeout: Duration? = nil,
        authTimeout: Duration? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.credentials = credentials
        self.enableSecret = enableSecret
        self.platform = platform
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.hostKeyPolicy = hostKeyPolicy
        self.legacyAlgorithms = legacyAlgorithms
        self.keepaliveInterval = keepaliveInterval
        self.driverArgs = driverArgs
        self.bannerTimeout = bannerTimeout
        self.authTimeout = authTimeout
    }

    /// The identity of the device for queueing: host, port and user.
    public var key: DeviceKey { DeviceKey(host: host, port: port, username: username) }

    public var description: String {
        let via = jumpHosts.map { " via \($0.username)@\(DeviceKey.format(host: $0.host, port: $0.port))" }.joined()
        return "\(username)@\(DeviceKey.format(host: host, port: port))\(via) [\(platform)]"
    }
}

/// What identifies one device for pinned queues and duplicate checks.
public struct DeviceKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String

    public init(host: String, port: Int, username: String) {
        self.host = host
        self.port = port
        self.username = username
    }

    public var description: String { "\(username)@\(Self.format(host: host, port: port))" }

    static func format(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// One way to log in.
public enum Credential: Sendable, Hashable, CustomStringConvertible {
    /// SSH `password` authentication.
    case password(Secret)
    /// SSH `keyboard-interactive` authentication, answering password prompts with the secret.
    case keyboardInteractive(Secret)
    /// SSH `publickey` authentication with a private key file and its optional passphrase.
    case privateKey(path: String, passphrase: Secret?)

    public var description: String {
        switch self {
        case .password: "password"
        case .keyboardInteractive: "keyboard-interactive"
        case .privateKey(let path, _): "publickey(\(path))"
        }
    }
}

/// How a driver checks the device's host key. There is no silent accept-all: `off` is a choice
/// that drivers log as a warning.
public enum HostKeyPolicy: Sendable, Hashable, CustomStringConvertible {
    /// The key must already be in the known-hosts file (`nil`: `~/.ssh/known_hosts`).
    case strict(knownHostsFile: String?)
    /// Trust on first use: an unknown key is appended to the file; a changed key is refused.
    case acceptNew(knownHostsFile: String?)
    /// No checking at all.
    case off

    public var description: String {
        switch self {
        case .strict(let file): "strict(\(file ?? "~/.ssh/known_hosts"))"
        case .acceptNew(let file): "accept_new(\(file ?? "~/.ssh/known_hosts"))"
        case .off: "off"
        }
    }
}
