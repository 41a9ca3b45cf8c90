import Foundation
import Logging
import NetPulse
import NetPulseServer
import NetPulseTesting
import PostgresNIO
import SSHTestSupport
import Testing
import WebhookTestSupport

@testable import NetPulsePostgres

/// Webhooks on PostgreSQL (issue 18): kept with the batch, followed under a lease by one API process at
/// a time, taken over when that process is gone; a loopback receiver counts the deliveries.
@Suite("Webhooks on PostgreSQL", .serialized)
struct PostgresWebhookTests {
    static let secret = "Bearer pg-hook-s3cret-41"

    /// One API instance (the HTTP API over a new store) with its webhook follower, while `body` runs.
    static func serve<T: Sendable>(
        _ queue: PostgresQueue, logs: LogCapture? = nil, lease: Duration = .seconds(30),
        _ body: @escaping @Sendable (String, PostgresWebhookFollower) async throws -> T
    ) async throws -> T {
        var options = PostgresBatchStore.Options()
        options.pollInterval = .milliseconds(100)
        let store = PostgresBatchStore(queue: queue, annotations: NetPulseAPI.annotationCodec, options: options)
        var api = NetPulseAPIConfiguration(allowUnauthenticated: true)
        if let logs { api.logger = logs.logger("api") }
        let configuration = NetPulseServerConfiguration(port: 0, api: api, memoryReleaseInterval: nil)
        var followerOptions = PostgresWebhookFollower.Options()
        followerOptions.pollInterval = .milliseconds(100)
        followerOptions.lease = lease
        let settings = followerOptions
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            return try await NetPulseAPIServer.withServer(configuration: configuration, store: store) { server in
                let follower = PostgresWebhookFollower(store: store, dispatcher: server.api.webhooks, options: settings)
                let following = Task { await follower.run() }
                do {
                    let value = try await body("http://127.0.0.1:\(server.port)", follower)
                    following.cancel()
                    await following.value
                    return value
                } catch {
                    following.cancel()
                    await following.value
                    throw error
                }
            }
        }
    }

    static func submit(_ base: String, hosts: [String], hook: String) async throws -> (String, [String]) {
        var root = try #require(
            try JSONSerialization.jsonObject(with: requestJSON(hosts: hosts)) as? [String: Any])
        root["webhook"] = ["url": hook, "headers": ["Authorization": secret], "retry_intervals": [0.1]]
        let (status, answer) = try await http(
            "POST", "\(base)/device/bulk", body: try JSONSerialization.data(withJSONObject: root))
        #expect(status == 201)
        let object = try #require(answer as? [String: Any])
        let jobs = try #require(object["jobs"] as? [[String: Any]])
        return (try #require(object["batch_id"] as? String), jobs.compactMap { $0["job_id"] as? String })
    }

    static func count(_ queue: PostgresQueue, _ sql: String) async throws -> Int {
        var found = 0
        for try await value in try await queue.client.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "t"))
            .decode(Int.self)
        {
            found = value
        }
        return found
    }

    @Test("an API stopped mid-batch (its lease left to expire, as if killed): a second one sends the rest, once each")
    func takeOver() async throws {
        let driver = InMemoryDriver()
        let receiver = WebhookReceiver()
        let logs = LogCapture()
        let hosts = (0..<8).map { "wh\($0)" }
        for host in hosts[4...] { driver.hold(host: host) }
        try await withTestQueue(driver: driver, logger: logs.logger("pg")) { queue in
            try await receiver.serve { hookBase in
                try await withWorkers(1, queue: queue) { _ in
                    let (batchID, jobIDs) = try await Self.serve(queue, logs: logs) { base, follower in
                        let (batchID, jobIDs) = try await Self.submit(base, hosts: hosts, hook: "\(hookBase)/hooks")
                        #expect(await receiver.wait(for: 4), "the first four jobs' webhooks, from the first API")
                        try await eventually("four jobs marked as handed over") {
                            try await Self.count(queue, "SELECT count(*)::int FROM np_job WHERE webhook_done") == 4
                        }
                        #expect(follower.followedBatches == [batchID])
                        for path in ["batches/\(batchID)", "jobs/\(jobIDs[0])", "jobs?batch=\(batchID)"] {
                            let (status, view) = try await http("GET", "\(base)/\(path)")
                            #expect(status == 200)
                            #expect(!String(describing: view).contains("s3cret"), "a webhook header in \(path)")
                        }
                        return (batchID, jobIDs)
                    }
                    #expect(
                        try await Self.count(
                            queue, "SELECT count(*)::int FROM np_batch WHERE webhook_open AND webhook_owner IS NULL")
                            == 1, "a follower that stops releases its lease")
                    // The first API is gone; as if it had been killed, its lease is held by no live follower.
                    try await queue.client.query(
                        """
                        UPDATE np_batch SET webhook_owner = gen_random_uuid(),
                                            webhook_lease_until = now() + interval '1 second'
                        """, logger: Logger(label: "t"))
                    #expect(receiver.requests.count == 4, "nothing sent while no API runs")
                    for host in hosts[4...] { driver.release(host: host) }
                    try await eventually("the batch's jobs final") {
                        try await queue.progress(batchID: batchID)?.isComplete == true
                    }
                    try await Self.serve(queue, logs: logs, lease: .seconds(2)) { _, _ in
                        #expect(await receiver.wait(for: 8), "the second API sends the remaining webhooks")
                        try await eventually("the batch closed") {
                            try await Self.count(queue, "SELECT count(*)::int FROM np_batch WHERE webhook_open") == 0
                        }
                    }
                    let requests = receiver.requests
                    let ids = requests.compactMap { $0.json["id"] as? String }
                    #expect(ids.count == 8, "exactly once each (no crash during a delivery): \(ids.sorted())")
                    #expect(Set(ids) == Set(jobIDs))
                    #expect(requests.allSatisfy { $0.authorization == Self.secret && $0.path == "hooks" })
                    #expect(
                        try await Self.count(queue, "SELECT count(*)::int FROM np_job WHERE NOT webhook_done") == 0)
                }
            }
        }
        let logged = logs.lines.joined(separator: "\n")
        #expect(!logged.contains("s3cret"), "a webhook header reached the logs")
    }

    @Test("two API instances at once never both follow one batch: each job's webhook arrives exactly once")
    func twoFollowers() async throws {
        let receiver = WebhookReceiver()
        try await withTestQueue { queue in
            try await receiver.serve { hookBase in
                try await withWorkers(2, queue: queue) { _ in
                    let jobs = try await Self.serve(queue, lease: .seconds(2)) { first, one in
                        try await Self.serve(queue, lease: .seconds(2)) { second, other in
                            var all: [String] = []
                            for round in 0..<6 {
                                let base = round.isMultiple(of: 2) ? first : second
                                let hosts = (0..<20).map { "tf\(round)-\($0)" }
                                all += try await Self.submit(base, hosts: hosts, hook: "\(hookBase)/r\(round)").1
                                #expect(one.followedBatches.isDisjoint(with: other.followedBatches))
                            }
                            #expect(await receiver.wait(for: 120))
                            try await eventually("every batch closed") {
                                #expect(one.followedBatches.isDisjoint(with: other.followedBatches))
                                return try await Self.count(
                                    queue, "SELECT count(*)::int FROM np_batch WHERE webhook_open") == 0
                            }
                            return all
                        }
                    }
                    let ids = receiver.requests.compactMap { $0.json["id"] as? String }
                    #expect(ids.count == 120, "no duplicate delivery")
                    #expect(Set(ids) == Set(jobs))
                }
            }
        }
    }

    @Test("a follower whose lease was taken stops following the batch")
    func leaseLost() async throws {
        let driver = InMemoryDriver()
        let receiver = WebhookReceiver()
        driver.hold(host: "ll0")
        try await withTestQueue(driver: driver) { queue in
            try await receiver.serve { hookBase in
                try await withWorkers(1, queue: queue) { _ in
                    try await Self.serve(queue) { base, follower in
                        let (batchID, _) = try await Self.submit(base, hosts: ["ll0"], hook: "\(hookBase)/l")
                        try await eventually("the follower follows the batch") {
                            follower.followedBatches == [batchID]
                        }
                        try await queue.client.query(
                            """
                            UPDATE np_batch SET webhook_owner = gen_random_uuid(),
                                                webhook_lease_until = now() + interval '1 hour'
                            """, logger: Logger(label: "t"))
                        try await eventually("the follower lets the batch go") { follower.followedBatches.isEmpty }
                        driver.release(host: "ll0")
                        try await eventually("the batch's job final") {
                            try await queue.progress(batchID: batchID)?.isComplete == true
                        }
                        #expect(
                            try await Self.count(queue, "SELECT count(*)::int FROM np_batch WHERE webhook_open") == 1,
                            "the batch stays open for its owner")
                        #expect(follower.followedBatches.isEmpty, "not taken back while the other's lease lasts")
                    }
                    #expect(receiver.requests.isEmpty, "nothing sent by a follower that lost the lease")
                }
            }
        }
    }

    @Test("the webhook migration applies on a v2 database with batches; they have no webhook to follow")
    func migrationFromVersion2() async throws {
        try await withTestQueue(schemaVersion: 2) { queue in
            let logger = Logger(label: "test")
            #expect(try await PostgresSchema.version(queue.client, logger: logger) == 2)
            do throws(PostgresQueueError) {
                try await PostgresSchema.check(queue.client, logger: logger)
                Issue.record("a v2 schema passed the check of a v3 program")
            } catch {
                #expect(error.kind == .schemaMismatch)
            }
            let batch = UUID()
            try await queue.client.query(
                """
                INSERT INTO np_batch (id, request, total, pinned, result_ttl) VALUES (\(batch), '{}', 1, false, 60)
                """, logger: logger)
            try await queue.client.query(
                """
                INSERT INTO np_job (batch_id, idx, host, port, username, device, pinned, is_config, state)
                VALUES (\(batch), 0, 'm1', 22, 'admin', 'admin@m1:22', false, false, 2)
                """, logger: logger)
            let migrated = try await PostgresSchema.migrate(queue.client, logger: logger)
            #expect(migrated.from == 2 && migrated.to == 3)
            try await PostgresSchema.check(queue.client, logger: logger)
            #expect(try await Self.count(queue, "SELECT count(*)::int FROM np_batch WHERE NOT webhook_open") == 1)
            #expect(try await Self.count(queue, "SELECT count(*)::int FROM np_job WHERE NOT webhook_done") == 1)
        }
    }

    @Test("the stored webhook reads back as given; an unreadable one is refused, its text never echoed")
    func storedForm() throws {
        let webhook = try Webhook(
            jsonValue: .object([
                "url": .string("http://127.0.0.1:9/h"), "method": .string("PUT"),
                "headers": .object(["X-Token": .string("tok-s3cret")]), "timeout": .number(2.5),
                "max_retries": .number(1), "retry_intervals": .array([.number(0.5), .number(3)]),
            ]))
        let text = String(decoding: try JSONEncoder().encode(webhook.storedJSON), as: UTF8.self)
        #expect(PostgresWebhookFollower.webhook(text) == webhook)
        #expect(!webhook.description.contains("s3cret"))
        #expect(PostgresWebhookFollower.webhook("{\"url\": 3}") == nil)
        #expect(PostgresWebhookFollower.webhook(nil) == nil)
    }
}
