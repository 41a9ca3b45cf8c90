import Foundation
import NetPulse
import NetPulseLab
import NetPulseServer
import SSHTestSupport
import Testing

/// Keys, limits, bad input, and secrets that never come back.
@Suite("HTTP API: security and bad input")
struct SecurityTests {
    typealias Fixture = ServerFixture

    @Test("X-API-KEY: missing or wrong is 401, a read-only key may read but not write (403)")
    func authentication() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let body = Fixture.showVersion(lab.devices)
                let missing = try await client.post("/device/bulk", body, key: .some(nil))
                #expect(missing.status == 401)
                #expect(try missing.error()["code"] as? String == "unauthorized")
                #expect(missing.header("WWW-Authenticate") != nil)
                let wrong = try await client.post("/device/bulk", body, key: "wrong-key-0123456789abcdef")
                #expect(wrong.status == 401)
                let prefix = try await client.get("/jobs", key: String(Fixture.key.dropLast()))
                #expect(prefix.status == 401)
                let longer = try await client.get("/jobs", key: Fixture.key + "x")
                #expect(longer.status == 401)
                #expect(try await client.get("/jobs", key: .some(nil)).status == 401)

                let readOnly = try await client.post("/device/bulk", body, key: Fixture.readKey)
                #expect(readOnly.status == 403)
                #expect(try readOnly.error()["code"] as? String == "forbidden")
                #expect(try await client.delete("/jobs/x.0", key: Fixture.readKey).status == 403)
                #expect(try await client.get("/jobs", key: Fixture.readKey).status == 200)

