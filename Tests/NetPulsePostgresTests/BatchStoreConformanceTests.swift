import Foundation
import Logging
import NetPulse
import NetPulseTesting
import Testing

@testable import NetPulsePostgres

/// The two places batches go, behind one protocol.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// The embedded scheduler (`Scheduler`).
    case memory
    /// `PostgresBatchStore` with two `PostgresWorker`s in this process (needs the test cluster; says so
    /// when it is absent).
    case postgres

    var testDescription: String { rawValue }
}

/// Runs `body` with a store of `backend` whose jobs run `capacity` at a time (the scheduler's lanes and
/// connections; each PostgreSQL worker's capacity).
func withStore(
    _ backend: Backend, driver: InMemoryDriver = InMemoryDriver(), capacity: Int = 8, workers: Int = 2,
    _ body: @escaping @Sendable (any BatchStore) async throws -> Void
) async throws {
    switch backend {
    case .memory:
        var drivers = DriverRegistry()
        drivers.register(driver, as: "memory")
        var limits = SchedulerConfiguration.Limits()
        limits.roundRobinLanes = capacity
        limits.maxOpenConnections = max(capacity, 2)
        limits.maxConnectsInProgress = max(capacity, 2)
        limits.maxPinnedSessions = max(capacity, 2)
        limits.timerResolution = .zero
        let configuration = SchedulerConfiguration(
            drivers: drivers, limits: limits, logger: Logger(label: "test.store"))
        try await withScheduler(configuration: configuration) { scheduler in try await body(scheduler) }
    case .postgres:
        try await withTestQueue(driver: driver) { queue in
            var options = PostgresBatchStore.Options()
            options.pollInterval = .milliseconds(200)
            let store = PostgresBatchStore(queue: queue, options: options)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await store.run() }
                try await withWorkers(workers, queue: queue, capacity: capacity) { _ in try await body(store) }
                group.cancelAll()
            }
        }
    }
}

/// Validates and submits a JSON request as the HTTP API does.
func submit(
    _ store: any BatchStore, _ json: Data, resultTTL: Duration? = nil, tenant: String? = nil
) async throws -> StoredBatch {
    var request = try BatchRequest(json: json)
    if let resultTTL { request.options.resultTTL = resultTTL }
    let validated = try ValidatedBatch(request, configuration: store.configuration)
    let source = try JSONDecoder().decode(JSONValue.self, from: json)
    return try await store.submitBatch(validated, source: source, tenant: tenant, annotation: nil)
}

