import Foundation
import NetPulse
import NetPulseTesting
import Testing

/// What one request can make a store do: clamped numbers, a queue cap, paged job lists; on both stores.
@Suite("Scheduler suite: bounds and paging", .serialized, .timeLimit(.minutes(1)))
struct SchedulerBoundsSuite {
    @Test(
        "client numbers are clamped to the operator's bounds, and a job without execution_timeout gets one",
        arguments: Backend.allCases)
    func clamps(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        var limits = StoreSetup.limits()
        limits.maxExecutionTimeout = .seconds(60)
        limits.maxResultTTL = .seconds(120)
        limits.maxDeviceTimeout = .seconds(30)
        limits.maxOutputBytes = 1_000
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), setup: StoreSetup(memory: limits)) { store in
            driver.hold(host: "r1")
            var request = SuiteRequest(hosts: ["r1"], strategy: .roundRobin)
            request.connection["timeout"] = .number(1_000_000_000)
            request.overrides = { options in
                options.executionTimeout = .seconds(1_000_000_000)
                options.resultTTL = .seconds(1_000_000_000)
                options.maxOutputBytes = 1 << 40
            }
            let batch = try await submit(store, request)
            #expect(batch.options.executionTimeout == .seconds(60))
            #expect(batch.options.resultTTL == .seconds(120))
            #expect(batch.options.maxOutputBytes == 1_000)
            let stored = try #require(try await store.lookUpBatch(id: batch.batchID))
            #expect(stored.options.executionTimeout == .seconds(60), "the store keeps the clamped options")
            #expect(stored.options.resultTTL == .seconds(120))
            let plainRequest = SuiteRequest(hosts: ["r2"], strategy: .roundRobin)
            let plain = try await submit(store, plainRequest)
            #expect(plain.options.executionTimeout == .seconds(60))
            #expect(plain.options.resultTTL == .seconds(120), "the default result_ttl (600 s) is clamped too")
            driver.release(host: "r1")
            #expect(try await collectChecked(store, batch, request).success)
            #expect(try await collectChecked(store, plain, plainRequest).success)
        }
    }

    @Test(
        "queued jobs are capped: a batch that would pass the cap is refused as overloaded, nothing queued",
        arguments: Backend.allCases)
    func queueCap(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        var limits = StoreSetup.limits(lanes: 1)
        limits.maxQueuedJobs = 5
        let setup = StoreSetup(memory: limits, workers: 1, capacity: 1)
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), setup: setup) { store in
            driver.hold(host: "r0")
            let firstRequest = SuiteRequest(hosts: ["r0", "r1", "r2", "r3"], strategy: .roundRobin)
            let first = try await submit(store, firstRequest)
            try await settle(driver, "r0 running") { $0.runningExecutions == 1 }
            try await until("r0 claimed") { try await store.storeStats().queuedJobs == 3 }
            let refused = SuiteRequest(hosts: ["a", "b", "c"], strategy: .roundRobin).json
            let validated = try ValidatedBatch(try BatchRequest(jsonValue: refused), configuration: store.configuration)
            do throws(BatchStoreError) {
                _ = try await store.submitBatch(validated, source: refused, tenant: nil, annotation: nil)
                Issue.record("a batch past the queue cap was taken")
            } catch {
                #expect(error.kind == .refused)
                #expect(error.request?.kind == .overloaded)
                #expect(error.request?.field == "devices")
            }
            let stats1 = try await store.storeStats()
            #expect(stats1.queuedJobs == 3)
            let stats2 = try await store.storeStats()
            #expect(stats2.batches == 1)
            let fitsRequest = SuiteRequest(hosts: ["a", "b"], strategy: .roundRobin)
            let fits = try await submit(store, fitsRequest)
            let stats3 = try await store.storeStats()
            #expect(stats3.queuedJobs == 5)
            driver.release(host: "r0")
            #expect(try await collectChecked(store, first, firstRequest).success)
            #expect(try await collectChecked(store, fits, fitsRequest).success)
        }
    }

    @Test("jobs are listed page by page: every job once, in order, with filters", arguments: Backend.allCases)
    func paging(_ backend: Backend) async throws {
        let driver = InMemoryDriver()
        try await withSuiteStore(backend, drivers: suiteDrivers(driver)) { store in
            var expected: [String] = []
            for batch in 0..<60 {
                let request = SuiteRequest(hosts: (0..<4).map { "h\(batch)-\($0)" }, strategy: .roundRobin)
                let stored = try await submit(store, request)
                _ = try await collect(store, stored)
                expected += stored.jobIDs
            }
            var seen: [String] = []
            var query = JobQuery(limit: 7)
            var pages = 0
            while pages < 100 {
                let page = try await store.listJobs(query)
                #expect(page.jobs.count <= 7)
                seen += page.jobs.map(\.id)
                pages += 1
                guard let next = page.next else { break }
                query.cursor = next
            }
            #expect(seen == expected)
            #expect(pages == (expected.count + 6) / 7)
            let one = try await store.listJobs(JobQuery(host: "h7-2", limit: 10))
            #expect(one.jobs.map(\.device.host) == ["h7-2"])
            #expect(one.next == nil)
            let batchPage = try await store.listJobs(
                JobQuery(batchID: String(expected[8].split(separator: ".")[0]), limit: 3))
            #expect(batchPage.jobs.map(\.id) == Array(expected[8..<11]))
            #expect(try await store.listJobs(JobQuery(status: .failed)).jobs.isEmpty)
            #expect(try await store.listJobs(JobQuery(status: .finished)).jobs.map(\.id) == expected)
        }
    }
}
