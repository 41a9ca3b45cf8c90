/// How fast an emulated device answers. Every delay is a timer on the lab's loop: a slow device never
/// slows another one down.
public struct LabLatency: Sendable, Hashable, CustomStringConvertible {
    /// Network round trip: each batch of bytes from the client is handled this long after it arrived,
    /// so every SSH round trip (key exchange, authentication, channel requests, commands) costs it once.
    public var roundTrip: Duration
    /// Extra time the device takes to check a login (as a device asking a AAA server), once per session,
    /// before it answers the first authentication request.
    public var login: Duration
    /// Time before the answer to each command starts (a line entered in a shell, or an exec request).
    public var command: Duration
    /// Pause between two lines of a command's output (zero: the whole answer at once).
    public var perLine: Duration
    /// How long the device stays down after `reload`: connections are accepted and closed at once.
    public var boot: Duration

    /// - Parameters:
    ///   - roundTrip: Network round trip.
    ///   - login: Extra time to check a login.
    ///   - command: Time before each command's answer.
    ///   - perLine: Pause between output lines.
    ///   - boot: Time down after a reload.
    public init(
        roundTrip: Duration = .zero, login: Duration = .zero, command: Duration = .zero, perLine: Duration = .zero,
        boot: Duration = .zero
    ) {
        self.roundTrip = roundTrip
        self.login = login
        self.command = command
        self.perLine = perLine
        self.boot = boot
    }

    /// Answers at once (the default).
    public static let none = LabLatency()

    /// A device across a WAN: 50 ms round trip, 300 ms to check a login, 200 ms per command, 2 ms per
    /// output line, 10 s to boot.
    public static let wan = LabLatency(
        roundTrip: .milliseconds(50), login: .milliseconds(300), command: .milliseconds(200),
        perLine: .milliseconds(2), boot: .seconds(10))

    /// Whether every delay is zero.
    public var isNone: Bool { self == .none }

    public var description: String {
        func ms(_ duration: Duration) -> String { "\(Int((duration / .milliseconds(1)).rounded()))ms" }
        return "rtt=\(ms(roundTrip)),login=\(ms(login)),command=\(ms(command)),line=\(ms(perLine)),boot=\(ms(boot))"
    }

    /// Parses `none`, `wan`, or `key=value` pairs separated by commas: `rtt=50ms,login=300ms,command=200ms,
    /// line=2ms,boot=10s` (units `ms` or `s`; keys left out are zero).
    ///
    /// - Parameter text: The text.
    /// - Throws: ``LabError`` naming `latency` and the bad part.
    public init(parsing text: String) throws(LabError) {
        switch text {
        case "none":
            self = .none
            return
        case "wan":
            self = .wan
            return
        default:
            break
        }
        var latency = LabLatency()
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else {
                throw LabError(field: "latency", reason: "expected key=value, got '\(part)'")
            }
            let value = try Self.duration(pair[1])
            switch pair[0] {
            case "rtt", "round_trip": latency.roundTrip = value
            case "login": latency.login = value
            case "command": latency.command = value
            case "line", "per_line": latency.perLine = value
            case "boot": latency.boot = value
            default:
                throw LabError(
                    field: "latency", reason: "unknown key '\(pair[0])'; known: rtt, login, command, line, boot")
            }
        }
        self = latency
    }

    private static func duration(_ text: String) throws(LabError) -> Duration {
        let (digits, scale): (Substring, Duration) =
            text.hasSuffix("ms")
            ? (text.dropLast(2), .milliseconds(1)) : text.hasSuffix("s") ? (text.dropLast(1), .seconds(1)) : ("", .zero)
        guard scale != .zero, let value = Double(digits), value >= 0, value <= 3_600_000 else {
            throw LabError(field: "latency", reason: "'\(text)' is not a duration such as 50ms or 2s (0...3600000)")
        }
        return scale * value
    }
}

/// The kind of host key a device has.
public enum LabHostKeyType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An ed25519 key, one per device (the default).
    case ed25519
    /// An RSA 2048-bit key offered as `rsa-sha2-512`, `rsa-sha2-256` and `ssh-rsa`. RSA keys cost about
    /// 0.2 s each to generate: a lab draws them from a small cached pool (see
    /// ``LabConfiguration/rsaKeyPool``), so several devices may share one.
    case rsa
    /// An ECDSA key on NIST P-256, offered as `ecdsa-sha2-nistp256`, one per device (cheap to make), as
    /// IOS-XE and NX-OS devices configured for ECDSA present. A login costs the lab a little less than
    /// with ed25519: libssh 0.10 imports an ed25519 key again from its raw bytes for every signature.
    case ecdsa

    public var description: String { rawValue }
}

/// The SSH algorithms a device offers.
public enum LabAlgorithms: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// libssh's defaults (curve25519, AES-GCM/CTR, chacha20-poly1305, HMAC-SHA2).
    case modern
    /// Only what old IOS offers: host key `ssh-rsa`, key exchange `diffie-hellman-group14-sha1`, CBC
    /// ciphers (`aes128-cbc`, `aes256-cbc`), `hmac-sha1`. Needs an RSA host key.
    case legacyOnly = "legacy_only"
    /// libssh's default ciphers and MACs, but key exchange on NIST curves only (`ecdh-sha2-nistp256`,
    /// `ecdh-sha2-nistp384`, `ecdh-sha2-nistp521`), without curve25519: what SSH servers that predate
    /// curve25519 offer. A client that prefers curve25519 then uses `ecdh-sha2-nistp256`.
    case nist

    public var description: String { rawValue }
}

