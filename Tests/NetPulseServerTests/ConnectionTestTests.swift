import Foundation
import NetPulseLab
import SSHTestSupport
import Testing

/// `POST /device/test`: a synchronous connection test against lab devices.
@Suite("HTTP API: connection test")
struct ConnectionTestTests {
    typealias Fixture = ServerFixture

    func test(_ client: HTTPClient, port: Int, password: String = Fixture.password) async throws -> HTTPClient.Reply {
        try await client.post(
            "/device/test",
            """
            {"driver": "netmiko", "connection_args": {"host": "127.0.0.1", "port": \(port), "device_type": "cisco_ios",
             "username": "admin", "password": "\(password)", "secret": "\(Fixture.enableSecret)", "timeout": 10}}
            """)
    }

    @Test("a good device passes; a closed port is unreachable; a wrong password is reachable, not authenticated")
    func outcomes() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let good = try await test(client, port: lab.devices[0].port)
                #expect(good.status == 200, "\(good.text)")
                let report = try good.json()
                #expect(report["success"] as? Bool == true, "\(report)")
                #expect(report["reachable"] as? Bool == true)
                #expect(report["authenticated"] as? Bool == true)
                #expect(report["prompt_found"] as? Bool == true)
                #expect(report["driver"] as? String == "libssh")
                #expect((report["time"] as? Double).map { $0 > 0 } == true)

                let closed = try await test(client, port: try TestSSHD.freePort())
                let refused = try closed.json()
                #expect(refused["success"] as? Bool == false)
                #expect(refused["reachable"] as? Bool == false)
                #expect((refused["error"] as? [String: Any])?["kind"] as? String == "connection_refused")

                let wrongPassword = "n0t-the-pa55word"
                let wrong = try await test(client, port: lab.devices[0].port, password: wrongPassword)
                let denied = try wrong.json()
                #expect(denied["reachable"] as? Bool == true, "\(denied)")
                #expect(denied["authenticated"] as? Bool == false)
                #expect(denied["prompt_found"] as? Bool == false)
                #expect((denied["error"] as? [String: Any])?["kind"] as? String == "authentication")
                #expect(!wrong.text.contains(wrongPassword))
            }
        }
    }

    @Test("a test runs nothing: a command is 422; two devices are 422")
    func invalid() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let withCommand = try await client.post(
                    "/device/test",
                    Fixture.showVersion(lab.devices))
                #expect(withCommand.status == 422)
                #expect(try withCommand.error()["field"] as? String == "command")
                let two = """
                    {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios"},
                     "devices": [\(Fixture.device(lab.devices[0])), \(Fixture.device(lab.devices[0]))]}
                    """
                let reply = try await client.post("/device/test", two)
                #expect(reply.status == 422)
                #expect(try reply.error()["field"] as? String == "devices")
            }
        }
    }
}
