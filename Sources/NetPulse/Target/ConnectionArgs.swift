/// Connection fields as a request gives them: every field optional.
///
/// A batch has one shared set (`connection_args`) and each device may carry its own; the device's
/// field wins (``merged(over:)``). ``resolve(host:platforms:path:)`` then applies defaults and checks
/// that what a connection needs is there.
public struct ConnectionArgs: Sendable, Hashable {
    public static let defaultConnectTimeout: Duration = .seconds(10)
    public static let defaultReadTimeout: Duration = .seconds(30)

    /// How the password is offered, when a request says so (`auth_method`).
    public enum AuthMethod: String, Sendable, Hashable, CaseIterable {
        case password
        case keyboardInteractive = "keyboard_interactive"
        case publicKey = "publickey"
    }

    /// The host-key mode named in a request (`host_key_policy`).
    public enum HostKeyMode: String, Sendable, Hashable, CaseIterable {
        case strict
        case acceptNew = "accept_new"
        case off
    }

    /// Platform profile name, NetPulse's `device_type`.
    public var deviceType: String?
    public var port: Int?
    public var username: String?
    public var password: Secret?
    /// The enable secret (`secret`).
    public var secret: Secret?
    /// Private key file (`key_file`).
    public var keyFile: String?
    /// The private key's passphrase (`passphrase`).
    public var passphrase: Secret?
    public var authMethod: AuthMethod?
    /// netmiko's `timeout`: used for connect and reads unless the specific ones are given.
    public var timeout: Duration?
    /// `conn_timeout`.
    public var connectTimeout: Duration?
    /// `read_timeout`.
    public var readTimeout: Duration?
    public var hostKeyMode: HostKeyMode?
    public var knownHostsFile: String?
    public var legacyAlgorithms: Bool?
    /// `keepalive`, seconds; 0 turns keepalives off.
    public var keepalive: Duration?
    /// `driver_args` and accepted netmiko pass-through fields.
    public var driverArgs: [String: JSONValue]
    /// NetPulse's `credential`: fields to look up through a ``CredentialProvider`` before the request runs
    /// (``BatchRequest/resolvingCredentials(with:)``).
    public var credential: CredentialReference?
    /// `jump_host`: the bastions to go through, first to last (ssh's `ProxyJump`); `nil` for none.
    public var jumpHosts: [JumpHostArgs]?

    public init(
        deviceType: String? = nil,
        port: Int? = nil,
        username: String? = nil,
        password: Secret? = nil,
        secret: Secret? = nil,
        keyFile: String? = nil,
        passphrase: Secret? = nil,
        authMethod: AuthMethod? = nil,
        timeout: Duration? = nil,
        connectTimeout: Duration? = nil,
        readTimeout: Duration? = nil,
        hostKeyMode: HostKeyMode? = nil,
        knownHostsFile: String? = nil,
        legacyAlgorithms: Bool? = nil,
        keepalive: Duration? = nil,
        driverArgs: [String: JSONValue] = [:],
        credential: CredentialReference? = nil
    ) {
        self.deviceType = deviceType
        self.port = port
        self.username = username
        self.password = password
        self.secret = secret
        self.keyFile = keyFile
        self.passphrase = passphrase
        self.authMethod = authMethod
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.hostKeyMode = hostKeyMode
        self.knownHostsFile = knownHostsFile
        self.legacyAlgorithms = legacyAlgorithms
        self.keepalive = keepalive
        self.driverArgs = driverArgs
        self.credential = credential
    }

    /// These fields with every field that is unset here taken from `shared`.
    public func merged(over shared: ConnectionArgs) -> ConnectionArgs {
        var merged = ConnectionArgs(
            deviceType: deviceType ?? shared.deviceType,
            port: port ?? shared.port,
            username: username ?? shared.username,
            password: password ?? shared.password,
            secret: secret ?? shared.secret,
            keyFile: keyFile ?? shared.keyFile,
            passphrase: passphrase ?? shared.passphrase,
            authMethod: authMethod ?? shared.authMethod,
            timeout: timeout ?? shared.timeout,
            connectTimeout: connectTimeout ?? shared.connectTimeout,
            readTimeout: readTimeout ?? shared.readTimeout,
            hostKeyMode: hostKeyMode ?? shared.hostKeyMode,
            knownHostsFile: knownHostsFile ?? shared.knownHostsFile,
            legacyAlgorithms: legacyAlgorithms ?? shared.legacyAlgorithms,
            keepalive: keepalive ?? shared.keepalive,
            driverArgs: shared.driverArgs.merging(driverArgs) { _, device in device },
            credential: credential ?? shared.credential
        )
        merged.jumpHosts = jumpHosts ?? shared.jumpHosts
        return merged
    }

    /// The shortest keepalive interval accepted (0 turns keepalives off): shorter would busy the
    /// session with keepalives.
    public static let minimumKeepalive: Duration = .seconds(1)

    /// Checks the fields that can be checked on their own: port range, positive timeouts, keepalive.
    ///
    /// - Parameter path: The JSON path of these fields (`connection_args`, `devices[3]`).
    /// - Throws: ``RequestError`` naming the first field at fault.
    public func validate(path: String) throws(RequestError) {
        if let port { try DeviceTarget.validatePort(port, field: "\(path).port") }
        for (name, value) in [("timeout", timeout), ("conn_timeout", connectTimeout), ("read_timeout", readTimeout)] {
            if let value, value <= .zero {
                throw RequestError(field: "\(path).\(name)", reason: "must be greater than 0")
            }
        }
        if let keepalive, keepalive != .zero, keepalive < Self.minimumKeepalive {
            throw RequestError(
                field: "\(path).keepalive", reason: "must be 0 (off) or at least 1 second")
        }
    }

