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

    func match(_ line: String) -> Match {
        let tokens = Self.tokenize(line)
        guard !tokens.isEmpty else { return .empty }
        var candidates = patterns.map { (pattern: $0, args: [String](), done: false) }
        for (index, token) in tokens.enumerated() {
            let lowered = token.text.lowercased()
            var next: [(pattern: Pattern, args: [String], done: Bool)] = []
            for candidate in candidates {
                if candidate.done {
                    next.append(candidate)
                    continue
                }
                guard index < candidate.pattern.words.count else { continue }
                switch candidate.pattern.words[index] {
                case .keyword(let keyword) where keyword.hasPrefix(lowered):
                    next.append(candidate)
                case .keyword:
                    continue
                case .arg:
                    next.append((candidate.pattern, candidate.args + [token.text], false))
                case .rest:
                    let text = String(line.dropFirst(token.column))
                    next.append((candidate.pattern, candidate.args + [text], true))
                }
            }
            guard !next.isEmpty else { return .invalid(token: index, column: token.column) }
            // An exact keyword wins over longer keywords it abbreviates; keywords win over arguments.
            let keywords = Set(
                next.compactMap { candidate -> String? in
                    guard !candidate.done, index < candidate.pattern.words.count,
                        case .keyword(let keyword) = candidate.pattern.words[index]
                    else { return nil }
                    return keyword
                })
            if keywords.contains(lowered) {
                next = next.filter {
                    $0.done || $0.pattern.words[index] == .keyword(lowered)
                }
            } else if keywords.count > 1 {
                return .ambiguous(token: token.text, column: token.column)
            } else if keywords.count == 1 {
                let kept = next.filter { candidate in
                    guard !candidate.done, case .keyword = candidate.pattern.words[index] else { return false }
                    return true
                }
                if !kept.isEmpty { next = kept }
            }
            candidates = next
        }
        if let complete = candidates.first(where: { $0.done || $0.pattern.words.count == tokens.count }) {
            return .command(id: complete.pattern.id, args: complete.args)
        }
        return .incomplete
    }
}
