/// A Python `re` pattern, checked with Python's rules and parsed, not yet compiled.
struct ParsedPattern: Sendable {
    /// The pattern as written (Python syntax).
    let source: String
    let tree: PythonRegex.Pattern
    /// Named groups in the order Python's `groupdict()` lists them.
    let groupNames: [NamedGroup]

    struct NamedGroup: Sendable, Hashable {
        var name: String
        var number: Int
    }

    /// The pattern could not be compiled: Python's message where Python would refuse it too.
    struct CompileError: Error, Equatable {
        var message: String
    }

    init(_ source: String) throws(CompileError) {
        do {
            tree = try PythonRegex.parse(source)
        } catch {
            throw CompileError(message: "\(error.message) at position \(error.position)")
        }
        self.source = source
        groupNames = tree.groupNames.map { NamedGroup(name: $0.name, number: $0.number) }
    }

    var captureCount: Int { tree.captureCount }

    /// PCRE2 for the pattern on its own.
    var pcre2Source: String { PythonRegex.pcre2Source(for: tree) }

    /// PCRE2 for the pattern as one group of a larger pattern, its groups numbered after `groupOffset`.
    func pcre2Branch(groupOffset: Int) -> String {
        PythonRegex.pcre2Branch(for: tree, groupOffset: groupOffset)
    }

    /// Compiles the pattern alone.
    func compile() throws(CompileError) -> PCRE2Code {
        do {
            return try PCRE2Code(pcre2Source)
        } catch {
            throw CompileError(message: "PCRE2 cannot compile it: \(error.message)")
        }
    }
}

/// A Python `re` pattern compiled for `re.match`: anchored at the start, not at the end.
struct PythonPattern: Sendable {
    let parsed: ParsedPattern
    let code: PCRE2Code

    init(_ source: String) throws(ParsedPattern.CompileError) {
        parsed = try ParsedPattern(source)
        code = try parsed.compile()
    }

    var groupNames: [ParsedPattern.NamedGroup] { parsed.groupNames }
    var captureCount: Int { code.captureCount }

    /// Groups of one match: each group's text, nil for a group that did not take part.
    struct Match {
        var groups: [String?]

        subscript(group: Int) -> String? { groups[group] }
    }

    /// `re.match(pattern, text)`, with every group copied out. The parse loop (`TemplateRun`) reads the
    /// groups it needs from the subject bytes instead.
    func match(_ text: String) throws(PCRE2Error) -> Match? {
        var text = text
        let data = PCRE2MatchData(captureCount: captureCount)
        var result: Result<Match?, PCRE2Error> = .success(nil)
        text.withUTF8 { bytes in
            result = Result { () throws(PCRE2Error) -> Match? in
                guard try code.match(bytes, data) else { return nil }
                var groups: [String?] = []
                for group in 0...captureCount {
                    groups.append(data.range(of: group).map { String(decoding: bytes[$0], as: UTF8.self) })
                }
                return Match(groups: groups)
            }
        }
        return try result.get()
    }

    /// The text of the named group `name` in `match`.
    func group(_ name: String, in match: Match) -> String? {
        guard let number = groupNames.first(where: { $0.name == name })?.number else { return nil }
        return match[number]
    }

    /// One of textfsm's own patterns, which compile.
    static func constant(_ source: String) -> PythonPattern {
        do {
            return try PythonPattern(source)
        } catch {
            fatalError("built-in pattern \(source) does not compile: \(error.message)")
        }
    }
}
