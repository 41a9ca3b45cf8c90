import Foundation
import Hummingbird
import Logging
import NetPulse
import NetPulseLab
import NetPulseServer
import SSHTestSupport
import Synchronization
import Testing
import WebhookTestSupport

/// NetPulse's `webhook` (issue 17, item 6), delivered to a real HTTP server (hummingbird) the test
/// starts on loopback.
@Suite("HTTP API: webhooks")
struct WebhookTests {
    typealias Fixture = ServerFixture

    typealias Receiver = WebhookReceiver

    static func request(_ devices: [LabDevice], webhook: String) -> String {
        """
        {"driver": "netmiko", "devices": [\(devices.map { Fixture.device($0) }.joined(separator: ", "))],
         "connection_args": {"device_type": "cisco_ios", "timeout": 30},
         "command": "show version", "webhook": \(webhook)}
        """
    }

    @Test("one delivery per job, NetPulse's payload, headers sent but never logged or shown")
    func oneDeliveryPerJob() async throws {
        let receiver = Receiver()
        let logs = LogCapture()
        let secret = "Bearer hook-s3cret-q7"
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await receiver.serve { base in
                try await Fixture.withServer(lab: lab, logs: logs) { client, server in
                    let webhook = #"{"url": "\#(base)/done", "headers": {"Authorization": "\#(secret)"}}"#
                    let reply = try await client.post("/device/bulk", Self.request(lab.devices, webhook: webhook))
                    let jobIDs = try #require(try reply.json()["job_ids"] as? [String], "\(reply.text)")
                    #expect(!reply.text.contains(secret))
                    #expect(await receiver.wait(for: 2))
                    await server.api.webhooks.waitUntilSettled()
                    let requests = receiver.requests
                    #expect(requests.count == 2, "exactly one delivery per job")
                    #expect(Set(requests.compactMap { $0.json["id"] as? String }) == Set(jobIDs))
                    #expect(requests.allSatisfy { $0.authorization == secret })
                    for request in requests {
                        let json = request.json
                        #expect(json["event_type"] as? String == "job.completed")
                        #expect(json["status"] as? String == "finished")
                        #expect(json["final"] as? Bool == true)
                        let device = try #require(json["device"] as? [String: Any])
                        #expect(device["host"] as? String == "127.0.0.1")
                        #expect(device["device_type"] as? String == "cisco_ios")
                        let result = try #require(json["result"] as? [String: Any])
                        let retval = try #require(result["retval"] as? [[String: Any]])
                        #expect((retval.first?["stdout"] as? String)?.contains("uptime") == true)
                        #expect(json["started_at"] as? String != nil && json["ended_at"] as? String != nil)
                        #expect(json["duration"] as? Double != nil && json["timestamp"] as? String != nil)
                    }
                    let stats = server.api.webhooks.stats
                    #expect(stats.delivered == 2 && stats.failed == 0 && stats.dropped == 0 && stats.attempts == 2)
                    let health = try await client.get("/health").json()
                    #expect((health["webhooks"] as? [String: Any])?["delivered"] as? Int == 2)
                }
            }
        }
        #expect(!logs.lines.joined().contains("hook-s3cret"), "a webhook header reached the logs")
    }

    @Test("a receiver that fails twice gets the third attempt; one that always fails is logged and counted")
    func retries() async throws {
        let receiver = Receiver(failures: ["flaky": 2, "broken": 100])
        let logs = LogCapture()
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await receiver.serve { base in
                try await Fixture.withServer(lab: lab, logs: logs) { client, server in
                    let flaky = #"{"url": "\#(base)/flaky", "max_retries": 2, "retry_intervals": [0.05]}"#
                    _ = try await client.post("/device/bulk", Self.request([lab.devices[0]], webhook: flaky)).batchID()
                    let broken = #"{"url": "\#(base)/broken", "max_retries": 1, "retry_intervals": [0.05]}"#
                    _ = try await client.post("/device/bulk", Self.request([lab.devices[1]], webhook: broken)).batchID()
                    #expect(await receiver.wait(for: 5))
                    await server.api.webhooks.waitUntilSettled()
                    let paths = receiver.requests.map(\.path)
                    #expect(paths.filter { $0 == "flaky" }.count == 3, "two failures, then the third attempt")
                    #expect(paths.filter { $0 == "broken" }.count == 2, "the first attempt and one retry")
                    let stats = server.api.webhooks.stats
                    #expect(stats.delivered == 1 && stats.failed == 1 && stats.attempts == 5)
                }
            }
        }
        #expect(logs.lines.contains { $0.contains("webhook failed after every attempt") })
    }

    @Test("a webhook off loopback, or malformed, is refused naming the field; nothing is queued")
    func refused() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let away = try await client.post(
                    "/device/bulk", Self.request(lab.devices, webhook: #"{"url": "http://hooks.example.invalid/x"}"#))
                #expect(away.status == 403)
                #expect(try away.error()["field"] as? String == "webhook.url")
                let bad = try await client.post(
                    "/device/bulk",
                    Self.request(lab.devices, webhook: #"{"url": "http://127.0.0.1/", "max_retries": 99}"#))
                #expect(bad.status == 422)
                #expect(try bad.error()["field"] as? String == "webhook.max_retries")
                #expect(try await client.get("/jobs").jsonArray().isEmpty)
            }
        }
    }
}