    /// A netmiko pass-through timeout (`auth_timeout`, `banner_timeout`): a positive number of seconds,
    /// or `nil` when absent or `null`.
    static func passThroughSeconds(
        _ name: String, in args: [String: JSONValue], path: String
    ) throws(RequestError) -> Duration? {
        guard let value = args[name], value != .null else { return nil }
        guard case .number(let seconds) = value, seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw RequestError(
                field: "\(path).\(name)", reason: "must be a number of seconds greater than 0 (at most 86400)")
        }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// The device these fields describe, with defaults applied.
    ///
    /// - Parameters:
    ///   - host: The device's host.
    ///   - platforms: The platform names a request may use.
    ///   - path: The JSON path of the device, for error messages (`devices[3]`).
    /// - Throws: ``RequestError`` naming the missing or contradictory field.
    public func resolve(host: String, platforms: PlatformRegistry, path: String) throws(RequestError) -> DeviceTarget {
        guard let value = driverArgs["ssh_config_file"], value != .null else {
            return try resolveFields(host: host, platforms: platforms, path: path)
        }
        let field = "\(path).ssh_config_file"
        guard case .string(let file) = value, !file.isEmpty else {
            throw RequestError(field: field, reason: "must be the path of an ssh_config file")
        }
        let config: SSHConfigFile
        let entry: SSHConfigFile.Entry
        do {
            config = try SSHConfigFile.load(path: file)
            entry = try config.entry(for: host)
        } catch {
            throw RequestError(field: field, reason: error.reason)
        }
        var args = self
        // A jump_host in the request wins over the file's ProxyJump, as every other field does.
        if args.jumpHosts == nil, let jump = entry.proxyJump, jump.lowercased() != "none" {
            args.jumpHosts = try JumpHostArgs.list(proxyJump: jump, config: config, field: field)
        }
        // As with ssh, what the request says wins over the file.
        args.port = port ?? entry.port
        args.username = username ?? entry.user
        args.keyFile = keyFile ?? entry.identityFile
        return try args.resolveFields(host: entry.hostName ?? host, platforms: platforms, path: path)
    }

    private func resolveFields(host: String, platforms: PlatformRegistry, path: String) throws(RequestError)
        -> DeviceTarget
    {
        // Every way in (request JSON, the command line, the connection test) comes through here, so no
        // host or port reaches a driver unchecked.
        try DeviceTarget.validateHost(host, field: "\(path).host")
        if let credential {
            throw RequestError(
                field: "\(path).credential",
                reason: "\(credential) was not looked up: this runner has no credential providers configured")
        }
        let port = self.port ?? 22
        try DeviceTarget.validatePort(port, field: "\(path).port")
        guard let username, !username.isEmpty else {
            throw RequestError(field: "\(path).username", reason: "is required (on the device or in connection_args)")
        }
        if username.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw RequestError(field: "\(path).username", reason: "contains a control character")
        }
        guard let deviceType else {
            throw RequestError(
                field: "\(path).device_type",
                reason: "is required (on the device or in connection_args)"
            )
        }
        guard let profile = platforms.profile(named: deviceType) else {
            throw RequestError(
                field: "\(path).device_type",
                reason: "unknown device_type '\(deviceType)'; known: \(platforms.names.joined(separator: ", "))"
            )
        }
        let credentials: [Credential]
        switch authMethod {
        case .password?:
            guard let password else {
                throw RequestError(field: "\(path).password", reason: "is required when auth_method is 'password'")
            }
            credentials = [.password(password)]
        case .keyboardInteractive?:
            guard let password else {
                throw RequestError(
                    field: "\(path).password",
                    reason: "is required when auth_method is 'keyboard_interactive'"
                )
            }
            credentials = [.keyboardInteractive(password)]
        case .publicKey?:
            guard let keyFile else {
                throw RequestError(field: "\(path).key_file", reason: "is required when auth_method is 'publickey'")
            }
            credentials = [.privateKey(path: keyFile, passphrase: passphrase)]
        case nil:
            var list: [Credential] = []
            if let keyFile { list.append(.privateKey(path: keyFile, passphrase: passphrase)) }
            if let password { list += [.password(password), .keyboardInteractive(password)] }
            guard !list.isEmpty else {
                throw RequestError(
                    field: "\(path).password",
                    reason: "no credential: give password or key_file (on the device or in connection_args)"
                )
            }
            credentials = list
        }
        let policy: HostKeyPolicy? =
            switch hostKeyMode {
            case .strict?: .strict(knownHostsFile: knownHostsFile)
            case .acceptNew?: .acceptNew(knownHostsFile: knownHostsFile)
            case .off?: .off
            case nil: nil
            }
        var target = DeviceTarget(
            host: host,
            port: port,
            username: username,
            credentials: credentials,
            enableSecret: secret,
            platform: profile.name,
            connectTimeout: connectTimeout ?? timeout ?? Self.defaultConnectTimeout,
            readTimeout: readTimeout ?? timeout ?? Self.defaultReadTimeout,
            hostKeyPolicy: policy,
            legacyAlgorithms: legacyAlgorithms,
            keepaliveInterval: keepalive.flatMap { $0 == .zero ? nil : $0 },
            driverArgs: driverArgs,
            bannerTimeout: try Self.passThroughSeconds("banner_timeout", in: driverArgs, path: path),
            authTimeout: try Self.passThroughSeconds("auth_timeout", in: driverArgs, path: path)
        )
        for (index, hop) in (jumpHosts ?? []).enumerated() {
            let field = jumpHosts?.count == 1 ? "\(path).jump_host" : "\(path).jump_host[\(index)]"
            target.jumpHosts.append(try hop.resolve(device: target, path: field))
        }
        return target
    }
}
