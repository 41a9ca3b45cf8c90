import Foundation
import NetPulseLab
import SSHTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `netpulse serve --platforms`: HTTP requests name a loaded platform by `device_type`, never a file.
@Suite("netpulse serve: --platforms")
struct ServePlatformsTests {
    @Test("a loaded YAML platform runs a lab device over HTTP; a file path as device_type is refused")
    func loadedPlatform() async throws {
        let folder = NSTemporaryDirectory() + "netpulse-serve-platforms-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = folder + "/lab-router.yaml"
        try """
        name: lab_router_http
        inherits: cisco_ios
        disable_paging: ["terminal length 0"]
        """.write(toFile: file, atomically: true, encoding: .utf8)
        try await withLab(ServerFixture.labConfiguration(devices: 1)) { lab in
            let key = "serve-platforms-key-0123456789"
            guard
                let (child, port) = try await ServeCommandTests.serve(
                    ["--platforms", folder, "--known-hosts", lab.knownHostsFile, "--allow-targets", "127.0.0.0/8"],
                    key: key)
            else { return }
            let client = HTTPClient(base: "http://127.0.0.1:\(port)", key: key)
            let body = ServerFixture.showVersion(lab.devices).replacingOccurrences(
                of: #""device_type": "cisco_ios""#, with: #""device_type": "lab_router_http""#)
            #expect(body.contains("lab_router_http"))
            let view = try await client.waitForBatch(try await client.post("/device/bulk", body).batchID())
            let results = try #require(view["results"] as? [[String: Any]], "\(view)")
            #expect(results.first?["success"] as? Bool == true, "\(results)")

            let byPath = ServerFixture.showVersion(lab.devices).replacingOccurrences(
                of: #""device_type": "cisco_ios""#, with: #""device_type": "\#(file)""#)
            let refused = try await client.post("/device/bulk", byPath)
            #expect(refused.status != 201, "\(refused.text)")
            #expect(refused.text.contains("device_type"), "\(refused.text)")
            child.signal(SIGTERM)
            #expect(await child.wait() == 0)
        }
    }
}
