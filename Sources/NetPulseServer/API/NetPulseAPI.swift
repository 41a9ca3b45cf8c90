import Foundation
public import Hummingbird
import HTTPTypes
import Logging
public import NetPulse
import NIOCore
import Synchronization

/// The NetPulse HTTP API as routes on a hummingbird router: the batch guide's endpoints over a
/// `BatchStore`: the in-memory `Scheduler`, or a PostgreSQL queue (`NetPulsePostgres`).
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
    /// Where batches go.
    public let store: any BatchStore
    /// The in-memory scheduler, when ``store`` is one.
    public var scheduler: Scheduler? { store as? Scheduler }
    public let configuration: NetPulseAPIConfiguration
    private let drainState = Mutex(DrainState())
    private let runningTests = Atomic<Int>(0)
    private let admitter: Admitter
    private let openAPI: Result<String, ServerConfigurationError>
    private let startedAt = Date()
    /// Sends the jobs' webhooks (NetPulse's `webhook` field); its ``WebhookDispatcher/stats`` count
    /// what was delivered, failed and dropped.
    public let webhooks: WebhookDispatcher

    /// - Parameters:
    ///   - scheduler: Where batches run; its drivers and platforms are the ones requests may name.
    ///   - configuration: Keys and limits.
    public convenience init(
        scheduler: Scheduler, configuration: NetPulseAPIConfiguration = NetPulseAPIConfiguration()
    ) {
        self.init(store: scheduler, configuration: configuration)
    }

    /// - Parameters:
    ///   - store: Where batches go; its configuration's drivers and platforms are the ones requests may name.
    ///   - configuration: Keys and limits. Without a ``NetPulseAPIConfiguration/workerDirectory``, a store
    ///     other than a `Scheduler` answers `GET /workers` with 501.
    public init(store: any BatchStore, configuration: NetPulseAPIConfiguration = NetPulseAPIConfiguration()) {
        self.store = store
        self.configuration = configuration
        self.openAPI = Result { () throws(ServerConfigurationError) in try OpenAPIDocument.json(configuration) }
        self.webhooks = WebhookDispatcher(logger: configuration.logger)
        self.admitter = Admitter(
            drivers: store.configuration.drivers, platforms: store.configuration.platforms,
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
        routes.get("health") { _, _ in try await self.health() }
        routes.get("openapi.json") { _, _ in
            guard case .success(let document) = self.openAPI else {
                throw APIError(
                    .internalServerError, code: "openapi_missing", message: "the OpenAPI document is missing")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: document)))
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
            return try await self.job(id)
        }
        secured.get("jobs/:id") { _, context in try await self.job(try self.parameter("id", context)) }
        secured.delete("jobs/:id") { _, context in try await self.cancel(try self.parameter("id", context)) }
        secured.get("jobs") { request, _ in try await self.jobs(request) }
        secured.delete("jobs") { request, _ in try await self.cancelJobs(request) }
        secured.get("batches/:id") { request, context in
            try await self.batch(try self.parameter("id", context), request)
        }
        secured.delete("batches/:id") { _, context in try await self.cancelBatch(try self.parameter("id", context)) }
        secured.get("workers") { _, _ in try await self.workers() }
        // Other methods on these paths: 405 with Allow, rather than the router's 404.
        let served: [(path: String, methods: [HTTPRequest.Method])] = [
            ("health", [.get]), ("openapi.json", [.get]), ("device/bulk", [.post]), ("device/exec", [.post]),
            ("pull/batch", [.post]), ("push/batch", [.post]), ("device/test", [.post]), ("job", [.get]),
            ("jobs", [.get, .delete]), ("jobs/:id", [.get, .delete]), ("batches/:id", [.get, .delete]),
            ("workers", [.get]),
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

    private func health() async throws -> Response {
        let stats = try await Self.storeCall { () async throws(BatchStoreError) in try await store.storeStats() }
        let view = HealthView(
            status: isDraining ? "draining" : "ok",
            scheduler: .init(
                openConnections: stats.openConnections, runningJobs: stats.runningJobs, queuedJobs: stats.queuedJobs,
                batches: stats.batches),
            webhooks: .init(webhooks.stats))
        return try JSONResponse.make(view, status: isDraining ? .serviceUnavailable : .ok)
    }

    private func submit(
        _ request: Request, _ context: some RequestContext, _ endpoint: SubmitEndpoint
    ) async throws -> Response {
        try refuseWhenDraining()
        let body = try await readBody(request)
        var value = try Admitter.parse(body)
        if endpoint == .exec { value = Admitter.singleDeviceShape(value) }
        let webhook = try takeWebhook(&value)
        try RequestRendering.apply(&value, policy: configuration.requestPolicy)
        var parsed = try admitter.request(value, endpoint: endpoint)
        let inProcess = store is Scheduler
        if !inProcess,
            parsed.connectionArgs.credential != nil
                || parsed.devices.contains(where: { $0.connection.credential != nil })
        {
            throw Self.unsupported(
                .unsupported(
                    "credential",
                    "credential references are not supported when batches are stored in a database (the stored "
                        + "request would need them resolved again); give the connection fields, or use the embedded scheduler"
                ))
        }
        do {
            parsed = try await parsed.resolvingCredentials(with: configuration.credentialProviders)
        } catch {
            throw APIError.forbidden(field: error.field, error.reason)
        }
        let admission = try admitter.admit(parsed, endpoint: endpoint)
        let submittedAt = Date()
        let entry = BatchEntry(
            submittedAt: submittedAt, endpoint: endpoint, requestIndices: admission.requestIndices,
            devices: admission.devices, rejected: admission.rejected)
        let validated: ValidatedBatch
        do {
            validated = try ValidatedBatch(admission.request, configuration: store.configuration)
        } catch {
            throw APIError.refused(error)
        }
        let source = inProcess ? nil : Self.source(value, keeping: admission.requestIndices)
        let tenant = APITenant.current
        let store = self.store
        let keeping = webhook == nil ? nil : store as? any WebhookKeepingStore
        let handle = try await Self.storeCall { () async throws(BatchStoreError) in
            if let keeping, let webhook {
                // The store keeps the webhook with the batch; its follower sends the deliveries.
                return try await keeping.submitBatch(
                    validated, source: source, tenant: tenant, annotation: entry, webhook: webhook)
            }
            return try await store.submitBatch(validated, source: source, tenant: tenant, annotation: entry)
        }
        if let webhook, keeping == nil {
            // In memory: this process follows the batch's results (a restart loses the batch anyway).
            let results = store.batchResults(batchID: handle.batchID)
            let webhooks = self.webhooks
            let logger = context.logger
            Task {
                do {
                    for try await result in results {
                        webhooks.enqueue(result, webhook: webhook, annotation: entry)
                    }
                } catch {
                    logger.error(
                        "webhooks of a batch stopped: its results could not be read",
                        metadata: ["batch": .string(handle.batchID), "error": "\(error)"])
                }
            }
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
            batchID: handle.batchID, exec: endpoint == .exec, jobs: jobs, rejected: admission.rejected,
            submittedAt: iso8601(submittedAt), options: handle.options)
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
        let drivers = store.configuration.drivers
        guard let driver = drivers.driver(named: parsed.driver) else {
            throw APIError.invalid(
                field: "driver",
                "unknown driver '\(parsed.driver)'; registered: \(drivers.names.joined(separator: ", "))")
        }
        // The same checks and policy as a batch: nothing unchecked reaches the driver.
        var device = parsed.devices[0]
        let shared = try admitter.shared(parsed.connectionArgs)
        device.connection = try admitter.device(device, index: 0, shared: shared)
        let platforms = store.configuration.platforms
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

    private func job(_ id: String) async throws -> Response {
        guard let info = try await lookUpJob(id) else {
            throw APIError.notFound("no job '\(id)' (unknown or purged)")
        }
        return try JSONResponse.make(JobView(info, entry: try await entry(info.batchID)))
    }

    private func lookUpJob(_ id: String) async throws(APIError) -> JobInfo? {
        let store = self.store
        return try await Self.storeCall { () async throws(BatchStoreError) in try await store.lookUpJob(id: id) }
    }

    private func cancel(_ id: String) async throws -> Response {
        guard let before = try await lookUpJob(id) else {
            throw APIError.notFound("no job '\(id)' (unknown or purged)")
        }
        let store = self.store
        guard !before.status.isFinal,
            try await Self.storeCall({ () async throws(BatchStoreError) in try await store.cancelJob(id: id) })
        else {
            let now = try await lookUpJob(id)?.status ?? before.status
            throw APIError(.conflict, code: "job_final", message: "job '\(id)' is already \(now.netPulseName)")
        }
        guard let after = try await lookUpJob(id) else { throw APIError.notFound("no job '\(id)' (purged)") }
        // A queued job is cancelled at once; a running one is being stopped and will be reported cancelled.
        return try JSONResponse.make(
            JobView(after, entry: try await entry(after.batchID)), status: after.status.isFinal ? .ok : .accepted)
    }

    /// `GET /jobs`: a JSON array of job views (NetPulse's shape); when more match, `X-Next-Cursor` and a
    /// `Link: <...>; rel="next"` header give the next page.
    private func jobs(_ request: Request) async throws -> Response {
        let query = Self.query(request)
        let page = try await jobPage(query, limit: nil)
        // One annotation look-up per batch on the page, not per job.
        var entries: [String: BatchEntry?] = [:]
        var views: [JobView] = []
        views.reserveCapacity(page.jobs.count)
        for info in page.jobs {
            if entries[info.batchID] == nil { entries[info.batchID] = .some(try await entry(info.batchID)) }
            views.append(JobView(info, entry: entries[info.batchID] ?? nil))
        }
        var response = try JSONResponse.make(views)
        if let next = page.next {
            response.headers[HTTPField.Name("X-Next-Cursor")!] = next
            var components = URLComponents()
            components.path = "/jobs"
            components.queryItems =
                query.filter { $0.key != "cursor" }.sorted { $0.key < $1.key }
                .map { URLQueryItem(name: String($0.key), value: String($0.value)) }
                + [URLQueryItem(name: "cursor", value: next)]
            if let link = components.string { response.headers[HTTPField.Name("Link")!] = "<\(link)>; rel=\"next\"" }
        }
        return response
    }

    /// `DELETE /jobs`: cancels every job that matches (`batch`, `host`, `status`) and is not final yet;
    /// answers the cancelled job ids, as NetPulse does.
    private func cancelJobs(_ request: Request) async throws -> Response {
        let query = Self.query(request)
        var cancelled: [String] = []
        var cursor: String?
        // Bounded: every page moves the cursor forward, and a page holds at most maxJobsListed jobs.
        repeat {
            var parameters = query
            parameters["cursor"] = cursor.map { Substring($0) }
            let page = try await jobPage(parameters, limit: configuration.maxJobsListed)
            let store = self.store
            for info in page.jobs where !info.status.isFinal {
                let id = info.id
                if try await Self.storeCall({ () async throws(BatchStoreError) in try await store.cancelJob(id: id) }) {
                    cancelled.append(id)
                }
            }
            cursor = page.next
        } while cursor != nil
        return try JSONResponse.make(cancelled)
    }

    /// `DELETE /batches/{id}`: cancels the batch's jobs that are not final; answers the batch view (202
    /// while running jobs are being stopped, 200 when every job is final).
    private func cancelBatch(_ id: String) async throws -> Response {
        let store = self.store
        guard try await Self.storeCall({ () async throws(BatchStoreError) in try await store.cancelBatch(id: id) })
        else {
            throw APIError.notFound("no batch '\(id)' (unknown or purged)")
        }
        let (snapshot, jobs) = try await batchState(id)
        let view = BatchView(snapshot: snapshot, jobs: jobs, entry: snapshot.annotation as? BatchEntry)
        return try JSONResponse.make(view, status: snapshot.progress.isComplete ? .ok : .accepted)
    }

    /// A batch and its jobs, or 404.
    private func batchState(_ id: String) async throws(APIError) -> (BatchSnapshot, [JobInfo]) {
        let store = self.store
        guard
            let snapshot = try await Self.storeCall({ () async throws(BatchStoreError) in
                try await store.lookUpBatch(id: id)
            })
        else {
            throw APIError.notFound("no batch '\(id)' (unknown or purged)")
        }
        let jobs = try await Self.storeCall { () async throws(BatchStoreError) in
            try await store.batchJobs(batchID: id)
        }
        return (snapshot, jobs ?? [])
    }

    /// `GET /workers`: the live workers, as NetPulse lists them.
    private func workers() async throws -> Response {
        let directory: any WorkerDirectory
        if let configured = configuration.workerDirectory {
            directory = configured
        } else if let scheduler {
            directory = InProcessWorkerDirectory(scheduler: scheduler, startedAt: startedAt)
        } else {
            throw Self.unsupported(
                .unsupported(
                    "workers", "this server's store runs its jobs elsewhere and no worker directory was configured"))
        }
        return try JSONResponse.make(try await directory.workers().map(WorkerView.init))
    }

    /// A request's query parameters; the first of repeated ones.
    private static func query(_ request: Request) -> [Substring: Substring] {
        Dictionary(request.uri.queryParameters.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// One page of jobs by the query's `status` (NetPulse's names, see `JobStatus.matching(queryName:)`),
    /// `host`, `batch`, `limit` and `cursor`; `limit` overrides the query's.
    private func jobPage(_ query: [Substring: Substring], limit: Int?) async throws -> JobPage {
        var statuses: Set<JobStatus>?
        if let name = query["status"].map(String.init) {
            guard let matching = JobStatus.matching(queryName: name) else {
                throw APIError.invalid(
                    field: "status",
                    "unknown status '\(name)'; expected queued, started, finished, failed, canceled or expired")
            }
            statuses = Set(matching)
        }
        var jobQuery = JobQuery(
            host: query["host"].map(String.init), batchID: query["batch"].map(String.init),
            limit: limit ?? configuration.maxJobsListed, cursor: query["cursor"].map(String.init))
        jobQuery.statuses = statuses
        if limit == nil, let text = query["limit"] {
            guard let value = Int(text), (1...configuration.maxJobsListed).contains(value) else {
                throw APIError.invalid(
                    field: "limit", "must be an integer between 1 and \(configuration.maxJobsListed)")
            }
            jobQuery.limit = value
        }
        let store = self.store
        let query = jobQuery
        return try await Self.storeCall { () async throws(BatchStoreError) in try await store.listJobs(query) }
    }

    /// The API's own record of a batch, while the store keeps the batch.
    private func entry(_ batchID: String) async throws(APIError) -> BatchEntry? {
        let store = self.store
        return try await Self.storeCall { () async throws(BatchStoreError) in
            try await store.lookUpBatch(id: batchID)
        }?.annotation as? BatchEntry
    }

    private func batch(_ id: String, _ request: Request) async throws -> Response {
        // 404 before any wait.
        _ = try await batchState(id)
        if let text = request.uri.queryParameters.get("wait") {
            let bound = configuration.maxWait
            guard let seconds = Double(text), seconds.isFinite, seconds >= 0,
                seconds <= Double(bound.components.seconds)
            else {
                throw APIError.invalid(field: "wait", "must be a number of seconds between 0 and \(bound)")
            }
            await Self.waitForCompletion(store.batchResults(batchID: id), upTo: .milliseconds(Int64(seconds * 1000)))
        }
        let (snapshot, jobs) = try await batchState(id)
        return try JSONResponse.make(
            BatchView(snapshot: snapshot, jobs: jobs, entry: snapshot.annotation as? BatchEntry))
    }

    // MARK: Helpers

    /// Loopback, where webhooks may go unless the operator says otherwise.
    private static let loopback = try? TargetFilter(["127.0.0.0/8", "localhost", "::1"])

    /// Takes NetPulse's `webhook` out of a request (the core refuses it), checked against the
    /// operator's allowed webhook hosts.
    private func takeWebhook(_ value: inout JSONValue) throws -> Webhook? {
        guard case .object(var root) = value, let field = root.removeValue(forKey: "webhook") else { return nil }
        value = .object(root)
        if field == .null { return nil }
        let webhook: Webhook
        do {
            webhook = try Webhook(jsonValue: field)
        } catch {
            throw APIError.invalid(error)
        }
        let host = webhook.url.host ?? ""
        let allowed = (configuration.webhookTargets ?? Self.loopback)?.allows(host) ?? false
        guard allowed else {
            throw APIError.forbidden(
                field: "webhook.url",
                "'\(host)' is not among the hosts this server may send webhooks to (operator setting)")
        }
        return webhook
    }

    /// Waits until every job of the batch is final, or `timeout` passes: the results stream wakes
    /// this on each result; the deadline is a timer, not a poll.
    static func waitForCompletion(
        _ results: AsyncThrowingStream<DeviceResult, any Error>, upTo timeout: Duration
    ) async {
        guard timeout > .zero else { return }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends after the last result, on an error, or at once when cancelled.
                do { for try await _ in results {} } catch {}
            }
            group.addTask { try? await clock.sleep(until: deadline) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Runs a store call, turning its error into the API's.
    static func storeCall<T>(_ body: () async throws(BatchStoreError) -> T) async throws(APIError) -> T {
        do {
            return try await body()
        } catch {
            throw apiError(error)
        }
    }

    /// A store's error as the API answers it: a refused request 422 or 429, an unsupported feature 501
    /// naming it, an unreachable store 503.
    static func apiError(_ error: BatchStoreError) -> APIError {
        switch error.kind {
        case .refused:
            if let request = error.request { return .refused(request) }
            return APIError(.unprocessableContent, code: "invalid_request", message: error.message)
        case .unsupported:
            return unsupported(error)
        case .unavailable:
            return APIError(
                .serviceUnavailable, code: "store_unavailable", message: error.message, headers: [.retryAfter: "1"])
        }
    }

    static func unsupported(_ error: BatchStoreError) -> APIError {
        APIError(.notImplemented, code: "not_supported", field: error.feature, message: error.message)
    }

    /// The request as a store outside this process keeps it: the JSON as received (after rendering,
    /// without the webhook) with only the devices that were admitted, in queue order.
    static func source(_ value: JSONValue, keeping indices: [Int]) -> JSONValue {
        guard case .object(var root) = value, case .array(let devices)? = root["devices"] else { return value }
        root["devices"] = .array(indices.compactMap { devices.indices.contains($0) ? devices[$0] : nil })
        return .object(root)
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
