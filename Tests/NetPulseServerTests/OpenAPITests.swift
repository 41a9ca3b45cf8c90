import Foundation
import NetPulseLab
import NetPulseServer
import SSHTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The OpenAPI document describes what is served (schemathesis checks the schemas: scripts/check-openapi.sh).
@Suite("HTTP API: OpenAPI document")
struct OpenAPITests {
    typealias Fixture = ServerFixture

    @Test("served at /openapi.json; every operation it lists is routed, and every route is listed")
    func document() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let document = try await client.get("/openapi.json", key: .some(nil)).json()
                #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
                let paths = try #require(document["paths"] as? [String: [String: Any]])
                var operations: Set<String> = []
                for (path, item) in paths {
                    for method in item.keys where ["get", "post", "delete", "put", "patch"].contains(method) {
                        operations.insert("\(method.uppercased()) \(path)")
                    }
                }
                let served: Set<String> = [
                    "POST /device/bulk", "POST /device/exec", "POST /device/test", "POST /pull/batch",
                    "POST /push/batch", "GET /job", "GET /jobs", "GET /jobs/{id}", "DELETE /jobs/{id}",
                    "GET /batches/{id}", "GET /health", "GET /openapi.json", "DELETE /jobs", "DELETE /batches/{id}",
                    "GET /workers",
                ]
                #expect(operations == served)
                // Each listed operation reaches a handler (not the router's own 404 or 405).
                for operation in operations.sorted() {
                    let parts = operation.split(separator: " ")
                    let path = parts[1].replacingOccurrences(of: "{id}", with: "none.0")
                    let reply = try await client.send(
                        String(parts[0]), path, body: parts[0] == "POST" ? Data("{}".utf8) : nil)
                    #expect(reply.status != 405, "\(operation)")
                    #expect(reply.header("Content-Type") == "application/json", "\(operation)")
                    if reply.status == 404 {
                        #expect(try reply.error()["message"] as? String != "Not Found", "\(operation)")
                    }
                }
                // Methods not served on a listed path: 405 naming the allowed ones.
                let put = try await client.send("PUT", "/device/bulk", body: Data("{}".utf8))
                #expect(put.status == 405)
                #expect(put.header("Allow") == "POST")
                #expect(try await client.send("PATCH", "/jobs/x.0").header("Allow") == "GET, DELETE")
                #expect(try await client.send("HEAD", "/health").status == 405)
            }
        }
    }

    @Test("the configured limits are filled in; no placeholder is left")
    func limits() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(
                lab: lab,
                api: {
                    $0.maxJobsListed = 321
                    $0.maxWait = .seconds(45)
                    $0.maxBodyBytes = 654_321
                }
            ) { client, _ in
                let reply = try await client.get("/openapi.json", key: .some(nil))
                #expect(reply.status == 200)
                let text = String(decoding: reply.body, as: UTF8.self)
                #expect(!text.contains("__MAX"))
                #expect(text.contains("Body over 654321 bytes"))
                let document = try reply.json()
                let paths = try #require(document["paths"] as? [String: Any])
                func maximum(_ path: String, _ parameter: String) throws -> Int? {
                    let item = try #require(paths[path] as? [String: Any])
                    let get = try #require(item["get"] as? [String: Any])
                    let parameters = try #require(get["parameters"] as? [[String: Any]])
                    let found = try #require(parameters.first { $0["name"] as? String == parameter })
                    return (found["schema"] as? [String: Any])?["maximum"] as? Int
                }
                #expect(try maximum("/jobs", "limit") == 321)
                #expect(try maximum("/batches/{id}", "wait") == 45)
            }
        }
    }

    @Test("a copy of the binary finds the document in the resource folder beside it, and without it refuses to start")
    func resourceBesideBinary() async throws {
        let built = URL(fileURLWithPath: ServeCommandTests.binary)
        let folder = built.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("openapi-resource-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("netpulse")
        try FileManager.default.linkItem(at: built, to: copy)
        let key = "openapi-test-key-0123456789"

        let refused = try await ChildProcess.run(
            copy.path, ["serve", "--port", "0"], environment: ["NETPULSE_API_KEYS": key])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("openapi.json"), "\(refused.stderr)")
        #expect(refused.stderr.contains("netpulse_NetPulseServer.resources"), "\(refused.stderr)")
        #expect(refused.stderr.contains(folder.path), "\(refused.stderr)")

        let bundle = "netpulse_NetPulseServer.resources"
        try FileManager.default.copyItem(
            at: built.deletingLastPathComponent().appendingPathComponent(bundle),
            to: folder.appendingPathComponent(bundle))
        guard let (child, port) = try await ServeCommandTests.serve([], key: key, binary: copy.path) else { return }
        let client = HTTPClient(base: "http://127.0.0.1:\(port)", key: key)
        let reply = try await client.get("/openapi.json", key: .some(nil))
        #expect(reply.status == 200)
        #expect((try reply.json()["openapi"] as? String)?.hasPrefix("3.") == true)
        child.signal(SIGTERM)
        #expect(await child.wait() == 0)
    }
}
