import Foundation
import NetPulseLab
import SSHTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `netpulse serve --templates`: the operator's template folder for `use_ntc_template`, over HTTP.
@Suite("netpulse serve: parsing")
struct ServeParsingTests {
    @Test("--templates DIR: a use_ntc_template batch on a lab device returns its parsed records")
    func templatesFlag() async throws {
        let folder = try NTCTemplatesFixture.folder()
        try await withLab(ServerFixture.labConfiguration(devices: 2)) { lab in
            let key = "serve-parsing-key-0123456789"
            guard
                let (child, port) = try await ServeCommandTests.serve(
                    ["--templates", folder, "--known-hosts", lab.knownHostsFile, "--allow-targets", "127.0.0.0/8"],
                    key: key)
            else { return }
            let client = HTTPClient(base: "http://127.0.0.1:\(port)", key: key)
            let body = ServerFixture.showVersion(lab.devices).replacingOccurrences(
                of: #""command": "show version","#,
                with: #""command": "show version", "parsing": {"name": "textfsm", "use_ntc_template": true},"#)
            #expect(body.contains("use_ntc_template"))
            let view = try await client.waitForBatch(try await client.post("/device/bulk", body).batchID())
            let results = try #require(view["results"] as? [[String: Any]], "\(view)")
            #expect(results.count == 2)
            for (result, device) in zip(results, lab.devices) {
                let parsed = (result["outputs"] as? [[String: Any]])?.first?["parsed"] as? [[String: Any]]
                #expect(parsed?.first?["hostname"] as? String == device.hostname, "\(result)")
            }
            child.signal(SIGTERM)
            #expect(await child.wait() == 0)
        }
    }

    @Test("--templates naming a folder without an index: refused before serving (exit 64)")
    func templatesWithoutIndex() async throws {
        let output = try await ChildProcess.run(
            ServeCommandTests.binary, ["serve", "--port", "0", "--templates", "/nonexistent-templates"],
            environment: ["NETPULSE_API_KEYS": "0123456789abcdef0123"])
        #expect(output.status == 64, "\(output.stderr)")
        #expect(output.stderr.contains("--templates"), "\(output.stderr)")
    }
}