/// How one device behaves apart from its platform and faults: speed, host key, algorithms.
public struct LabDeviceProfile: Sendable, Hashable, CustomStringConvertible {
    public var latency: LabLatency
    public var hostKey: LabHostKeyType
    public var algorithms: LabAlgorithms

    /// - Parameters:
    ///   - latency: How fast it answers.
    ///   - hostKey: Its host key type.
    ///   - algorithms: What it offers; ``LabAlgorithms/legacyOnly`` needs ``LabHostKeyType/rsa``.
    public init(latency: LabLatency = .none, hostKey: LabHostKeyType = .ed25519, algorithms: LabAlgorithms = .modern) {
        self.latency = latency
        self.hostKey = hostKey
        self.algorithms = algorithms
    }

    /// Instant answers, an ed25519 key, modern algorithms.
    public static let modern = LabDeviceProfile()
    /// An RSA host key, modern algorithms.
    public static let rsa = LabDeviceProfile(hostKey: .rsa)
    /// An ECDSA (NIST P-256) host key, modern algorithms.
    public static let ecdsa = LabDeviceProfile(hostKey: .ecdsa)
    /// Old IOS: RSA key, `ssh-rsa`, `diffie-hellman-group14-sha1`, CBC, `hmac-sha1`.
    public static let legacy = LabDeviceProfile(hostKey: .rsa, algorithms: .legacyOnly)
    /// A modern device across a WAN (``LabLatency/wan``).
    public static let wan = LabDeviceProfile(latency: .wan)

    public var description: String {
        "\(hostKey)/\(algorithms)" + (latency.isNone ? "" : "/\(latency)")
    }

    /// Parses a profile: names joined by `+` (`legacy+wan`), from `modern`, `rsa`, `ecdsa`, `nist`,
    /// `legacy`, `wan`; a latency in `key=value` form may stand for `wan` (`rsa+rtt=20ms,command=100ms`).
    /// `rsa` and `ecdsa` choose the host key, `nist` the key exchange (``LabAlgorithms/nist``), `legacy`
    /// both (an RSA key and ``LabAlgorithms/legacyOnly``): two parts that choose the same thing
    /// differently are an error.
    ///
    /// - Parameter text: The text.
    /// - Throws: ``LabError`` naming `profile`.
    public init(parsing text: String) throws(LabError) {
        var profile = LabDeviceProfile()
        var hostKeyFrom: String?
        var algorithmsFrom: String?
        func choose<Value: Equatable>(
            _ value: Value, _ keyPath: WritableKeyPath<LabDeviceProfile, Value>, from part: String,
            chosenBy earlier: inout String?, what: String
        ) throws(LabError) {
            if let earlier, profile[keyPath: keyPath] != value {
                throw LabError(
                    field: "profile", reason: "'\(earlier)' and '\(part)' choose different \(what) in '\(text)'")
            }
            profile[keyPath: keyPath] = value
            earlier = earlier ?? part
        }
        for part in text.split(separator: "+", omittingEmptySubsequences: false).map(String.init) {
            switch part {
            case "modern": break
            case "rsa": try choose(.rsa, \.hostKey, from: part, chosenBy: &hostKeyFrom, what: "host keys")
            case "ecdsa": try choose(.ecdsa, \.hostKey, from: part, chosenBy: &hostKeyFrom, what: "host keys")
            case "nist":
                try choose(.nist, \.algorithms, from: part, chosenBy: &algorithmsFrom, what: "algorithms")
            case "legacy":
                try choose(.rsa, \.hostKey, from: part, chosenBy: &hostKeyFrom, what: "host keys")
                try choose(.legacyOnly, \.algorithms, from: part, chosenBy: &algorithmsFrom, what: "algorithms")
            case "wan": profile.latency = .wan
            default:
                guard part.contains("=") else {
                    throw LabError(
                        field: "profile",
                        reason: "unknown profile '\(part)'; known: modern, rsa, ecdsa, nist, legacy, wan, or a latency "
                            + "such as rtt=50ms,command=200ms")
                }
                profile.latency = try LabLatency(parsing: part)
            }
        }
        self = profile
    }
}

/// A fraction of a fleet given a profile (see ``LabConfiguration/profileMix``).
public struct LabProfileShare: Sendable, Hashable {
    /// The fraction of devices, 0...1.
    public var fraction: Double
    public var profile: LabDeviceProfile

    public init(_ fraction: Double, _ profile: LabDeviceProfile) {
        self.fraction = fraction
        self.profile = profile
    }
}

extension LabDeviceProfile {
    /// Assigns the shares of a mix to seeded devices: the same seed always gives the same devices.
    /// Devices left over keep the default profile (absent from the result).
    ///
    /// - Parameters:
    ///   - devices: The fleet size.
    ///   - mix: The shares, applied in order.
    ///   - seed: The seed.
    /// - Returns: Profiles by device index.
    public static func plan(devices: Int, mix: [LabProfileShare], seed: UInt64) -> [Int: LabDeviceProfile] {
        guard !mix.isEmpty, devices > 0 else { return [:] }
        var random = SeededGenerator(seed: seed ^ 0x7072_6F66_696C_6573)
        var indices = Array(0..<devices)
        indices.shuffle(using: &random)
        var plan: [Int: LabDeviceProfile] = [:]
        var next = 0
        for share in mix {
            let count = min(devices - next, Int((Double(devices) * min(max(share.fraction, 0), 1)).rounded()))
            for index in indices[next..<(next + count)] { plan[index] = share.profile }
            next += count
        }
        return plan
    }
}
