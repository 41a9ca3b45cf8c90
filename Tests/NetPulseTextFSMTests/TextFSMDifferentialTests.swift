import Foundation
import SSHTestSupport
import Testing

@testable import NetPulseTextFSM

/// NetPulseTextFSM against Python's textfsm 2.1.0 and ntc-templates 9.3.0, case by case.
///
/// The cases and Python's answers come from `scripts/textfsm/difftool.py` (see `scripts/textfsm-diff.sh`):
/// a recorded set is committed in `Fixtures/`, and the live test makes a fresh set for every template.
@Suite("TextFSM against Python's textfsm")
struct TextFSMDifferentialTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/textfsm-differential.json")

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Python 3 with `venv`, which the live run needs (scripts/bootstrap.sh installs both).
    static let pythonAvailable: Bool =
        ["/usr/bin/python3", "/usr/local/bin/python3"].contains { path in
            FileManager.default.isExecutableFile(atPath: path)
        }
        || ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").contains { directory in
            FileManager.default.isExecutableFile(atPath: "\(directory)/python3")
        } == true

    @Test("recorded cases (no Python needed; NETPULSE_TEXTFSM_CASES names another case file)")
    func recorded() throws {
        let path = ProcessInfo.processInfo.environment["NETPULSE_TEXTFSM_CASES"] ?? Self.fixture.path
        let report = try DifferentialRun(file: path).run()
        print(report.summary)
        report.recordIssues()
        #expect(report.differences.isEmpty, "\(report.summary)")
        #expect(report.compared > 100, "too few cases compared: \(report.summary)")
    }

    @Test(
        "every ntc-templates template, generated now with Python's textfsm from PyPI",
        .enabled(
            if: pythonAvailable,
            "python3 was not found: the live differential run against Python's textfsm did NOT run"
        ),
        .timeLimit(.minutes(20))
    )
    func live() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("textfsm-cases-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: output) }
        let script = Self.repository.appendingPathComponent("scripts/textfsm-diff.sh").path
        let result = try await ChildProcess.run(
            "/bin/bash", [script, "--generate-only", output.path], environment: [:])
        try #require(
            result.status == 0,
            "scripts/textfsm-diff.sh failed (\(result.status)); Python or PyPI not usable:\n\(result.stderr)"
        )
        print(result.stderr.split(separator: "\n").last.map(String.init) ?? "")
        let report = try DifferentialRun(file: output.path).run()
        print(report.summary)
        report.recordIssues()
        #expect(report.differences.isEmpty, "\(report.summary)")
        #expect(report.templatesWithRecords > 800, "too few templates gave records: \(report.summary)")
    }
}

/// One comparison run over a case file.
struct DifferentialRun {
    let cases: [[String: Any]]
    let summaryFromPython: [String: Any]
    /// Where the ntc templates and the index are: the package's folder, or a temporary copy of the ones
    /// a recorded file carries.
    let templateDirectory: String

    init(file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        cases = try #require(root["cases"] as? [[String: Any]])
        summaryFromPython = root["summary"] as? [String: Any] ?? [:]
        if let templates = root["templates"] as? [String: String] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("textfsm-fixture-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, text) in templates {
                try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            try (root["index"] as? String ?? "").write(
                to: folder.appendingPathComponent("index"), atomically: true, encoding: .utf8
            )
            templateDirectory = folder.path
        } else {
            templateDirectory = try #require(root["template_dir"] as? String)
        }
    }

    struct Report {
        var counts: [String: Int] = [:]
        var differences: [String] = []
        var notes: [String] = []
        var compared = 0
        var templatesWithRecords = 0
        var templates = 0

        var summary: String {
            let kinds = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            return "textfsm differential: \(compared) cases (\(kinds)); \(templates) templates, "
                + "\(templatesWithRecords) with records from generated input; \(differences.count) differences"
                + (notes.isEmpty ? "" : "; \(notes.count) notes: " + notes.prefix(20).joined(separator: " | "))
        }

        func recordIssues() {
            for difference in differences.prefix(200) {
                Issue.record(Comment(rawValue: difference))
            }
            if differences.count > 200 {
                Issue.record(Comment(rawValue: "... and \(differences.count - 200) more differences"))
            }
        }
    }

    func run() throws -> Report {
        var report = Report()
        report.templates = summaryFromPython["templates"] as? Int ?? 0
        let cache = TemplateCache()
        let index = try cache.index(directory: templateDirectory)
        var withRecords: Set<String> = []
        for item in cases {
            let kind = item["kind"] as? String ?? "?"
            report.counts[kind, default: 0] += 1
            report.compared += 1
            let label = Self.label(item)
            switch kind {
            case "parse":
                let source: String
                if let text = item["template_text"] as? String {
                    source = text
                } else {
                    let name = item["template"] as? String ?? ""
                    source = (try? String(contentsOfFile: templateDirectory + "/" + name, encoding: .utf8)) ?? ""
                }
                let input = item["input"] as? String ?? ""
                let outcome = Result { () throws(TextFSMError) in try TextFSMTemplate(source: source).parse(input) }
                if let difference = Self.compare(outcome, with: item, label: label, notes: &report.notes) {
                    report.differences.append(difference)
                } else if let records = item["records"] as? [Any], !records.isEmpty,
                    let name = item["template"] as? String
                {
                    withRecords.insert(name)
                }
            case "index":
                let platform = item["platform"] as? String ?? ""
                let command = item["command"] as? String ?? ""
                let input = item["input"] as? String ?? ""
                let outcome = Result { () throws(TextFSMError) in
                    try index.parse(input, platform: platform, command: command, cache: cache)
                }
                if let difference = Self.compare(outcome, with: item, label: label, notes: &report.notes) {
                    report.differences.append(difference)
                }
            case "lookup":
                let expected = item["templates"] as? [String]
                let actual = index.templateNames(
                    platform: item["platform"] as? String ?? "", command: item["command"] as? String ?? ""
                )
                if expected != actual {
                    report.differences.append("\(label): templates \(actual ?? []) where Python has \(expected ?? [])")
                }
            case "regex":
                if let difference = Self.compareRegex(item, label: label) {
                    report.differences.append(difference)
                }
            default:
                report.differences.append("\(label): unknown case kind")
            }
        }
        report.templatesWithRecords = withRecords.count
        return report
    }

