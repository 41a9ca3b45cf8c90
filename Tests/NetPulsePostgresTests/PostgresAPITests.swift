import Foundation
import Logging
import NetPulse
import NetPulseServer
import NetPulseTesting
import Testing

@testable import NetPulsePostgres

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP exchange on loopback: the status and the JSON body.
func http(
    _ method: String, _ url: String, body: Data? = nil
) async throws -> (status: Int, json: Any?) {
    var request = URLRequest(url: try #require(URL(string: url)))
    request.httpMethod = method
    request.timeoutInterval = 60
    if let body {
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    return (status, try? JSONSerialization.jsonObject(with: data))
}

/// The HTTP API on the PostgreSQL store: every route answers from the database, so a second API
/// process (here: a second server over a new store) serves the first one's batches.
@Suite("HTTP API on PostgreSQL", .serialized)
struct PostgresAPITests {
    static func serve<T: Sendable>(
        _ queue: PostgresQueue, _ body: @escaping @Sendable (String) async throws -> T
    ) async throws -> T {
        var options = PostgresBatchStore.Options()
        options.pollInterval = .milliseconds(200)
        let store = PostgresBatchStore(queue: queue, annotations: NetPulseAPI.annotationCodec, options: options)
        var api = NetPulseAPIConfiguration(allowUnauthenticated: true)
        api.workerDirectory = PostgresWorkerDirectory(client: queue.client, logger: Logger(label: "test"))
        let configuration = NetPulseServerConfiguration(port: 0, api: api, memoryReleaseInterval: nil)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            return try await NetPulseAPIServer.withServer(configuration: configuration, store: store) { server in
                try await body("http://127.0.0.1:\(server.port)")
            }
        }
    }

    @Test("submit over HTTP, read job and batch views, then the same from a second API over the database")
    func submitAndRestart() async throws {
        try await withTestQueue { queue in
            let json = try requestJSON(hosts: ["a1", "a2", "a3"])
            let (batchID, jobID) = try await Self.serve(queue) { base in
                let (status, answer) = try await http("POST", "\(base)/device/bulk", body: json)
                #expect(status == 201)
                let object = try #require(answer as? [String: Any])
                let batchID = try #require(object["batch_id"] as? String)
                let jobs = try #require(object["jobs"] as? [[String: Any]])
                #expect(jobs.count == 3)
                let (queuedStatus, queued) = try await http("GET", "\(base)/batches/\(batchID)")
                #expect(queuedStatus == 200)
                #expect((queued as? [String: Any])?["complete"] as? Bool == false, "no worker yet")
                let (healthStatus, health) = try await http("GET", "\(base)/health")
                #expect(healthStatus == 200)
                let scheduler = try #require((health as? [String: Any])?["scheduler"] as? [String: Any])
                #expect(scheduler["queued_jobs"] as? Int == 3)
                #expect(scheduler["open_connections"] == nil, "no connection count for jobs run elsewhere")
                return (batchID, try #require(jobs[1]["job_id"] as? String))
            }
            try await withWorkers(1, queue: queue) { _ in
                try await Self.serve(queue) { base in
                    let (status, answer) = try await http("GET", "\(base)/batches/\(batchID)?wait=30")
                    #expect(status == 200)
                    let batch = try #require(answer as? [String: Any])
                    #expect(batch["complete"] as? Bool == true)
                    #expect(batch["endpoint"] as? String == "/device/bulk", "the API's record survived")
                    let results = try #require(batch["results"] as? [[String: Any]])
                    #expect(results.compactMap { $0["hostname"] as? String } == ["a1", "a2", "a3"])
                    let (jobStatus, job) = try await http("GET", "\(base)/jobs/\(jobID)")
                    #expect(jobStatus == 200)
                    let view = try #require(job as? [String: Any])
                    #expect(view["status"] as? String == "finished")
                    #expect((view["device"] as? [String: Any])?["password"] as? String == Secret.mask)
                    let (listStatus, list) = try await http("GET", "\(base)/jobs?batch=\(batchID)&limit=2")
                    #expect(listStatus == 200)
                    #expect((list as? [Any])?.count == 2)
                    let (workersStatus, workers) = try await http("GET", "\(base)/workers")
                    #expect(workersStatus == 200)
                    #expect((workers as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["w0"])
                    let (cancelStatus, _) = try await http("DELETE", "\(base)/jobs/\(jobID)")
                    #expect(cancelStatus == 409, "already final")
                    let (missing, _) = try await http("GET", "\(base)/batches/\(UUID().uuidString.lowercased())")
                    #expect(missing == 404)
                }
            }
        }
    }

    @Test("a request naming a credential is refused with 501 naming the feature, and nothing is queued")
    func credentialUnsupported() async throws {
        try await withTestQueue { queue in
            try await Self.serve(queue) { base in
                let body = Data(
                    """
                    {"driver": "memory", "devices": [{"host": "c1"}], "command": "show version",
                     "connection_args": {"device_type": "cisco_ios", "credential": {"name": "vault", "ref": "x"}}}
                    """.utf8)
                let (status, answer) = try await http("POST", "\(base)/device/bulk", body: body)
                #expect(status == 501)
                let error = try #require((answer as? [String: Any])?["error"] as? [String: Any])
                #expect(error["field"] as? String == "credential")
                #expect(try await queue.queuedJobs() == 0)
            }
        }
    }
}
