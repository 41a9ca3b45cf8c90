import Foundation
import NetPulseLab
import Testing

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
}