/// Reads a batch's whole stream (with a deadline) and checks that every job of it came exactly once.
func collect(
    _ store: any BatchStore, _ batch: StoredBatch, within limit: Duration = .seconds(60),
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> [DeviceResult] {
    let results = try await withThrowingTaskGroup(of: [DeviceResult]?.self) { group in
        group.addTask {
            var found: [DeviceResult] = []
            for try await result in store.batchResults(batchID: batch.batchID) { found.append(result) }
            return found
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
    guard let results else {
        Issue.record(
            "the results of batch \(batch.batchID) did not end within \(limit)", sourceLocation: sourceLocation)
        return []
    }
    #expect(results.count == batch.jobIDs.count, "one result per job", sourceLocation: sourceLocation)
    #expect(
        Set(results.compactMap(\.jobID)) == Set(batch.jobIDs), "every job exactly once",
        sourceLocation: sourceLocation)
    return results.sorted { $0.index < $1.index }
}

/// Waits for `condition` on the store, with a deadline.
func until(
    within limit: Duration = .seconds(30), _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
}

/// The scheduler's behaviour through ``BatchStore``, against the in-memory scheduler and the
/// PostgreSQL queue alike: submit, streamed results, look-ups and paging, cancel, ttl,
/// execution_timeout, result_ttl, fairness across batches, exactly-once.
@Suite("BatchStore conformance", .serialized)
struct BatchStoreConformanceTests {
    @Test("round-robin: every device streamed exactly once; look-ups and pages agree", arguments: Backend.allCases)
    func roundRobin(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withStore(backend, driver: driver) { store in
            let hosts = (0..<50).map { "rr\($0)" }
            let batch = try await submit(store, try requestJSON(hosts: hosts))
            #expect(batch.jobIDs.count == 50)
            let results = try await collect(store, batch)
            #expect(results.map(\.hostname) == hosts)
            #expect(results.allSatisfy { $0.success })
            let snapshot = try #require(try await store.lookUpBatch(id: batch.batchID))
            #expect(snapshot.progress.isComplete && snapshot.progress.succeeded == 50)
            #expect(snapshot.jobIDs == batch.jobIDs)
            let jobs = try #require(try await store.batchJobs(batchID: batch.batchID))
            #expect(jobs.map(\.status) == Array(repeating: .finished, count: 50))
            let job = try #require(try await store.lookUpJob(id: batch.jobIDs[7]))
            #expect(job.device.host == "rr7" && job.result?.success == true)
            // Pages of 7 cover every job once.
            var listed: [String] = []
            var query = JobQuery(batchID: batch.batchID, limit: 7)
            for _ in 0..<20 {
                let page = try await store.listJobs(query)
                #expect(page.jobs.count <= 7)
                listed += page.jobs.map(\.id)
                guard let next = page.next else { break }
                query.cursor = next
            }
            #expect(listed == batch.jobIDs)
            // Each device ran once.
            #expect(driver.stats.executions.count == 50)
            #expect(try await store.lookUpJob(id: "nope") == nil)
            #expect(try await store.lookUpBatch(id: UUID().uuidString.lowercased()) == nil)
        }
    }

    @Test("a malformed cursor and a limit below 1 are refused naming the field", arguments: Backend.allCases)
    func badQuery(_ backend: Backend) async throws {
        try await withStore(backend, workers: 0) { store in
            for (query, field) in [(JobQuery(limit: 0), "limit"), (JobQuery(limit: 5, cursor: "zzz"), "cursor")] {
                do throws(BatchStoreError) {
                    _ = try await store.listJobs(query)
                    Issue.record("\(field) was not refused")
                } catch {
                    #expect(error.kind == .refused && error.request?.field == field)
                }
            }
        }
    }

    @Test("pinned: a device's jobs run in submission order, across batches", arguments: Backend.allCases)
    func pinnedOrder(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withStore(backend, driver: driver) { store in
            let hosts = ["p1", "p2", "p3"]
            let first = try await submit(store, try requestJSON(hosts: hosts, command: "show one", strategy: "pinned"))
            let second = try await submit(store, try requestJSON(hosts: hosts, command: "show two", strategy: "pinned"))
            _ = try await collect(store, first)
            _ = try await collect(store, second)
            for host in hosts {
                let runs = driver.stats.executions.filter { $0.device.host == host }.sorted { $0.start < $1.start }
                #expect(runs.count == 2, "\(host): each batch's job once")
                #expect(runs.count == 2 && runs[0].end <= runs[1].start, "\(host): one job at a time")
                #expect(runs.count == 2 && runs[0].operation != runs[1].operation)
            }
        }
    }

    @Test("pinned: a kept session serves its tenant's next job, never another tenant's", arguments: Backend.allCases)
    func pinnedSessionsStayWithTheirTenant(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withStore(backend, driver: driver, workers: 1) { store in
            let json = try requestJSON(hosts: ["s1"], command: "show one", strategy: "pinned")
            _ = try await collect(store, try await submit(store, json, tenant: "key-0"))
            _ = try await collect(store, try await submit(store, json, tenant: "key-0"))
            #expect(driver.stats.totalConnects == 1, "the same tenant's second job reused the kept session")
            _ = try await collect(store, try await submit(store, json, tenant: "key-1"))
            #expect(
                driver.stats.totalConnects == 2,
                "another tenant, with the same device credentials, got a session of its own")
        }
    }

    @Test("cancel: a queued job at once, a running one is stopped; both end cancelled", arguments: Backend.allCases)
    func cancel(_ backend: Backend) async throws {
        let driver = InMemoryDriver(devices: ["hang": ScriptedDevice(fault: .hangOnCommand)])
        try await withStore(backend, driver: driver, capacity: 1, workers: 1) { store in
            let running = try await submit(store, try requestJSON(hosts: ["hang"]))
            try await until("the hanging job to start") {
                try await store.lookUpJob(id: running.jobIDs[0])?.status == .started
            }
            let queued = try await submit(store, try requestJSON(hosts: ["q1"]))
            #expect(try await store.cancelJob(id: queued.jobIDs[0]))
            #expect(try await !store.cancelJob(id: queued.jobIDs[0]), "already final")
            #expect(try await store.cancelJob(id: running.jobIDs[0]))
            let stopped = try await collect(store, running)
            #expect(stopped.first?.error?.kind == .cancelled)
            let never = try await collect(store, queued)
            #expect(never.first?.error?.kind == .cancelled)
            #expect(try await store.lookUpJob(id: queued.jobIDs[0])?.status == .cancelled)
            #expect(driver.stats.executions.allSatisfy { $0.device.host != "q1" }, "a cancelled queued job never ran")
            #expect(try await !store.cancelBatch(id: UUID().uuidString.lowercased()), "unknown batch")
        }
    }

    @Test("cancelling a batch ends every job that is not final cancelled", arguments: Backend.allCases)
    func cancelBatch(_ backend: Backend) async throws {
        let hang = ScriptedDevice(fault: .hangOnCommand)
        let driver = InMemoryDriver(devices: ["h1": hang, "h2": hang, "h3": hang])
        try await withStore(backend, driver: driver, capacity: 2, workers: 1) { store in
            let batch = try await submit(store, try requestJSON(hosts: ["h1", "h2", "h3"]))
            try await until("two jobs to run") {
                try await store.lookUpBatch(id: batch.batchID)?.progress.running == 2
            }
            #expect(try await store.cancelBatch(id: batch.batchID))
            let results = try await collect(store, batch)
            #expect(results.map { $0.error?.kind } == [.cancelled, .cancelled, .cancelled])
        }
    }

    @Test("ttl: jobs still queued when it runs out end expired and never run", arguments: Backend.allCases)
    func ttl(_ backend: Backend) async throws {
        let driver = InMemoryDriver(devices: ["hang": ScriptedDevice(fault: .hangOnCommand)])
        try await withStore(backend, driver: driver, capacity: 1, workers: 1) { store in
            let busy = try await submit(store, try requestJSON(hosts: ["hang"]))
            try await until("the only lane to be busy") {
                try await store.lookUpJob(id: busy.jobIDs[0])?.status == .started
            }
            let late = try await submit(store, try requestJSON(hosts: ["t1", "t2"], options: ["ttl": 1]))
            let results = try await collect(store, late)
            #expect(results.map { $0.error?.kind } == [.expired, .expired])
            #expect(try await store.batchJobs(batchID: late.batchID)?.map(\.status) == [.expired, .expired])
            #expect(driver.stats.executions.allSatisfy { !$0.device.host.hasPrefix("t") })
            #expect(try await store.cancelBatch(id: busy.batchID))
            _ = try await collect(store, busy)
        }
    }

    @Test("execution_timeout stops a job that runs too long", arguments: Backend.allCases)
    func executionTimeout(_ backend: Backend) async throws {
        let driver = InMemoryDriver(devices: ["slow": ScriptedDevice(fault: .hangOnCommand)])
        try await withStore(backend, driver: driver) { store in
            let batch = try await submit(store, try requestJSON(hosts: ["slow"], options: ["execution_timeout": 0.3]))
            let results = try await collect(store, batch)
            #expect(results.first?.error?.kind == .timeout)
            #expect(try await store.lookUpJob(id: batch.jobIDs[0])?.status == .failed)
        }
    }

    @Test("result_ttl: a finished batch is purged when it runs out", arguments: Backend.allCases)
    func resultTTL(_ backend: Backend) async throws {
        // Each command takes 300 ms, so the stream below is open before the batch ends and is purged (with
        // result_ttl zero, the in-memory scheduler purges at once: a stream opened later finds nothing).
        let driver = InMemoryDriver(fallback: ScriptedDevice(commandLatency: .milliseconds(300)))
        try await withStore(backend, driver: driver) { store in
            let batch = try await submit(store, try requestJSON(hosts: ["r1", "r2"]), resultTTL: .zero)
            _ = try await collect(store, batch)
            try await until("the batch to be purged") {
                try await store.lookUpBatch(id: batch.batchID) == nil
            }
            #expect(try await store.lookUpJob(id: batch.jobIDs[0]) == nil)
            #expect(try await store.batchJobs(batchID: batch.batchID) == nil)
        }
    }

    @Test("fairness: a small batch submitted behind a big one finishes long before it", arguments: Backend.allCases)
    func fairness(_ backend: Backend) async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(commandLatency: .milliseconds(20)))
        try await withStore(backend, driver: driver, capacity: 2, workers: 1) { store in
            let big = try await submit(store, try requestJSON(hosts: (0..<150).map { "big\($0)" }))
            let small = try await submit(store, try requestJSON(hosts: ["s1", "s2"]))
            _ = try await collect(store, small)
            let progress = try #require(try await store.lookUpBatch(id: big.batchID)?.progress)
            #expect(progress.done < 100, "the big batch was still running when the small one ended: \(progress)")
            #expect(try await store.cancelBatch(id: big.batchID))
            _ = try await collect(store, big)
        }
    }

    @Test("config jobs: each device pushed exactly once, each result once", arguments: Backend.allCases)
    func configExactlyOnce(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withStore(backend, driver: driver) { store in
            let hosts = (0..<40).map { "c\($0)" }
            let batch = try await submit(store, try requestJSON(hosts: hosts, config: ["hostname x"]))
            let results = try await collect(store, batch)
            #expect(results.allSatisfy { $0.success })
            let pushes = Dictionary(grouping: driver.stats.executions, by: \.device.host).mapValues(\.count)
            #expect(pushes.count == 40 && pushes.values.allSatisfy { $0 == 1 })
            let stats = try await store.storeStats()
            #expect(stats.queuedJobs == 0 && stats.runningJobs == 0)
        }
    }
}
