import Foundation
import NetPulse
import NetPulseLab
import NetPulseServer
import Testing

/// The HTTP API as a superset of NetPulse 0.4.3's (issue 17, item 7): the fields and routes NetPulse's
/// clients read, next to this server's own.
@Suite("HTTP API: NetPulse 0.4.3's shapes")
struct NetPulseCompatibilityTests {
    typealias Fixture = ServerFixture

    /// Device 0 answers every command after 20 s: its pinned jobs stay running and queued.
    static let slow: [Int: LabFault] = [0: .latency(perCommand: .seconds(20), beforeBanner: .zero)]

    /// What netpulse-sdk 0.4.0 sends for `run(devices, command, mode="bulk")`.
    static func sdkBulk(_ devices: [LabDevice]) -> String {
        let list = devices.map { #"{"host": "\#($0.host)", "port": \#($0.port)}"# }.joined(separator: ", ")
        return #"""
            {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios", "username": "admin",
             "password": "\#(Fixture.password)"}, "devices": [\#(list)], "command": ["show version", "show clock"],
             "ttl": 300, "detach": false, "enable_mode": false, "save": false, "webhook": null, "parsing": null,
             "credential": null}
            """#
    }

    @Test("bulk answer has succeeded and failed; the job view has type, retval, duration and queue_time")
    func bulkAndJobView() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let reply = try await client.post("/device/bulk", Self.sdkBulk(lab.devices + [lab.devices[0]]))
                #expect(reply.status == 201, "\(reply.text)")
                let submitted = try reply.json()
                let succeeded = try #require(submitted["succeeded"] as? [[String: Any]])
                #expect(succeeded.count == 2)
                #expect(succeeded.allSatisfy { $0["status"] as? String == "queued" && $0["host"] as? String != nil })
                let failed = try #require(submitted["failed"] as? [[String: Any]])
                #expect(failed.count == 1)
                #expect((failed.first?["reason"] as? String)?.contains("duplicate device") == true, "\(failed)")
                #expect((submitted["options"] as? [String: Any])?["queue_strategy"] as? String == "pinned")
                #expect((submitted["options"] as? [String: Any])?["result_ttl"] as? Double == 300)
                _ = try await client.waitForBatch(try reply.batchID())
                let id = try #require(succeeded.first?["id"] as? String)
                let view = try await client.get("/jobs/\(id)").json()
                #expect(view["status"] as? String == "finished")
                #expect((view["duration"] as? Double ?? -1) > 0, "\(view)")
                #expect((view["queue_time"] as? Double ?? -1) >= 0, "\(view)")
                #expect(view["ended_at"] as? String == view["finished_at"] as? String)
                let result = try #require(view["result"] as? [String: Any])
                #expect(result["type"] as? Int == 1)
                #expect(result["success"] as? Bool == true, "this server's own fields stay")
                let retval = try #require(result["retval"] as? [[String: Any]])
                #expect(retval.map { $0["command"] as? String } == ["show version", "show clock"])
                #expect((retval.first?["stdout"] as? String)?.contains("uptime") == true)
                #expect(retval.allSatisfy { $0["exit_status"] as? Int == 0 && $0["stderr"] as? String == "" })
            }
        }
    }

    @Test("exec answers NetPulse's job entry (id); errors carry detail; a feature turned on is refused")
    func execAndErrors() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let device = lab.devices[0]
                let body = #"""
                    {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios", "username": "admin",
                     "password": "\#(Fixture.password)", "host": "\#(device.host)", "port": \#(device.port)},
                     "command": ["show version"], "ttl": 300, "detach": false, "audit_mode": "none"}
                    """#
                let reply = try await client.post("/device/exec", body)
                #expect(reply.status == 201, "\(reply.text)")
                let id = try #require(try reply.json()["id"] as? String)
                #expect(try reply.json()["job_id"] as? String == id)
                _ = try await client.waitForBatch(try reply.batchID())
                let refused = try await client.post(
                    "/device/exec", body.replacingOccurrences(of: #""detach": false"#, with: #""detach": true"#))
                #expect(refused.status == 422)
                #expect(try refused.error()["field"] as? String == "detach")
                let detail = try #require(try refused.json()["detail"] as? String)
                #expect(detail.hasPrefix("detach: background (detached) tasks are not supported"), "\(detail)")
            }
        }
    }

    @Test("DELETE /jobs?batch= and ?host= cancel what is not final; DELETE /batches/{id}; ?status=canceled")
    func cancelMany() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1, faults: Self.slow)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let running = try await client.post("/pull/batch", Fixture.showVersion(lab.devices)).batchID()
                let queued = try await client.post("/pull/batch", Fixture.showVersion(lab.devices)).batchID()
                let third = try await client.post("/pull/batch", Fixture.showVersion(lab.devices)).batchID()
                let cancelled = try await client.delete("/jobs?batch=\(queued)")
                #expect(cancelled.status == 200, "\(cancelled.text)")
                let ids = try #require(try JSONSerialization.jsonObject(with: cancelled.body) as? [String])
                #expect(ids.count == 1 && ids.first?.hasPrefix(queued) == true, "\(ids)")
                let again = try await client.delete("/jobs?batch=\(queued)")
                #expect(again.text == "[]", "a final job is not cancelled twice")
                let batch = try await client.delete("/batches/\(third)")
                #expect(batch.status == 200, "a queued batch is cancelled at once: \(batch.text)")
                #expect(try batch.json()["complete"] as? Bool == true)
                let byHost = try await client.delete("/jobs?host=\(lab.devices[0].host)")
                let running0 = try #require(try JSONSerialization.jsonObject(with: byHost.body) as? [String])
                #expect(running0.count == 1, "the running job: \(byHost.text)")
                _ = try await client.waitForBatch(running)
                let canceled = try await client.get("/jobs?status=canceled").jsonArray()
                #expect(canceled.count == 3)
                #expect(canceled.allSatisfy { $0["status"] as? String == "canceled" })
                #expect(try await client.get("/jobs?status=cancelled").jsonArray().count == 3)
                let unknown = try await client.get("/jobs?status=done")
                #expect(unknown.status == 422 && unknown.text.contains("\"field\":\"status\""), "\(unknown.text)")
                #expect(try await client.delete("/batches/nope").status == 404)
            }
        }
    }

    @Test("GET /workers lists this process; POST /device/test reports latency")
    func workersAndLatency() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let workers = try await client.get("/workers").jsonArray()
                #expect(workers.count == 1)
                #expect(workers.first?["pid"] as? Int == Int(ProcessInfo.processInfo.processIdentifier))
                #expect(workers.first?["status"] as? String == "idle")
                #expect((workers.first?["name"] as? String)?.hasPrefix("netpulse-") == true)
                let device = lab.devices[0]
                let test = try await client.post(
                    "/device/test",
                    #"""
                    {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios", "username": "admin",
                     "password": "\#(Fixture.password)", "host": "\#(device.host)", "port": \#(device.port)}}
                    """#)
                let report = try test.json()
                #expect(report["success"] as? Bool == true, "\(test.text)")
                #expect((report["latency"] as? Double ?? 0) > 0)
                #expect(report["timestamp"] as? String != nil)
            }
        }
    }
}