                // Open to all: health and the API description.
                #expect(try await client.get("/health", key: .some(nil)).status == 200)
                #expect(try await client.get("/openapi.json", key: .some(nil)).status == 200)
                // Nothing was queued by the refused requests.
                #expect(try await client.get("/jobs").jsonArray().count == 0)
            }
        }
    }

    @Test("a body over the limit is 413, with Content-Length and chunked; too many devices is 413 naming devices")
    func limits() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(
                lab: lab,
                api: { api in
                    api.maxBodyBytes = 4_096
                    api.maxDevicesPerRequest = 3
                }
            ) { client, server in
                let padding = String(repeating: " ", count: 8_000)
                let large = Fixture.showVersion(lab.devices) + padding
                let reply = try await client.post("/device/bulk", large)
                #expect(reply.status == 413)
                #expect(try reply.error()["code"] as? String == "body_too_large")

                // Chunked: no length up front, the limit is found while reading.
                let head =
                    "POST /device/bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: \(Fixture.key)\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                var raw = Array(head.utf8)
                for _ in 0..<4 {
                    let chunk = String(repeating: " ", count: 2_000)
                    raw += Array("\(String(chunk.utf8.count, radix: 16))\r\n\(chunk)\r\n".utf8)
                }
                raw += Array("0\r\n\r\n".utf8)
                let answer = try await RawHTTP.exchange(port: server.port, request: raw)
                #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer)")

                let device = Fixture.device(lab.devices[0])
                let four = """
                    {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios"}, "command": "show version",
                     "devices": [\(device), \(device), \(device), \(device)]}
                    """
                let many = try await client.post("/device/bulk", four)
                #expect(many.status == 413)
                #expect(try many.error()["field"] as? String == "devices")
                #expect(try await client.get("/jobs").jsonArray().count == 0)
            }
        }
    }

    @Test("an allow-list of targets: devices outside are rejected before any connection, also for /device/test")
    func allowedTargets() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(
                lab: lab, api: { api in api.allowedTargets = try? TargetFilter(["127.0.0.0/8"]) }
            ) { client, _ in
                let outside = #"{"host": "192.0.2.10", "username": "admin", "password": "x"}"#
                let named = #"{"host": "localhost", "username": "admin", "password": "x"}"#
                let body = """
                    {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios"}, "command": "show version",
                     "devices": [\(Fixture.device(lab.devices[0])), \(outside), \(named)]}
                    """
                let reply = try await client.post("/device/bulk", body)
                _ = try reply.batchID()
                let rejected = try #require(try reply.json()["rejected"] as? [[String: Any]])
                #expect(rejected.map { $0["field"] as? String } == ["devices[1].host", "devices[2].host"])
                let test = try await client.post(
                    "/device/test",
                    #"{"driver": "netmiko", "connection_args": {"host": "192.0.2.10", "device_type": "cisco_ios", "#
                        + #""username": "a", "password": "x"}}"#
                )
                #expect(test.status == 422)
                #expect(try test.error()["field"] as? String == "devices[0].host")
            }
        }
        #expect(throws: ServerConfigurationError.self) { try TargetFilter(["10.0.0.0/33"]) }
        let filter = try TargetFilter(["10.1.0.0/16", "::1", "Router1"])
        #expect(filter.allows("10.1.200.3"))
        #expect(!filter.allows("10.2.0.1"))
        #expect(!filter.allows("10.1.0.01"))
        #expect(filter.allows("[::1]"))
        #expect(filter.allows("router1"))
        #expect(!filter.allows("router2"))
    }

    @Test(
        "bad requests: malformed JSON is 400, a wrong field is 422 naming it",
        arguments: [
            (#"{"driver": "netmiko", "devices": ["#, 400, "malformed_json", nil),
            ("", 400, "malformed_json", nil),
            ("[1, 2]", 422, "invalid_request", ""),
            (#"{"devices": [{"host": "h"}], "command": "x"}"#, 422, "invalid_request", "driver"),
            (
                #"{"driver": "telnet", "devices": [{"host": "h", "device_type": "linux", "username": "u", "#
                    + #""password": "p"}], "command": "x"}"#,
                422, "invalid_request", "driver"
            ),
            (
                #"{"driver": "netmiko", "devices": [{"host": "h"}], "command": "x", "options": {"ttl": 0}}"#, 422,
                "invalid_request", "options.ttl"
            ),
            (
                #"{"driver": "netmiko", "devices": [{"host": "h"}], "command": "x", "colour": "red"}"#, 422,
                "invalid_request", "colour"
            ),
            (
                #"{"driver": "netmiko", "devices": [{"host": "h", "port": "22"}], "command": "x"}"#, 422,
                "invalid_request", "devices[0].port"
            ),
            (#"{"driver": "netmiko", "devices": [], "command": "x"}"#, 422, "invalid_request", "devices"),
        ] as [(String, Int, String, String?)])
    func badRequests(body: String, status: Int, code: String, field: String?) async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let reply = try await client.post("/device/bulk", body)
                #expect(reply.status == status, "\(reply.text)")
                let error = try reply.error()
                #expect(error["code"] as? String == code)
                #expect(error["status"] as? Int == status)
                #expect(error["field"] as? String == field, "\(reply.text)")
                #expect(reply.header("Content-Type") == "application/json")
            }
        }
    }

    @Test("secrets never come back: submission, job views, lists, batch views, errors, logs")
    func secretsMasked() async throws {
        let logs = LogCapture()
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            let wrongPassword = "wr0ng-pa55word"
            try await Fixture.withServer(lab: lab, logs: logs) { client, server in
                let devices = [Fixture.device(lab.devices[0]), Fixture.device(lab.devices[1], password: wrongPassword)]
                let body = """
                    {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios", "timeout": 30},
                     "command": "show version", "options": {"queue_strategy": "pinned"},
                     "devices": [\(devices.joined(separator: ", ")),
                                 {"host": "10.0.0.7", "username": "u", "password": "\(Fixture.password)",
                                  "device_type": "x"}]}
                    """
                let submitted = try await client.post("/device/bulk", body)
                let id = try submitted.batchID()
                let view = try await client.waitForBatch(id)
                let results = try #require(view["results"] as? [[String: Any]])
                #expect(results.map { $0["success"] as? Bool } == [true, false])
                #expect((results[1]["error"] as? [String: Any])?["kind"] as? String == "authentication")
                var replies = [submitted, try await client.get("/batches/\(id)"), try await client.get("/jobs")]
                for jobID in try #require(try submitted.json()["job_ids"] as? [String]) {
                    let job = try await client.get("/jobs/\(jobID)")
                    let device = try #require(try job.json()["device"] as? [String: Any])
                    #expect(device["password"] as? String == Secret.mask)
                    replies.append(job)
                }
                // Every device rejected: the error names the field, not the secret.
                let rejected = try await client.post(
                    "/device/bulk",
                    #"{"driver": "netmiko", "devices": [{"host": "h", "username": "u", "#
                        + #""password": "\#(wrongPassword)"}], "command": "x"}"#
                )
                #expect(rejected.status == 422)
                replies.append(rejected)
                for reply in replies {
                    for secret in [Fixture.password, Fixture.enableSecret, wrongPassword] {
                        #expect(!reply.text.contains(secret), "\(secret) in \(reply.text)")
                    }
                }
                _ = server
            }
        }
        let lines = logs.lines
        #expect(!lines.isEmpty)
        for line in lines {
            for secret in [Fixture.password, Fixture.enableSecret] {
                #expect(!line.contains(secret), "\(line)")
            }
        }
    }
}
