import Foundation
import NetPulse
import NetPulseLab
import NetPulseServer
import SSHTestSupport
import Testing

/// The server's own bounds over real HTTP: queue cap, rate per key, idle connections, paged lists,
/// output cap, clamped numbers, keyless serving kept from web pages, redaction of pushed secrets.
@Suite("HTTP API: limits")
struct ServerLimitsTests {
    typealias Fixture = ServerFixture

    @Test("a batch that would pass the queue cap is answered 429 queue_full with Retry-After; nothing is queued")
    func queueFull() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            var limits = SchedulerConfiguration.Limits()
            limits.maxQueuedJobs = 1
            try await Fixture.withServer(lab: lab, limits: limits) { client, _ in
                let reply = try await client.post("/device/bulk", Fixture.showVersion(lab.devices))
                #expect(reply.status == 429, "\(reply.text)")
                #expect(try reply.error()["code"] as? String == "queue_full")
                #expect(reply.header("Retry-After") != nil)
                #expect(try await client.get("/jobs").jsonArray().count == 0)
                let one = try await client.post("/device/bulk", Fixture.showVersion([lab.devices[0]]))
                _ = try one.batchID()
            }
        }
    }

    @Test("each key has its rate: past it 429 rate_limited with Retry-After; another key is not affected")
    func rateLimit() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(
                lab: lab, api: { $0.rateLimit = RateLimit(requestsPerSecond: 0.01, burst: 3) }
            ) { client, _ in
                for _ in 0..<3 { #expect(try await client.get("/jobs").status == 200) }
                let limited = try await client.get("/jobs")
                #expect(limited.status == 429)
                #expect(try limited.error()["code"] as? String == "rate_limited")
                #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
                #expect(try await client.get("/jobs", key: Fixture.otherKey).status == 200)
                #expect(try await client.get("/health", key: .some(nil)).status == 200)
            }
        }
    }

    @Test("a connection with no request in progress is closed after the idle timeout (slow headers too)")
    func idleConnectionsClosed() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab, idleTimeout: .milliseconds(500)) { _, server in
                let silent = try await RawHTTP.secondsUntilClosed(port: server.port, sending: [], limit: 20)
                #expect(silent != nil, "an idle connection stayed open")
                let partial = Array("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8)
                let slow = try await RawHTTP.secondsUntilClosed(port: server.port, sending: partial, limit: 20)
                #expect(slow != nil, "a connection sending half a request stayed open")
            }
        }
    }

    @Test("GET /jobs is paged: limit, X-Next-Cursor and Link; every job once; a bad cursor is 422")
    func pagedJobs() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                var all: [String] = []
                for _ in 0..<3 {
                    let reply = try await client.post("/device/bulk", Fixture.showVersion(lab.devices))
                    _ = try await client.waitForBatch(try reply.batchID())
                    all += try #require(try reply.json()["job_ids"] as? [String])
                }
                var seen: [String] = []
                var path = "/jobs?limit=4"
                for _ in 0..<5 {
                    let page = try await client.get(path)
                    seen += try page.jsonArray().compactMap { $0["id"] as? String }
                    guard let next = page.header("X-Next-Cursor") else { break }
                    #expect(page.header("Link") == "</jobs?limit=4&cursor=\(next)>; rel=\"next\"")
                    path = "/jobs?limit=4&cursor=\(next)"
                }
                #expect(seen == all)
                let bad = try await client.get("/jobs?cursor=12-x")
                #expect(bad.status == 422)
                #expect(try bad.error()["field"] as? String == "cursor")
            }
        }
    }

    @Test("max_output_bytes ends a command with unexpected_output; client numbers come back clamped")
    func outputCapAndClamps() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            var limits = SchedulerConfiguration.Limits()
            limits.maxExecutionTimeout = .seconds(120)
            limits.maxResultTTL = .seconds(300)
            try await Fixture.withServer(lab: lab, limits: limits) { client, _ in
                let body = Fixture.showVersion(
                    lab.devices,
                    options: #""queue_strategy": "pinned", "max_output_bytes": 64, "execution_timeout": 1e9, "#
                        + #""result_ttl": 604800"#)
                let reply = try await client.post("/device/bulk", body)
                let options = try #require(try reply.json()["options"] as? [String: Any], "\(reply.text)")
                #expect(options["execution_timeout"] as? Double == 120)
                #expect(options["result_ttl"] as? Double == 300)
                #expect(options["max_output_bytes"] as? Int == 64)
                let view = try await client.waitForBatch(try reply.batchID())
                let result = try #require((view["results"] as? [[String: Any]])?.first)
                #expect((result["error"] as? [String: Any])?["kind"] as? String == "unexpected_output", "\(result)")
            }
        }
    }

    @Test("served without keys: a foreign Host or Origin is 403, a body not JSON is 415; loopback clients pass")
    func openModeGuard() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(
                lab: lab,
                api: { api in
                    api.apiKeys = APIKeys()
                    api.allowUnauthenticated = true
                }
            ) { _, server in
                let body = Fixture.showVersion(lab.devices)
                func post(host: String, headers: [String] = [], type: String? = "application/json") async throws
                    -> String
                {
                    var head = "POST /device/bulk HTTP/1.1\r\nHost: \(host)\r\nContent-Length: \(body.utf8.count)\r\n"
                    if let type { head += "Content-Type: \(type)\r\n" }
                    for header in headers { head += header + "\r\n" }
                    return try await RawHTTP.exchange(port: server.port, request: Array((head + "\r\n" + body).utf8))
                }
                let local = "127.0.0.1:\(server.port)"
                #expect(try await post(host: "rebound.example:\(server.port)").hasPrefix("HTTP/1.1 403"))
                #expect(try await post(host: local, headers: ["Origin: http://evil.example"]).hasPrefix("HTTP/1.1 403"))
                #expect(try await post(host: local, headers: ["Origin: null"]).hasPrefix("HTTP/1.1 403"))
                #expect(try await post(host: local, type: "text/plain").hasPrefix("HTTP/1.1 415"))
                #expect(try await post(host: local, type: nil).hasPrefix("HTTP/1.1 415"))
                let rebound = try await RawHTTP.exchange(
                    port: server.port,
                    request: Array("GET /jobs HTTP/1.1\r\nHost: rebound.example\r\n\r\n".utf8))
                #expect(rebound.hasPrefix("HTTP/1.1 403"), "\(rebound)")
                // Loopback names, the same origin, JSON: accepted.
                #expect(try await post(host: local).hasPrefix("HTTP/1.1 201"))
                #expect(
                    try await post(
                        host: "localhost:\(server.port)", headers: ["Origin: http://localhost:\(server.port)"]
                    )
                    .hasPrefix("HTTP/1.1 201"))
                #expect(
                    try await post(host: local, type: "application/json; charset=utf-8").hasPrefix("HTTP/1.1 201"))
            }
        }
    }

    @Test("secrets in pushed config lines never come back: results, errors, job views, logs")
    func pushedSecretsRedacted() async throws {
        let logs = LogCapture()
        let secrets = ["Comm-S3cret-1", "Us3r-S3cret-2", "En-S3cret-3"]
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab, logs: logs) { client, _ in
                let body = """
                    {"driver": "netmiko", "devices": [\(Fixture.device(lab.devices[0]))],
                     "connection_args": {"device_type": "cisco_ios", "timeout": 30},
                     "config": ["snmp-server community \(secrets[0]) RO",
                                "username ops privilege 15 secret 0 \(secrets[1])",
                                "enable secret \(secrets[2])"],
                     "options": {"stop_on_error": false}}
                    """
                let reply = try await client.post("/push/batch", body)
                let id = try reply.batchID()
                let view = try await client.waitForBatch(id)
                let result = try #require((view["results"] as? [[String: Any]])?.first)
                let outputs = try #require(result["outputs"] as? [[String: Any]], "\(result)")
                #expect(
                    outputs.compactMap { $0["command"] as? String } == [
                        "snmp-server community ********", "username ops privilege 15 secret ********",
                        "enable secret ********",
                    ])
                var texts = [
                    reply.text, try await client.get("/batches/\(id)").text, try await client.get("/jobs").text,
                ]
                for jobID in try #require(try reply.json()["job_ids"] as? [String]) {
                    texts.append(try await client.get("/jobs/\(jobID)").text)
                }
                for text in texts + logs.lines {
                    for secret in secrets { #expect(!text.contains(secret), "\(secret) in \(text)") }
                }
            }
        }
    }
}
