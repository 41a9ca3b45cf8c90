import Foundation
import NetPulse
import NetPulseTesting
import Testing

/// Connection limits and fairness across batches, on both stores.
@Suite("Scheduler suite: limits and fairness", .serialized, .timeLimit(.minutes(1)))
struct SchedulerLimitsSuite {
    @Test("the caps on open connections, handshakes and running jobs are never exceeded", arguments: Backend.allCases)
    func capsNeverExceeded(_ backend: Backend) async throws {
        let driver = InMemoryDriver(
            fallback: ScriptedDevice(connectLatency: .milliseconds(1), commandLatency: .milliseconds(1)))
        // Memory: 10 connections, 3 handshakes, 6 pinned sessions, 8 lanes. PostgreSQL: two workers of 5
        // connections each, its only bound (it has no cap on handshakes).
        let setup = StoreSetup(
            memory: StoreSetup.limits(open: 10, handshakes: 3, pinned: 6, lanes: 8), workers: 2, capacity: 5)
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), setup: setup, sessionsOf: [driver]) { store in
            let requests = [
                SuiteRequest(hosts: SuiteRequest.hosts(150, prefix: "rr"), strategy: .roundRobin),
                SuiteRequest(hosts: SuiteRequest.hosts(40, prefix: "p"), strategy: .pinned),
                SuiteRequest(hosts: SuiteRequest.hosts(40, prefix: "p"), strategy: .pinned),
            ]
            var batches: [StoredBatch] = []
            for request in requests { batches.append(try await submit(store, request)) }
            for (batch, request) in zip(batches, requests) {
                #expect(try await collectChecked(store, batch, request).success)
            }
            if backend == .memory {
                let stats = try await store.storeStats()
                let open = try #require(stats.openConnections)
                #expect(open <= 6, "only idle pinned sessions remain")
                // 40 pinned devices, room for 6 sessions: at least 34 were evicted (closed) on the way.
                #expect(driver.stats.totalCloses >= 150 + 34)
            }
        }
        let stats = driver.stats
        #expect(stats.peakOpenSessions <= 10)
        #expect(stats.peakRunningExecutions <= 10)
        #expect(stats.overlappingExecutions == 0)
        #expect(stats.peakOpenSessions >= 6, "the cap was approached, so the bound above was tested")
        #expect(stats.totalConnects >= 150 + 40)
        if backend == .memory {
            #expect(stats.peakConnectsInProgress <= 3)
            #expect(stats.peakConnectsInProgress == 3)
        }
    }

    @Test("a small batch submitted after a large one is served in turn, not after it", arguments: Backend.allCases)
    func fairness(_ backend: Backend) async throws {
        try await checkFairness(backend, strategy: .roundRobin, large: 300)
    }

    @Test("fairness holds for pinned batches too", arguments: Backend.allCases)
    func pinnedFairness(_ backend: Backend) async throws {
        try await checkFairness(backend, strategy: .pinned, large: 200)
    }

    func checkFairness(_ backend: Backend, strategy: QueueStrategy, large count: Int) async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(commandLatency: .milliseconds(1)))
        // Two at a time: two lanes or two pinned sessions (memory), one worker of two (PostgreSQL).
        let setup = StoreSetup(memory: StoreSetup.limits(pinned: 2, lanes: 2), workers: 1, capacity: 2)
        try await withSuiteStore(backend, drivers: suiteDrivers(driver), setup: setup) { store in
            let large = SuiteRequest(hosts: SuiteRequest.hosts(count, prefix: "big"), strategy: strategy)
            let small = SuiteRequest(hosts: SuiteRequest.hosts(5, prefix: "small"), strategy: strategy)
            let largeBatch = try await submit(store, large)
            var stream = store.batchResults(batchID: largeBatch.batchID).makeAsyncIterator()
            _ = try await stream.next()
            let submitted = ContinuousClock.now
            #expect(try await runChecked(store, small).success)
            try await collectChecked(store, largeBatch, large)
            // Served in turn two at a time: each claim with a free slot serves the batch least recently
            // served (the memory scheduler's ring; on PostgreSQL the worker's turns), so after the first small
            // start the batches alternate: at most one large start before each of the 4 other small starts.
            // While the last small job runs, the other slot goes on with large jobs (1 ms each, a claim round
            // trip apart): about 1, a few under load; 5 is the slack for that. A claim that lets one batch win
            // several turns in a row exceeds it now and then (the former random order within a rank: 3 of 60
            // runs of this test and the pinned one); a FIFO claim fails `before` (the small batch waits).
            let (before, meanwhile) = largeJobsStarted(after: submitted, stats: driver.stats)
            #expect(before <= 20, "large batch started \(before) jobs before the small one's first")
            #expect(meanwhile <= 4 + 5, "large batch started \(meanwhile) jobs while the small one ran")
        }
    }

    /// Executions of `big*` hosts that started after the small batch was submitted and before its first
    /// execution started, and between the first start and the last end of the `small*` ones.
    func largeJobsStarted(
        after submitted: ContinuousClock.Instant, stats: InMemoryDriver.Stats
    ) -> (before: Int, meanwhile: Int) {
        let small = stats.executions.filter { $0.device.host.hasPrefix("small") }
        guard let first = small.map(\.start).min(), let last = small.map(\.end).max() else { return (.max, .max) }
        let large = stats.executions.filter { $0.device.host.hasPrefix("big") }
        return (
            large.count { $0.start > submitted && $0.start < first },
            large.count { $0.start > first && $0.start < last }
        )
    }
}
