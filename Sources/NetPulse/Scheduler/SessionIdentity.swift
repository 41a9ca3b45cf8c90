/// Who may reuse a pinned session: a keyed digest (HMAC-SHA256 under a key drawn at random for this
/// process) of everything that authenticated and configured the session.
///
/// It covers the credentials and the enable secret, the host-key policy and its file, the algorithm
/// settings, the keepalive, the platform, the driver and its arguments, and the tenant that submitted
/// the job (over HTTP, the API key). A job reuses a device's idle session only when its identity is
/// equal: a different password, or another API key, gets a session of its own. The digest lets the
/// scheduler compare without keeping the secrets past the job that carried them; the key keeps
/// digests from being compared across processes or guessed offline.
struct SessionIdentity: Hashable, Sendable {
    private let digest: (UInt64, UInt64, UInt64, UInt64)

    /// The process's key: 32 random bytes, drawn once.
    private static let key: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }()

    init(settings: SessionSettings, driverName: String, tenant: String?) {
        var encoder = IdentityEncoder()
        encoder.string("netpulse-session-identity-v1")
        encoder.optionalString(tenant)
        encoder.string(driverName)
        settings.encode(into: &encoder)
        let code = HMACSHA256.authenticationCode(for: encoder.bytes, key: Self.key)
        func word(_ start: Int) -> UInt64 { code[start..<(start + 8)].reduce(0) { $0 << 8 | UInt64($1) } }
        digest = (word(0), word(8), word(16), word(24))
    }

    static func == (lhs: SessionIdentity, rhs: SessionIdentity) -> Bool { lhs.digest == rhs.digest }

    func hash(into hasher: inout Hasher) {
        hasher.combine(digest.0)
        hasher.combine(digest.1)
    }
}

/// The fields of a target that authenticate and configure its session (not its host, port and user:
/// the pinned queue's device key has those). Jobs of one batch usually share them, so the scheduler
/// computes one identity per distinct value.
struct SessionSettings: Hashable {
    var credentials: [Credential]
    var enableSecret: Secret?
    var platform: String
    var hostKeyPolicy: HostKeyPolicy?
    /// `nil`: the platform's default (kept optional so that a tri-state setting maps one to one).
    var legacyAlgorithms: Bool?
    var keepaliveInterval: Duration?
    var driverArgs: [String: JSONValue]
    /// The bastions on the way: the same host and port behind another bastion may be another device.
    var jumpHosts: [JumpHost]

    init(_ target: DeviceTarget) {
        credentials = target.credentials
        enableSecret = target.enableSecret
        platform = target.platform
        hostKeyPolicy = target.hostKeyPolicy
        let legacy: Bool? = target.legacyAlgorithms
        legacyAlgorithms = legacy
        keepaliveInterval = target.keepaliveInterval
        driverArgs = target.driverArgs
        jumpHosts = target.jumpHosts
    }

    func encode(into encoder: inout IdentityEncoder) {
        Self.encode(credentials, into: &encoder)
        encoder.optionalString(enableSecret?.revealed)
        encoder.string(platform)
        Self.encode(hostKeyPolicy, into: &encoder)
        encoder.tag(legacyAlgorithms.map { $0 ? 2 : 1 } ?? 0)
        encoder.optionalDuration(keepaliveInterval)
        encoder.json(.object(driverArgs))
        encoder.count(jumpHosts.count)
        for hop in jumpHosts {
            encoder.string(hop.host)
            encoder.count(hop.port)
            encoder.string(hop.username)
            Self.encode(hop.credentials, into: &encoder)
            Self.encode(hop.hostKeyPolicy, into: &encoder)
        }
    }

    static func encode(_ credentials: [Credential], into encoder: inout IdentityEncoder) {
        encoder.count(credentials.count)
        for credential in credentials {
            switch credential {
            case .password(let secret):
                encoder.tag(1)
                encoder.string(secret.revealed)
            case .keyboardInteractive(let secret):
                encoder.tag(2)
                encoder.string(secret.revealed)
            case .privateKey(let path, let passphrase):
                encoder.tag(3)
                encoder.string(path)
                encoder.optionalString(passphrase?.revealed)
            }
        }
    }

    static func encode(_ policy: HostKeyPolicy?, into encoder: inout IdentityEncoder) {
        switch policy {
        case nil: encoder.tag(0)
        case .strict(let file)?:
            encoder.tag(1)
            encoder.optionalString(file)
        case .acceptNew(let file)?:
            encoder.tag(2)
            encoder.optionalString(file)
        case .off?: encoder.tag(3)
        }
    }
}

/// An unambiguous byte encoding for the identity digest: every field is tagged or length-prefixed,
/// so no two different settings encode alike.
struct IdentityEncoder {
    private(set) var bytes: [UInt8] = []

    mutating func tag(_ value: UInt8) { bytes.append(value) }

    mutating func count(_ value: Int) {
        let value = UInt64(truncatingIfNeeded: value)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func string(_ value: String) {
        count(value.utf8.count)
        bytes.append(contentsOf: value.utf8)
    }

    mutating func optionalString(_ value: String?) {
        guard let value else { return tag(0) }
        tag(1)
        string(value)
    }

    mutating func optionalDuration(_ value: Duration?) {
        guard let value else { return tag(0) }
        tag(1)
        let (seconds, attoseconds) = value.components
        count(Int(truncatingIfNeeded: seconds))
        count(Int(truncatingIfNeeded: attoseconds))
    }

    /// JSON with object keys in sorted order, so equal values encode alike.
    mutating func json(_ value: JSONValue) {
        switch value {
        case .null: tag(0)
        case .bool(let flag): tag(flag ? 2 : 1)
        case .number(let number):
            tag(3)
            count(Int(truncatingIfNeeded: number.bitPattern))
        case .string(let text):
            tag(4)
            string(text)
        case .array(let items):
            tag(5)
            count(items.count)
            for item in items { json(item) }
        case .object(let fields):
            tag(6)
            count(fields.count)
            for key in fields.keys.sorted() {
                string(key)
                json(fields[key] ?? .null)
            }
        }
    }
}
