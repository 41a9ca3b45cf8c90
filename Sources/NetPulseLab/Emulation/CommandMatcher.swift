/// Matches a typed line against command patterns the way network CLIs do: each keyword may be
/// abbreviated to any unique prefix (`sh ver`, `conf t`).
struct CommandMatcher {
    enum Word: Equatable {
        case keyword(String)
        /// One token, any text.
        case arg
        /// The rest of the line, as typed.
        case rest
    }

    struct Pattern {
        var id: String
        var words: [Word]

        init(_ id: String, _ text: String) {
            self.id = id
            words = text.split(separator: " ").map { word in
                switch word {
                case "<x>": .arg
                case "<rest>": .rest
                default: .keyword(String(word))
                }
            }
        }
    }

    struct Token: Equatable {
        var text: String
        var column: Int
    }

    enum Match: Equatable {
        case command(id: String, args: [String])
        /// The token at this index matched nothing.
        case invalid(token: Int, column: Int)
        case incomplete
        case ambiguous(token: String, column: Int)
        case empty
    }

    var patterns: [Pattern]

    init(_ patterns: [(String, String)]) {
        self.patterns = patterns.map { Pattern($0.0, $0.1) }
    }

    static func tokenize(_ line: String) -> [Token] {
        if let tokens = tokenizePrintableASCII(line) { return tokens }
        var tokens: [Token] = []
        var current = ""
        var start = 0
        for (column, character) in line.enumerated() {
            if character == " " || character == "\t" {
                if !current.isEmpty { tokens.append(Token(text: current, column: start)) }
                current = ""
            } else {
                if current.isEmpty { start = column }
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(Token(text: current, column: start)) }
        return tokens
    }

    /// ``tokenize(_:)`` for a line of printable ASCII and tabs (what is typed at a CLI), byte by byte:
    /// there one byte is one character, so the columns are the same. `nil` for any other line.
    private static func tokenizePrintableASCII(_ line: String) -> [Token]? {
        var tokens: [Token] = []
        var start: Int?
        var column = 0
        for byte in line.utf8 {
            guard byte == 9 || (32..<127).contains(byte) else { return nil }
            if byte == 32 || byte == 9 {
                if let first = start {
                    tokens.append(Token(text: Self.text(line, from: first, to: column), column: first))
                    start = nil
                }
            } else if start == nil {
                start = column
            }
            column += 1
        }
        if let first = start { tokens.append(Token(text: Self.text(line, from: first, to: column), column: first)) }
        return tokens
    }

    private static func text(_ line: String, from start: Int, to end: Int) -> String {
        let utf8 = line.utf8
        let from = utf8.index(utf8.startIndex, offsetBy: start)
        return String(Substring(utf8[from..<utf8.index(from, offsetBy: end - start)]))
    }

    /// A pattern still in the running: its index, the arguments taken so far, and whether a `<rest>`
    /// already took the rest of the line.
    private struct Candidate {
        var pattern: Int
        var args: [String] = []
        var done = false
    }

    func match(_ line: String) -> Match {
        let tokens = Self.tokenize(line)
        guard !tokens.isEmpty else { return .empty }
        // Candidates refer to patterns by index: no pattern (its id and words) is copied per token.
        var candidates = patterns.indices.map { Candidate(pattern: $0) }
        var next: [Candidate] = []
        next.reserveCapacity(candidates.count)
        for (index, token) in tokens.enumerated() {
            let lowered = token.text.lowercased()
            next.removeAll(keepingCapacity: true)
            for candidate in candidates {
                if candidate.done {
                    next.append(candidate)
                    continue
                }
                let words = patterns[candidate.pattern].words
                guard index < words.count else { continue }
                switch words[index] {
                case .keyword(let keyword) where keyword.hasPrefix(lowered):
                    next.append(candidate)
                case .keyword:
                    continue
                case .arg:
                    next.append(Candidate(pattern: candidate.pattern, args: candidate.args + [token.text]))
                case .rest:
                    let text = String(line.dropFirst(token.column))
                    next.append(Candidate(pattern: candidate.pattern, args: candidate.args + [text], done: true))
                }
            }
            guard !next.isEmpty else { return .invalid(token: index, column: token.column) }
            // The distinct keywords the remaining candidates have at this token (0, 1 or "more than one"),
            // and whether one of them is the token itself.
            var firstKeyword: String?
            var distinctKeywords = 0
            var exact = false
            for candidate in next where !candidate.done {
                guard case .keyword(let keyword) = patterns[candidate.pattern].words[index] else { continue }
                if keyword == lowered { exact = true }
                if distinctKeywords == 0 {
                    firstKeyword = keyword
                    distinctKeywords = 1
                } else if distinctKeywords == 1, keyword != firstKeyword {
                    distinctKeywords = 2
                }
            }
            // An exact keyword wins over longer keywords it abbreviates; keywords win over arguments.
            if exact {
                next.removeAll { !$0.done && patterns[$0.pattern].words[index] != .keyword(lowered) }
            } else if distinctKeywords > 1 {
                return .ambiguous(token: token.text, column: token.column)
            } else if distinctKeywords == 1 {
                let isKeyword = { (candidate: Candidate) -> Bool in
                    guard !candidate.done, case .keyword = self.patterns[candidate.pattern].words[index] else {
                        return false
                    }
                    return true
                }
                if next.contains(where: isKeyword) { next.removeAll { !isKeyword($0) } }
            }
            swap(&candidates, &next)
        }
        if let complete = candidates.first(where: { $0.done || patterns[$0.pattern].words.count == tokens.count }) {
            return .command(id: patterns[complete.pattern].id, args: complete.args)
        }
        return .incomplete
    }
}
