import Foundation
import NetPulse
import NetPulseLab
import Testing

/// NetPulse's `rendering` over HTTP (issue 16, item 2): a per-device config push rendered from one
/// template, read back from the lab devices.
@Suite("HTTP API: rendering")
struct RenderingAPITests {
    typealias Fixture = ServerFixture

    static let template = #"hostname {{ hostname }}\ninterface Loopback0\n description {{ role|upper }} {{ site }}"#

    @Test("a rendered per-device config push is read back from each device")
    func perDevicePush() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let devices = lab.devices.enumerated().map { index, device in
                    String(Fixture.device(device).dropLast())
                        + #", "config": {"hostname": "edge-\#(index + 1)", "site": "par\#(index + 1)"}}"#
                }
                let push = """
                    {"driver": "netmiko", "devices": [\(devices.joined(separator: ", "))],
                     "connection_args": {"device_type": "cisco_ios"},
                     "config": {"site": "default"},
                     "rendering": {"name": "jinja2", "template": "\(Self.template)", "args": {"role": "edge"}}}
                    """
                let id = try await client.post("/device/bulk", push).batchID()
                let pushed = try await client.waitForBatch(id)
                #expect(pushed["success"] as? Bool == true, "\(pushed)")
                let show = Fixture.showVersion(lab.devices).replacingOccurrences(
                    of: "\"show version\"", with: "\"show running-config\"")
                let view = try await client.waitForBatch(try await client.post("/pull/batch", show).batchID())
                let results = try #require(view["results"] as? [[String: Any]])
                #expect(results.count == 2)
                for result in results {
                    let index = try #require(result["index"] as? Int)
                    let output = try #require(result["output"] as? String)
                    #expect(output.contains("hostname edge-\(index + 1)"), "\(output)")
                    #expect(output.contains("description EDGE par\(index + 1)"), "\(output)")
                }
            }
        }
    }

    @Test("a template using what the subset lacks is 422 naming rendering.template and the line")
    func unsupported() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let body = """
                    {"driver": "netmiko", "devices": [\(Fixture.device(lab.devices[0]))],
                     "connection_args": {"device_type": "cisco_ios"}, "config": {"x": 1},
                     "rendering": {"name": "jinja2", "template": "a\\n{{ x|wordwrap }}"}}
                    """
                let reply = try await client.post("/device/bulk", body)
                #expect(reply.status == 422)
                #expect(try reply.error()["field"] as? String == "rendering.template")
                #expect((try reply.error()["message"] as? String)?.contains("line 2") == true, "\(reply.text)")
                let file = body.replacingOccurrences(of: #""a\n{{ x|wordwrap }}""#, with: #""file:///etc/hostname""#)
                let forbidden = try await client.post("/device/bulk", file)
                #expect(forbidden.status == 403, "no folder allowed: \(forbidden.text)")
            }
        }
    }
}
