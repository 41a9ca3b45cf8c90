import Foundation
import Logging
import NetPulse
import NetPulseServer
import NetPulseTesting
import PostgresNIO
import Testing

@testable import NetPulsePostgres

/// The PostgreSQL queue against a real PostgreSQL 15 (scripts/pg/start.sh), with in-process workers and
/// the in-memory driver.
@Suite("PostgreSQL queue", .serialized)
struct PostgresQueueTests {
    @Test("migrate takes an empty database to the latest version once, and refuses a newer schema")
    func migrations() async throws {
        try await withTestQueue { queue in
            let logger = Logger(label: "test")
            #expect(try await PostgresSchema.version(queue.client, logger: logger) == PostgresSchema.latestVersion)
            let again = try await PostgresSchema.migrate(queue.client, logger: logger)
            #expect(again.from == PostgresSchema.latestVersion && again.to == PostgresSchema.latestVersion)
            try await PostgresSchema.check(queue.client, logger: logger)
            try await queue.client.query("UPDATE np_schema SET version = version + 1", logger: logger)
            await #expect(throws: PostgresQueueError.self) {
                try await PostgresSchema.migrate(queue.client, logger: logger)
            }
            do throws(PostgresQueueError) {
                try await PostgresSchema.check(queue.client, logger: logger)
                Issue.record("check accepted a newer schema")
            } catch {
                #expect(error.kind == .schemaMismatch)
                #expect(error.message.contains("newer"))
            }
        }
    }

    @Test("three workers run a 600-device batch: every device once, each device executed once")
    func exactlyOnce() async throws {
        let driver = InMemoryDriver(recordsExecutions: true)
        try await withTestQueue(driver: driver) { queue in
            let hosts = (0..<600).map { "r\($0)" }
            let batch = try await queue.submit(json: requestJSON(hosts: hosts))
            let result = try await withWorkers(3, queue: queue) { _ in
                try await queue.result(batchID: batch.id, pollEvery: .milliseconds(50))
            }
            let results = try #require(result).results
            #expect(results.map(\.index) == Array(0..<600))
            #expect(results.allSatisfy { $0.success })
            #expect(Set(results.compactMap(\.jobID)) == Set(batch.jobIDs))
            let executed = driver.stats.executions.map(\.device.host)
            #expect(executed.count == 600)
            #expect(Set(executed) == Set(hosts))
        }
    }

    @Test("pinned: a device's jobs run in submission order on one kept session")
    func pinnedOrder() async throws {
        let driver = InMemoryDriver(recordsExecutions: true)
        try await withTestQueue(driver: driver) { queue in
            let hosts = ["p1", "p2", "p3"]
            var batches: [String] = []
            for step in 0..<4 {
                let json = try requestJSON(hosts: hosts, command: "show step \(step)", strategy: "pinned")
                batches.append(try await queue.submit(json: json).id)
            }
            try await withWorkers(2, queue: queue) { _ in
                for id in batches {
                    let result = try #require(try await queue.result(batchID: id, pollEvery: .milliseconds(50)))
                    #expect(result.results.count == 3 && result.results.allSatisfy { $0.success })
                }
            }
            let stats = driver.stats
            for host in hosts {
                let steps = stats.executions.filter { $0.device.host == host }.sorted { $0.start < $1.start }
                #expect(steps.map(\.operation.lines) == (0..<4).map { ["show step \($0)"] }, "\(host)")
                #expect(stats.connects.filter { $0.key.host == host }.values.reduce(0, +) == 1, "\(host) reconnected")
            }
            #expect(stats.overlappingExecutions == 0)
        }
    }

    @Test("a dead worker: its show job runs again, its config job ends worker_lost and is never pushed twice")
    func deadWorker() async throws {
        let driver = InMemoryDriver(recordsExecutions: true)
        try await withTestQueue(driver: driver) { queue in
            let logger = Logger(label: "test")
            let show = try await queue.submit(json: requestJSON(hosts: ["s1"]))
            let config = try await queue.submit(
                json: requestJSON(hosts: ["c1"], config: ["hostname c1"], strategy: "pinned"))
            // A worker that claims both jobs and then goes silent.
            let ghost = UUID()
            try await queue.register(worker: ghost, name: "ghost", hostname: "h", pid: 1, capacity: 4)
            let claimed = try await queue.claimRoundRobin(worker: ghost, limit: 4)
            #expect(claimed.count == 1)
            let leases = try await queue.acquireLeases(worker: ghost, limit: 4, lease: .seconds(30))
            #expect(leases.count == 1)
            let pinned = try await queue.claimPinned(worker: ghost)
            #expect(pinned.count == 1)
            try await queue.client.query(
                "UPDATE np_worker SET heartbeat_at = now() - interval '1 hour' WHERE id = \(ghost)", logger: logger)
            try await queue.maintain(deadAfter: .seconds(10))
            // Fenced: the ghost's results are refused, for the requeued show job and the lost config job.
            let late = (claimed + pinned).map { JobCompletion(job: $0, result: #"{"forged": true}"#) }
            #expect(try await queue.complete(worker: ghost, late).isEmpty)
            // Another worker takes over.
            try await withWorkers(1, queue: queue) { _ in
                let showResult = try #require(try await queue.result(batchID: show.id, pollEvery: .milliseconds(50)))
                #expect(showResult.results.count == 1 && showResult.results[0].success)
                let configResult = try #require(
                    try await queue.result(batchID: config.id, pollEvery: .milliseconds(50)))
                #expect(configResult.results.count == 1)
                #expect(configResult.results[0].error?.kind == .workerLost)
            }
            let stats = driver.stats
            #expect(stats.executions.filter { $0.device.host == "c1" }.isEmpty, "the config job was pushed")
            #expect(stats.executions.filter { $0.device.host == "s1" }.count == 1)
        }
    }

    @Test("a worker whose device lease lapsed and was taken over cannot write the pinned result")
    func fencedLease() async throws {
        try await withTestQueue { queue in
            let logger = Logger(label: "test")
            _ = try await queue.submit(json: requestJSON(hosts: ["f1"], strategy: "pinned"))
            let first = UUID()
            let second = UUID()
            try await queue.register(worker: first, name: "a", hostname: "h", pid: 1, capacity: 1)
            try await queue.register(worker: second, name: "b", hostname: "h", pid: 2, capacity: 1)
            #expect(try await queue.acquireLeases(worker: first, limit: 1, lease: .seconds(30)).count == 1)
            let job = try #require(try await queue.claimPinned(worker: first).first)
            // The rival cannot take a live lease.
            #expect(try await queue.acquireLeases(worker: second, limit: 1, lease: .seconds(30)).isEmpty)
            // The lease lapses (no renewal); the job goes back as if its worker was found dead.
            try await queue.client.query(
                """
                UPDATE np_device_lease SET lease_until = now() - interval '1 second';
                """, logger: logger)
            try await queue.client.query(
                "UPDATE np_job SET state = 0 WHERE batch_id = \(job.batchID)", logger: logger)
            let taken = try await queue.acquireLeases(worker: second, limit: 1, lease: .seconds(30))
            #expect(taken["admin@f1:22"] == (job.epoch ?? 0) + 1)
            let again = try #require(try await queue.claimPinned(worker: second).first)
            #expect(again.attempt == job.attempt + 1)
            #expect(try await queue.complete(worker: first, [JobCompletion(job: job, result: "{}")]).isEmpty)
            #expect(try await queue.complete(worker: second, [JobCompletion(job: again, result: "{}")]).count == 1)
        }
    }

    @Test("claims share out among batches: a small batch is not held behind a big one")
    func fairness() async throws {
        try await withTestQueue { queue in
            let big = try await queue.submit(json: requestJSON(hosts: (0..<200).map { "b\($0)" }))
            let small = try await queue.submit(json: requestJSON(hosts: (0..<5).map { "s\($0)" }))
            let worker = UUID()
            try await queue.register(worker: worker, name: "w", hostname: "h", pid: 1, capacity: 10)
            let claimed = try await queue.claimRoundRobin(worker: worker, limit: 10)
            #expect(claimed.count == 10)
            let ids = Dictionary(grouping: claimed, by: { $0.batchID.uuidString.lowercased() })
            #expect(ids[small.id]?.count == 5)
            #expect(ids[big.id]?.count == 5)
        }
    }

    @Test("one free slot at a time: batches are served in turn, those never served first, oldest first")
    func claimsInTurn() async throws {
        try await withTestQueue { queue in
            let big = try await queue.submit(json: requestJSON(hosts: (0..<20).map { "b\($0)" }))
            let small = try await queue.submit(json: requestJSON(hosts: (0..<5).map { "s\($0)" }))
            let worker = UUID()
            try await queue.register(worker: worker, name: "w", hostname: "h", pid: 1, capacity: 1)
            // As the worker's state machine keeps them: each claimed batch goes to the back.
            var turns: [UUID] = []
            var served: [String] = []
            for _ in 0..<8 {
                let claimed = try await queue.claimRoundRobin(worker: worker, limit: 1, turns: turns)
                #expect(claimed.count == 1)
                for job in claimed {
                    turns.removeAll { $0 == job.batchID }
                    turns.append(job.batchID)
                    let id = job.batchID.uuidString.lowercased()
                    served.append(id == small.id ? "small" : id == big.id ? "big" : id)
                }
            }
            // The small batch, submitted after the big one, gets every other slot until it is drained.
            #expect(served == ["big", "small", "big", "small", "big", "small", "big", "small"])
        }
    }

    @Test("ttl: jobs still queued when it runs out end expired")
    func ttlExpiry() async throws {
        try await withTestQueue { queue in
            let batch = try await queue.submit(json: requestJSON(hosts: ["t1", "t2"], options: ["ttl": 1]))
            try await eventually("the batch to expire") {
                try await queue.maintain(deadAfter: .seconds(10))
                return try await queue.progress(batchID: batch.id)?.failed == 2
            }
            let results = try #require(try await queue.results(batchID: batch.id))
            #expect(results.map { $0.error?.kind } == [.expired, .expired])
            #expect(results.map(\.hostname) == ["t1", "t2"])
        }
    }

    @Test("cancel: a queued job ends cancelled, a running one is stopped and ends cancelled")
    func cancel() async throws {
        let driver = InMemoryDriver(devices: ["hang": ScriptedDevice(fault: .hangOnCommand)])
        try await withTestQueue(driver: driver) { queue in
            let queued = try await queue.submit(json: requestJSON(hosts: ["q1", "q2"]))
            #expect(try await queue.cancel(jobID: queued.jobIDs[0]))
            #expect(try await !queue.cancel(jobID: queued.jobIDs[0]))
            let hanging = try await queue.submit(json: requestJSON(hosts: ["hang"]))
            try await withWorkers(1, queue: queue) { _ in
                try await eventually("the hanging job to run") {
                    try await queue.progress(batchID: hanging.id)?.running == 1
                }
                #expect(try await queue.cancel(jobID: hanging.jobIDs[0]))
                let result = try #require(try await queue.result(batchID: hanging.id, pollEvery: .milliseconds(50)))
                #expect(result.results[0].error?.kind == .cancelled)
                let first = try #require(try await queue.result(batchID: queued.id, pollEvery: .milliseconds(50)))
                #expect(first.results.map { $0.error?.kind } == [.cancelled, nil])
            }
        }
    }

    @Test("execution_timeout stops a job that runs too long")
    func executionTimeout() async throws {
        let driver = InMemoryDriver(devices: ["slow": ScriptedDevice(fault: .hangOnCommand)])
        try await withTestQueue(driver: driver) { queue in
            let batch = try await queue.submit(
                json: requestJSON(hosts: ["slow"], options: ["execution_timeout": 0.3]))
            let result = try await withWorkers(1, queue: queue) { _ in
                try await queue.result(batchID: batch.id, pollEvery: .milliseconds(50))
            }
            #expect(try #require(result).results[0].error?.kind == .timeout)
        }
    }

    @Test("result_ttl: a finished batch's results are purged when it runs out")
    func resultTTL() async throws {
        try await withTestQueue { queue in
            // A request may not ask for less than 60 s (NetPulse's bound); the Swift API may, which keeps
            // this test short.
            let json = try requestJSON(hosts: ["r1"])
            var request = try BatchRequest(json: json)
            request.options.resultTTL = .zero
            let validated = try ValidatedBatch(request, configuration: queue.configuration)
            let batch = try await queue.submit(validated, json: String(decoding: json, as: UTF8.self))
            try await withWorkers(1, queue: queue) { _ in
                try await eventually("the batch to be purged") {
                    try await queue.maintain(deadAfter: .seconds(10))
                    return try await queue.results(batchID: batch.id) == nil
                }
            }
        }
    }

    @Test("GET /workers' directory lists the live workers with their capacity")
    func directory() async throws {
        try await withTestQueue { queue in
            let directory = PostgresWorkerDirectory(client: queue.client, logger: Logger(label: "test"))
            try await withWorkers(2, queue: queue, capacity: 7) { _ in
                try await eventually("two workers to be listed") { try await directory.workers().count == 2 }
                let listed = try await directory.workers()
                #expect(listed.map(\.name) == ["w0", "w1"])
                #expect(listed.allSatisfy { $0.capacity == 7 && $0.pid == ProcessInfo.processInfo.processIdentifier })
            }
            #expect(try await directory.workers().isEmpty)
        }
    }

    @Test("an idle worker wakes on NOTIFY: a batch submitted later runs without waiting for a poll")
    func notifyWakesWorker() async throws {
        try await withTestQueue { queue in
            try await withWorkers(1, queue: queue, configure: { $0.pollInterval = .seconds(600) }) { workers in
                // Idle first: the worker's first claims found nothing.
                try await eventually("the worker to register") {
                    try await PostgresWorkerDirectory(client: queue.client, logger: Logger(label: "test")).workers()
                        .count == 1
                }
                let batch = try await queue.submit(json: requestJSON(hosts: ["n1", "n2"]))
                try await eventually(within: .seconds(30), "the batch to run on NOTIFY alone") {
                    try await queue.progress(batchID: batch.id).map { $0.succeeded == 2 } ?? false
                }
                // The worker counts a write once its statement returned, a moment after the commit seen above.
                try await eventually("the worker to count its two writes") { workers[0].currentStats.written == 2 }
            }
        }
    }

    @Test("a submit past maxQueuedJobs is refused as overloaded, naming devices, and queues nothing")
    func overloaded() async throws {
        var limits = SchedulerConfiguration.Limits()
        limits.maxQueuedJobs = 5
        try await withTestQueue(limits: limits) { queue in
            _ = try await queue.submit(json: requestJSON(hosts: ["a", "b", "c"]))
            do {
                _ = try await queue.submit(json: requestJSON(hosts: ["d", "e", "f"]))
                Issue.record("a batch past the bound was queued")
            } catch let error as RequestError {
                #expect(error.kind == .overloaded)
                #expect(error.field == "devices")
            }
            #expect(try await queue.queuedJobs() == 3)
        }
    }

    @Test("a bad --database URL names what is wrong")
    func badURL() {
        #expect(throws: PostgresQueueError.self) { try DatabaseURL("mysql://u@h/d") }
        do throws(PostgresQueueError) {
            _ = try DatabaseURL("postgres://u:pw@127.0.0.1:99999/db")
            Issue.record("accepted port 99999")
        } catch {
            #expect(error.message.contains("port"))
        }
        let url = try? DatabaseURL("postgres://u:topsecret@127.0.0.1/db")
        #expect(url.map { !$0.description.contains("topsecret") } == true)
    }
}
