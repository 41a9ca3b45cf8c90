/// Which of NetPulse's request models a JSON request stands for; it decides the default `ttl`.
public enum RequestShape: String, Sendable, Hashable {
    /// One device (`POST /device/exec`, NetPulse's `ExecutionRequest`).
    case single
    /// A device list (`POST /device/bulk`, NetPulse's `BulkExecutionRequest`).
    case bulk
    /// The legacy batch endpoints (`POST /pull/batch`, `POST /push/batch`).
    case batch
}

/// The defaults NetPulse 0.4.3 gives a request that leaves a field out, applied by
/// ``BatchRequest/init(jsonValue:shape:)``. A ``BatchRequest`` built in Swift keeps ``BatchOptions``'
/// own defaults.
public enum NetPulseDefaults {
    /// Drivers whose requests get `pinned` queues when `queue_strategy` is absent (NetPulse pins its
    /// long-lived SSH drivers; the others are `fifo`, this project's round-robin).
    public static let pinnedDrivers: Set<String> = ["netmiko", "paramiko"]
    /// `ttl` for one device.
    public static let singleTTL: Duration = .seconds(300)
    /// `ttl` for a device list.
    public static let bulkTTL: Duration = .seconds(600)
    /// `ttl` for the legacy batch endpoints.
    public static let batchTTL: Duration = .seconds(1800)
    /// `execution_timeout`.
    public static let executionTimeout: Duration = .seconds(300)
    /// `result_ttl`.
    public static let resultTTL: Duration = .seconds(300)
    /// The `result_ttl` a request may ask for.
    public static let resultTTLRange: ClosedRange<Duration> = .seconds(60) ... .seconds(604_800)

    /// The queue strategy of a request for `driver` that does not say.
    public static func queueStrategy(driver: String) -> QueueStrategy {
        pinnedDrivers.contains(driver.lowercased()) ? .pinned : .roundRobin
    }

    /// The `ttl` of a request of this shape that does not say.
    public static func ttl(_ shape: RequestShape) -> Duration {
        switch shape {
        case .single: singleTTL
        case .bulk: bulkTTL
        case .batch: batchTTL
        }
    }
}

/// NetPulse request fields for features this project does not have. Each is accepted at its "off"
/// value (`null`, `false`, `"none"`) and refused, naming the field and what to do instead, when a
/// request turns it on.
enum UnsupportedFeature {
    /// Reads (and so accepts when off) every such field of `reader`.
    ///
    /// - Parameters:
    ///   - reader: The request's root, or its `options`.
    ///   - lacking: Extra fields to refuse when set, with why (`webhook`, `rendering`
    ///     until they are supported).
    static func check(_ reader: inout JSONObjectReader, lacking: [String: String] = [:]) throws(RequestError) {
        if let detach = try reader.bool("detach"), detach {
            throw RequestError(
                field: reader.field("detach"),
                reason: "background (detached) tasks are not supported; remove detach (or set it to false): the job "
                    + "waits for the command, so raise execution_timeout for a long one")
        }
        if reader.value("push_interval") != nil {
            throw RequestError(
                field: reader.field("push_interval"),
                reason: "applies only to detached tasks, which are not supported; remove it or set it to null")
        }
        if reader.value("file_transfer") != nil {
            throw RequestError(
                field: reader.field("file_transfer"),
                reason: "file transfer (SCP/SFTP) is not supported; copy files with scp or sftp outside NetPulse "
                    + "and use command or config for the rest")
        }
        if reader.value("staged_file_id") != nil {
            throw RequestError(
                field: reader.field("staged_file_id"),
                reason: "staged files belong to file transfer, which is not supported; remove it")
        }
        if let mode = try reader.string("audit_mode"), mode != "none" {
            let known = ["full", "metadata"].contains(mode)
            throw RequestError(
                field: reader.field("audit_mode"),
                reason: known
                    ? "audit storage is not supported; remove audit_mode or set it to \"none\", and read results "
                        + "from GET /jobs/{id} within result_ttl"
                    : "unknown value; expected full, metadata or none (only none is supported)")
        }
        for (name, reason) in lacking.sorted(by: { $0.key < $1.key }) where reader.value(name) != nil {
            throw RequestError(field: reader.field(name), reason: reason)
        }
    }

    /// The fields ``check(_:lacking:)`` reads, for unknown-field hints.
    static let names = ["detach", "push_interval", "file_transfer", "staged_file_id", "audit_mode"]
}
