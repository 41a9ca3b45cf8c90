/// A batch: one operation (or one per device) to run on many devices with one driver.
///
/// Build it in Swift, or decode the JSON of the NetPulse batch guide with ``init(json:)``:
///
/// ```swift
/// let request = try BatchRequest(json: Data(#"{"driver": "netmiko", ...}"#.utf8))
/// ```
public struct BatchRequest: Sendable, Hashable {
    /// One device as the request gives it: its host, its own connection fields, and optionally its
    /// own operation.
    public struct Device: Sendable, Hashable {
        public var host: String
        /// Fields that override the batch's shared ``BatchRequest/connectionArgs``.
        public var connection: ConnectionArgs
        /// This device's own command or config, overriding the batch's.
        public var operation: DeviceOperation?

        public init(host: String, connection: ConnectionArgs = ConnectionArgs(), operation: DeviceOperation? = nil) {
            self.host = host
            self.connection = connection
            self.operation = operation
        }
    }

    /// The driver's registered name or alias (`libssh2`, `libssh`, `netmiko`, ...).
    public var driver: String
    public var devices: [Device]
    /// Fields every device shares unless it overrides them.
    public var connectionArgs: ConnectionArgs
    /// The batch's operation; `nil` only when every device has its own.
    public var operation: DeviceOperation?
    public var options: BatchOptions
    /// How each command's output is turned into records (`parsing`); needs a
    /// ``SchedulerConfiguration/parser``.
    public var parsing: ParsingSpec?

    public init(
        driver: String,
        devices: [Device],
        connectionArgs: ConnectionArgs = ConnectionArgs(),
        operation: DeviceOperation?,
        options: BatchOptions = BatchOptions(),
        parsing: ParsingSpec? = nil
    ) {
        self.driver = driver
        self.devices = devices
        self.connectionArgs = connectionArgs
        self.operation = operation
        self.options = options
        self.parsing = parsing
    }
}

/// One unit of work of a validated batch: a resolved device and what to run on it.
public struct DeviceJobSpec: Sendable, Hashable {
    /// The device's position in the request's `devices`.
    public var index: Int
    public var target: DeviceTarget
    public var operation: DeviceOperation
    /// How the CLI engine drives it, from its `driver_args`.
    public var cli: CLIOptions

    public init(index: Int, target: DeviceTarget, operation: DeviceOperation, cli: CLIOptions = CLIOptions()) {
        self.index = index
        self.target = target
        self.operation = operation
        self.cli = cli
    }
}

extension BatchRequest {
    /// Checks the whole request and resolves every device.
    ///
    /// - Parameters:
    ///   - drivers: Where ``driver`` must be registered; `nil` skips that check.
    ///   - platforms: The platform names `device_type` may take.
    /// - Returns: One job spec per device, in request order.
    /// - Throws: ``RequestError`` naming the first field at fault.
    public func validated(
        drivers: DriverRegistry? = nil,
        platforms: PlatformRegistry = .builtin
    ) throws(RequestError) -> [DeviceJobSpec] {
        if driver.isEmpty { throw RequestError(field: "driver", reason: "is empty") }
        if let drivers, drivers.driver(named: driver) == nil {
            throw RequestError(
                field: "driver",
                reason: "unknown driver '\(driver)'; registered: \(drivers.names.joined(separator: ", "))"
            )
        }
        if devices.isEmpty { throw RequestError(field: "devices", reason: "is empty; give at least one device") }
        if let ttl = options.ttl, !BatchOptions.ttlRange.contains(ttl) {
            throw RequestError(field: "options.ttl", reason: "must be between 1 and 86400 seconds")
        }
        if let timeout = options.executionTimeout, timeout <= .zero {
            throw RequestError(field: "options.execution_timeout", reason: "must be greater than 0")
        }
        if let timeout = options.resultTTL, timeout < .zero {
            throw RequestError(field: "options.result_ttl", reason: "must not be negative")
        }
        if let bytes = options.maxOutputBytes, bytes < 1 {
            throw RequestError(field: "options.max_output_bytes", reason: "must be at least 1")
        }
        try Self.check(operation, path: "")
        try connectionArgs.validate(path: "connection_args")
        // Built-in drivers read only the CLI engine's driver_args (and netmiko's pass-throughs); others take any.
        let ownArgs = drivers?.driver(named: driver)?.acceptedDriverArgs
        let accepted = Self.netmikoPassThrough.union(ownArgs ?? [])
        func driverArgs(_ args: [String: JSONValue], _ path: String) throws(RequestError) -> CLIOptions.Parsed {
            if args.isEmpty { return CLIOptions.Parsed(options: CLIOptions(), readTimeout: nil) }
            return try CLIOptions.parse(args, path: path, accepted: accepted, refuseUnknown: ownArgs != nil)
        }
        _ = try driverArgs(connectionArgs.driverArgs, "driver_args")
        try parsing?.validate(path: "parsing")

        var seen: [DeviceKey: Int] = [:]
        seen.reserveCapacity(devices.count)
        var specs: [DeviceJobSpec] = []
        specs.reserveCapacity(devices.count)
        for (index, device) in devices.enumerated() {
            let path = "devices[\(index)]"
            if device.host.trimmingWhitespace().isEmpty {
                throw RequestError(field: "\(path).host", reason: "is required")
            }
            try device.connection.validate(path: path)
            try Self.check(device.operation, path: path)
            guard let operation = device.operation ?? operation else {
                throw RequestError(
                    field: "\(path).command",
                    reason: "no operation: give 'command' or 'config' for the batch or for this device"
                )
            }
            if parsing != nil, operation.isConfig {
                guard device.operation != nil else {
                    throw RequestError(field: "parsing", reason: "parses command output; this batch pushes config")
                }
                throw RequestError(
                    field: "\(path).config", reason: "pushes config, but the batch's parsing applies to command output")
            }
            let merged = device.connection.merged(over: connectionArgs)
            // The device's own fields over the batch's (the batch's alone were checked above), before the
            // rest of the device's fields.
            let cli = try driverArgs(merged.driverArgs, "\(path).driver_args")
            var target = try merged.resolve(host: device.host, platforms: platforms, path: path)
            if let readTimeout = cli.readTimeout { target.readTimeout = readTimeout }
            if ownArgs != nil, platforms.profile(named: target.platform)?.transport == .exec,
                let field = cli.options.firstSetField
            {
                throw RequestError(
                    field: "\(path).driver_args.\(field)",
                    reason:
                        "has no effect on platform \(target.platform), whose commands run on exec channels, not a CLI")
            }
            if let first = seen[target.key] {
                throw RequestError(
                    field: "\(path)",
                    reason: "duplicate device \(target.key): same host, port and username as devices[\(first)]"
                )
            }
            seen[target.key] = index
            specs.append(DeviceJobSpec(index: index, target: target, operation: operation, cli: cli.options))
        }
        return specs
    }

    private static func check(_ operation: DeviceOperation?, path: String) throws(RequestError) {
        guard let operation else { return }
        let name = operation.isConfig ? "config" : "command"
        let field = path.isEmpty ? name : "\(path).\(name)"
        if operation.lines.isEmpty { throw RequestError(field: field, reason: "is empty") }
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}
