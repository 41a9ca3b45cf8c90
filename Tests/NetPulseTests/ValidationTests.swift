import Foundation
import NetPulse
import SSHTestSupport
import Testing

@Suite("Request validation names the field")
struct ValidationTests {
    static let base = #"""
        {"driver": "netmiko",
         "devices": [{"host": "10.0.0.1"}, {"host": "10.0.0.2"}, {"host": "10.0.0.3"}, HOST3],
         "connection_args": {"device_type": "cisco_ios", "username": "admin", "password": "pw"},
         OPERATION,
         "options": {OPTIONS}}
        """#

    static func request(
        host3: String = #"{"host": "10.0.0.4"}"#,
        operation: String = #""command": "show version""#,
        options: String = #""queue_strategy": "pinned""#
    ) -> String {
        base.replacingOccurrences(of: "HOST3", with: host3)
            .replacingOccurrences(of: "OPERATION", with: operation)
            .replacingOccurrences(of: "OPTIONS", with: options)
    }

    static let cases: [(String, String, String)] = [
        ("missing host", request(host3: #"{"username": "x"}"#), "devices[3].host"),
        ("empty host", request(host3: #"{"host": "  "}"#), "devices[3].host"),
        ("both command and config", request(operation: #""command": "a", "config": "b""#), "command"),
        ("neither command nor config", request(operation: #""driver_args": {}"#), "devices[0].command"),
        ("empty command", request(operation: #""command": """#), "command"),
        ("empty command list", request(operation: #""command": []"#), "command"),
        ("command not a string", request(operation: #""command": 42"#), "command"),
        ("command list item", request(operation: #""command": ["a", 1]"#), "command[1]"),
        ("unknown queue strategy", request(options: #""queue_strategy": "lifo""#), "options.queue_strategy"),
        ("ttl zero", request(options: #""ttl": 0"#), "options.ttl"),
        ("ttl too large", request(options: #""ttl": 86401"#), "options.ttl"),
        ("ttl a string", request(options: #""ttl": "600""#), "options.ttl"),
        ("negative execution timeout", request(options: #""execution_timeout": -1"#), "options.execution_timeout"),
        ("negative result ttl", request(options: #""result_ttl": -5"#), "options.result_ttl"),
        ("unknown option", request(options: #""retries": 3"#), "options.retries"),
        ("webhook in options", request(options: #""webhook": {"url": "x"}"#), "options.webhook"),
        ("duplicate device", request(host3: #"{"host": "10.0.0.2"}"#), "devices[3]"),
        (
            "unknown device_type", request(host3: #"{"host": "h", "device_type": "cisco_ios_telnet"}"#),
            "devices[3].device_type"
        ),
        ("port out of range", request(host3: #"{"host": "h", "port": 70000}"#), "devices[3].port"),
        ("port fraction", request(host3: #"{"host": "h", "port": 22.5}"#), "devices[3].port"),
        ("negative timeout", request(host3: #"{"host": "h", "timeout": -3}"#), "devices[3].timeout"),
        ("keepalive busy-loop", request(host3: #"{"host": "h", "keepalive": 0.001}"#), "devices[3].keepalive"),
        ("negative keepalive", request(host3: #"{"host": "h", "keepalive": -1}"#), "devices[3].keepalive"),
        ("NUL in host", request(host3: #"{"host": "10.0.0.9\u0000x"}"#), "devices[3].host"),
        ("host with a line break", request(host3: #"{"host": "h\nssh-rsa AAAA"}"#), "devices[3].host"),
        ("host as an option", request(host3: #"{"host": "-oProxyCommand=x"}"#), "devices[3].host"),
        ("host too long", request(host3: #"{"host": "\#(String(repeating: "a", count: 254))"}"#), "devices[3].host"),
        ("port zero", request(host3: #"{"host": "h", "port": 0}"#), "devices[3].port"),
        ("max_output_bytes zero", request(options: #""max_output_bytes": 0"#), "options.max_output_bytes"),
        ("unknown device field", request(host3: #"{"host": "h", "pasword": "x"}"#), "devices[3].pasword"),
        ("password not a string", request(host3: #"{"host": "h", "password": 1234}"#), "devices[3].password"),
        ("unknown auth method", request(host3: #"{"host": "h", "auth_method": "gssapi"}"#), "devices[3].auth_method"),
        ("publickey without key", request(host3: #"{"host": "h", "auth_method": "publickey"}"#), "devices[3].key_file"),
        ("device not an object", request(host3: "17"), "devices[3]"),
    ]

    @Test("each malformed field is rejected with its path", arguments: cases)
    func rejected(name: String, json: String, field: String) throws {
        let error = #expect(throws: RequestError.self, "\(name)") {
            _ = try BatchRequest(json: Data(json.utf8)).validated()
        }
        #expect(error?.field == field, "\(name): \(String(describing: error))")
        #expect(error?.description.hasPrefix(field) == true)
        #expect(error?.description.contains("pw") == false)
    }

    @Test("the base request itself is valid")
    func baseIsValid() throws {
        #expect(try BatchRequest(json: Data(Self.request().utf8)).validated().count == 4)
    }

    @Test("document-level problems")
    func documentLevel() {
        let cases: [(String, String)] = [
            ("", ""), ("[]", ""), ("{", ""), (#"{"devices": []}"#, "driver"),
            (#"{"driver": "d", "command": "c"}"#, "devices"),
            (#"{"driver": "d", "command": "c", "devices": []}"#, "devices"),
            (#"{"driver": "d", "command": "c", "devices": {}}"#, "devices"),
            (#"{"driver": "d", "command": "c", "devices": ["h"], "colour": 1}"#, "colour"),
            (#"{"driver": "d", "command": "c", "devices": ["h"], "ttl": 5, "options": {"ttl": 6}}"#, "options.ttl"),
            (#"{"driver": "d", "command": "c", "devices": ["h"], "connection_args": []}"#, "connection_args"),
        ]
        for (json, field) in cases {
            let error = #expect(throws: RequestError.self, "\(json)") {
                _ = try BatchRequest(json: Data(json.utf8)).validated()
            }
            #expect(error?.field == field, "\(json): \(String(describing: error))")
        }
    }

    @Test("missing username, device_type and credential")
    func missingConnectionFields() {
        let cases: [(String, String)] = [
            (#"{"host": "h", "device_type": "linux", "password": "p"}"#, "devices[0].username"),
            (#"{"host": "h", "username": "u", "password": "p"}"#, "devices[0].device_type"),
            (#"{"host": "h", "username": "u", "device_type": "linux"}"#, "devices[0].password"),
        ]
        for (device, field) in cases {
            let json = #"{"driver": "d", "command": "c", "devices": [\#(device)]}"#
            let error = #expect(throws: RequestError.self) { _ = try BatchRequest(json: Data(json.utf8)).validated() }
            #expect(error?.field == field, "\(String(describing: error))")
        }
    }

    @Test("an unknown driver is named when a registry is given")
    func unknownDriver() throws {
        var registry = DriverRegistry()
        registry.register(NullDriver(), as: "libssh2", aliases: ["ssh2"])
        let request = try BatchRequest(json: Data(GuideExamples.batchCommand.utf8))
        let error = #expect(throws: RequestError.self) { _ = try request.validated(drivers: registry) }
        #expect(error?.field == "driver")
        #expect(error?.reason.contains("libssh2") == true)
        registry.alias(["netmiko"], to: "libssh2")
        #expect(try request.validated(drivers: registry).count == 2)
    }
}

/// A driver that cannot connect; only its registration matters here.
struct NullDriver: Driver {
    func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
        throw NetPulseError.unsupported("NullDriver connects nowhere")
    }
}
