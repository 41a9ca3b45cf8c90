import Foundation

/// A folder of ntc-templates (9.3.0) templates with their full `index`, written once per test process from
/// the fixture NetPulseTextFSMTests records with Python (`Fixtures/textfsm-differential.json`: 67 templates,
/// `cisco_ios_show_version.textfsm` among them), for tests that parse with `use_ntc_template`.
public enum NTCTemplatesFixture {
    /// The folder, created on first use.
    public static func folder() throws -> String {
        try created.get()
    }

    /// The index's template names.
    public static func templateNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder()).filter { $0.hasSuffix(".textfsm") }.sorted()
    }

    private static let created: Result<String, FixtureError> = {
        do {
            return .success(try make())
        } catch {
            return .failure(FixtureError(description: "cannot write the ntc-templates fixture: \(error)"))
        }
    }()

    private static func make() throws -> String {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("NetPulseTextFSMTests/Fixtures/textfsm-differential.json")
        let data = try Data(contentsOf: fixture)
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let templates = root["templates"] as? [String: String], let index = root["index"] as? String
        else {
            throw FixtureError(description: "\(fixture.path) has no templates or index")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ntc-templates-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in templates {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try index.write(to: folder.appendingPathComponent("index"), atomically: true, encoding: .utf8)
        return folder.path
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }
}
