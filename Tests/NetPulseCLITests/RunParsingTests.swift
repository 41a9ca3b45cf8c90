import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

/// `netpulse run` with a request's `parsing`: the template folder from `--templates` or `NETPULSE_TEMPLATES`.
@Suite("netpulse run: parsing")
struct RunParsingTests {
    typealias Command = NetPulseCommandTests

    static func request(_ lab: NetPulseLab.Lab) -> String {
        Command.guideRequest(Command.commandExample, lab: lab).replacingOccurrences(
            of: #""command": "show version","#,
            with: #""command": "show version", "parsing": {"name": "textfsm", "use_ntc_template": true},"#)
    }

    static func run(_ arguments: [String], input: String, environment: [String: String] = [:]) async throws
        -> ChildProcess.Output
    {
        // An empty NETPULSE_TEMPLATES unless the test sets it: the caller's environment must not decide.
        try await ChildProcess.run(
            Command.binary, arguments, environment: ["NETPULSE_TEMPLATES": ""].merging(environment) { $1 },
            input: input)
    }

    @Test("--templates DIR and NETPULSE_TEMPLATES give every device its parsed records")
    func templateFolder() async throws {
        let folder = try NTCTemplatesFixture.folder()
        try await withLab(Command.labConfiguration(devices: 2)) { lab in
            let request = Self.request(lab)
            #expect(request.contains("use_ntc_template"))
            let viaFlag = try await Self.run(
                ["run", "-", "--known-hosts", lab.knownHostsFile, "--templates", folder], input: request)
            let viaEnvironment = try await Self.run(
                ["run", "-", "--known-hosts", lab.knownHostsFile], input: request,
                environment: ["NETPULSE_TEMPLATES": folder])
            for output in [viaFlag, viaEnvironment] {
                #expect(output.status == 0, "\(output.stderr)")
                let result = try #require(
                    JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], "\(output.stdout)")
                let results = try #require(result["results"] as? [[String: Any]])
                #expect(results.count == 2)
                for (entry, device) in zip(results, lab.devices) {
                    let parsed = (entry["outputs"] as? [[String: Any]])?.first?["parsed"] as? [[String: Any]]
                    #expect(parsed?.first?["hostname"] as? String == device.hostname, "\(entry)")
                }
                #expect(!output.stdout.contains("admin123"))
            }
        }
    }

    @Test("no template folder: exit 2 naming parsing.use_ntc_template; a folder without an index: exit 64")
    func noFolder() async throws {
        try await withLab(Command.labConfiguration(devices: 1)) { lab in
            let refused = try await Self.run(
                ["run", "-", "--known-hosts", lab.knownHostsFile], input: Self.request(lab))
            #expect(refused.status == 2, "\(refused.stderr)")
            #expect(refused.stderr.contains("parsing.use_ntc_template"), "\(refused.stderr)")
            let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-index-\(UUID())")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: empty) }
            let invalid = try await Self.run(
                ["run", "-", "--known-hosts", lab.knownHostsFile, "--templates", empty.path], input: Self.request(lab))
            #expect(invalid.status == 64, "\(invalid.stderr)")
            #expect(invalid.stderr.contains("index"), "\(invalid.stderr)")
            #expect(lab.statistics().logins == 0, "a refused request connects nowhere")
        }
    }
}
