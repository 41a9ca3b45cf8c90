/// One bastion (jump host) on the way to a device, fully resolved, as ssh's `ProxyJump` names it.
///
/// Devices reach their host through a `direct-tcpip` channel of the last bastion; the first bastion is
/// reached over TCP, each further one through the one before. Two devices whose chains start with the
/// same bastions (same host, port, user, credentials and host-key policy) share those bastions' sessions:
/// the value itself is the identity, so sessions are never shared across different credentials. Its
/// `description` never shows a secret.
public struct JumpHost: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    /// Ways to authenticate on the bastion, tried in order.
    public var credentials: [Credential]
    /// Host-key checking of the bastion; `nil` means the driver's configured policy.
    public var hostKeyPolicy: HostKeyPolicy?

    public init(
        host: String, port: Int = 22, username: String, credentials: [Credential], hostKeyPolicy: HostKeyPolicy? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.credentials = credentials
        self.hostKeyPolicy = hostKeyPolicy
    }

    public var description: String { "jump host \(username)@\(DeviceKey.format(host: host, port: port))" }
}

/// One `jump_host` entry as a request gives it; unset fields are taken from the device when the
/// request is validated.
public struct JumpHostArgs: Sendable, Hashable {
    public var host: String
    public var port: Int?
    public var username: String?
    public var password: Secret?
    public var keyFile: String?
    public var passphrase: Secret?
    public var hostKeyMode: ConnectionArgs.HostKeyMode?
    public var knownHostsFile: String?

    public init(
        host: String, port: Int? = nil, username: String? = nil, password: Secret? = nil, keyFile: String? = nil,
        passphrase: Secret? = nil, hostKeyMode: ConnectionArgs.HostKeyMode? = nil, knownHostsFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.keyFile = keyFile
        self.passphrase = passphrase
        self.hostKeyMode = hostKeyMode
        self.knownHostsFile = knownHostsFile
    }

    /// `jump_host`: one object, or a list of them for several hops (the first is reached first).
    ///
    /// - Throws: ``RequestError`` naming the field at fault (`connection_args.jump_host[1].port`).
    static func list(from value: JSONValue, path: String) throws(RequestError) -> [JumpHostArgs] {
        switch value {
        case .object:
            return [try JumpHostArgs(json: value, path: path)]
        case .array(let items):
            guard !items.isEmpty else {
                throw RequestError(
                    field: path, reason: "is an empty list; give one object per bastion, or leave it out")
            }
            var hops: [JumpHostArgs] = []
            for (index, item) in items.enumerated() {
                hops.append(try JumpHostArgs(json: item, path: "\(path)[\(index)]"))
            }
            return hops
        default:
            throw RequestError(
                field: path, reason: "must be an object (host, port, username, password or key_file) or a list of them")
        }
    }

    init(json value: JSONValue, path: String) throws(RequestError) {
        var reader = try JSONObjectReader(value, path: path)
        guard let host = try reader.string("host"), !host.trimmingWhitespace().isEmpty else {
            throw RequestError(field: reader.field("host"), reason: "is required (the bastion's host name or address)")
        }
        self.host = host
        port = try reader.int("port")
        username = try reader.string("username")
        password = try reader.secret("password")
        keyFile = try reader.string("key_file")
        passphrase = try reader.secret("passphrase")
        hostKeyMode = try reader.choice("host_key_policy", as: ConnectionArgs.HostKeyMode.self)
        knownHostsFile = try reader.string("known_hosts_file")
        try reader.rejectUnknown(
            hint: "a jump host takes host, port, username, password, key_file, passphrase, host_key_policy, "
                + "known_hosts_file")
    }

    /// The bastion with what it does not say taken from the device: user, credentials (when it names
    /// neither password nor key_file) and host-key policy.
    func resolve(device: DeviceTarget, path: String) throws(RequestError) -> JumpHost {
        try DeviceTarget.validateHost(host, field: "\(path).host")
        let port = self.port ?? 22
        try DeviceTarget.validatePort(port, field: "\(path).port")
        let username = self.username ?? device.username
        guard !username.isEmpty, !username.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw RequestError(field: "\(path).username", reason: "must be a user name without control characters")
        }
        var credentials: [Credential] = []
        if let keyFile { credentials.append(.privateKey(path: keyFile, passphrase: passphrase)) }
        if let password { credentials += [.password(password), .keyboardInteractive(password)] }
        let policy: HostKeyPolicy? =
            switch hostKeyMode {
            case .strict?: .strict(knownHostsFile: knownHostsFile)
            case .acceptNew?: .acceptNew(knownHostsFile: knownHostsFile)
            case .off?: .off
            case nil: knownHostsFile.map { .strict(knownHostsFile: $0) } ?? device.hostKeyPolicy
            }
        return JumpHost(
            host: host, port: port, username: username,
            credentials: credentials.isEmpty ? device.credentials : credentials, hostKeyPolicy: policy)
    }

    /// ssh's `ProxyJump` value: `[user@]host[:port]` hops separated by commas (`none`: no jump).
    /// Each hop's host is looked up in `config` too (its `HostName`, `Port`, `User`, `IdentityFile`), as
    /// ssh does.
    static func list(proxyJump: String, config: SSHConfigFile, field: String) throws(RequestError) -> [JumpHostArgs] {
        var hops: [JumpHostArgs] = []
        for part in proxyJump.split(separator: ",") {
            var spec = Substring(String(part).trimmingWhitespace())
            var user: String?
            if let at = spec.lastIndex(of: "@") {
                user = String(spec[..<at])
                spec = spec[spec.index(after: at)...]
            }
            var host = String(spec)
            var port: Int?
            if spec.hasPrefix("["), let close = spec.firstIndex(of: "]") {
                host = String(spec[spec.index(after: spec.startIndex)..<close])
                let rest = spec[spec.index(after: close)...]
                if rest.hasPrefix(":") { port = Int(rest.dropFirst()) ?? -1 }
            } else if spec.filter({ $0 == ":" }).count == 1, let colon = spec.firstIndex(of: ":") {
                host = String(spec[..<colon])
                port = Int(spec[spec.index(after: colon)...]) ?? -1
            }
            guard !host.isEmpty, port.map(DeviceTarget.portRange.contains) ?? true, user?.isEmpty != true else {
                throw RequestError(
                    field: field, reason: "ProxyJump hop \(hops.count + 1) is not [user@]host[:port]")
            }
            let entry = try config.entry(for: host)
            hops.append(
                JumpHostArgs(
                    host: entry.hostName ?? host, port: port ?? entry.port, username: user ?? entry.user,
                    keyFile: entry.identityFile))
        }
        guard !hops.isEmpty else { throw RequestError(field: field, reason: "ProxyJump names no host") }
        return hops
    }
}
