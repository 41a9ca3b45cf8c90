import Foundation
import Testing

@testable import NetPulseTextFSM

@Suite("TextFSM templates")
struct TextFSMTemplateTests {
    static func record(_ fields: [(String, TextFSMValue)]) -> TextFSMRecord {
        TextFSMRecord(fields: fields.map { TextFSMField(name: $0.0, value: $0.1) })
    }

    @Test("Filldown, Required and Record: one record per interface, the chassis filled down")
    func filldownRequired() throws {
        let template = try TextFSMTemplate(
            source: """
                Value Filldown CHASSIS (\\S+)
                Value Required INTERFACE (\\S+)
                Value STATUS (up|down)

                Start
                  ^Chassis ${CHASSIS}
                  ^${INTERFACE} is ${STATUS} -> Record
                """
        )
        let records = try template.parse("Chassis C1\nGi0/1 is up\nnoise\nGi0/2 is down\n")
        #expect(
            records == [
                Self.record([("chassis", "C1"), ("interface", "Gi0/1"), ("status", "up")]),
                Self.record([("chassis", "C1"), ("interface", "Gi0/2"), ("status", "down")]),
            ]
        )
        #expect(template.header == ["CHASSIS", "INTERFACE", "STATUS"])
    }

    @Test("List with named groups gives dicts; an optional group that did not take part gives null")
    func nestedList() throws {
        let template = try TextFSMTemplate(
            source: """
                Value Required NAME (\\S+)
                Value List MEMBERS ((?P<port>\\S+)\\((?P<flag>\\w)\\))
                Value List TAGS (\\w+)

                Start
                  ^Group ${NAME}
                  ^\\s+${MEMBERS}(\\s+tag\\s+${TAGS})?
                  ^end -> Record
                """
        )
        let records = try template.parse("Group A\n  Gi1(P) tag x\n  Gi2(D)\nend\n")
        let members = try #require(records.first?["members"])
        #expect(
            members
                == .list([
                    .groups([TextFSMGroup(name: "port", value: "Gi1"), TextFSMGroup(name: "flag", value: "P")]),
                    .groups([TextFSMGroup(name: "port", value: "Gi2"), TextFSMGroup(name: "flag", value: "D")]),
                ])
        )
        #expect(records.first?["tags"] == .list(["x", .null]))
        #expect(
            TextFSMJSON.array(records, indent: nil)
                == #"[{"name": "A", "members": [{"port": "Gi1", "flag": "P"}, {"port": "Gi2", "flag": "D"}], "#
                + #""tags": ["x", null]}]"#
        )
    }

    @Test("the implicit EOF record, an empty EOF state, and End")
    func eofAndEnd() throws {
        let implicit = try TextFSMTemplate(source: "Value A (\\S+)\n\nStart\n  ^a ${A}\n")
        #expect(try implicit.parse("a 1\na 2\n") == [Self.record([("a", "2")])])
        let suppressed = try TextFSMTemplate(source: "Value A (\\S+)\n\nStart\n  ^a ${A}\n\nEOF\n")
        #expect(try suppressed.parse("a 1\n").isEmpty)
        let end = try TextFSMTemplate(source: "Value A (\\S+)\n\nStart\n  ^a ${A} -> Record\n  ^stop -> End\n")
        #expect(try end.parse("a 1\nstop\na 2\n") == [Self.record([("a", "1")])])
    }

    @Test("Error with a message stops the parse with textfsm's text")
    func errorAction() throws {
        let template = try TextFSMTemplate(source: "Value A (\\S+)\n\nStart\n  ^a ${A}\n  ^. -> Error \"no match\"\n")
        #expect(throws: TextFSMError.self) { try template.parse("a 1\nb\n") }
        do {
            _ = try template.parse("a 1\nb\n")
        } catch {
            #expect(error.kind == .stateError)
            #expect(error.message == #"Error: "no match". Rule Line: 5. Input Line: b."#)
            #expect(error.line == 5)
        }
    }

    @Test(
        "template errors name their line",
        arguments: [
            ("Value A (\\S+\n\nStart\n  ^a\n", 1, "must be contained within a '()' pair"),
            ("Value A \\S+\n\nStart\n  ^a\n", 1, "Unknown option \"A\""),
            ("Value A (x)\nStart\n", 2, "Expected blank line after last Value entry"),
            ("Value A (x)\n\nStart\n  ^${B}\n", 4, "Duplicate or invalid variable substitution"),
            ("Value A (x)\n\nStart\n  ^a (\n", 4, "Invalid regular expression"),
            ("Value A (x)\n\nStart\n   ^a\n", 4, "Missing white space or carat"),
            ("Value A (x)\n\nStart\n  ^a -> Next.Bogus\n", 4, "Badly formatted rule"),
            ("Value A (x)\n\nStart\n  ^a -> Nowhere\n", 4, "State 'Nowhere' not found"),
            ("Value Bogus A (x)\n\nStart\n", 1, "Unknown option \"Bogus\""),
            ("Value A (x)\n\nStart\n  ^a\n\nStart\n", 6, "Duplicate state name"),
        ] as [(String, Int, String)])
    func templateErrors(source: String, line: Int, message: String) {
        do {
            _ = try TextFSMTemplate(source: source, name: "t.textfsm")
            Issue.record("the template compiled")
        } catch {
            #expect(error.kind == .invalidTemplate)
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(error.description.hasPrefix("t.textfsm, line \(line): "), "\(error)")
        }
    }

    @Test("Python's splitlines: \\r\\n, \\r, \\v, \\f, U+2028 end lines; a final newline adds no line")
    func lineBreaks() throws {
        let template = try TextFSMTemplate(source: "Value A (.*)\n\nStart\n  ^x${A} -> Record\n")
        let records = try template.parse("x1\r\nx2\rx3\u{0B}x4\u{0C}x5\u{2028}x6\u{85}x7\n")
        #expect(records.map { $0["a"]?.string } == ["1", "2", "3", "4", "5", "6", "7"])
        #expect(try template.parse("").isEmpty)
    }

    @Test("a compiled template is shared by concurrent parses")
    func concurrentParses() async throws {
        let template = try TextFSMTemplate(source: "Value Required A (\\d+)\n\nStart\n  ^a ${A} -> Record\n")
        let text = (0..<500).map { "a \($0)" }.joined(separator: "\n")
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try template.parse(text).count } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts == Array(repeating: 500, count: 8))
    }
}

