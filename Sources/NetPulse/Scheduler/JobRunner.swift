#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging

/// The one path that runs a job, shared by the in-memory scheduler (``SchedulerCore``) and
/// ``JobExecution`` (worker processes of a durable queue): use the given session or connect, execute,
/// once more on a fresh session if a kept one turned out unavailable before anything was sent, parse,
/// close or keep the session, and build the device's result.
///
/// What differs between the two callers is passed in: how to connect (the scheduler holds handshake
/// permits and counts connects) and how to execute (the scheduler may wrap it in a span).
///
/// It keeps only what the result needs (host, port, user, index), not the job's spec or platform profile:
/// copying those big values per job cost more instructions than the rest of the runner.
struct JobRunner {
    let host: String
    let port: Int
    let username: String
    let index: Int
    let jobID: String
    let request: ExecutionRequest
    /// How to parse each command's output (`parsing`), if asked; `parser` does it, with the profile's
    /// redaction (kept only then).
    let parsing: ParsingSpec?
    let parser: (any OutputParser)?
    let parsingProfile: PlatformProfile?
    /// The device's platform as its request named it, for the parser (kept only when parsing).
    let parsingPlatform: String

    init(
        spec: DeviceJobSpec, jobID: String, options: BatchOptions, defaultMaxOutputBytes: Int,
        profile: PlatformProfile, parsing: ParsingSpec?, parser: (any OutputParser)?, logger: Logger
    ) {
        self.host = spec.target.host
        self.port = spec.target.port
        self.username = spec.target.username
        self.index = spec.index
        self.jobID = jobID
        self.parsing = parsing
        self.parser = parser
        self.parsingProfile = parsing == nil ? nil : profile
        self.parsingPlatform = parsing == nil ? "" : spec.target.platform
        self.request = ExecutionRequest(
            operation: spec.operation, stopOnError: options.stopOnError, save: options.save, enable: options.enable,
            readTimeout: spec.target.readTimeout, maxOutputBytes: options.maxOutputBytes ?? defaultMaxOutputBytes,
            cli: spec.cli, logger: logger)
    }

    /// The executor a job runs with: a kept session's own, or, for a new session, the one the driver names
    /// (asked only then, once per job: a driver may hand out its threads in turn).
    static func executor(
        session: (any DriverSession)?, driver: any Driver, target: DeviceTarget
    ) -> (any TaskExecutor)? {
        if let session { return session.preferredExecutor }
        return driver.preferredExecutor(for: target)
    }

    /// Runs the job.
    ///
    /// The connect, the operation and the close run with `executor` as the task's executor preference (an
    /// SSH session's loop thread): the whole connection on the thread that serves its socket, with no
    /// hand-off between its steps. Parsing runs off it (``parsedOffExecutor(_:)``): a worker of the scheduler
    /// may stay on that executor from one job to the next.
    ///
    /// - Parameters:
    ///   - session: The device's open session (pinned); `nil` connects.
    ///   - keep: Keep the session open afterwards (pinned) or close it (round robin).
    ///   - startedAt: When the job started, for its result.
    ///   - executor: What ``executor(session:driver:target:)`` says for the job; `nil` for none.
    ///   - connect: Opens a session (called at most twice: a retry after an unavailable kept session).
    ///   - execute: Runs the request on a session.
    ///   - retrying: Called before the retry on a fresh session.
    /// - Returns: The result, and the session to keep (`nil` when closed, failed or not `keep`).
    func run(
        session: (any DriverSession)?, keep: Bool, startedAt: Date, executor: (any TaskExecutor)?,
        connect: () async throws(NetPulseError) -> any DriverSession,
        execute: (any DriverSession, ExecutionRequest) async throws -> ExecutionOutcome,
        retrying: () -> Void = {}
    ) async -> (DeviceResult, (any DriverSession)?) {
        let attempt = await withPreferredExecutor(executor) {
            await self.attempt(session: session, keep: keep, connect: connect, execute: execute, retrying: retrying)
        }
        switch attempt {
        case .failed(let error, let reused):
            return (failure(error, startedAt: startedAt, reused: reused), nil)
        case .executed(let raw, let kept, let reused):
            let outcome = await parsedOffExecutor(raw)
            let finishedAt = Date()
            let result = DeviceResult(
                hostname: host, port: port, username: username, index: index, jobID: jobID,
                success: outcome.error == nil,
                output: outcome.outputs.joinedOutput, outputs: outcome.outputs, error: outcome.error,
                executionTime: finishedAt.timeIntervalSince(startedAt), startedAt: startedAt,
                finishedAt: finishedAt, sessionReused: reused)
            return (result, kept)
        }
    }

