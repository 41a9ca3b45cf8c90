import Foundation
import NetPulse
import NetPulseLab
import NetPulseParsing
import NetPulseServer
import SSHTestSupport
import Testing

/// The request's `parsing` over real HTTP, on lab devices: `parsed` in the results, `file://` templates
/// under the operator's file policy, errors naming the field.
@Suite("HTTP API: parsing")
struct ParsingAPITests {
    typealias Fixture = ServerFixture

    /// A `show version` batch on lab devices with the given `parsing` JSON.
    static func request(_ devices: [LabDevice], parsing: String, strategy: String = "round_robin") -> String {
        """
        {"driver": "netmiko", "devices": [\(devices.map { Fixture.device($0) }.joined(separator: ", "))],
         "connection_args": {"device_type": "cisco_ios", "timeout": 30},
         "command": "show version", "parsing": \(parsing), "options": {"queue_strategy": "\(strategy)"}}
        """
    }

    static let template = #"""
        Value VERSION (\S+)
        Value Required HOSTNAME (\S+)

        Start
          ^Cisco IOS XE Software, Version ${VERSION}
          ^${HOSTNAME} uptime is -> Record
        """#

    /// `parsing` with ``template`` inline, JSON-escaped.
    static var inlineParsing: String {
        String(
            decoding: (try? JSONEncoder().encode(["name": "textfsm", "template": template])) ?? Data(), as: UTF8.self)
    }

    static func parser() throws -> TextFSMOutputParser {
        TextFSMOutputParser(templateDirectory: try NTCTemplatesFixture.folder())
    }

    /// The records of a result's first output, checked to be one record of the lab device.
    static func expectParsed(
        _ result: [String: Any], of device: LabDevice, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result["success"] as? Bool == true, "\(result)", sourceLocation: sourceLocation)
        let outputs = result["outputs"] as? [[String: Any]]
        let parsed = outputs?.first?["parsed"] as? [[String: Any]]
        #expect(parsed?.count == 1, "\(result)", sourceLocation: sourceLocation)
        #expect(parsed?.first?["hostname"] as? String == device.hostname, "\(result)", sourceLocation: sourceLocation)
        #expect(
            (parsed?.first?["version"] as? String)?.hasPrefix("17.") == true, "\(result)",
            sourceLocation: sourceLocation)
    }

    @Test("inline and ntc templates: parsed in GET /batches/{id} and GET /jobs/{id}; no secret in the answers")
    func parsedInResults() async throws {
        try await withLab(Fixture.labConfiguration(devices: 3)) { lab in
            try await Fixture.withServer(lab: lab, parser: try Self.parser()) { client, _ in
                let ntc = #"{"name": "textfsm", "use_ntc_template": true}"#
                for (parsing, path) in [(Self.inlineParsing, "/pull/batch"), (ntc, "/device/bulk")] {
                    let reply = try await client.post(path, Self.request(lab.devices, parsing: parsing))
                    let id = try reply.batchID()
                    let view = try await client.waitForBatch(id)
                    let results = try #require(view["results"] as? [[String: Any]], "\(view)")
                    #expect(results.count == lab.devices.count)
                    for (result, device) in zip(results, lab.devices) { Self.expectParsed(result, of: device) }
                    let jobIDs = try #require(try reply.json()["job_ids"] as? [String])
                    for (jobID, device) in zip(jobIDs, lab.devices) {
                        let job = try await client.get("/jobs/\(jobID)")
                        #expect(job.status == 200)
                        Self.expectParsed(try #require(try job.json()["result"] as? [String: Any]), of: device)
                        #expect(!job.text.contains(Fixture.password) && !job.text.contains(Fixture.enableSecret))
                    }
                    let text = try await client.get("/batches/\(id)").text
                    #expect(!text.contains(Fixture.password) && !text.contains(Fixture.enableSecret))
                }
            }
        }
    }

    @Test("a template error fails the device with parsing_error and keeps the raw output, over HTTP")
    func templateError() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab, parser: try Self.parser()) { client, _ in
                let broken = String(
                    decoding: try JSONEncoder().encode(
                        ["name": "textfsm", "template": "Value V (\\S+)\n\nStart\n  ^Cisco -> Error\n"]),
                    as: UTF8.self)
                let reply = try await client.post("/device/bulk", Self.request(lab.devices, parsing: broken))
                let view = try await client.waitForBatch(try reply.batchID())
                let results = try #require(view["results"] as? [[String: Any]])
                #expect(results.count == 2)
                for result in results {
                    #expect(result["success"] as? Bool == false)
                    let error = result["error"] as? [String: Any]
                    #expect(error?["kind"] as? String == "parsing_error", "\(result)")
                    #expect((error?["message"] as? String)?.contains("line 4") == true, "\(result)")
                    let output = (result["outputs"] as? [[String: Any]])?.first
                    #expect((output?["output"] as? String)?.contains("Cisco IOS XE Software") == true)
                    #expect(output?["parsed"] == nil)
                }
            }
        }
    }

    @Test("a file:// template is refused (403, parsing.template) unless the operator allows its directory")
    func fileTemplatePolicy() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parsing-api-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("version.textfsm").path
        try Self.template.write(toFile: file, atomically: true, encoding: .utf8)
        let parsing = #"{"name": "textfsm", "template": "file://\#(file)"}"#
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            // Default policy: no file may be named.
            try await Fixture.withServer(lab: lab, parser: try Self.parser()) { client, _ in
                let reply = try await client.post("/device/bulk", Self.request(lab.devices, parsing: parsing))
                #expect(reply.status == 403, "\(reply.text)")
                #expect(try reply.error()["field"] as? String == "parsing.template")
                #expect(try reply.error()["code"] as? String == "forbidden_by_policy")
                #expect(lab.statistics().logins == 0, "nothing was run")
            }
            // Another directory allowed: still refused.
            let other = FileManager.default.temporaryDirectory.appendingPathComponent("parsing-other-\(UUID())").path
            try await Fixture.withServer(
                lab: lab, api: { $0.requestPolicy.allowedFileDirectories = [other] }, parser: try Self.parser()
            ) { client, _ in
                let reply = try await client.post("/pull/batch", Self.request(lab.devices, parsing: parsing))
                #expect(reply.status == 403, "\(reply.text)")
                #expect(try reply.error()["field"] as? String == "parsing.template")
            }
            // The template's directory allowed by the operator: parsed.
            try await Fixture.withServer(
                lab: lab, api: { $0.requestPolicy.allowedFileDirectories = [folder.path] }, parser: try Self.parser()
            ) { client, _ in
                let reply = try await client.post("/pull/batch", Self.request(lab.devices, parsing: parsing))
                let view = try await client.waitForBatch(try reply.batchID())
                let results = try #require(view["results"] as? [[String: Any]])
                for (result, device) in zip(results, lab.devices) { Self.expectParsed(result, of: device) }
                // A path outside it with '..' is refused.
                let escape = #"{"name": "textfsm", "template": "file://\#(folder.path)/../etc.textfsm"}"#
                let refused = try await client.post("/pull/batch", Self.request(lab.devices, parsing: escape))
                #expect(refused.status == 403, "\(refused.text)")
            }
        }
    }

    @Test("bad parsing is 422 naming the field; without a parser or a template folder, field parsing")
    func refusals() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            let cases: [(parsing: String, field: String)] = [
                (#"{"name": "jinja2", "template": "x"}"#, "parsing.name"),
                (#"{"name": "textfsm"}"#, "parsing.template"),
                (#"{"name": "textfsm", "template": "Value A (x)", "extra": 1}"#, "parsing.extra"),
                (#"{"name": "textfsm", "use_ntc_template": 1}"#, "parsing.use_ntc_template"),
                (#"{"name": "textfsm", "template": "http://127.0.0.1:1/t.textfsm"}"#, "parsing.template"),
            ]
            try await Fixture.withServer(lab: lab, parser: TextFSMOutputParser(templateDirectory: nil)) { client, _ in
                for item in cases {
                    let reply = try await client.post("/device/bulk", Self.request(lab.devices, parsing: item.parsing))
                    #expect(reply.status == 422, "\(item.parsing): \(reply.text)")
                    #expect(try reply.error()["field"] as? String == item.field, "\(reply.text)")
                }
                // No template folder on this server.
                let ntc = try await client.post(
                    "/device/bulk",
                    Self.request(lab.devices, parsing: #"{"name": "textfsm", "use_ntc_template": true}"#))
                #expect(ntc.status == 422, "\(ntc.text)")
                #expect(try ntc.error()["field"] as? String == "parsing.use_ntc_template")
                // Config with parsing.
                let push = try await client.post(
                    "/push/batch",
                    Self.request(lab.devices, parsing: Self.inlineParsing).replacingOccurrences(
                        of: #""command": "show version""#, with: #""config": "hostname X""#))
                #expect(push.status == 422, "\(push.text)")
                #expect(try push.error()["field"] as? String == "parsing")
            }
            // A server whose scheduler has no parser.
            try await Fixture.withServer(lab: lab) { client, _ in
                let reply = try await client.post(
                    "/device/bulk", Self.request(lab.devices, parsing: Self.inlineParsing))
                #expect(reply.status == 422, "\(reply.text)")
                #expect(try reply.error()["field"] as? String == "parsing")
            }
            #expect(lab.statistics().logins == 0, "nothing refused was run")
        }
    }
}
