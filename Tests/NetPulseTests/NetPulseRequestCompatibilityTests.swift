import Foundation
import NetPulse
import Testing

/// Requests as NetPulse's clients send them (issue 17, items 1 and 2).
@Suite("NetPulse requests: null fields, features off, NetPulse's defaults")
struct NetPulseRequestCompatibilityTests {
    static func decode(_ json: String, shape: RequestShape? = nil) throws(RequestError) -> BatchRequest {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        } catch {
            throw RequestError(field: "", reason: "test JSON does not parse: \(error)")
        }
        return try BatchRequest(jsonValue: value, shape: shape)
    }

    /// What netpulse-sdk 0.4.0 sends for `run(..., mode="bulk")`, with pydantic's nulls added.
    static let sdkBulk = #"""
        {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p"},
         "devices": [{"host": "10.0.0.1"}, {"host": "10.0.0.2"}], "command": ["show version"], "ttl": 300,
         "detach": false, "enable_mode": false, "save": false, "audit_mode": "none", "push_interval": null,
         "webhook": null, "parsing": null, "credential": null, "rendering": null, "file_transfer": null,
         "staged_file_id": null, "queue_strategy": null, "result_ttl": null, "execution_timeout": null,
         "driver_args": null}
        """#

    @Test("known fields with null, and features at their off value, are accepted")
    func nullsAndOffValues() throws {
        let request = try Self.decode(Self.sdkBulk)
        #expect(request.devices.count == 2)
        #expect(request.operation == .commands(["show version"]))
        #expect(request.options.ttl == .seconds(300), "the request's own ttl wins over the default")
        #expect(request.parsing == nil)
        #expect(request.options.enable == false)
        #expect(try request.validated().count == 2)
    }

    @Test(
        "a feature the request turns on is refused, naming the field and what to do instead",
        arguments: [
            (#""detach": true"#, "detach", "execution_timeout"),
            (#""push_interval": 5"#, "push_interval", "detached"),
            (#""file_transfer": {"operation": "upload"}"#, "file_transfer", "scp"),
            (#""staged_file_id": "f1""#, "staged_file_id", "file transfer"),
            (#""audit_mode": "full""#, "audit_mode", "none"),
            (#""audit_mode": "loud""#, "audit_mode", "expected full, metadata or none"),
            (#""webhook": {"url": "http://127.0.0.1:1/"}"#, "webhook", "netpulse serve"),
            (#""rendering": {"name": "jinja2", "template": "x"}"#, "rendering", "netpulse render"),
            (#""detach": "yes""#, "detach", "true or false"),
        ])
    func featureRefused(field: String, name: String, hint: String) {
        let json =
            #"{"driver": "netmiko", "devices": ["h"], "command": "c", "#
            + #""connection_args": {"device_type": "cisco_ios"}, \#(field)}"#
        #expect {
            _ = try Self.decode(json)
        } throws: { error in
            guard let error = error as? RequestError else { return false }
            return error.field == name && error.reason.contains(hint)
        }
    }

    @Test("NetPulse's defaults: pinned for netmiko and paramiko, ttl by shape, execution_timeout and result_ttl")
    func defaults() throws {
        let one = #"{"driver": "DRIVER", "devices": DEVICES, "command": "show version"}"#
        func request(_ driver: String, _ devices: String, shape: RequestShape? = nil) throws -> BatchRequest {
            try Self.decode(
                one.replacingOccurrences(of: "DRIVER", with: driver).replacingOccurrences(of: "DEVICES", with: devices),
                shape: shape)
        }
        #expect(try request("netmiko", #"["h"]"#).options.queueStrategy == .pinned)
        #expect(try request("paramiko", #"["h"]"#).options.queueStrategy == .pinned)
        #expect(try request("libssh2", #"["h"]"#).options.queueStrategy == .roundRobin)
        #expect(try request("netmiko", #"["h"]"#).options.ttl == .seconds(300))
        #expect(try request("netmiko", #"["h", "g"]"#).options.ttl == .seconds(600))
        #expect(try request("netmiko", #"["h"]"#, shape: .bulk).options.ttl == .seconds(600))
        #expect(try request("netmiko", #"["h", "g"]"#, shape: .batch).options.ttl == .seconds(1800))
        let options = try request("netmiko", #"["h"]"#).options
        #expect(options.executionTimeout == .seconds(300))
        #expect(options.resultTTL == .seconds(300))
        // A request that says keeps what it says.
        let fifo = try Self.decode(
            #"{"driver": "netmiko", "devices": ["h"], "command": "c", "queue_strategy": "fifo"}"#)
        #expect(fifo.options.queueStrategy == .roundRobin)
    }

    @Test("result_ttl is bounded to 60...604800 s as in NetPulse", arguments: [59.0, 604_801, 0])
    func resultTTLBounds(seconds: Double) {
        #expect {
            _ = try Self.decode(#"{"driver": "netmiko", "devices": ["h"], "command": "c", "result_ttl": \#(seconds)}"#)
        } throws: { error in
            (error as? RequestError)?.field == "options.result_ttl"
        }
    }
}
