import Foundation
import NetPulse
import NetPulseLab
import Testing

/// The batch guide's two examples through every submission endpoint, over real HTTP, on lab devices.
@Suite("HTTP API: the guide's endpoints")
struct GuideEndpointsTests {
    typealias Fixture = ServerFixture

    /// Checks a complete batch view in the guide's result shape, every device successful.
    func expectAllSucceeded(
        _ view: [String: Any], devices: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [[String: Any]] {
        #expect(view["success"] as? Bool == true, "\(view)", sourceLocation: sourceLocation)
        let summary = try #require(view["summary"] as? [String: Any], sourceLocation: sourceLocation)
        #expect(summary["total"] as? Int == devices, sourceLocation: sourceLocation)
        #expect(summary["successful"] as? Int == devices, sourceLocation: sourceLocation)
        #expect(summary["failed"] as? Int == 0, sourceLocation: sourceLocation)
        let results = try #require(view["results"] as? [[String: Any]], sourceLocation: sourceLocation)
        #expect(results.count == devices, sourceLocation: sourceLocation)
        for result in results {
            #expect(result["hostname"] as? String == "127.0.0.1", sourceLocation: sourceLocation)
            #expect(result["success"] as? Bool == true, "\(result)", sourceLocation: sourceLocation)
            #expect(result["execution_time"] is Double, sourceLocation: sourceLocation)
        }
        return results
    }

    @Test("the command example through POST /device/bulk and POST /pull/batch; jobs and batch views")
    func commandExample() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let request = Fixture.guideRequest(Fixture.commandExample, devices: lab.devices)
                for path in ["/device/bulk", "/pull/batch"] {
                    let reply = try await client.post(path, request)
                    let id = try reply.batchID()
                    let submitted = try reply.json()
                    let jobIDs = try #require(submitted["job_ids"] as? [String])
                    #expect(jobIDs.count == 2)
                    #expect((submitted["rejected"] as? [Any])?.isEmpty == true)
                    let results = try expectAllSucceeded(try await client.waitForBatch(id), devices: 2)
                    for result in results {
                        #expect((result["output"] as? String)?.contains("Cisco IOS") == true, "\(result)")
                    }
                    // Each job by both of its addresses: status, timestamps, result, device with secrets masked.
                    for jobID in jobIDs {
                        let byPath = try await client.get("/jobs/\(jobID)")
                        let byQuery = try await client.get("/job?id=\(jobID)")
                        #expect(byPath.status == 200)
                        #expect(byQuery.status == 200)
                        let job = try byPath.json()
                        #expect(job["id"] as? String == jobID)
                        #expect(job["batch_id"] as? String == id)
                        #expect(job["status"] as? String == "finished")
                        for stamp in ["submitted_at", "started_at", "finished_at"] {
                            #expect((job[stamp] as? String)?.hasPrefix("20") == true, "\(stamp): \(job)")
                        }
                        let result = try #require(job["result"] as? [String: Any])
                        #expect(result["success"] as? Bool == true)
                        let device = try #require(job["device"] as? [String: Any])
                        #expect(device["password"] as? String == Secret.mask)
                        #expect(device["secret"] as? String == Secret.mask)
                        #expect(device["device_type"] as? String == "cisco_ios")
                        #expect(try byQuery.json()["id"] as? String == jobID)
                        for reply in [byPath, byQuery] {
                            #expect(!reply.text.contains(Fixture.password))
                            #expect(!reply.text.contains(Fixture.enableSecret))
                        }
                    }
                }
            }
        }
    }

    @Test("the config example through POST /push/batch and POST /device/bulk; a show reflects the lines")
    func configExample() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let push = Fixture.guideRequest(Fixture.configExample, devices: lab.devices)
                for path in ["/push/batch", "/device/bulk"] {
                    let id = try await client.post(path, push).batchID()
                    _ = try expectAllSucceeded(try await client.waitForBatch(id), devices: 2)
                }
                let show = Fixture.guideRequest(Fixture.commandExample, devices: lab.devices)
                    .replacingOccurrences(of: "\"show version\"", with: "\"show running-config\"")
                let id = try await client.post("/pull/batch", show).batchID()
                let results = try expectAllSucceeded(try await client.waitForBatch(id), devices: 2)
                for result in results {
                    #expect((result["output"] as? String)?.contains("description Batch Config") == true)
                }
            }
        }
    }

    @Test("pull takes commands only, push config only: the other is 422 naming the field")
    func operationPerEndpoint() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let config = Fixture.guideRequest(
                    Fixture.configExample, devices: [lab.devices[0], lab.devices[0]]
                )
                let pulled = try await client.post("/pull/batch", config)
                #expect(pulled.status == 422)
                #expect(try pulled.error()["field"] as? String == "config")
                let command = Fixture.showVersion(lab.devices)
                let pushed = try await client.post("/push/batch", command)
                #expect(pushed.status == 422)
                #expect(try pushed.error()["field"] as? String == "command")
            }
        }
    }

    @Test("POST /device/exec: one device in NetPulse's single-device shape; the job's output")
    func exec() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let device = lab.devices[0]
                let body = """
                    {"driver": "netmiko", "connection_args": {"host": "\(device.host)", "port": \(device.port),
                     "device_type": "cisco_ios", "username": "admin", "password": "\(Fixture.password)"},
                     "command": ["show version", "show clock"]}
                    """
                let reply = try await client.post("/device/exec", body)
                let id = try reply.batchID()
                let jobID = try #require(try reply.json()["job_id"] as? String)
                _ = try expectAllSucceeded(try await client.waitForBatch(id), devices: 1)
                let job = try await client.get("/jobs/\(jobID)").json()
                let result = try #require(job["result"] as? [String: Any])
                let outputs = try #require(result["outputs"] as? [[String: Any]])
                #expect(outputs.map { $0["command"] as? String } == ["show version", "show clock"])
                let two = Fixture.showVersion([lab.devices[0], lab.devices[0]])
                let refused = try await client.post("/device/exec", two)
                #expect(refused.status == 422)
                #expect(try refused.error()["field"] as? String == "devices")
            }
        }
    }

    @Test("devices that cannot be queued are listed with the field and reason; the others run")
    func partialAdmission() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let good = lab.devices.map { Fixture.device($0) }
                let body = """
                    {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios"}, "command": "show version",
                     "devices": [\(good[0]), {"host": "10.0.0.9", "username": "admin"},
                                 {"host": "10.0.0.8", "username": "admin", "password": "x", "device_type": "nope"},
                                 \(good[0]), \(good[1])]}
                    """
                let reply = try await client.post("/device/bulk", body)
                let id = try reply.batchID()
                let submitted = try reply.json()
                let jobs = try #require(submitted["jobs"] as? [[String: Any]])
                #expect(jobs.map { $0["index"] as? Int } == [0, 4])
                let rejected = try #require(submitted["rejected"] as? [[String: Any]])
                #expect(rejected.map { $0["index"] as? Int } == [1, 2, 3])
                #expect(
                    rejected.map { $0["field"] as? String } == [
                        "devices[1].password", "devices[2].device_type", "devices[3]",
                    ])
                #expect((rejected[2]["reason"] as? String)?.contains("duplicate") == true)
                let view = try await client.waitForBatch(id)
                let results = try expectAllSucceeded(view, devices: 2)
                // Results and job views use the positions of the request.
                #expect(results.map { $0["index"] as? Int } == [0, 4])
                #expect((view["rejected"] as? [Any])?.count == 3)
                let second = try #require(jobs[1]["job_id"] as? String)
                #expect(try await client.get("/jobs/\(second)").json()["index"] as? Int == 4)
            }
        }
    }

    @Test("GET /jobs filtered by status, host and batch; bad filters are 422")
    func listJobs() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let first = try await client.post("/pull/batch", Fixture.showVersion(lab.devices)).batchID()
                let second = try await client.post("/pull/batch", Fixture.showVersion([lab.devices[0]])).batchID()
                _ = try await client.waitForBatch(first)
                _ = try await client.waitForBatch(second)
                let all = try await client.get("/jobs?status=finished").jsonArray()
                #expect(all.count == 3)
                let jobs = try await client.get("/jobs?batch=\(first)").jsonArray()
                #expect(jobs.count == 2)
                #expect(jobs.allSatisfy { $0["batch_id"] as? String == first })
                let byHost = try await client.get("/jobs?host=127.0.0.1&status=finished&limit=2")
                #expect(try byHost.jsonArray().count == 2)
                #expect(byHost.header("X-Next-Cursor") != nil)
                // Never sent: the filter only compares host names.
                let none = try await client.get("/jobs?host=192.0.2.1").jsonArray()
                #expect(none.isEmpty)
                let queued = try await client.get("/jobs?status=queued").jsonArray()
                #expect(queued.isEmpty)
                let bad = try await client.get("/jobs?status=done")
                #expect(bad.status == 422)
                #expect(try bad.error()["field"] as? String == "status")
                let badLimit = try await client.get("/jobs?limit=0")
                #expect(try badLimit.error()["field"] as? String == "limit")
            }
        }
    }

    @Test("unknown job and batch ids are 404 with a JSON error")
    func notFound() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                for path in ["/jobs/nope.0", "/job?id=nope", "/batches/nope"] {
                    let reply = try await client.get(path)
                    #expect(reply.status == 404, "\(path)")
                    #expect(try reply.error()["code"] as? String == "not_found")
                }
                #expect(try await client.delete("/jobs/nope.3").status == 404)
                let missing = try await client.get("/job")
                #expect(missing.status == 422)
                #expect(try missing.error()["field"] as? String == "id")
            }
        }
    }
}
