/// A request checked once against a configuration: its jobs resolved, its driver found, its numbers
/// clamped to the configuration's limits. Every front end (the in-memory ``Scheduler``, the PostgreSQL
/// queue) submits this, so a request means the same wherever it runs.
public struct ValidatedBatch: Sendable {
    /// The request as given.
    public let request: BatchRequest
    /// One job per device, in request order, with connect and read timeouts clamped.
    public let specs: [DeviceJobSpec]
    /// The request's options with `execution_timeout`, `result_ttl` and `max_output_bytes` clamped.
    public let options: BatchOptions
    public let driver: any Driver
    /// The driver's registered name (an alias resolved).
    public let driverName: String
    public let resultTTL: Duration

    /// Checks `request` against `configuration`.
    ///
    /// - Throws: ``RequestError`` naming the first invalid field.
    public init(_ request: BatchRequest, configuration: SchedulerConfiguration) throws(RequestError) {
        let limits = configuration.limits
        var specs = try request.validated(drivers: configuration.drivers, platforms: configuration.platforms)
        guard let driver = configuration.drivers.driver(named: request.driver),
            let driverName = configuration.drivers.canonicalName(request.driver)
        else {
            throw RequestError(field: "driver", reason: "unknown driver '\(request.driver)'")
        }
        if let parsing = request.parsing {
            guard let parser = configuration.parser else {
                throw RequestError(
                    field: "parsing", reason: "no output parser is configured here; this scheduler cannot parse output")
            }
            try parser.validate(parsing)
        }
        for index in specs.indices {
            specs[index].target.connectTimeout = min(specs[index].target.connectTimeout, limits.maxDeviceTimeout)
            specs[index].target.readTimeout = min(specs[index].target.readTimeout, limits.maxDeviceTimeout)
        }
        var options = request.options
        options.executionTimeout = min(
            options.executionTimeout ?? limits.maxExecutionTimeout, limits.maxExecutionTimeout)
        options.resultTTL = min(options.resultTTL ?? limits.defaultResultTTL, limits.maxResultTTL)
        options.maxOutputBytes = min(options.maxOutputBytes ?? limits.maxOutputBytes, limits.maxOutputBytes)
        self.request = request
        self.specs = specs
        self.options = options
        self.driver = driver
        self.driverName = driverName
        self.resultTTL = options.resultTTL ?? limits.defaultResultTTL
    }
}
