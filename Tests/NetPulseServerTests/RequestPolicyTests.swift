import Foundation
import NetPulse
import NetPulseLab
import NetPulseServer
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What an API key holder may choose: no other caller's session, no server file, no weaker policy,
/// no malformed host. Over real HTTP, against lab devices.
@Suite("HTTP API: a key holder can do what its key allows, and no more")
struct RequestPolicyTests {
    typealias Fixture = ServerFixture

    /// A pinned `show version` on one lab device with the given password, as its results.
    static func pinnedRun(
        _ client: HTTPClient, _ device: LabDevice, password: String, key: String
    ) async throws -> [String: Any] {
        let body = Fixture.showVersion([device]).replacingOccurrences(
            of: #""password": "\#(Fixture.password)""#, with: #""password": "\#(password)""#)
        let reply = try await client.post("/device/bulk", body, key: key)
        let view = try await client.waitForBatch(try reply.batchID())
        return try #require((view["results"] as? [[String: Any]])?.first, "\(view)")
    }

    @Test("a pinned session is never reused with another password, nor by another API key")
    func pinnedSessionIdentity() async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let device = lab.devices[0]
                let first = try await Self.pinnedRun(client, device, password: Fixture.password, key: Fixture.key)
                #expect(first["success"] as? Bool == true, "\(first)")
                let again = try await Self.pinnedRun(client, device, password: Fixture.password, key: Fixture.key)
                #expect(again["session_reused"] as? Bool == true, "same key and credentials reuse: \(again)")

                // Same host and user, any other password: it must log in itself, and fail.
                let wrong = try await Self.pinnedRun(client, device, password: "not-the-password", key: Fixture.key)
                #expect(wrong["success"] as? Bool == false, "\(wrong)")
                #expect((wrong["error"] as? [String: Any])?["kind"] as? String == "authentication", "\(wrong)")

                // The right password under another key: a session of its own.
                let warm = try await Self.pinnedRun(client, device, password: Fixture.password, key: Fixture.key)
                #expect(warm["success"] as? Bool == true)
                let other = try await Self.pinnedRun(
                    client, device, password: Fixture.password, key: Fixture.otherKey)
                #expect(other["success"] as? Bool == true, "\(other)")
                #expect(other["session_reused"] as? Bool == false, "another key never shares a session: \(other)")
            }
        }
    }

    /// A request with the given connection fields, shared or on the device.
    static func request(_ device: LabDevice, shared: String = "", command: Bool = true) -> String {
        """
        {"driver": "netmiko", "devices": [\(Fixture.device(device))],
         "connection_args": {"device_type": "cisco_ios", "timeout": 10\(shared.isEmpty ? "" : ", \(shared)")}\(
            command ? #", "command": "show version""# : "")}
        """
    }

    @Test("files and weaker policy in connection_args are refused (403, naming the field); nothing is written")
    func sharedFieldsRefused() async throws {
        let directory = try TemporaryDirectory()
        let created = directory.path + "/created_known_hosts"
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let cases: [(String, String)] = [
                    (#""host_key_policy": "accept_new", "known_hosts_file": "\#(created)""#, "host_key_policy"),
                    (#""host_key_policy": "strict", "known_hosts_file": "\#(created)""#, "known_hosts_file"),
                    (#""known_hosts_file": "/dev/zero""#, "known_hosts_file"),
                    (#""key_file": "/root/.ssh/id_ed25519""#, "key_file"),
                    (#""host_key_policy": "off""#, "host_key_policy"),
                    (#""host_key_policy": "accept_new""#, "host_key_policy"),
                    (#""legacy_algorithms": true"#, "legacy_algorithms"),
                    (#""session_log": "/tmp/netpulse-session.log""#, "session_log"),
                    (#""jump_host": {"host": "127.0.0.1", "key_file": "/root/.ssh/id_ed25519"}"#, "jump_host.key_file"),
                    (
                        #""jump_host": [{"host": "127.0.0.1"}, {"host": "127.0.0.1", "host_key_policy": "off"}]"#,
                        "jump_host[1].host_key_policy"
                    ),
                ]
                for (fields, field) in cases {
                    let reply = try await client.post("/device/bulk", Self.request(lab.devices[0], shared: fields))
                    #expect(reply.status == 403, "\(fields): \(reply.text)")
                    #expect(try reply.error()["field"] as? String == "connection_args.\(field)", "\(reply.text)")
                    #expect(try reply.error()["code"] as? String == "forbidden_by_policy")
                    let test = try await client.post(
                        "/device/test", Self.request(lab.devices[0], shared: fields, command: false))
                    #expect(test.status == 403, "/device/test \(fields): \(test.text)")
                }
                // Stricter than the operator is fine, and so is legacy_algorithms: false.
                let strict = try await client.post(
                    "/device/bulk",
                    Self.request(lab.devices[0], shared: #""host_key_policy": "strict", "legacy_algorithms": false"#))
                _ = try strict.batchID()
                #expect(try await client.get("/jobs").jsonArray().count == 1)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: created), "accept_new wrote a file a request named")
    }

    @Test("per device, a refused field rejects that device only, naming devices[i].field")
    func deviceFieldsRefused() async throws {
        try await withLab(Fixture.labConfiguration(devices: 2)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let good = Fixture.device(lab.devices[0])
                let bad = Fixture.device(lab.devices[1]).dropLast() + #", "host_key_policy": "off"}"#
                let body = """
                    {"driver": "netmiko", "devices": [\(good), \(bad)],
                     "connection_args": {"device_type": "cisco_ios"}, "command": "show version"}
                    """
                let reply = try await client.post("/device/bulk", body)
                _ = try reply.batchID()
                let rejected = try #require(try reply.json()["rejected"] as? [[String: Any]])
                #expect(rejected.map { $0["field"] as? String } == ["devices[1].host_key_policy"])
            }
        }
    }

    @Test("allowed directories: a file inside may be named; outside, through a link, or not a regular file may not")
    func allowedDirectories() async throws {
        let allowed = try TemporaryDirectory()
        let outside = try TemporaryDirectory()
        let key = allowed.path + "/id_test"
        try Data("not really a key\n".utf8).write(to: URL(fileURLWithPath: key))
        try Data("secret\n".utf8).write(to: URL(fileURLWithPath: outside.path + "/id_other"))
        try FileManager.default.createSymbolicLink(
            atPath: allowed.path + "/escape", withDestinationPath: outside.path + "/id_other")
        try FileManager.default.createSymbolicLink(atPath: allowed.path + "/linkdir", withDestinationPath: outside.path)
        #expect(mkfifo(allowed.path + "/fifo", 0o600) == 0)
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(
                lab: lab,
                api: { api in
                    api.requestPolicy.allowedFileDirectories = [allowed.path]
                    api.requestPolicy.weakestHostKeyMode = .acceptNew
                }
            ) { client, _ in
                let cases: [(String, Int)] = [
                    (#""key_file": "\#(key)""#, 201),
                    (#""host_key_policy": "accept_new", "known_hosts_file": "\#(allowed.path)/new_hosts""#, 201),
                    (#""key_file": "\#(outside.path)/id_other""#, 403),
                    (#""key_file": "\#(allowed.path)/escape""#, 403),
                    (#""known_hosts_file": "\#(allowed.path)/linkdir/known""#, 403),
                    (
                        #""key_file": "\#(allowed.path)/../\#(URL(fileURLWithPath: outside.path).lastPathComponent)""#,
                        403
                    ),
                    (#""known_hosts_file": "\#(allowed.path)/fifo""#, 403),
                    (#""key_file": "id_test""#, 403),
                    (#""host_key_policy": "off""#, 403),
                ]
                for (fields, status) in cases {
                    let reply = try await client.post("/device/bulk", Self.request(lab.devices[0], shared: fields))
                    #expect(reply.status == status, "\(fields): \(reply.text)")
                }
            }
        }
    }

    @Test(
        "malformed hosts and ports are rejected naming the field, in bulk and in /device/test (no crash)",
        arguments: [
            (#""host": "10.0.0.1\u0000evil""#, "host"),
            (#""host": "r1\nr2""#, "host"),
            (#""host": "-oProxyCommand=x""#, "host"),
            (#""host": "a b""#, "host"),
            (#""host": "\#(String(repeating: "a", count: 254))""#, "host"),
            (#""host": "127.0.0.1", "port": 70000"#, "port"),
            (#""host": "127.0.0.1", "port": 0"#, "port"),
            (#""host": "127.0.0.1", "port": -1"#, "port"),
        ])
    func malformedHosts(fields: String, field: String) async throws {
        try await withLab(Fixture.labConfiguration(devices: 1)) { lab in
            try await Fixture.withServer(lab: lab) { client, _ in
                let body = """
                    {"driver": "netmiko", "devices": [\(Fixture.device(lab.devices[0])),
                      {\(fields), "username": "admin", "password": "x"}],
                     "connection_args": {"device_type": "cisco_ios"}, "command": "show version"}
                    """
                let reply = try await client.post("/device/bulk", body)
                _ = try reply.batchID()
                let rejected = try #require(try reply.json()["rejected"] as? [[String: Any]])
                #expect(rejected.map { $0["field"] as? String } == ["devices[1].\(field)"], "\(reply.text)")
                let test = try await client.post(
                    "/device/test",
                    #"{"driver": "netmiko", "connection_args": {"device_type": "cisco_ios", "username": "a", "#
                        + #""password": "x", \#(fields)}}"#)
                #expect(test.status == 422, "\(test.text)")
                // The single-device shape takes the host to the device; the port stays where it was given.
                let expected = field == "host" ? "devices[0].host" : "connection_args.port"
                #expect(try test.error()["field"] as? String == expected, "\(test.text)")
            }
        }
    }
}

/// A directory under the system's temporary directory, removed when the value is released.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath()
        let url = base.appendingPathComponent("netpulse-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
