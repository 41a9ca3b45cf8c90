import Foundation
public import Hummingbird
import HTTPTypes
import Logging
public import NetPulse
import NIOCore
import Synchronization

/// The NetPulse HTTP API as routes on a hummingbird router: the batch guide's endpoints over a
/// `Scheduler`.
///
/// ```swift
/// try await withScheduler(configuration: schedulerConfiguration) { scheduler in
///     let router = Router()
///     router.add(middleware: JSONErrorMiddleware())
///     NetPulseAPI(scheduler: scheduler, configuration: .init(apiKeys: keys)).addRoutes(to: router)
///     try await Application(router: router).runService()
/// }
/// ```
///
/// `GET /health` and `GET /openapi.json` are open; every other route needs `X-API-KEY` (see
/// ``APIKeyMiddleware``). ``NetPulseServer`` runs these routes with the scheduler's lifecycle wired
/// to the server's.
public final class NetPulseAPI: Sendable {
    public let scheduler: Scheduler
    public let configuration: NetPulseAPIConfiguration
    private let drainState = Mutex(DrainState())
    private let runningTests = Atomic<Int>(0)
    private let admitter: Admitter
    private let openAPI: String

    /// - Parameters:
    ///   - scheduler: Where batches run; its drivers and platforms are the ones requests may name.
    ///   - configuration: Keys and limits.
    public init(scheduler: Scheduler, configuration: NetPulseAPIConfiguration = NetPulseAPIConfiguration()) {
        self.scheduler = scheduler
        self.configuration = configuration
        self.openAPI = OpenAPIDocument.json(configuration)
        self.admitter = Admitter(
            drivers: scheduler.configuration.drivers, platforms: scheduler.configuration.platforms,
            maxDevices: configuration.maxDevicesPerRequest, allowedTargets: configuration.allowedTargets,
            policy: configuration.requestPolicy)
    }

