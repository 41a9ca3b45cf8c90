#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// The output of one command or config line.
public struct CommandOutput: Sendable, Hashable, Codable {
    /// Whether the device accepted the line.
    public enum Status: String, Sendable, Hashable, Codable {
        case ok
        /// The device answered with one of the platform's error patterns.
        case failed
        /// Not sent: an earlier line failed and the push stops on error.
        case skipped
    }

    public var command: String
    public var output: String
    public var status: Status
    /// The exit status, for commands run through an exec channel (`linux` targets).
    public var exitStatus: Int?
    /// What the command wrote to standard error, for exec channels.
    public var stderr: String?
    /// The output's records when the request asked for `parsing` (one JSON object per record, keyed by
    /// the template's Value names in lower case); `nil` when not asked or when parsing failed.
    public var parsed: [JSONValue]?

    public init(
        command: String, output: String, status: Status = .ok, exitStatus: Int? = nil, stderr: String? = nil,
        parsed: [JSONValue]? = nil
    ) {
        self.command = command
        self.output = output
        self.status = status
        self.exitStatus = exitStatus
        self.stderr = stderr
        self.parsed = parsed
    }

    private enum CodingKeys: String, CodingKey {
        case command, output, status
        case exitStatus = "exit_status"
        case stderr, parsed
    }
}

/// What happened on one device of a batch. Every requested device has exactly one.
///
/// Encodes in the NetPulse guide's shape (`hostname`, `success`, `output`, `execution_time`, plus
/// `error` on failure) with snake_case extras.
public struct DeviceResult: Sendable, Hashable, Codable {
    /// The device's host, as the request gave it.
    public var hostname: String
    public var port: Int
    public var username: String
    /// The device's position in the request.
    public var index: Int
    public var jobID: String?
    public var success: Bool
    /// All outputs joined, one after another, as the guide's `output`.
    public var output: String
    /// Each command's or config line's output, in order.
    public var outputs: [CommandOutput]
    public var error: NetPulseError?
    /// Seconds from start to end of the job on the device (0 when it never started).
    public var executionTime: Double
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Whether the job ran on a session that an earlier job had opened (pinned queues).
    public var sessionReused: Bool

    public init(
        hostname: String,
        port: Int = 22,
        username: String = "",
        index: Int = 0,
        jobID: String? = nil,
        success: Bool,
        output: String = "",
        outputs: [CommandOutput] = [],
        error: NetPulseError? = nil,
        executionTime: Double = 0,
        startedAt: Date? = nil,
        finishedAt: Date? = nil,
        sessionReused: Bool = false
    ) {
        self.hostname = hostname
        self.port = port
        self.username = username
        self.index = index
        self.jobID = jobID
        self.success = success
        self.output = output
        self.outputs = outputs
        self.error = error
        self.executionTime = executionTime
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.sessionReused = sessionReused
    }

    /// A failed result for a device that never produced output (expired, cancelled, refused, ...).
    public static func failure(
        _ target: DeviceTarget,
        index: Int,
        jobID: String? = nil,
        error: NetPulseError,
        outputs: [CommandOutput] = [],
        startedAt: Date? = nil,
        finishedAt: Date? = nil
    ) -> DeviceResult {
        DeviceResult(
            hostname: target.host,
            port: target.port,
            username: target.username,
            index: index,
            jobID: jobID,
            success: false,
            output: outputs.joinedOutput,
            outputs: outputs,
            error: error,
            executionTime: startedAt.map { start in (finishedAt ?? start).timeIntervalSince(start) } ?? 0,
            startedAt: startedAt,
            finishedAt: finishedAt
        )
    }

    private enum CodingKeys: String, CodingKey {
        case hostname, port, username, index
        case jobID = "job_id"
        case success, output, outputs, error
        case executionTime = "execution_time"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case sessionReused = "session_reused"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hostname, forKey: .hostname)
        try container.encode(port, forKey: .port)
        try container.encode(username, forKey: .username)
        try container.encode(index, forKey: .index)
        try container.encodeIfPresent(jobID, forKey: .jobID)
        try container.encode(success, forKey: .success)
        try container.encode(output, forKey: .output)
        try container.encode(outputs, forKey: .outputs)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode((executionTime * 1_000_000).rounded() / 1_000_000, forKey: .executionTime)
        try container.encodeIfPresent(startedAt.map(Self.iso8601), forKey: .startedAt)
        try container.encodeIfPresent(finishedAt.map(Self.iso8601), forKey: .finishedAt)
        try container.encode(sessionReused, forKey: .sessionReused)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hostname = try container.decode(String.self, forKey: .hostname)
        port = try container.decodeIfPresent(Int.self, forKey: .port) ?? 22
        username = try container.decodeIfPresent(String.self, forKey: .username) ?? ""
        index = try container.decodeIfPresent(Int.self, forKey: .index) ?? 0
        jobID = try container.decodeIfPresent(String.self, forKey: .jobID)
        success = try container.decode(Bool.self, forKey: .success)
        output = try container.decodeIfPresent(String.self, forKey: .output) ?? ""
        outputs = try container.decodeIfPresent([CommandOutput].self, forKey: .outputs) ?? []
        error = try container.decodeIfPresent(NetPulseError.self, forKey: .error)
        executionTime = try container.decodeIfPresent(Double.self, forKey: .executionTime) ?? 0
        startedAt = try container.decodeIfPresent(String.self, forKey: .startedAt).flatMap(Self.date(iso8601:))
        finishedAt = try container.decodeIfPresent(String.self, forKey: .finishedAt).flatMap(Self.date(iso8601:))
        sessionReused = try container.decodeIfPresent(Bool.self, forKey: .sessionReused) ?? false
    }

    static func iso8601(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    static func date(iso8601 string: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(string)
    }
}

extension [CommandOutput] {
    /// The outputs as one text, the guide's `output`.
    public var joinedOutput: String {
        count == 1 ? self[0].output : map(\.output).joined(separator: "\n")
    }
}
