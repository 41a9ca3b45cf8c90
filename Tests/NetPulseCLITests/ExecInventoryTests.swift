import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

/// `exec` for engineers: Nornir and CSV inventories with names, text output, one file per device.
@Suite("netpulse exec: inventories and output")
struct ExecInventoryTests {
    func netpulse(_ arguments: [String], environment: [String: String] = [:]) async throws -> ChildProcess.Output {
        try await ChildProcess.run(NetPulseCommandTests.binary, arguments, environment: environment)
    }

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("np-inv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("Nornir hosts/groups/defaults: names become device_name, groups give platform and user; / not escaped")
    func nornir() async throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withLab(NetPulseCommandTests.labConfiguration(devices: 2)) { lab in
            let hosts = lab.devices.enumerated().map { index, device in
                "core-\(index + 1):\n  hostname: \(device.host)\n  port: \(device.port)\n  groups: [ios]\n"
                    + "  data: {site: ams}\n"
            }
            try hosts.joined().write(
                to: directory.appendingPathComponent("hosts.yaml"), atomically: true, encoding: .utf8)
            try "ios:\n  platform: ios\n  groups: [staff]\nstaff:\n  username: admin\n".write(
                to: directory.appendingPathComponent("groups.yaml"), atomically: true, encoding: .utf8)
            try "port: 22\n".write(
                to: directory.appendingPathComponent("defaults.yaml"), atomically: true, encoding: .utf8)
            let output = try await netpulse(
                [
                    "exec", "--inventory", directory.path, "--command", "show version", "--format", "json",
                    "--known-hosts", lab.knownHostsFile, "--quiet", "--timeout", "20",
                ],
                environment: ["NETPULSE_PASSWORD": "admin123"])
            #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
            let result = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            let names = (result["results"] as? [[String: Any]])?.compactMap { $0["device_name"] as? String }
            #expect(names == ["core-1", "core-2"])
            #expect(!output.stdout.contains("\\/"))
        }
    }

    @Test("a password in the Nornir inventory is refused, naming the entry")
    func nornirPassword() async throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        let hosts = directory.appendingPathComponent("hosts.yaml")
        try "r1:\n  hostname: 127.0.0.1\n  password: nope\n".write(to: hosts, atomically: true, encoding: .utf8)
        let output = try await netpulse(["exec", "--inventory", hosts.path, "--command", "x"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("'r1'.password"), "\(output.stderr)")
    }

    @Test("CSV name column, --format text with NO_COLOR, --output-dir writes one file per device")
    func csvTextAndFiles() async throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withLab(NetPulseCommandTests.labConfiguration(devices: 2)) { lab in
            let rows = lab.devices.enumerated().map { "edge-\($0.offset),\($0.element.host),\($0.element.port)" }
            let csv = directory.appendingPathComponent("inventory.csv")
            try (["name,host,port"] + rows).joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
            let backups = directory.appendingPathComponent("backups")
            let output = try await netpulse(
                [
                    "exec", "--inventory", csv.path, "--platform", "cisco_ios", "--username", "admin", "--command",
                    "show running-config", "--format", "text", "--output-dir", backups.path, "--known-hosts",
                    lab.knownHostsFile, "--quiet", "--read-timeout", "20", "--enable",
                ],
                environment: ["NETPULSE_PASSWORD": "admin123", "NO_COLOR": "1", "NETPULSE_SECRET": "enable"])
            #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
            #expect(output.stdout.contains("=== edge-0 (127.0.0.1:\(lab.devices[0].port)) ok"), "\(output.stdout)")
            #expect(output.stdout.contains("hostname"), "the full running config is printed")
            #expect(!output.stdout.contains("\u{1B}["))
            for name in ["edge-0", "edge-1"] {
                let text = try String(contentsOf: backups.appendingPathComponent("\(name).txt"), encoding: .utf8)
                #expect(text.contains("interface"), "\(name): \(text.prefix(200))")
            }
        }
    }
}