    /// From now on, submissions are answered 503 and `/health` reports `draining`: called when the
    /// server begins to shut down, before the scheduler cancels what is left.
    public func beginDraining() {
        let waiters = drainState.withLock { state in
            state.draining = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Whether ``beginDraining()`` was called.
    public var isDraining: Bool { drainState.withLock { $0.draining } }

    /// Returns once ``beginDraining()`` has been called.
    public func waitUntilDraining() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = drainState.withLock { state -> Bool in
                if state.draining { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private struct DrainState {
        var draining = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Adds the API's routes to a router or a router group.
    ///
    /// - Parameter routes: The host app's router (or a group of it, to mount the API under a path).
    public func addRoutes<Routes: RouterMethods>(to routes: Routes) {
        routes.get("health") { _, _ in try self.health() }
        routes.get("openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: self.openAPI)))
        }
        let secured = routes.group()
        if configuration.apiKeys.isEmpty {
            // Served without keys: no web page may drive it (Host, Origin, Content-Type).
            secured.add(middleware: LoopbackGuardMiddleware<Routes.Context>())
        }
        secured.add(
            middleware: APIKeyMiddleware<Routes.Context>(
                keys: configuration.apiKeys, allowUnauthenticated: configuration.allowUnauthenticated,
                rateLimit: configuration.rateLimit))
        secured.post("device/bulk") { request, context in try await self.submit(request, context, .bulk) }
        secured.post("device/exec") { request, context in try await self.submit(request, context, .exec) }
        secured.post("pull/batch") { request, context in try await self.submit(request, context, .pull) }
        secured.post("push/batch") { request, context in try await self.submit(request, context, .push) }
        secured.post("device/test") { request, context in try await self.test(request, context) }
        secured.get("job") { request, _ in
            guard let id = request.uri.queryParameters.get("id"), !id.isEmpty else {
                throw APIError.invalid(field: "id", "the query parameter 'id' is required")
            }
            return try self.job(id)
        }
        secured.get("jobs/:id") { _, context in try self.job(try self.parameter("id", context)) }
        secured.delete("jobs/:id") { _, context in try self.cancel(try self.parameter("id", context)) }
        secured.get("jobs") { request, _ in try self.jobs(request) }
        secured.get("batches/:id") { request, context in
            try await self.batch(try self.parameter("id", context), request)
        }
        // Other methods on these paths: 405 with Allow, rather than the router's 404.
        let served: [(path: String, methods: [HTTPRequest.Method])] = [
            ("health", [.get]), ("openapi.json", [.get]), ("device/bulk", [.post]), ("device/exec", [.post]),
            ("pull/batch", [.post]), ("push/batch", [.post]), ("device/test", [.post]), ("job", [.get]),
            ("jobs", [.get]), ("jobs/:id", [.get, .delete]), ("batches/:id", [.get]),
        ]
        // HEAD included: hummingbird does not answer it for GET routes, so it is refused with the rest.
        let refused: [HTTPRequest.Method] = [
            .get, .head, .post, .put, .patch, .delete, .options, .trace, HTTPRequest.Method("QUERY")!,
        ]
        for (path, methods) in served {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            for method in refused where !methods.contains(method) {
                routes.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw APIError(
                        .methodNotAllowed, code: "method_not_allowed",
                        message: "\(method) is not served here; use \(allow)",
                        headers: [.allow: allow])
                }
            }
        }
    }

    // MARK: Handlers

    private func health() throws -> Response {
        let stats = scheduler.stats
        let view = HealthView(
            status: isDraining ? "draining" : "ok",
            scheduler: .init(
                openConnections: stats.openConnections, runningJobs: stats.runningJobs, queuedJobs: stats.queuedJobs,
                batches: stats.batches))
        return try JSONResponse.make(view, status: isDraining ? .serviceUnavailable : .ok)
    }

    private func submit(
        _ request: Request, _ context: some RequestContext, _ endpoint: SubmitEndpoint
    ) async throws -> Response {
        try refuseWhenDraining()
        let body = try await readBody(request)
        var value = try Admitter.parse(body)
        if endpoint == .exec { value = Admitter.singleDeviceShape(value) }
        let parsed = try admitter.request(value, endpoint: endpoint)
        let admission = try admitter.admit(parsed, endpoint: endpoint)
        let submittedAt = Date()
        let entry = BatchEntry(
            submittedAt: submittedAt, endpoint: endpoint, requestIndices: admission.requestIndices,
            devices: admission.devices, rejected: admission.rejected)
        let handle: BatchHandle
        do {
            handle = try scheduler.submit(admission.request, tenant: APITenant.current, annotation: entry)
        } catch {
            throw APIError.refused(error)
        }
        context.logger.info(
            "batch submitted",
            metadata: [
                "batch": .string(handle.batchID), "endpoint": .string(endpoint.rawValue),
                "queued": .stringConvertible(handle.jobIDs.count),
                "rejected": .stringConvertible(admission.rejected.count),
            ])
        let jobs = zip(handle.jobIDs, zip(admission.requestIndices, admission.devices)).map { id, device in
            SubmitResponse.Job(index: device.0, host: device.1.host, port: device.1.port, jobID: id)
        }
        let response = SubmitResponse(
            batchID: handle.batchID, jobID: endpoint == .exec ? handle.jobIDs.first : nil, jobIDs: handle.jobIDs,
            jobs: jobs, rejected: admission.rejected, submittedAt: iso8601(submittedAt), status: "queued",
            options: .init(handle.options))
        return try JSONResponse.make(response, status: .created)
    }

    private func test(_ request: Request, _ context: some RequestContext) async throws -> Response {
        try refuseWhenDraining()
        let body = try await readBody(request)
        let value = Admitter.singleDeviceShape(try Admitter.parse(body))
        let parsed = try admitter.request(value, endpoint: nil)
        if parsed.devices.count != 1 {
            throw APIError.invalid(
                field: "devices", "POST /device/test takes exactly one device, got \(parsed.devices.count)")
        }
        if parsed.operation != nil || parsed.devices[0].operation != nil {
            throw APIError.invalid(
                field: parsed.operation?.isConfig == true ? "config" : "command",
                "POST /device/test only connects; remove the operation or use POST /device/exec")
        }
        if parsed.parsing != nil {
            throw APIError.invalid(
                field: "parsing", "POST /device/test only connects; remove parsing or use POST /device/exec")
        }
        let drivers = scheduler.configuration.drivers
        guard let driver = drivers.driver(named: parsed.driver) else {
            throw APIError.invalid(
                field: "driver",
                "unknown driver '\(parsed.driver)'; registered: \(drivers.names.joined(separator: ", "))")
        }
        // The same checks and policy as a batch: nothing unchecked reaches the driver.
        var device = parsed.devices[0]
        let shared = try admitter.shared(parsed.connectionArgs)
        device.connection = try admitter.device(device, index: 0, shared: shared)
        let platforms = scheduler.configuration.platforms
        let target: DeviceTarget
        do {
            try shared.validate(path: "connection_args")
            try device.connection.validate(path: "devices[0]")
            target = try device.connection.merged(over: shared)
                .resolve(host: device.host, platforms: platforms, path: "devices[0]")
        } catch {
            throw APIError.invalid(error)
        }
        if let reason = admitter.refusal(host: target.host) {
            throw APIError.invalid(field: "devices[0].host", reason)
        }
        guard let profile = platforms.profile(named: target.platform) else {
            throw APIError.invalid(field: "devices[0].device_type", "unknown device_type '\(target.platform)'")
        }
        let limit = configuration.maxConcurrentTests
        guard runningTests.add(1, ordering: .relaxed).newValue <= limit else {
            runningTests.subtract(1, ordering: .relaxed)
            throw APIError(
                .tooManyRequests, code: "too_many_tests",
                message: "\(limit) connection tests are already running; try again later",
                headers: [.retryAfter: "1"])
        }
        defer { runningTests.subtract(1, ordering: .relaxed) }
        var logger = configuration.logger
        logger[metadataKey: "device"] = .stringConvertible(target.key)
        let report = await ConnectionTest.run(
            target, driver: driver, driverName: drivers.canonicalName(parsed.driver) ?? parsed.driver,
            platform: profile, limit: configuration.maxTestDuration, logger: logger)
        return try JSONResponse.make(report)
    }

    private func job(_ id: String) throws -> Response {
        guard let info = scheduler.job(id: id) else { throw APIError.notFound("no job '\(id)' (unknown or purged)") }
        return try JSONResponse.make(JobView(info, entry: entry(info.batchID)))
    }

    private func cancel(_ id: String) throws -> Response {
        guard let before = scheduler.job(id: id) else {
            throw APIError.notFound("no job '\(id)' (unknown or purged)")
        }
        guard !before.status.isFinal, scheduler.cancel(jobID: id) else {
            let now = scheduler.job(id: id)?.status ?? before.status
            throw APIError(.conflict, code: "job_final", message: "job '\(id)' is already \(now.rawValue)")
        }
        guard let after = scheduler.job(id: id) else { throw APIError.notFound("no job '\(id)' (purged)") }
        // A queued job is cancelled at once; a running one is being stopped and will be reported cancelled.
        return try JSONResponse.make(
            JobView(after, entry: entry(after.batchID)), status: after.status.isFinal ? .ok : .accepted)
    }

    private func jobs(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        var status: JobStatus?
        if let name = query.get("status") {
            guard let parsed = JobStatus(rawValue: name) else {
                throw APIError.invalid(
                    field: "status",
                    "unknown status '\(name)'; expected \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        var jobQuery = JobQuery(
            status: status, host: query.get("host"), batchID: query.get("batch"), limit: configuration.maxJobsListed,
            cursor: query.get("cursor"))
        if let text = query.get("limit") {
            guard let value = Int(text), (1...configuration.maxJobsListed).contains(value) else {
                throw APIError.invalid(
                    field: "limit", "must be an integer between 1 and \(configuration.maxJobsListed)")
            }
            jobQuery.limit = value
        }
        let page: JobPage
        do {
            page = try scheduler.jobs(jobQuery)
        } catch {
            throw APIError.invalid(error)
        }
        // One annotation look-up per batch on the page, not per job.
        var entries: [String: BatchEntry?] = [:]
        let views = page.jobs.map { info in
            if entries[info.batchID] == nil { entries[info.batchID] = .some(entry(info.batchID)) }
            return JobView(info, entry: entries[info.batchID] ?? nil)
        }
        return try JSONResponse.make(
            JobList(jobs: views, count: views.count, truncated: page.next != nil, nextCursor: page.next))
    }

    /// The API's own record of a batch, while the scheduler keeps the batch.
    private func entry(_ batchID: String) -> BatchEntry? {
        scheduler.batch(id: batchID)?.annotation as? BatchEntry
    }

    private func batch(_ id: String, _ request: Request) async throws -> Response {
        guard let handle = scheduler.batch(id: id) else {
            throw APIError.notFound("no batch '\(id)' (unknown or purged)")
        }
        if let text = request.uri.queryParameters.get("wait") {
            let bound = configuration.maxWait
            guard let seconds = Double(text), seconds.isFinite, seconds >= 0,
                seconds <= Double(bound.components.seconds)
            else {
                throw APIError.invalid(field: "wait", "must be a number of seconds between 0 and \(bound)")
            }
            await Self.waitForCompletion(handle, upTo: .milliseconds(Int64(seconds * 1000)))
        }
        let jobs = scheduler.jobs(batchID: id) ?? []
        return try JSONResponse.make(BatchView(handle: handle, jobs: jobs, entry: handle.annotation as? BatchEntry))
    }

    // MARK: Helpers

    /// Waits until every job of the batch is final, or `timeout` passes: the results stream wakes
    /// this on each result; the deadline is a timer, not a poll.
    static func waitForCompletion(_ handle: BatchHandle, upTo timeout: Duration) async {
        guard !handle.progress.isComplete, timeout > .zero else { return }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends after the last result, or at once when cancelled.
                for await _ in handle.results {}
            }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    private func refuseWhenDraining() throws {
        if isDraining {
            throw APIError(
                .serviceUnavailable, code: "shutting_down", message: "the server is shutting down; no new work taken")
        }
    }

    private func readBody(_ request: Request) async throws -> Data {
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError(
                .contentTooLarge, code: "body_too_large",
                message: "the request body is \(length) bytes; at most \(limit)")
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the request body exceeds \(limit) bytes")
        }
    }

    private func parameter(_ name: String, _ context: some RequestContext) throws -> String {
        guard let value = context.parameters.get(name), !value.isEmpty else {
            throw APIError.invalid(field: name, "is required")
        }
        return value
    }
}