@Suite("Python regex translation")
struct PythonRegexTests {
    func groups(_ pattern: String, _ subject: String) throws -> [String?]? {
        try PythonPattern(pattern).match(subject)?.groups
    }

    @Test("re.match anchoring: at the start, not at the end")
    func anchoring() throws {
        #expect(try groups("b", "ab") == nil)
        #expect(try groups("a", "ab") == ["a"])
    }

    @Test("named groups become numbered, names kept in order, longer than PCRE2's 32 characters")
    func namedGroups() throws {
        let name = String(repeating: "N", count: 40)
        let pattern = try PythonPattern("(?P<\(name)>a)(?P<b>b)?(?P=\(name))")
        #expect(pattern.groupNames.map(\.name) == [name, "b"])
        #expect(try pattern.match("aa")?.groups == ["aa", "a", nil])
    }

    @Test("Python's syntax differences: {,n}, \\Z, [[:alpha:]], \\s with U+001F, (?x)")
    func dialect() throws {
        #expect(try groups("a{,2}b", "aab") == ["aab"])
        #expect(try groups("a\\Z", "a\n") == nil)
        #expect(try groups("a$", "a\n") == ["a"])
        // Python reads `[[:alpha:]` as a set and `]+` as literal brackets; a POSIX class for PCRE2.
        #expect(try groups("[[:alpha:]]+", "a]]") == ["a]]"])
        #expect(try groups("[[:alpha:]]+", "[:a") == nil)
        #expect(try groups("\\s", "\u{1F}") == ["\u{1F}"])
        #expect(try groups("(?x) a \\  b # comment", "a b") == ["a b"])
        #expect(try groups("[^\\S\\t]+", "  \t") == ["  "])
    }

    @Test(
        "what Python refuses is refused",
        arguments: ["\\q", "(?P<1a>x)", "(?P<a>x)(?P<a>y)", "(?<=a+)b", "a**", "*a", "[z-a]", "a(?i)", "(a\\1)"])
    func refused(pattern: String) {
        #expect(throws: ParsedPattern.CompileError.self) { try PythonPattern(pattern) }
    }
}
