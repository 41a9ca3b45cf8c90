import Foundation
import InMemoryTracing
import Logging
import NetPulse
import NetPulseLab
import NetPulseObservability
import Testing
import Synchronization
import Tracing

/// `GET /metrics` and the span tree of a batch, over real HTTP, on lab devices through libssh.
@Suite("HTTP API: metrics and spans")
struct ObservabilityTests {
    typealias Fixture = ServerFixture

    /// The process's Prometheus registry (swift-metrics allows one bootstrap per process).
    static let metrics = PrometheusEndpoint.bootstrap()

    /// The value of the sample `name{labels}` in a Prometheus text page; 0 when absent.
    static func sample(_ page: String, _ series: String) -> Double {
        for line in page.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)) ?? -1
        }
        return 0
    }

    @Test("GET /metrics during a lab batch: the connect histogram fills, scheduler and HTTP metrics are there")
    func metricsAfterABatch() async throws {
        let devices = 3
        let endpoint = Self.metrics
        try await withLab(Fixture.labConfiguration(devices: devices)) { lab in
            try await Fixture.withServer(lab: lab, metrics: endpoint) { client, _ in
                let before = try await client.get("/metrics", key: .some(nil))
                #expect(before.status == 200)
                #expect(before.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
                let connects = #"netpulse_ssh_connect_duration_count{driver="libssh"}"#
                let connectsBefore = Self.sample(before.text, connects)

                let id = try await client.post("/pull/batch", Fixture.showVersion(lab.devices)).batchID()
                let view = try await client.waitForBatch(id)
                #expect(view["success"] as? Bool == true, "\(view)")

                let after = try await client.get("/metrics", key: .some(nil))
                #expect(after.status == 200)
                let page = after.text
                // Other suites of this process may connect too: the count grows by at least ours.
                #expect(Self.sample(page, connects) - connectsBefore >= Double(devices), "\(page)")
                #expect(page.contains(#"netpulse_ssh_connect_duration_bucket{driver="libssh",le="+Inf"}"#))
                #expect(Self.sample(page, #"netpulse_ssh_auth_duration_count{driver="libssh"}"#) >= Double(devices))
                #expect(Self.sample(page, #"netpulse_ssh_command_duration_count{driver="libssh"}"#) >= Double(devices))
                #expect(Self.sample(page, #"netpulse_jobs_total{status="finished"}"#) >= Double(devices))
                #expect(page.contains("netpulse_job_duration_bucket"))
                // HTTP metrics by route, method and status, and a latency histogram.
                #expect(page.contains(#"http_route="/pull/batch""#), "\(page)")
                #expect(page.contains(#"http_response_status_code="201""#))
                #expect(page.contains("http_server_request_duration_bucket"))
                #expect(!page.contains(Fixture.password))
                #expect(!page.contains(Fixture.key))
            }
        }
    }

    @Test("a batch's span tree: HTTP request, batch, one job per device, each with connect and execute")
    func spanTree() async throws {
        let tracer = InMemoryTracer()
        let devices = 2
        let batchID = try await withTracer(tracer) {
            try await withLab(Fixture.labConfiguration(devices: devices)) { lab in
                try await Fixture.withServer(lab: lab) { client, _ in
                    let id = try await client.post("/pull/batch", Fixture.showVersion(lab.devices)).batchID()
                    let view = try await client.waitForBatch(id)
                    #expect(view["success"] as? Bool == true, "\(view)")
                    return id
                }
            }
        }
        let finished = tracer.finishedSpans
        let batch = try #require(
            finished.first { $0.operationName == "netpulse.batch" && $0.attributes["netpulse.batch.id"] != nil },
            "\(finished.map(\.operationName))")
        #expect(batch.attributes["netpulse.batch.id"]?.toSpanAttribute() == .string(batchID))
        #expect(batch.attributes["netpulse.batch.devices"]?.toSpanAttribute() == .int64(Int64(devices)))
        // The batch is a child of the HTTP request's span (ended once the 201 was written).
        let parentID = try #require(batch.parentSpanID)
        let request = try #require(finished.first { $0.spanID == parentID }, "\(finished.map(\.operationName))")
        #expect(request.kind == .server)
        #expect(request.operationName.contains("/pull/batch"), "\(request.operationName)")
        #expect(request.parentSpanID == nil)

        let jobs = finished.filter { $0.operationName == "netpulse.job" && $0.parentSpanID == batch.spanID }
        #expect(jobs.count == devices)
        for job in jobs {
            #expect(job.traceID == request.traceID)
            #expect(job.status?.code != .error)
            let children = finished.filter { $0.parentSpanID == job.spanID }.map(\.operationName).sorted()
            #expect(children == ["netpulse.connect", "netpulse.execute"], "\(children)")
        }
        #expect(
            Set(finished.filter { $0.traceID == request.traceID }.map(\.operationName)).isSuperset(
                of: ["netpulse.batch", "netpulse.job", "netpulse.connect", "netpulse.execute"]))
    }

    @Test("JSONLogHandler: one valid JSON object per line, escapes, merged metadata, secrets masked")
    func jsonLogLines() throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "np.test") { label in
            JSONLogHandler(label: label) { bytes in lines.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) }
            }
        }
        logger[metadataKey: "device"] = "127.0.0.1:2222"
        let secret = Secret("hunter2-secret")
        logger.info(
            "a \"quoted\"\nmessage\u{01}", metadata: ["password": "\(secret)", "nested": ["a": ["1", "2"]]])
        logger.debug("below the level")
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = try #require(written.first)
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "a \"quoted\"\nmessage\u{01}")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "np.test")
        #expect(object["device"] as? String == "127.0.0.1:2222")
        #expect(object["password"] as? String == Secret.mask)
        #expect((object["nested"] as? [String: Any])?["a"] as? [String] == ["1", "2"])
        #expect((object["time"] as? String)?.hasSuffix("Z") == true)
        #expect(!line.contains("hunter2"))
    }
}