    static func label(_ item: [String: Any]) -> String {
        let kind = item["kind"] as? String ?? "?"
        let name = item["name"] as? String ?? item["template"] as? String
        let place = [name, (item["platform"] as? String).map { "\($0): \(item["command"] as? String ?? "")" }]
            .compactMap { $0 }.joined(separator: " ")
        return "[\(kind)] \(place)"
    }

    /// nil when the outcome is Python's; otherwise what differs.
    static func compare(
        _ outcome: Result<[TextFSMRecord], TextFSMError>, with item: [String: Any], label: String,
        notes: inout [String]
    ) -> String? {
        let input = (item["input"] as? String).map { $0.count > 300 ? String($0.prefix(300)) + "..." : $0 } ?? ""
        if let error = item["error"] as? [String: Any] {
            let type = error["type"] as? String ?? ""
            let message = error["message"] as? String ?? ""
            switch outcome {
            case .success(let records):
                if type == "python" {
                    notes.append("\(label): Python itself failed (\(message)); we gave \(records.count) records")
                    return nil
                }
                return "\(label): \(records.count) records where Python raised \(type): \(message)\ninput: \(input)"
            case .failure(let ours):
                switch type {
                case "state":
                    guard ours.kind == .stateError, ours.message == message else {
                        return "\(label): error '\(ours)' where Python raised '\(message)'"
                    }
                case "template":
                    guard ours.kind == .invalidTemplate else {
                        return "\(label): error '\(ours)' where Python's template error is '\(message)'"
                    }
                    if let line = error["line"] as? Int, line != ours.line {
                        return "\(label): template error on line \(ours.line.map(String.init) ?? "-") "
                            + "where Python names line \(line): '\(message)' / ours: '\(ours.message)'"
                    }
                case "no_template":
                    guard ours.kind == .noTemplate else {
                        return "\(label): error '\(ours)' where Python found no template"
                    }
                default:
                    notes.append("\(label): Python itself failed (\(message)); we raised \(ours)")
                }
                return nil
            }
        }
        let expected = canonical(item["records"] ?? [])
        switch outcome {
        case .success(let records):
            let actual = canonical(records.map(jsonObject))
            return actual == expected
                ? nil : "\(label): records differ\nours:   \(actual)\npython: \(expected)\ninput: \(input)"
        case .failure(let error):
            return "\(label): error '\(error)' where Python gave records \(expected)\ninput: \(input)"
        }
    }

    static func compareRegex(_ item: [String: Any], label: String) -> String? {
        let pattern = item["pattern"] as? String ?? ""
        let subject = item["subject"] as? String ?? ""
        let compiled: PythonPattern
        do {
            compiled = try PythonPattern(pattern)
        } catch {
            return item["error"] as? Bool == true
                ? nil : "\(label): /\(pattern)/ refused (\(error.message)), Python compiles it"
        }
        if item["error"] as? Bool == true { return "\(label): /\(pattern)/ compiles, Python refuses it" }
        let match: PythonPattern.Match?
        do {
            match = try compiled.match(subject)
        } catch {
            return "\(label): /\(pattern)/ on \(subject.debugDescription): PCRE2 failed: \(error.message)"
        }
        let expected = item["groups"] as? [Any]
        let ours: [Any]? = match.map { $0.groups.map { $0.map { $0 as Any } ?? NSNull() } }
        let (a, b) = (canonical(ours ?? NSNull()), canonical(expected ?? NSNull()))
        return a == b ? nil : "\(label): /\(pattern)/ on \(subject.debugDescription): groups \(a) where Python has \(b)"
    }

    static func jsonObject(_ record: TextFSMRecord) -> Any {
        var object: [String: Any] = [:]
        for field in record.fields {
            switch field.value {
            case .string(let text): object[field.name] = text
            case .list(let items):
                object[field.name] = items.map { item -> Any in
                    switch item {
                    case .string(let text): text
                    case .null: NSNull()
                    case .groups(let groups):
                        Dictionary(
                            uniqueKeysWithValues: groups.map { ($0.name, $0.value.map { $0 as Any } ?? NSNull()) })
                    }
                }
            }
        }
        return object
    }

    /// JSON with sorted keys, for comparing values decoded by JSONSerialization with ours.
    static func canonical(_ value: Any) -> String {
        switch value {
        case let text as String: return TextFSMJSON.string(text)
        case is NSNull: return "null"
        case let list as [Any]: return "[" + list.map(canonical).joined(separator: ",") + "]"
        case let object as [String: Any]:
            return "{"
                + object.keys.sorted().map { TextFSMJSON.string($0) + ":" + canonical(object[$0]!) }
                .joined(separator: ",") + "}"
        case let number as NSNumber: return number.stringValue
        default: return "\(value)"
        }
    }
}
