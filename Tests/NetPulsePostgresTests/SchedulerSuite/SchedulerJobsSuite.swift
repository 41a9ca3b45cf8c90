import Foundation
import NetPulse
import NetPulseTesting
import Testing

/// The scheduler's jobs, TTLs and cancels through ``BatchStore``, on both stores (the PostgreSQL cases
/// need the test cluster and say so when it is absent).
@Suite("Scheduler suite: jobs, TTLs, cancel", .serialized, .timeLimit(.minutes(1)))
struct SchedulerJobsSuite {
    @Test(
        "queued jobs not started within their ttl expire unstarted (pinned and round-robin)",
        arguments: Backend.allCases)
    func ttlExpiry(_ backend: Backend) async throws {
        let driver = InMemoryDriver(devices: ["stuck": ScriptedDevice(fault: .hangOnCommand)])
        // One round-robin lane (memory); on PostgreSQL one worker with room for the two stuck jobs only.
        let setup = StoreSetup(memory: StoreSetup.limits(lanes: 1), workers: 1, capacity: 2)
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), setup: setup, sessionsOf: [driver]) { store in
            // Pinned: a job stuck on the device holds its queue; round-robin: the capacity is held.
            let blockerRequest = SuiteRequest(hosts: ["stuck"], strategy: .pinned)
            let blocker = try await submit(store, blockerRequest)
            let laneBlockerRequest = SuiteRequest(hosts: ["stuck"], strategy: .roundRobin)
            let laneBlocker = try await submit(store, laneBlockerRequest)
            try await settle(driver, "both stuck jobs running") { $0.runningExecutions == 2 }

            let options: [String: JSONValue] = ["ttl": .number(2)]
            let pinnedRequest = SuiteRequest(hosts: ["stuck"], strategy: .pinned, options: options)
            let roundRobinRequest = SuiteRequest(hosts: ["a", "b", "c"], strategy: .roundRobin, options: options)
            let pinned = try await submit(store, pinnedRequest)
            let roundRobin = try await submit(store, roundRobinRequest)
            #expect(try await store.lookUpJob(id: pinned.jobIDs[0])?.status == .queued, "not expired before its ttl")
            let pinnedResult = try await collectChecked(store, pinned, pinnedRequest)
            let roundRobinResult = try await collectChecked(store, roundRobin, roundRobinRequest)
            for result in pinnedResult.results + roundRobinResult.results {
                #expect(result.error?.kind == .expired)
                #expect(result.startedAt == nil, "never started")
            }
            #expect(try await store.lookUpJob(id: pinned.jobIDs[0])?.status == .expired)
            #expect(try await store.listJobs(JobQuery(status: .expired, limit: 100)).jobs.count == 4)
            #expect(driver.stats.totalConnects == 2, "expired jobs never connected")
            #expect(try await store.cancelBatch(id: blocker.batchID))
            #expect(try await store.cancelBatch(id: laneBlocker.batchID))
            let blocked = try await collectChecked(store, blocker, blockerRequest)
            #expect(blocked.results[0].error?.kind == .cancelled)
            let laneBlocked = try await collectChecked(store, laneBlocker, laneBlockerRequest)
            #expect(laneBlocked.results[0].error?.kind == .cancelled)
        }
    }

    @Test(
        "a job running past its execution_timeout is stopped, failed with timeout, its session closed",
        arguments: Backend.allCases)
    func executionTimeout(_ backend: Backend) async throws {
        let driver = InMemoryDriver(devices: ["slow": ScriptedDevice(fault: .hangOnCommand)])
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            let request = SuiteRequest(
                hosts: ["slow", "fast"], strategy: .pinned, options: ["execution_timeout": .number(0.5)])
            let outcome = try await runChecked(store, request)
            #expect(outcome.results[0].error?.kind == .timeout)
            #expect(outcome.results[1].success)
            #expect(try await store.lookUpJob(id: outcome.batch.jobIDs[0])?.status == .failed)
            let slow = deviceKey("slow")
            try await settle(driver, "the timed-out job's session closed") { $0.closes[slow] == 1 }
            // The device's next job gets a fresh session.
            driver.setDevice(ScriptedDevice(), for: "slow")
            let next = try await runChecked(store, SuiteRequest(hosts: ["slow"], strategy: .pinned))
            #expect(next.success)
            #expect(driver.stats.connects[slow] == 2)
        }
    }

    @Test("a connect that hangs is stopped by the execution timeout too (round-robin)", arguments: Backend.allCases)
    func connectTimeout(_ backend: Backend) async throws {
        let driver = InMemoryDriver(devices: ["mute": ScriptedDevice(fault: .hangOnConnect)])
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            let request = SuiteRequest(
                hosts: ["mute"], strategy: .roundRobin, options: ["execution_timeout": .number(0.5)])
            let outcome = try await runChecked(store, request)
            #expect(outcome.results[0].error?.kind == .timeout)
            try await settle(driver, "the hanging connect abandoned") { $0.connectsInProgress == 0 }
            let stats1 = try await store.storeStats()
            #expect(stats1.runningJobs == 0)
        }
    }

    @Test("results stay queryable for result_ttl, then are purged", arguments: Backend.allCases)
    func resultPurge(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withSuiteStore(backend, drivers: suiteDrivers(driver)) { store in
            var shortRequest = SuiteRequest(hosts: ["r1", "r2"], strategy: .roundRobin)
            shortRequest.resultTTL = .seconds(2)
            var longRequest = SuiteRequest(hosts: ["r1"], strategy: .roundRobin)
            longRequest.resultTTL = .seconds(100)
            let short = try await submit(store, shortRequest)
            let long = try await submit(store, longRequest)
            try await collectChecked(store, short, shortRequest)
            try await collectChecked(store, long, longRequest)
            #expect(try await store.lookUpJob(id: short.jobIDs[0])?.status == .finished)
            #expect(try await store.batchJobs(batchID: short.batchID)?.count == 2)
            try await until("the short batch to be purged") {
                try await store.lookUpBatch(id: short.batchID) == nil
            }
            #expect(try await store.lookUpJob(id: short.jobIDs[0]) == nil)
            #expect(try await store.lookUpJob(id: short.jobIDs[1]) == nil)
            #expect(try await store.batchJobs(batchID: short.batchID) == nil)
            #expect(try await store.lookUpJob(id: long.jobIDs[0])?.status == .finished, "a longer result_ttl is kept")
            let stats2 = try await store.storeStats()
            #expect(stats2.batches == 1)
            // A purged batch's stream ends at once, empty.
            #expect(try await streamOrder(store, short).isEmpty)
        }
    }

    @Test("cancel one queued job and one running job", arguments: Backend.allCases)
    func cancelJobs(_ backend: Backend) async throws {
        let driver = InMemoryDriver(devices: ["stuck": ScriptedDevice(fault: .hangOnCommand)])
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), sessionsOf: [driver]) { store in
            let first = SuiteRequest(hosts: ["stuck"], strategy: .pinned)
            let running = try await submit(store, first)
            try await settle(driver, "the stuck job") { $0.runningExecutions == 1 }
            let second = SuiteRequest(hosts: ["stuck", "ok"], strategy: .pinned)
            let queued = try await submit(store, second)
            #expect(try await store.lookUpJob(id: queued.jobIDs[0])?.status == .queued)
            #expect(try await store.cancelJob(id: queued.jobIDs[0]))
            #expect(try await !store.cancelJob(id: queued.jobIDs[0]), "already final")
            let queuedResult = try await collectChecked(store, queued, second)
            #expect(queuedResult.results[0].error?.kind == .cancelled)
            #expect(queuedResult.results[1].success)
            // Now the running one.
            #expect(try await store.lookUpJob(id: running.jobIDs[0])?.status == .started)
            #expect(try await store.cancelJob(id: running.jobIDs[0]))
            let runningResult = try await collectChecked(store, running, first)
            #expect(runningResult.results[0].error?.kind == .cancelled)
            #expect(runningResult.results[0].startedAt != nil)
            #expect(try await store.lookUpJob(id: running.jobIDs[0])?.status == .cancelled)
            #expect(try await !store.cancelJob(id: "no-such-job.0"))
            try await settle(driver, "a stopped job's session closed") { $0.closes[deviceKey("stuck")] == 1 }
        }
    }

    @Test("cancel a whole batch: queued and running jobs are all reported cancelled", arguments: Backend.allCases)
    func cancelBatch(_ backend: Backend) async throws {
        let driver = InMemoryDriver(
            devices: ["h0": ScriptedDevice(fault: .hangOnCommand), "h1": ScriptedDevice(fault: .hangOnConnect)])
        let setup = StoreSetup(memory: StoreSetup.limits(lanes: 2), workers: 1, capacity: 2)
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), setup: setup, sessionsOf: [driver]) { store in
            let request = SuiteRequest(hosts: ["h0", "h1"] + SuiteRequest.hosts(30), strategy: .roundRobin)
            let batch = try await submit(store, request)
            try await settle(driver, "both lanes stuck") { $0.runningExecutions == 1 && $0.connectsInProgress == 1 }
            let progress = try #require(try await store.lookUpBatch(id: batch.batchID)?.progress)
            #expect(progress.running == 2)
            #expect(progress.queued == 30)
            #expect(try await store.cancelBatch(id: batch.batchID))
            let outcome = try await collectChecked(store, batch, request)
            #expect(outcome.results.allSatisfy { $0.error?.kind == .cancelled })
            #expect(outcome.results.count { !$0.success } == 32)
            #expect(try await store.listJobs(JobQuery(status: .cancelled, limit: 100)).jobs.count == 32)
            #expect(driver.stats.totalConnects == 2, "queued jobs never connected")
            try await settle(driver, "no connection left") { $0.openSessions == 0 && $0.connectsInProgress == 0 }
        }
    }

    @Test("invalid requests are refused at validation with the field; nothing is stored", arguments: Backend.allCases)
    func invalidRequests(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withSuiteStore(backend, drivers: suiteDrivers(driver)) { store in
            var unknownDriver = SuiteRequest(hosts: ["r1"], strategy: .pinned)
            unknownDriver.driver = "telnetlib"
            let refused = unknownDriver
            let error = await #expect(throws: RequestError.self) { try await submit(store, refused) }
            #expect(error?.field == "driver")
            let twice = SuiteRequest(hosts: ["r1", "r1"], strategy: .pinned)
            let duplicate = await #expect(throws: RequestError.self) { try await submit(store, twice) }
            #expect(duplicate?.field == "devices[1]")
            let stats3 = try await store.storeStats()
            #expect(stats3.batches == 0)
        }
    }

    @Test("job views and results carry no secret", arguments: Backend.allCases)
    func noSecrets(_ backend: Backend) async throws {
        let driver = InMemoryDriver(devices: ["bad": ScriptedDevice(fault: .rejectCredentials)])
        try await withSuiteStore(backend, drivers: suiteDrivers(driver)) { store in
            let request = SuiteRequest(hosts: ["bad", "good"], strategy: .pinned, password: "TopSecret-42")
            let outcome = try await runChecked(store, request)
            #expect(outcome.results[0].error?.kind == .authentication)
            let jobs = try await store.listJobs(JobQuery(limit: 100)).jobs
            let text =
                jobs.map { "\($0) \(String(reflecting: $0))" }.joined()
                + String(decoding: try JSONEncoder().encode(outcome.results), as: UTF8.self)
            #expect(!text.contains("TopSecret-42"))
            #expect(text.contains("bad"))
            #expect(try await store.listJobs(JobQuery(host: "good", limit: 10)).jobs.count == 1)
            #expect(try await store.listJobs(JobQuery(status: .failed, host: "bad", limit: 10)).jobs.count == 1)
        }
    }

    @Test(
        "a rejected config line is a command_error; stop_on_error reaches the driver",
        arguments: Backend.allCases, [true, false])
    func stopOnError(_ backend: Backend, stop: Bool) async throws {
        let driver = InMemoryDriver(
            fallback: ScriptedDevice(rejectedLines: ["bad line": "% Invalid input detected at '^' marker."]))
        try await withSuiteStore(backend, drivers: suiteDrivers(driver)) { store in
            let request = SuiteRequest(
                hosts: ["r1"], strategy: .pinned, config: ["good", "bad line", "after"],
                options: ["stop_on_error": .bool(stop)])
            let outcome = try await runChecked(store, request)
            let device = outcome.results[0]
            #expect(device.error?.kind == .commandError)
            #expect(device.outputs.map(\.status) == [.ok, .failed, stop ? .skipped : .ok])
            #expect(try await store.lookUpJob(id: try #require(device.jobID))?.status == .failed)
        }
    }

    @Test("results stream in completion order while the batch runs", arguments: Backend.allCases)
    func streaming(_ backend: Backend) async throws {
        let driver = InMemoryDriver(
            devices: ["slow": ScriptedDevice(commandLatency: .milliseconds(500))], fallback: ScriptedDevice())
        try await withSuiteStore(backend, drivers: suiteDrivers(driver)) { store in
            let request = SuiteRequest(hosts: ["slow"] + SuiteRequest.hosts(5), strategy: .roundRobin)
            let batch = try await submit(store, request)
            let order = try await streamOrder(store, batch)
            #expect(order.last == "slow", "the slow device completes last though it is first in the request")
            #expect(order.count == 6)
            try await collectChecked(store, batch, request)
            let jobs = try #require(try await store.batchJobs(batchID: batch.batchID))
            #expect(jobs.map(\.device.host) == request.hosts, "jobs listed in request order")
        }
    }
}
