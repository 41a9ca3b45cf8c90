import Foundation
import NetPulse
import NetPulseLab
import NetPulseServer
import NetPulseTesting
import Testing

/// Cancel, TTL expiry, result purge and shutdown, over HTTP, behind a lab device made slow on purpose.
@Suite("HTTP API: job lifecycle")
struct JobLifecycleTests {
    typealias Fixture = ServerFixture

    /// Device 0 answers every command after 20 s: a pinned job on it stays running, and the jobs
    /// behind it stay queued, for as long as a test needs.
    static let slow: [Int: LabFault] = [0: .latency(perCommand: .seconds(20), beforeBanner: .zero)]

    func jobID(_ reply: HTTPClient.Reply) throws -> String {
        try #require((try reply.json()["job_ids"] as? [String])?.first, "\(reply.text)")
    }

    func errorKind(_ view: [String: Any]) -> String? {
        ((view["results"] as? [[String: Any]])?.first?["error"] as? [String: Any])?["kind"] as? String
    }

    @Test("cancel: a queued job at once (200), a running one is stopped (202); TTL expiry of a queued job")
    func cancelAndExpire() async throws {
        let clock = ManualSchedulerClock()
        try await withLab(Fixture.labConfiguration(devices: 1, faults: Self.slow)) { lab in
            try await Fixture.withServer(lab: lab, clock: clock) { client, _ in
                let busy = try await client.post("/pull/batch", Fixture.showVersion(lab.devices))
                let running = try jobID(busy)
                let expiring = try await client.post(
                    "/pull/batch", Fixture.showVersion(lab.devices, options: #""queue_strategy": "pinned", "ttl": 1"#))
                let cancelled = try await client.post("/pull/batch", Fixture.showVersion(lab.devices))
                let queued = try jobID(cancelled)

                // A queued job: cancelled at once, reported cancelled; a second cancel is a conflict.
                #expect(try await client.get("/jobs/\(queued)").json()["status"] as? String == "queued")
                let cancel = try await client.delete("/jobs/\(queued)")
                #expect(cancel.status == 200, "\(cancel.text)")
                #expect(try cancel.json()["status"] as? String == "canceled")
                let again = try await client.delete("/jobs/\(queued)")
                #expect(again.status == 409)
                #expect(try again.error()["code"] as? String == "job_final")
                let cancelledView = try await client.waitForBatch(try cancelled.batchID())
                #expect(errorKind(cancelledView) == "cancelled")

                // TTL: still queued behind the busy device when its ttl runs out (scheduler clock).
                clock.advance(by: .seconds(2))
                let expired = try await client.waitForBatch(try expiring.batchID())
                #expect(errorKind(expired) == "expired")
                #expect(expired["success"] as? Bool == false)
                let expiredJob = try jobID(expiring)
                // NetPulse has no `expired`: the job is shown `failed` (final for its clients), its error says why.
                #expect(try await client.get("/jobs/\(expiredJob)").json()["status"] as? String == "failed")
                let failedJobs = try await client.get("/jobs?status=failed").jsonArray().compactMap {
                    $0["id"] as? String
                }
                #expect(failedJobs.contains(expiredJob))
                let expiredJobs = try await client.get("/jobs?status=expired").jsonArray().compactMap {
                    $0["id"] as? String
                }
                #expect(expiredJobs == [expiredJob])

                // The running job: stopped, then reported cancelled.
                let stop = try await client.delete("/jobs/\(running)")
                // It took the device long before (a worker takes a job as soon as it is queued first).
                #expect(stop.status == 202, "\(stop.text)")
                let view = try stop.json()
                #expect(view["status"] as? String == "started")
                #expect((view["started_at"] as? String)?.hasPrefix("20") == true)
                #expect(view["finished_at"] == nil)
                let stopped = try await client.waitForBatch(try busy.batchID())
                #expect(errorKind(stopped) == "cancelled", "\(stopped)")
                #expect(try await client.get("/jobs/\(running)").json()["status"] as? String == "canceled")
            }
        }
    }

    @Test("results are purged after result_ttl: the job and the batch are then 404")
    func resultPurge() async throws {
        let clock = ManualSchedulerClock()
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab, clock: clock) { client, _ in
                let short = try await client.post(
                    "/pull/batch",
                    Fixture.showVersion(lab.devices, options: #""queue_strategy": "round_robin", "result_ttl": 60"#))
                let long = try await client.post(
                    "/pull/batch",
                    Fixture.showVersion(lab.devices, options: #""queue_strategy": "round_robin", "result_ttl": 1000"#))
                let shortID = try short.batchID()
                let longID = try long.batchID()
                _ = try await client.waitForBatch(shortID)
                _ = try await client.waitForBatch(longID)
                let shortJob = try jobID(short)
                #expect(try await client.get("/jobs/\(shortJob)").status == 200)
                clock.advance(by: .seconds(61))
                // The scheduler's timer has purged once it sleeps again, towards the other batch's purge.
                await clock.waitForSleeper(after: clock.now)
                #expect(try await client.get("/jobs/\(shortJob)").status == 404)
                #expect(try await client.get("/batches/\(shortID)").status == 404)
                #expect(try await client.get("/batches/\(longID)").status == 200)
            }
        }
    }

    @Test("graceful shutdown: queued and running jobs are reported cancelled, every session is closed")
    func shutdown() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2, faults: Self.slow)) { lab in
            var limits = SchedulerConfiguration.Limits()
            limits.shutdownGracePeriod = .milliseconds(200)
            let (handles, scheduler, port) = try await Fixture.withServer(lab: lab, limits: limits) { client, server in
                // Device 1 is quick: its pinned session stays open, idle, until the shutdown.
                let quick = try await client.post("/pull/batch", Fixture.showVersion([lab.devices[1]])).batchID()
                _ = try await client.waitForBatch(quick)
                #expect(server.scheduler.stats.pinnedSessions == 1)
                let running = try await client.post("/pull/batch", Fixture.showVersion([lab.devices[0]])).batchID()
                let queued = try await client.post("/pull/batch", Fixture.showVersion([lab.devices[0]])).batchID()
                let handles = [running, queued].compactMap { server.scheduler.batch(id: $0) }
                return (handles, server.scheduler, server.port)
            }
            #expect(handles.count == 2)
            for handle in handles {
                let result = await handle.result()
                #expect(result.results.count == 1)
                #expect(result.results.first?.error?.kind == .cancelled, "\(result)")
            }
            let stats = scheduler.stats
            #expect(stats.openConnections == 0)
            #expect(stats.pinnedSessions == 0)
            #expect(stats.runningJobs == 0)
            // The HTTP server is gone too.
            let client = HTTPClient(base: "http://127.0.0.1:\(port)", key: Fixture.key)
            await #expect(throws: (any Error).self) { _ = try await client.get("/health") }
        }
    }

    @Test("while draining, submissions are 503 and /health says draining; reads still work")
    func draining() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, server in
                let id = try await client.post("/pull/batch", Fixture.showVersion(lab.devices)).batchID()
                _ = try await client.waitForBatch(id)
                server.api.beginDraining()
                let refused = try await client.post("/pull/batch", Fixture.showVersion(lab.devices))
                #expect(refused.status == 503)
                #expect(try refused.error()["code"] as? String == "shutting_down")
                let health = try await client.get("/health")
                #expect(health.status == 503)
                #expect(try health.json()["status"] as? String == "draining")
                #expect(try await client.get("/batches/\(id)").status == 200)
            }
        }
    }
}
