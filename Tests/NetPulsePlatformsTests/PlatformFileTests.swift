import Foundation
import NetPulse
import NetPulsePlatforms
import Testing
import Yams

/// Platform profiles as data: Codable round trips, YAML and JSON files, `inherits`, and errors that name the
/// file and the field.
@Suite("Platforms: profiles from YAML and JSON files")
struct PlatformFileTests {
    /// A fresh directory for one test's files.
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "netpulse-platforms-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func write(_ text: String, _ name: String, in directory: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("every built-in profile survives JSON and YAML round trips unchanged")
    func roundTrips() throws {
        for name in PlatformRegistry.builtin.names {
            let profile = try #require(PlatformRegistry.builtin.profile(named: name))
            let json = try JSONEncoder().encode(profile)
            #expect(try JSONDecoder().decode(PlatformProfile.self, from: json) == profile, "\(name) (JSON)")
            let yaml = try PlatformRegistry.yaml(profile)
            #expect(try YAMLDecoder().decode(PlatformProfile.self, from: yaml) == profile, "\(name) (YAML)")
        }
    }

    static let acme = """
        # A platform of our own, written out in full.
        name: acme_os
        aliases: [acme]
        prompt:
          name_characters: "._-"
          mode: "()"
          terminators: ">#"
        disable_paging: ["terminal length 0"]
        pagers:
          - {pattern: "--More--", answer: " ", ends_line: false}
        error_patterns: ["^% Invalid input", {text: "not allowed", case_insensitive: true}]
        config_mode: {enter: "configure terminal", exit: "end"}
        enable: {command: "enable"}
        save: "write memory"
        questions:
          - {pattern: "Destination filename [", answer: ""}
        """

    @Test("a YAML file in full, a JSON file that inherits, and a directory read in name order")
    func loads() throws {
        let folder = try Self.directory()
        _ = try Self.write(Self.acme, "10-acme.yaml", in: folder)
        _ = try Self.write(
            #"{"name": "acme_os_v2", "inherits": "acme_os", "disable_paging": ["terminal length 0", "no more"]}"#,
            "20-acme-v2.json", in: folder)
        _ = try Self.write("not a platform", "README.txt", in: folder)
        let registry = try PlatformRegistry.load([folder])
        let acme = try #require(registry.profile(named: "acme"))
        #expect(acme.name == "acme_os")
        #expect(acme.prompt.terminators == ">#")
        #expect(acme.prompt.mode == .enclosed(open: "(", close: ")"))
        #expect(acme.pagers == [PlatformProfile.Answer(TextPattern("--More--"), answer: " ", endsLine: false)])
        #expect(
            acme.errorPatterns == [
                .lineStart("% Invalid input"), TextPattern("not allowed", caseInsensitive: true),
            ])
        #expect(acme.configMode == PlatformProfile.ConfigMode(enter: "configure terminal", exit: "end"))
        #expect(acme.save?.command == "write memory")
        #expect(acme.enable?.privilegedTerminators == "#")
        let v2 = try #require(registry.profile(named: "acme_os_v2"))
        #expect(v2.disablePaging == ["terminal length 0", "no more"])
        #expect(v2.configMode == acme.configMode)
        #expect(v2.aliases.isEmpty)
        // The built-in platforms are still there.
        #expect(registry.profile(named: "cisco_ios") == .ciscoIOS)
    }

    /// A bad file and the field its error must name.
    static let badFiles: [(name: String, text: String, field: String, reason: String)] = [
        ("unknown-field.yaml", "name: x\nprompt_shape: {}\n", "prompt_shape", "unknown field"),
        ("no-name.yaml", "aliases: [a]\n", "name", "is required"),
        ("empty-terminators.yaml", "name: x\nprompt: {terminators: \"\"}\n", "prompt.terminators", "printable"),
        ("wrong-type.yaml", "name: x\ndisable_paging: 5\n", "disable_paging", "must be"),
        ("empty-pattern.yaml", "name: x\nerror_patterns: [\"ok\", \"\"]\n", "error_patterns[1]", "must not be empty"),
        ("bad-answer.yaml", "name: x\npagers: [{pattern: \"--More--\"}]\n", "pagers[0].answer", "is required"),
        ("bad-mode.yaml", "name: x\nprompt: {terminators: \"#\", mode: \"[[x\"}\n", "prompt.mode", "enclosing"),
        ("unknown-base.yaml", "name: x\ninherits: no_such_os\n", "inherits", "no platform named 'no_such_os'"),
        ("bad.json", "{\"name\": \"x\", \"transport\": \"telnet\"}", "transport", "must be shell or exec"),
        (
            "config-without-exit.json", "{\"name\": \"x\", \"config_mode\": {\"enter\": \"conf\"}}", "config_mode.exit",
            "is required"
        ),
    ]

    @Test("bad profile files: an error naming the file and the field", arguments: badFiles.indices)
    func badFile(index: Int) throws {
        let bad = Self.badFiles[index]
        let folder = try Self.directory()
        let path = try Self.write(bad.text, bad.name, in: folder)
        let error = #expect(throws: PlatformFileError.self) { try PlatformRegistry.load([path]) }
        #expect(error?.file == path)
        #expect(error?.field == bad.field, "\(String(describing: error))")
        #expect(error?.reason.contains(bad.reason) == true, "\(String(describing: error))")
        #expect(error?.description.contains(path) == true)
    }

    @Test("unreadable YAML, a missing path and an empty directory are named")
    func badPaths() throws {
        let folder = try Self.directory()
        let broken = try Self.write("name: [unclosed\n", "broken.yaml", in: folder)
        let error = #expect(throws: PlatformFileError.self) { try PlatformRegistry.load([broken]) }
        #expect(error?.file == broken)
        let missing = #expect(throws: PlatformFileError.self) { try PlatformRegistry.load([folder + "/nope.yaml"]) }
        #expect(missing?.reason == "no such file or directory")
        let empty = try Self.directory()
        let none = #expect(throws: PlatformFileError.self) { try PlatformRegistry.load([empty]) }
        #expect(none?.reason.contains("no .yaml") == true)
    }
}
