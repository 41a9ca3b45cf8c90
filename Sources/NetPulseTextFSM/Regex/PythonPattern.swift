/// A Python `re` pattern compiled for `re.match`: anchored at the start, not at the end.
struct PythonPattern: Sendable {
    /// The pattern as written (Python syntax).
    let source: String
    /// What PCRE2 compiled.
    let pcre2Source: String
    let code: PCRE2Code
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
        let parsed: PythonRegex.Pattern
        do {
            parsed = try PythonRegex.parse(source)
        } catch {
            throw CompileError(message: "\(error.message) at position \(error.position)")
        }
        self.source = source
        pcre2Source = PythonRegex.pcre2Source(for: parsed)
        do {
            code = try PCRE2Code(pcre2Source)
        } catch {
            throw CompileError(message: "PCRE2 cannot compile it: \(error.message)")
        }
        groupNames = parsed.groupNames.map { NamedGroup(name: $0.name, number: $0.number) }
    }

    var captureCount: Int { code.captureCount }

    /// Groups of one match: each group's text, nil for a group that did not take part.
    struct Match {
        var groups: [String?]

        subscript(group: Int) -> String? { groups[group] }
    }

    /// `re.match(pattern, text)`, with every group copied out. For the parse loop, see `TextFSMTemplate`,
    /// which reads the groups it needs from the subject bytes instead.
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
}