    /// How the session part of a job ended.
    private enum Attempt {
        /// The operation ran (its outcome may still carry a device's error); the session to keep, if any.
        case executed(ExecutionOutcome, kept: (any DriverSession)?, reused: Bool)
        case failed(NetPulseError, reused: Bool)
    }

    /// Connects (unless given a session), executes, and closes unless `keep`; once more on a fresh session
    /// when a kept one was unavailable before anything was sent.
    private func attempt(
        session: (any DriverSession)?, keep: Bool,
        connect: () async throws(NetPulseError) -> any DriverSession,
        execute: (any DriverSession, ExecutionRequest) async throws -> ExecutionOutcome,
        retrying: () -> Void
    ) async -> Attempt {
        var current = session
        var reused = session != nil
        while true {
            let open: any DriverSession
            if let current {
                open = current
            } else {
                do {
                    open = try await connect()
                } catch {
                    return .failed(error, reused: false)
                }
            }
            do {
                // Normally the preference the job runs with already; a session on another executor than
                // the driver foretold (another loop thread) gets its own, so that its operation and close
                // run on the thread that serves its socket.
                let raw = try await withPreferredExecutor(open.preferredExecutor) {
                    let raw = try await execute(open, request)
                    if !keep { await open.close() }
                    return raw
                }
                return .executed(raw, kept: keep ? open : nil, reused: reused)
            } catch let error as NetPulseError where error.kind == .sessionUnavailable && reused {
                // Nothing was sent: once more on a fresh session (`reused` is false from now on).
                retrying()
                await open.close()
                current = nil
                reused = false
            } catch {
                await open.close()
                return .failed(NetPulseError(wrapping: error), reused: reused)
            }
        }
    }

    /// ``parsed(_:)``, off the executor the job prefers (a scheduler's worker may stay on a loop thread
    /// between jobs): parsing a large output takes long enough to hold up every session of that thread.
    func parsedOffExecutor(_ outcome: ExecutionOutcome) async -> ExecutionOutcome {
        guard parsing != nil else { return outcome }
        guard withUnsafeCurrentTask(body: { $0?.unownedTaskExecutor }) != nil else { return parsed(outcome) }
        return await withTaskExecutorPreference(globalConcurrentExecutor) { await parsedConcurrently(outcome) }
    }

    @concurrent
    private func parsedConcurrently(_ outcome: ExecutionOutcome) async -> ExecutionOutcome { parsed(outcome) }

    /// The outcome with each command's records, when the batch asked for `parsing`; a parse failure
    /// fails the job with its typed error and keeps the raw output.
    func parsed(_ outcome: ExecutionOutcome) -> ExecutionOutcome {
        guard let parsing else { return outcome }
        var outcome = outcome
        guard let parser else {
            // Submitting such a batch is refused; kept as a typed error rather than a silent skip.
            if outcome.error == nil { outcome.error = .parsingError("no output parser is configured") }
            return outcome
        }
        let profile = parsingProfile
        outcome.parse(with: parser, spec: parsing, platform: parsingPlatform) { profile?.redacted($0) ?? $0 }
        return outcome
    }

    /// The device's result for a job that failed with `error`.
    func failure(_ error: NetPulseError, startedAt: Date?, reused: Bool = false) -> DeviceResult {
        let finishedAt = Date()
        return DeviceResult(
            hostname: host, port: port, username: username, index: index, jobID: jobID, success: false,
            output: [CommandOutput]().joinedOutput, outputs: [], error: error,
            executionTime: startedAt.map { finishedAt.timeIntervalSince($0) } ?? 0, startedAt: startedAt,
            finishedAt: finishedAt, sessionReused: reused)
    }

    static func failure(
        _ spec: DeviceJobSpec, jobID: String, _ error: NetPulseError, startedAt: Date?, reused: Bool = false
    ) -> DeviceResult {
        var result = DeviceResult.failure(
            spec.target, index: spec.index, jobID: jobID, error: error, startedAt: startedAt, finishedAt: Date())
        result.sessionReused = reused
        return result
    }
}
