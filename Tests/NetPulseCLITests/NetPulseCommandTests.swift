import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

/// Runs the built `netpulse` binary as a subprocess against lab devices.
@Suite("netpulse command")
struct NetPulseCommandTests {
    /// The `netpulse` executable next to the test bundle.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("netpulse").path
    }

    /// A lab whose credentials are the ones the guide's examples use.
    static func labConfiguration(devices: Int, platforms: [LabPlatform] = [.ciscoIOS]) -> LabConfiguration {
        LabConfiguration(devices: devices, platforms: platforms, username: "admin", password: "admin123")
    }

    /// The guide's example with its devices pointed at the lab: host and port changed, and the lab's
    /// enable secret added per device (an emulated IOS logs users in at `>`, like a real one, and
    /// config mode needs enable).
    static func guideRequest(_ example: String, lab: NetPulseLab.Lab, extraDevice: String? = nil) -> String {
        var devices = lab.devices.map { device in
            #"{"host": "\#(device.host)", "port": \#(device.port), "username": "admin", "password": "admin123", "secret": "enable"}"#
        }
        if let extraDevice { devices.append(extraDevice) }
        let original = """
                {"host": "192.168.1.1", "username": "admin", "password": "admin123"},
                {"host": "192.168.1.2", "username": "admin", "password": "admin123"}
            """
        precondition(example.contains(original))
        return example.replacingOccurrences(of: original, with: devices.joined(separator: ",\n"))
    }

    static let commandExample = GuideExamples.batchCommand
    static let configExample = GuideExamples.batchConfig

    func netpulse(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) async throws
        -> ChildProcess.Output
    {
        try await ChildProcess.run(Self.binary, arguments, environment: environment, input: input)
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    @Test("run: the guide's command example against lab devices, result in the guide's shape")
    func runCommandExample() async throws {
        try await withLab(Self.labConfiguration(devices: 2)) { lab in
            let request = Self.guideRequest(Self.commandExample, lab: lab)
            let output = try await netpulse(["run", "-", "--known-hosts", lab.knownHostsFile], input: request)
            #expect(output.status == 0, "\(output.stderr)")
            let result = try json(output.stdout)
            #expect(result["success"] as? Bool == true)
            let summary = try #require(result["summary"] as? [String: Any])
            #expect(summary["total"] as? Int == 2)
            #expect(summary["successful"] as? Int == 2)
            #expect(summary["failed"] as? Int == 0)
            let results = try #require(result["results"] as? [[String: Any]])
            #expect(results.count == 2)
            for entry in results {
                #expect(entry["hostname"] as? String == "127.0.0.1")
                #expect(entry["success"] as? Bool == true)
                #expect((entry["output"] as? String)?.contains("Cisco IOS") == true, "\(entry)")
                #expect(entry["execution_time"] is Double)
            }
            #expect(!output.stdout.contains("admin123"))
        }
    }

    @Test("run: the guide's config example pushes the lines, then a show reflects them")
    func runConfigExample() async throws {
        try await withLab(Self.labConfiguration(devices: 2)) { lab in
            let request = Self.guideRequest(Self.configExample, lab: lab)
            let pushed = try await netpulse(["run", "-", "--known-hosts", lab.knownHostsFile], input: request)
            #expect(pushed.status == 0, "\(pushed.stderr)")
            #expect(try json(pushed.stdout)["success"] as? Bool == true)
            let check = Self.guideRequest(Self.commandExample, lab: lab)
                .replacingOccurrences(of: "\"show version\"", with: "\"show running-config\"")
            let shown = try await netpulse(["run", "-", "--known-hosts", lab.knownHostsFile], input: check)
            #expect(shown.status == 0)
            let results = try #require(try json(shown.stdout)["results"] as? [[String: Any]])
            for entry in results {
                #expect((entry["output"] as? String)?.contains("description Batch Config") == true)
            }
        }
    }

    @Test("run: a failing device gives exit 1 and its typed error in the JSON")
    func runWithFailure() async throws {
        try await withLab(Self.labConfiguration(devices: 1)) { lab in
            let closed = try TestSSHD.freePort()
            let request = Self.guideRequest(
                Self.commandExample, lab: lab,
                extraDevice: #"{"host": "127.0.0.1", "port": \#(closed), "username": "admin", "password": "admin123"}"#
            )
            let output = try await netpulse(["run", "-", "--known-hosts", lab.knownHostsFile], input: request)
            #expect(output.status == 1, "\(output.stderr)")
            let result = try json(output.stdout)
            #expect(result["success"] as? Bool == false)
            let results = try #require(result["results"] as? [[String: Any]])
            #expect(results.count == 2)
            let failed = try #require(results.first { $0["success"] as? Bool == false })
            let error = try #require(failed["error"] as? [String: Any])
            #expect(error["kind"] as? String == "connection_refused")
            #expect((try json(output.stdout)["summary"] as? [String: Any])?["failed"] as? Int == 1)
        }
    }

    @Test(
        "run: malformed requests exit 2 and name the field",
        arguments: [
            (#"{"driver": "netmiko", "devices": [{"username": "u"}], "command": "x"}"#, "devices[0].host"),
            (#"{"driver": "netmiko", "devices": [{"host": "h"}], "command": "x", "config": "y"}"#, "command"),
            (
                #"{"driver": "netmiko", "devices": [{"host": "h"}], "command": "x", "options": {"ttl": 0}}"#,
                "options.ttl"
            ),
            (
                #"{"driver": "telnet", "devices": [{"host": "h", "device_type": "linux", "username": "u", "password": "p"}], "command": "x"}"#,
                "driver"
            ),
            (#"{"driver": "netmiko", "devices": ["#, "malformed JSON"),
        ])
    func runMalformed(request: String, field: String) async throws {
        let output = try await netpulse(["run", "-"], input: request)
        #expect(output.status == 2)
        #expect(output.stderr.contains(field), "\(output.stderr)")
        #expect(output.stdout.isEmpty)
    }

    @Test("run --format jsonl: one device result per line")
    func jsonl() async throws {
        try await withLab(Self.labConfiguration(devices: 3)) { lab in
            let request = Self.guideRequest(Self.commandExample, lab: lab)
            let output = try await netpulse(
                ["run", "-", "--format", "jsonl", "--known-hosts", lab.knownHostsFile], input: request
            )
            #expect(output.status == 0, "\(output.stderr)")
            let lines = output.stdout.split(separator: "\n")
            #expect(lines.count == 3)
            var ports: Set<Int> = []
            for line in lines {
                let entry = try json(String(line))
                #expect(entry["success"] as? Bool == true)
                ports.insert(try #require(entry["port"] as? Int))
            }
            #expect(ports == Set(lab.devices.map(\.port)))
        }
    }

    @Test("exec with the lab's inventory file, password from the environment")
    func execInventory() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("np-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = Self.labConfiguration(devices: 3, platforms: [.ciscoIOS, .aristaEOS, .juniperJunos])
        configuration.inventoryFile = folder.appendingPathComponent("inventory.json").path
        try await withLab(configuration) { lab in
            let output = try await netpulse([
                "exec", "--inventory", try #require(lab.inventoryFile), "--command", "show version",
                "--format", "json",
            ])
            #expect(output.status == 0, "\(output.stderr)")
            let result = try json(output.stdout)
            #expect((result["summary"] as? [String: Any])?["successful"] as? Int == 3)
        }
    }

    @Test("exec with --host flags and a CSV-free quick form; table output")
    func execHosts() async throws {
        try await withLab(Self.labConfiguration(devices: 2, platforms: [.aristaEOS])) { lab in
            let hosts = lab.devices.flatMap { ["--host", "127.0.0.1:\($0.port)"] }
            let output = try await netpulse(
                ["exec"] + hosts + [
                    "--command", "show version", "--platform", "arista_eos", "--username", "admin",
                    "--known-hosts", lab.knownHostsFile,
                ],
                environment: ["NETPULSE_PASSWORD": "admin123"]
            )
            #expect(output.status == 0, "\(output.stderr)")
            #expect(output.stdout.contains("2 devices: 2 succeeded, 0 failed"), "\(output.stdout)")
        }
    }

    @Test("test: one device, reachable and authenticated; then a refused port")
    func connectionTest() async throws {
        try await withLab(Self.labConfiguration(devices: 1)) { lab in
            let device = try #require(lab.devices.first)
            let good = try await netpulse(
                [
                    "test", "127.0.0.1:\(device.port)", "--platform", "cisco_ios", "--username", "admin",
                    "--known-hosts", lab.knownHostsFile,
                ],
                environment: ["NETPULSE_PASSWORD": "admin123"]
            )
            #expect(good.status == 0, "\(good.stderr)")
            let report = try json(good.stdout)
            #expect(report["prompt_found"] as? Bool == true)
            #expect(report["authenticated"] as? Bool == true)
            let closed = try TestSSHD.freePort()
            let bad = try await netpulse(
                ["test", "127.0.0.1:\(closed)", "--platform", "cisco_ios", "--username", "admin"],
                environment: ["NETPULSE_PASSWORD": "admin123"]
            )
            #expect(bad.status == 1)
            #expect(try json(bad.stdout)["reachable"] as? Bool == false)
        }
    }

    @Test("--io-threads: a loop of its own size runs the sessions; a count out of range is refused naming the option")
    func ioThreads() async throws {
        try await withLab(Self.labConfiguration(devices: 1)) { lab in
            let device = try #require(lab.devices.first)
            let arguments = [
                "test", "127.0.0.1:\(device.port)", "--platform", "cisco_ios", "--username", "admin",
                "--known-hosts", lab.knownHostsFile,
            ]
            let good = try await netpulse(
                arguments + ["--io-threads", "3"], environment: ["NETPULSE_PASSWORD": "admin123"])
            #expect(good.status == 0, "\(good.stderr)")
            #expect(try json(good.stdout)["authenticated"] as? Bool == true)
            for bad in ["0", "65", "two"] {
                let refused = try await netpulse(
                    arguments + ["--io-threads", bad], environment: ["NETPULSE_PASSWORD": "admin123"])
                #expect(refused.status == 64, "\(refused.status) \(refused.stderr)")
                #expect(refused.stderr.contains("--io-threads"), "\(refused.stderr)")
            }
        }
    }

    @Test("demo completes with exit 0 and a summary table")
    func demo() async throws {
        let output = try await netpulse(["demo", "--devices", "25", "--quiet"])
        #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("demo: all good"), "\(output.stdout)")
        #expect(output.stdout.contains("the new description is on 22 of 22 network devices"), "\(output.stdout)")
    }

    @Test("the custom-driver example (Examples/CustomDriver) builds and runs its batch")
    func customDriverExample() async throws {
        let path = URL(fileURLWithPath: Self.binary).deletingLastPathComponent()
            .appendingPathComponent("custom-driver-example").path
        let output = try await ChildProcess.run(path, [], environment: [:])
        #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("hello from Linux"))
    }
}
