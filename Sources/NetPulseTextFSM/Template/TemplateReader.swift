/// Reads template text into Values and states, with textfsm 2.x's rules and messages
/// (`TextFSM._Parse`, `TextFSMValue.Parse`, `TextFSMRule.__init__`, `TextFSM._ValidateFSM`).
struct TemplateReader {
    static let maxNameLength = 48
    static let lineActions = ["Continue", "Next", "Error"]
    static let recordActions = ["Clear", "Clearall", "Record", "NoRecord"]

    // textfsm's own regexes, run through the same engine as the templates.
    static let matchAction = PythonPattern.constant(#"(?P<match>.*)(\s->(?P<action>.*))"#)
    static let action1 = PythonPattern.constant(
        #"\s+(?P<ln_op>Continue|Next|Error)(\.(?P<rec_op>Clear|Clearall|Record|NoRecord))?"#
            + #"(\s+(?P<new_state>\w+|\".*\"))?$"#
    )
    static let action2 = PythonPattern.constant(
        #"\s+(?P<rec_op>Clear|Clearall|Record|NoRecord)(\s+(?P<new_state>\w+|\".*\"))?$"#
    )
    static let action3 = PythonPattern.constant(#"(\s+(?P<new_state>\w+|\".*\"))?$"#)
    static let comment = PythonPattern.constant(#"^\s*#"#)
    static let stateName = PythonPattern.constant(#"^(\w+)$"#)
    static let word = PythonPattern.constant(#"\w+"#)

    private let lines: [String]
    private var position = 0
    private(set) var values: [TextFSMValueDefinition] = []
    private(set) var states: [TextFSMState] = []
    private var substitutions: [String: String] = [:]

    init(source: String) {
        lines = Self.lines(of: source)
    }

    /// The lines of a file read in Python's text mode: split at `\n`, `\r\n` and `\r`.
    static func lines(of source: String) -> [String] {
        var result: [String] = []
        let utf8 = source.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            guard byte == 0x0A || byte == 0x0D else {
                utf8.formIndex(after: &index)
                continue
            }
            result.append(String(source[start..<index]))
            utf8.formIndex(after: &index)
            if byte == 0x0D, index != utf8.endIndex, utf8[index] == 0x0A { utf8.formIndex(after: &index) }
            start = index
        }
        if start != utf8.endIndex { result.append(String(source[start...])) }
        return result
    }

    /// Python's `str.rstrip()`.
    static func rstrip(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let last = scalars.last, PythonRegex.isWhitespace(last) else { return text }
        guard let end = scalars.lastIndex(where: { !PythonRegex.isWhitespace($0) }) else { return "" }
        return String(scalars[...end])
    }

    /// Python's `str.strip()`.
    static func strip(_ text: String) -> String {
        let trimmed = rstrip(text)
        let scalars = trimmed.unicodeScalars
        guard let first = scalars.first, PythonRegex.isWhitespace(first) else { return trimmed }
        guard let start = scalars.firstIndex(where: { !PythonRegex.isWhitespace($0) }) else { return "" }
        return String(scalars[start...])
    }

    static func isComment(_ line: String) -> Bool {
        (try? comment.match(line)) != nil
    }

    static func invalid(_ message: String, line: Int?) -> TextFSMError {
        TextFSMError(kind: .invalidTemplate, message: message, line: line)
    }

    /// Reads the whole template.
    mutating func read() throws(TextFSMError) {
        try readValues()
        while try readState() {}
        try validate()
    }

    // MARK: Values

    private mutating func readValues() throws(TextFSMError) {
        while position < lines.count {
            let number = position + 1
            let line = Self.rstrip(lines[position])
            position += 1
            if line.isEmpty { return }
            if Self.isComment(line) { continue }
            if line.hasPrefix("Value ") {
                let value = try readValue(line, number: number)
                if values.contains(where: { $0.name == value.name }) {
                    throw Self.invalid("Duplicate declarations for Value '\(value.name)'.", line: number)
                }
                values.append(value)
                substitutions[value.name] = value.substitution
            } else if values.isEmpty {
                throw Self.invalid("No Value definitions found.", line: number)
            } else {
                throw Self.invalid("Expected blank line after last Value entry.", line: number)
            }
        }
    }

    private func readValue(_ line: String, number: Int) throws(TextFSMError) -> TextFSMValueDefinition {
        let tokens = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard tokens.count >= 3 else { throw Self.invalid("Expect at least 3 tokens on line.", line: number) }
        var options: [TextFSMValueDefinition.Option] = []
        let name: String
        let regex: String
        if !tokens[2].hasPrefix("(") {
            for word in tokens[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard let option = TextFSMValueDefinition.Option(rawValue: word) else {
                    throw Self.invalid("Unknown option \"\(word)\"", line: number)
                }
                if options.contains(option) { throw Self.invalid("Duplicate option \"\(word)\"", line: number) }
                options.append(option)
            }
            name = tokens[2]
            regex = tokens[3...].joined(separator: " ")
        } else {
            name = tokens[1]
            regex = tokens[2...].joined(separator: " ")
        }
        if name.unicodeScalars.count > Self.maxNameLength {
            throw Self.invalid("Invalid Value name '\(name)' or name too long.", line: number)
        }
        let scalars = Array(regex.unicodeScalars)
        guard scalars.first == "(", scalars.last == ")", scalars.count >= 2, scalars[scalars.count - 2] != "\\" else {
            throw Self.invalid("Value '\(regex)' must be contained within a '()' pair.", line: number)
        }
        let isList = options.contains(.list)
        var nested: PythonPattern?
        do {
            // Compiled only for what needs it: a List Value with groups inside (textfsm's nested dicts).
            let parsed = try ParsedPattern(regex)
            if isList && parsed.captureCount > 1 {
                nested = try PythonPattern(regex)
            }
        } catch {
            throw Self.invalid("Value \(name): invalid regular expression '\(regex)': \(error.message)", line: number)
        }
        return TextFSMValueDefinition(
            name: name, regex: regex, options: options, line: number,
            substitution: "(?P<\(name)>" + regex.dropFirst(),
            nested: nested,
            isFilldown: options.contains(.filldown), isList: isList
        )
    }

    // MARK: States

    /// Reads one state; false when the template has no more.
    private mutating func readState() throws(TextFSMError) -> Bool {
        var name: String?
        while position < lines.count {
            let number = position + 1
            let line = Self.rstrip(lines[position])
            position += 1
            guard !line.isEmpty, !Self.isComment(line) else { continue }
            let wellFormed = (try? Self.stateName.match(line)) != nil
            if !wellFormed || line.unicodeScalars.count > Self.maxNameLength || Self.lineActions.contains(line)
                || Self.recordActions.contains(line)
            {
                throw Self.invalid("Invalid state name: '\(line)'.", line: number)
            }
            if states.contains(where: { $0.name == line }) {
                throw Self.invalid("Duplicate state name: '\(line)'.", line: number)
            }
            states.append(TextFSMState(name: line, line: number, rules: []))
            name = line
            break
        }
        guard name != nil else { return false }
        while position < lines.count {
            let number = position + 1
            let line = Self.rstrip(lines[position])
            position += 1
            if line.isEmpty { break }
            if Self.isComment(line) { continue }
            guard line.hasPrefix(" ^") || line.hasPrefix("  ^") || line.hasPrefix("\t^") else {
                throw Self.invalid("Missing white space or carat ('^') before rule.", line: number)
            }
            states[states.count - 1].rules.append(try readRule(line, number: number))
        }
        return true
    }

    private func readRule(_ text: String, number: Int) throws(TextFSMError) -> TextFSMRule {
        let line = Self.strip(text)
        let split = try? Self.matchAction.match(line)
        let match = split.flatMap { Self.matchAction.group("match", in: $0) } ?? line
        var regex = match
        if !substitutions.isEmpty {
            guard let substituted = Self.substitute(match, substitutions) else {
                throw Self.invalid("Duplicate or invalid variable substitution: '\(match)'.", line: number)
            }
            regex = substituted
        }
        let pattern: ParsedPattern
        do {
            pattern = try ParsedPattern(regex)
        } catch {
            throw Self.invalid("Invalid regular expression: '\(regex)': \(error.message).", line: number)
        }
        var assignments: [TextFSMRule.Assignment] = []
        for group in pattern.groupNames {
            if let index = values.firstIndex(where: { $0.name == group.name }) {
                assignments.append(.init(group: group.number, value: index))
            }
        }

        var lineAction = TextFSMLineAction.next
        var recordAction = TextFSMRecordAction.noRecord
        var newState: String?
        if let split, let action = Self.matchAction.group("action", in: split) {
            let parsed: (PythonPattern, PythonPattern.Match)? =
                [Self.action1, Self.action2, Self.action3].lazy.compactMap { candidate in
                    (try? candidate.match(action))?.map { (candidate, $0) }
                }.first
            guard let (actionPattern, actionMatch) = parsed else {
                throw Self.invalid("Badly formatted rule '\(line)'.", line: number)
            }
            if let op = actionPattern.group("ln_op", in: actionMatch), !op.isEmpty {
                lineAction = TextFSMLineAction(rawValue: op) ?? .next
            }
            if let op = actionPattern.group("rec_op", in: actionMatch), !op.isEmpty {
                recordAction = op == "Clearall" ? .clearAll : TextFSMRecordAction(rawValue: op) ?? .noRecord
            }
            if let state = actionPattern.group("new_state", in: actionMatch), !state.isEmpty {
                newState = state
            }
            if lineAction == .continue, let newState {
                throw Self.invalid("Action 'Continue' with new state \(newState) specified.", line: number)
            }
            if lineAction != .error, let newState, (try? Self.word.match(newState)) == nil {
                throw Self.invalid("Alphanumeric characters only in state names.", line: number)
            }
        }
        return TextFSMRule(
            line: number, match: match, regex: regex, lineAction: lineAction, recordAction: recordAction,
            newState: newState, pattern: pattern, assignments: assignments
        )
    }

    /// Python's `string.Template(text).substitute(mapping)`: `$$`, `$name`, `${name}`; nil for an invalid
    /// placeholder or an unknown name.
    static func substitute(_ text: String, _ mapping: [String: String]) -> String? {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        func isIdentifierStart(_ s: Unicode.Scalar) -> Bool { s == "_" || (s.isASCII && s.properties.isAlphabetic) }
        func isIdentifier(_ s: Unicode.Scalar) -> Bool { isIdentifierStart(s) || ("0"..."9").contains(s) }
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "$" else {
                out.append(scalar)
                index += 1
                continue
            }
            index += 1
            guard index < scalars.count else { return nil }
            if scalars[index] == "$" {
                out.append("$")
                index += 1
                continue
            }
            let braced = scalars[index] == "{"
            var end = braced ? index + 1 : index
            guard end < scalars.count, isIdentifierStart(scalars[end]) else { return nil }
            let start = end
            while end < scalars.count, isIdentifier(scalars[end]) { end += 1 }
            let name = String(String.UnicodeScalarView(scalars[start..<end]))
            if braced {
                guard end < scalars.count, scalars[end] == "}" else { return nil }
                end += 1
            }
            guard let value = mapping[name] else { return nil }
            out.append(contentsOf: value.unicodeScalars)
            index = end
        }
        return String(out)
    }

    // MARK: Validation

    private mutating func validate() throws(TextFSMError) {
        guard states.contains(where: { $0.name == "Start" }) else {
            throw Self.invalid("Missing state 'Start'.", line: nil)
        }
        for reserved in ["End", "EOF"] {
            if let state = states.first(where: { $0.name == reserved }), !state.rules.isEmpty {
                throw Self.invalid("Non-Empty '\(reserved)' state.", line: state.line)
            }
        }
        states.removeAll { $0.name == "End" }
        for stateIndex in states.indices {
            for ruleIndex in states[stateIndex].rules.indices {
                let rule = states[stateIndex].rules[ruleIndex]
                guard rule.lineAction != .error, let target = rule.newState else { continue }
                if target == "End" {
                    states[stateIndex].rules[ruleIndex].target = .end
                } else if target == "EOF" {
                    states[stateIndex].rules[ruleIndex].target = .eof
                } else if let index = states.firstIndex(where: { $0.name == target }) {
                    states[stateIndex].rules[ruleIndex].target = .state(index)
                } else {
                    throw Self.invalid(
                        "State '\(target)' not found, referenced in state '\(states[stateIndex].name)'", line: rule.line
                    )
                }
            }
        }
    }
}
