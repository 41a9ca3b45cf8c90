#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif
public import Logging

/// One job run outside the in-memory scheduler (a worker process of a durable queue): connect or reuse
/// a session, execute, parse, and build the device's result.
public struct JobExecution: Sendable {
    public var batch: ValidatedBatch
    public var spec: DeviceJobSpec
    public var jobID: String
    public var platforms: PlatformRegistry
    public var parser: (any OutputParser)?
    public var logger: Logger

    public init(
        batch: ValidatedBatch, spec: DeviceJobSpec, jobID: String, platforms: PlatformRegistry,
        parser: (any OutputParser)?, logger: Logger
    ) {
        self.batch = batch
        self.spec = spec
        self.jobID = jobID
        self.platforms = platforms
        self.parser = parser
        self.logger = logger
    }

    /// Runs the job. With `session` (a pinned device's kept session) the job runs on it, once more on a
    /// fresh session if it was found unavailable before anything was sent.
    ///
    /// - Parameters:
    ///   - session: The device's open session, for a pinned job; `nil` connects.
    ///   - keep: Whether to keep the session open afterwards (pinned) or close it (round robin).
    /// - Returns: The result, and the session to keep (`nil` when closed or failed).
    public func run(session: (any DriverSession)?, keep: Bool) async -> (DeviceResult, (any DriverSession)?) {
        let startedAt = Date()
        let target = spec.target
        var logger = self.logger
        logger[metadataKey: "device"] = .stringConvertible(target.key)
        guard let platform = platforms.profile(named: target.platform) else {
            return (failure(.unsupported("no platform profile named '\(target.platform)'"), startedAt), nil)
        }
        let context = DriverContext(platform: platform, logger: logger)
        let request = ExecutionRequest(
            operation: spec.operation, stopOnError: batch.options.stopOnError, save: batch.options.save,
            enable: batch.options.enable, readTimeout: target.readTimeout,
            maxOutputBytes: batch.options.maxOutputBytes ?? ExecutionRequest.defaultMaxOutputBytes, logger: logger)
        var current = session
        var reused = session != nil
        while true {
            let open: any DriverSession
            if let current {
                open = current
            } else {
                do {
                    open = try await batch.driver.connect(to: target, context: context)
                } catch {
                    return (failure(NetPulseError(wrapping: error), startedAt), nil)
                }
            }
            do {
                var outcome = try await open.execute(request)
                if let spec = batch.request.parsing {
                    if let parser {
                        outcome.parse(with: parser, spec: spec, platform: target.platform) { platform.redacted($0) }
                    } else if outcome.error == nil {
                        outcome.error = .parsingError("no output parser is configured")
                    }
                }
                if !keep { await open.close() }
                let finishedAt = Date()
                let result = DeviceResult(
                    hostname: target.host, port: target.port, username: target.username, index: spec.index,
                    jobID: jobID, success: outcome.error == nil, output: outcome.outputs.joinedOutput,
                    outputs: outcome.outputs, error: outcome.error,
                    executionTime: finishedAt.timeIntervalSince(startedAt), startedAt: startedAt,
                    finishedAt: finishedAt, sessionReused: reused)
                return (result, keep ? open : nil)
            } catch let error as NetPulseError where error.kind == .sessionUnavailable && reused {
                // Nothing was sent: once more on a fresh session.
                await open.close()
                current = nil
                reused = false
            } catch {
                await open.close()
                var result = failure(NetPulseError(wrapping: error), startedAt)
                result.sessionReused = reused
                return (result, nil)
            }
        }
    }

    /// The device's result for a job that failed with `error` before or instead of running.
    public func failure(_ error: NetPulseError, _ startedAt: Date? = nil) -> DeviceResult {
        DeviceResult.failure(
            spec.target, index: spec.index, jobID: jobID, error: error, startedAt: startedAt, finishedAt: Date())
    }
}
