import Foundation
import Testing

@testable import NetPulseTextFSM

@Suite("CliTable index and template cache")
struct TemplateIndexTests {
    @Test("command completion: sh[[ow]] ver[[sion]]")
    func completion() {
        #expect(TemplateIndex.completion("sh[[ow]] ver[[sion]]") == "sh(o(w)?)? ver(s(i(o(n)?)?)?)?")
        // `\[\[.+?\]\]` takes the shortest word: `]`, then `]]`, leaving `]b`.
        #expect(TemplateIndex.completion("a[[]]]]b") == "a(])?]b")
        #expect(TemplateIndex.completion("no completion") == "no completion")
    }

    /// A folder with two templates joined on a Key, and an index naming them.
    func withFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("np-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func write(_ name: String, _ text: String) throws {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try write(
            "a_ports.textfsm",
            "Value Key PORT (\\S+)\nValue STATE (\\S+)\n\nStart\n  ^port ${PORT} ${STATE} -> Record\n")
        try write(
            "a_speeds.textfsm",
            "Value Key PORT (\\S+)\nValue SPEED (\\d+)\n\nStart\n  ^speed ${PORT} ${SPEED} -> Record\n")
        try write(
            "index",
            """
            # An index in ntc-templates' shape.
            Template, Hostname, Platform, Command

            a_ports.textfsm:a_speeds.textfsm, .*, acme, sh[[ow]] po[[rts]]
            a_ports.textfsm, .*, acme_os, sh[[ow]] po[[rts]]
            """
        )
        try body(folder.path)
    }

    @Test("platform and command find the row; the first matching row wins; re.match matches prefixes")
    func lookup() throws {
        try withFolder { folder in
            let index = try TemplateIndex(directory: folder)
            #expect(
                index.templateNames(platform: "acme", command: "show ports") == ["a_ports.textfsm", "a_speeds.textfsm"])
            #expect(index.templateNames(platform: "acme", command: "sh po") == ["a_ports.textfsm", "a_speeds.textfsm"])
            // `acme` matches `acme_os` at its start, as Python's re.match does, so the first row wins.
            #expect(
                index.templateNames(platform: "acme_os", command: "sh po") == ["a_ports.textfsm", "a_speeds.textfsm"])
            #expect(index.templateNames(platform: "acme", command: "show version") == nil)
            #expect(throws: TextFSMError.self) { try index.parse("", platform: "other", command: "show ports") }
        }
    }

    @Test("several templates: the later tables join the first on its Key values")
    func join() throws {
        try withFolder { folder in
            let index = try TemplateIndex(directory: folder)
            let records = try index.parse(
                "port p1 up\nport p2 down\nspeed p2 100\nspeed p1 10\n", platform: "acme", command: "show ports"
            )
            #expect(records.map { $0.names } == [["port", "state", "speed"], ["port", "state", "speed"]])
            #expect(records.map { $0["speed"] } == ["10", "100"])
        }
    }

    @Test("the cache compiles a template once per version of its file")
    func cache() throws {
        try withFolder { folder in
            let cache = TemplateCache()
            let path = folder + "/a_ports.textfsm"
            let first = try cache.template(atPath: path)
            let again = try cache.template(atPath: path)
            #expect(
                first.program.chunks.first?.first?.code.toOpaque() == again.program.chunks.first?.first?.code.toOpaque()
            )
            try "Value Key PORT (\\S+)\n\nStart\n  ^p ${PORT} -> Record\n".write(
                toFile: path, atomically: true, encoding: .utf8)
            let changed = try cache.template(atPath: path)
            #expect(changed.header == ["PORT"])
            #expect(throws: TextFSMError.self) { try cache.template(atPath: folder + "/missing.textfsm") }
        }
    }

    @Test("an index without a Template column, or with a bad regex, is refused naming the line")
    func invalidIndex() throws {
        #expect(throws: TextFSMError.self) { try TemplateIndex(source: "Hostname, Command\n", directory: "/") }
        do {
            _ = try TemplateIndex(source: "Template, Command\n\nx.textfsm, show (\n", directory: "/", name: "index")
            Issue.record("the index was accepted")
        } catch {
            #expect(error.kind == .invalidIndex)
            #expect(error.line == 3)
        }
    }
}
