import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

/// `netpulse platforms` and `--platforms`: a platform from a YAML file drives a lab device end to end.
@Suite("netpulse platforms and --platforms")
struct PlatformsCommandTests {
    func netpulse(_ arguments: [String], input: String? = nil) async throws -> ChildProcess.Output {
        try await ChildProcess.run(NetPulseCommandTests.binary, arguments, input: input)
    }

    /// An IOS-like platform of our own, in full (no `inherits`), so that only the file drives the session.
    static let yaml = """
        name: lab_router
        aliases: [labr]
        prompt: {name_characters: "._-/", mode: "()", terminators: ">#"}
        disable_paging: ["terminal length 0"]
        widen_terminal: ["terminal width 511"]
        pagers: [{pattern: "--More--", answer: " ", ends_line: false}]
        error_patterns: ["^% Invalid input", "^% Incomplete command"]
        config_mode: {enter: "configure terminal", exit: "end"}
        enable: {}
        save: {command: "write memory", confirmations: [{pattern: "Destination filename [", answer: ""}]}
        """

    static func folder(with text: String, name: String = "lab_router.yaml") throws -> String {
        let folder = NSTemporaryDirectory() + "netpulse-platforms-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        return folder
    }

    @Test("platforms lists the built-in ones with prompts and paging, and loaded ones")
    func list() async throws {
        let output = try await netpulse(["platforms"])
        #expect(output.status == 0, "\(output.stderr)")
        for name in ["cisco_xr", "nokia_srl", "huawei_vrpv8", "generic", "mikrotik_routeros"] {
            #expect(output.stdout.contains(name), "\(name)")
        }
        #expect(output.stdout.contains("terminal pager 0"))
        #expect(output.stdout.contains("NAME(mode)?[>#]"))
        let folder = try Self.folder(with: Self.yaml)
        let loaded = try await netpulse(["platforms", "--platforms", folder, "--format", "json", "--name", "labr"])
        #expect(loaded.status == 0, "\(loaded.stderr)")
        let profiles = try #require(
            try JSONSerialization.jsonObject(with: Data(loaded.stdout.utf8)) as? [[String: Any]])
        #expect(profiles.first?["name"] as? String == "lab_router")
        #expect(profiles.first?["disable_paging"] as? [String] == ["terminal length 0"])
    }

    @Test("a bad platform file: exit 2, naming the file and the field")
    func badFile() async throws {
        let folder = try Self.folder(with: "name: broken\nprompt: {terminators: 7, mode: none, colour: red}\n")
        for command in [["platforms"], ["run", "-"], ["serve", "--port", "0", "--open"]] {
            let output = try await netpulse(command + ["--platforms", folder], input: "{}")
            #expect(output.status == 2, "\(command): \(output.stderr)")
            #expect(output.stderr.contains(folder + "/lab_router.yaml"), "\(output.stderr)")
            #expect(output.stderr.contains("field prompt.colour"), "\(output.stderr)")
        }
    }

    @Test("run --platforms: a platform from a YAML file drives a lab device (show, push, save, read back)")
    func yamlPlatformDrivesLab() async throws {
        let folder = try Self.folder(with: Self.yaml)
        try await withLab(NetPulseCommandTests.labConfiguration(devices: 1)) { lab in
            let device = lab.devices[0]
            let request = """
                {"driver": "netmiko", "devices": [{"host": "\(device.host)", "port": \(device.port)}],
                 "connection_args": {"device_type": "labr", "username": "admin", "password": "admin123",
                                     "secret": "enable"},
                 "config": ["interface GigabitEthernet0/2", " description from-a-yaml-platform"],
                 "options": {"save": true}}
                """
            let pushed = try await netpulse(
                ["run", "-", "--known-hosts", lab.knownHostsFile, "--platforms", folder], input: request)
            #expect(pushed.status == 0, "\(pushed.stdout) \(pushed.stderr)")
            let show = request.replacingOccurrences(
                of: #""config": ["interface GigabitEthernet0/2", " description from-a-yaml-platform"],"#,
                with: #""command": ["show startup-config"],"#)
            let read = try await netpulse(
                ["run", "-", "--known-hosts", lab.knownHostsFile, "--platforms", folder], input: show)
            #expect(read.status == 0, "\(read.stderr)")
            #expect(read.stdout.contains("description from-a-yaml-platform"), "\(read.stdout)")
            // Without the file, the name is unknown.
            let unknown = try await netpulse(["run", "-", "--known-hosts", lab.knownHostsFile], input: show)
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("labr"), "\(unknown.stderr)")
        }
    }
}
