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
        // The same path as the in-memory scheduler's jobs (`JobRunner`), with a plain connect.
        let runner = JobRunner(
            spec: spec, jobID: jobID, options: batch.options,
            defaultMaxOutputBytes: ExecutionRequest.defaultMaxOutputBytes, profile: platform,
            parsing: batch.request.parsing, parser: parser, logger: logger)
        let context = DriverContext(platform: platform, logger: logger)
        let driver = batch.driver
        return await runner.run(
            session: session, keep: keep, startedAt: startedAt,
            executor: JobRunner.executor(session: session, driver: driver, target: target),
            connect: { () async throws(NetPulseError) -> any DriverSession in
                do {
                    return try await driver.connect(to: target, context: context)
                } catch {
                    throw NetPulseError(wrapping: error)
                }
            },
            execute: { session, request in try await session.execute(request) })
    }

    /// The device's result for a job that failed with `error` before or instead of running.
    public func failure(_ error: NetPulseError, _ startedAt: Date? = nil) -> DeviceResult {
        JobRunner.failure(spec, jobID: jobID, error, startedAt: startedAt)
    }
}
