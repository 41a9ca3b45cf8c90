#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

extension BatchRequest: Decodable {
    /// Decodes a request in the JSON of the NetPulse batch guide (and NetPulse 0.4's layout, with
    /// `queue_strategy`, `ttl`, `execution_timeout` and `result_ttl` at the top level).
    ///
    /// - Throws: ``RequestError`` naming the field path of the first problem; malformed JSON is
    ///   reported as such. Never traps, whatever the input.
    public init(json data: Data) throws(RequestError) {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw RequestError(field: "", reason: "malformed JSON: \(Self.describe(error))")
        }
        try self.init(jsonValue: value)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(jsonValue: JSONValue(from: decoder))
    }

    /// Parses an already decoded JSON tree, filling what it leaves out with NetPulse's defaults
    /// (``NetPulseDefaults``).
    ///
    /// - Parameters:
    ///   - jsonValue: The request.
    ///   - shape: Which NetPulse request it is, for the default `ttl`; `nil`: one device is `single`,
    ///     more are `bulk`.
    public init(jsonValue: JSONValue, shape: RequestShape? = nil) throws(RequestError) {
        var root = try JSONObjectReader(jsonValue, path: "")
        guard let driver = try root.string("driver") else {
            throw RequestError(field: "driver", reason: "is required")
        }
        var shared = ConnectionArgs()
        if let value = root.value("connection_args") {
            shared = try Self.connectionArgs(value, path: "connection_args", allowHost: false).args
        }
        if let value = root.value("credential") {
            shared.credential = try CredentialReference(jsonValue: value, path: "credential")
        }
        if let value = root.value("driver_args") {
            guard case .object(let object) = value else {
                throw RequestError(field: "driver_args", reason: "must be an object, got \(value.typeName)")
            }
            shared.driverArgs.merge(object) { _, new in new }
        }
        let operation = try Self.operation(&root)
        var parsing: ParsingSpec?
        if let value = root.value("parsing") { parsing = try ParsingSpec(jsonValue: value, path: "parsing") }

        guard let devicesValue = root.value("devices") else {
            throw RequestError(field: "devices", reason: "is required")
        }
        guard case .array(let items) = devicesValue else {
            throw RequestError(field: "devices", reason: "must be a list, got \(devicesValue.typeName)")
        }
        var devices: [Device] = []
        devices.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let path = "devices[\(index)]"
            if case .string(let host) = item {
                devices.append(Device(host: host))
                continue
            }
            let parsed = try Self.connectionArgs(item, path: path, allowHost: true)
            devices.append(Device(host: parsed.host ?? "", connection: parsed.args, operation: parsed.operation))
        }

        try UnsupportedFeature.check(&root, lacking: Self.lacking)
        var options = try Self.options(&root, driver: driver)
        if options.ttl == nil { options.ttl = NetPulseDefaults.ttl(shape ?? (devices.count == 1 ? .single : .bulk)) }
        try root.rejectUnknown(
            hint: "expected driver, devices, connection_args, command, config, parsing, options, driver_args, "
                + "queue_strategy, ttl, execution_timeout, result_ttl, max_output_bytes, enable_mode, save, "
                + UnsupportedFeature.names.joined(separator: ", ")
        )
        self.init(
            driver: driver,
            devices: devices,
            connectionArgs: shared,
            operation: operation,
            options: options,
            parsing: parsing
        )
    }

    private static func operation(_ reader: inout JSONObjectReader) throws(RequestError) -> DeviceOperation? {
        let hasCommand = reader.has("command")
        let hasConfig = reader.has("config")
        if hasCommand && hasConfig {
            throw RequestError(field: reader.field("command"), reason: "give either 'command' or 'config', not both")
        }
        if let lines = try reader.lines("command") {
            guard !lines.isEmpty else { throw RequestError(field: reader.field("command"), reason: "is empty") }
            return .commands(lines)
        }
        if let lines = try reader.lines("config") {
            guard !lines.isEmpty else { throw RequestError(field: reader.field("config"), reason: "is empty") }
            return .config(lines)
        }
        return nil
    }

    /// netmiko connection arguments that NetPulse accepts and keeps in `driverArgs`, but that its
    /// own drivers do not need (they find the end of output by prompt, not by timing).
    static let netmikoPassThrough: Set<String> = [
        "fast_cli", "global_delay_factor", "session_log", "session_log_record_writes", "session_log_file_mode",
        "verbose", "banner_timeout", "blocking_timeout", "auth_timeout", "session_timeout", "allow_agent",
        "system_host_keys", "alt_host_keys", "alt_key_file", "ssh_config_file", "encoding", "global_cmd_verify",
        "auto_connect", "default_enter", "response_return", "allow_auto_change", "disable_lf_normalization",
        "read_timeout_override", "use_keys",
    ]

    private static func connectionArgs(
        _ value: JSONValue,
        path: String,
        allowHost: Bool
    ) throws(RequestError) -> (host: String?, args: ConnectionArgs, operation: DeviceOperation?) {
        var reader = try JSONObjectReader(value, path: path)
        var host: String?
        var operation: DeviceOperation?
        if allowHost {
            host = try reader.string("host")
            if host == nil { host = try reader.string("ip") }
            guard let host, !host.trimmingWhitespace().isEmpty else {
                throw RequestError(field: reader.field("host"), reason: "is required")
            }
            operation = try Self.operation(&reader)
        }
        var args = ConnectionArgs()
        args.deviceType = try reader.string("device_type")
        args.port = try reader.int("port")
        args.username = try reader.string("username")
        args.password = try reader.secret("password")
        args.secret = try reader.secret("secret")
        args.keyFile = try reader.string("key_file")
        args.passphrase = try reader.secret("passphrase")
        args.authMethod = try reader.choice("auth_method", as: ConnectionArgs.AuthMethod.self)
        args.timeout = try reader.seconds("timeout")
        args.connectTimeout = try reader.seconds("conn_timeout")
        args.readTimeout = try reader.seconds("read_timeout")
        args.hostKeyMode = try reader.choice("host_key_policy", as: ConnectionArgs.HostKeyMode.self)
        // Read even when host_key_policy is given, so that it is not reported as an unknown field.
        let sshStrict = try reader.bool("ssh_strict")
        if args.hostKeyMode == nil, sshStrict == true { args.hostKeyMode = .strict }
        args.knownHostsFile = try reader.string("known_hosts_file")
        args.legacyAlgorithms = try reader.bool("legacy_algorithms")
        args.keepalive = try reader.seconds("keepalive")
        if let value = reader.value("credential") {
            args.credential = try CredentialReference(jsonValue: value, path: reader.field("credential"))
        }
        if let value = reader.value("jump_host") {
            args.jumpHosts = try JumpHostArgs.list(from: value, path: reader.field("jump_host"))
        }
        if let value = reader.value("driver_args") {
            guard case .object(let object) = value else {
                throw RequestError(
                    field: reader.field("driver_args"), reason: "must be an object, got \(value.typeName)")
            }
            args.driverArgs = object
        }
        for key in netmikoPassThrough {
            if let value = reader.value(key) { args.driverArgs[key] = value }
        }
        try reader.rejectUnknown(
            hint: "connection fields are device_type, port, username, password, secret, key_file, passphrase, "
                + "auth_method, timeout, conn_timeout, read_timeout, host_key_policy, known_hosts_file, "
                + "legacy_algorithms, keepalive, jump_host, driver_args"
                + (allowHost ? "; a device also takes host, command and config" : "")
        )
        return (host, args, operation)
    }

    /// NetPulse features a request may name but not turn on here, with what to do instead.
    static let lacking: [String: String] = [
        "webhook": "webhooks are sent by the HTTP API (netpulse serve), not here; remove it (or set it to null) and "
            + "read the results as they come",
        "rendering": "templates are rendered by the HTTP API (netpulse serve) and by netpulse render, not here; "
            + "render the configuration first and give command or config as text",
    ]

    private static func options(_ root: inout JSONObjectReader, driver: String) throws(RequestError) -> BatchOptions {
        var options = BatchOptions()
        // NetPulse 0.4 put these at the top level; the guide puts them under `options`.
        var topLevel = root
        let fromTop = try readOptions(&topLevel, partial: true)
        root = topLevel
        var fromOptions = PartialOptions()
        if let value = root.value("options") {
            var reader = try JSONObjectReader(value, path: "options")
            fromOptions = try readOptions(&reader, partial: false)
            try reader.rejectUnknown(
                hint: "options are queue_strategy, ttl, execution_timeout, result_ttl, stop_on_error, save, enable, "
                    + "max_output_bytes"
            )
        }
        func pick<T: Equatable>(_ name: String, _ top: T?, _ nested: T?) throws(RequestError) -> T? {
            if let top, let nested, top != nested {
                throw RequestError(
                    field: "options.\(name)",
                    reason: "given both at the top level and in options, with different values"
                )
            }
            return nested ?? top
        }
        options.queueStrategy =
            try pick("queue_strategy", fromTop.queueStrategy, fromOptions.queueStrategy)
            ?? NetPulseDefaults.queueStrategy(driver: driver)
        options.ttl = try pick("ttl", fromTop.ttl, fromOptions.ttl)
        options.executionTimeout =
            try pick("execution_timeout", fromTop.executionTimeout, fromOptions.executionTimeout)
            ?? NetPulseDefaults.executionTimeout
        let resultTTL = try pick("result_ttl", fromTop.resultTTL, fromOptions.resultTTL)
        if let resultTTL, !NetPulseDefaults.resultTTLRange.contains(resultTTL) {
            throw RequestError(field: "options.result_ttl", reason: "must be between 60 and 604800 seconds")
        }
        options.resultTTL = resultTTL ?? NetPulseDefaults.resultTTL
        if let value = try pick("stop_on_error", fromTop.stopOnError, fromOptions.stopOnError) {
            options.stopOnError = value
        }
        if let value = try pick("save", fromTop.save, fromOptions.save) { options.save = value }
        options.enable = try pick("enable", fromTop.enable, fromOptions.enable)
        options.maxOutputBytes = try pick("max_output_bytes", fromTop.maxOutputBytes, fromOptions.maxOutputBytes)
        return options
    }

    private struct PartialOptions {
        var queueStrategy: QueueStrategy?
        var ttl: Duration?
        var executionTimeout: Duration?
        var resultTTL: Duration?
        var stopOnError: Bool?
        var save: Bool?
        var enable: Bool?
        var maxOutputBytes: Int?
    }

    private static func readOptions(
        _ reader: inout JSONObjectReader,
        partial: Bool
    ) throws(RequestError) -> PartialOptions {
        var options = PartialOptions()
        if let name = try reader.string("queue_strategy") {
            guard let strategy = QueueStrategy(name: name) else {
                throw RequestError(
                    field: reader.field("queue_strategy"),
                    reason: "unknown queue strategy '\(name)'; expected pinned, round_robin or fifo"
                )
            }
            options.queueStrategy = strategy
        }
        options.ttl = try reader.seconds("ttl")
        options.executionTimeout = try reader.seconds("execution_timeout")
        options.resultTTL = try reader.seconds("result_ttl")
        options.stopOnError = try reader.bool("stop_on_error")
        options.save = try reader.bool("save")
        options.enable = try reader.bool("enable")
        if options.enable == nil { options.enable = try reader.bool("enable_mode") }
        options.maxOutputBytes = try reader.int("max_output_bytes")
        if !partial, reader.has("parsing") {
            throw RequestError(
                field: reader.field("parsing"),
                reason: "belongs at the top level of the request, next to command, not in options"
            )
        }
        return options
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            if let underlying = context.underlyingError {
                return String(describing: underlying)
            }
            return context.debugDescription
        case let error as DecodingError:
            return String(describing: error)
        default:
            return String(describing: error)
        }
    }
}
