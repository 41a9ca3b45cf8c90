/// Python `re` patterns as a tree, read the way CPython 3.11's `re._parser` reads them.
///
/// TextFSM templates are written for Python's `re`. Rather than hand the pattern to another engine and hope
/// the dialects agree, the pattern is parsed here with Python's rules (escapes, character sets, quantifiers,
/// inline flags, group names, what is an error) and then written out again in PCRE2 syntax
/// (`PythonRegex+PCRE2.swift`), with every construct spelled so that PCRE2 can only read it one way.
enum PythonRegex {
    /// One alternative: a sequence of items.
    typealias Sequence = [Node]
    /// `a|b|c`.
    typealias Alternation = [Sequence]

    indirect enum Node: Equatable, Sendable {
        case literal(UInt32)
        /// `.`; `dotAll` comes from the flags in force where it was written.
        case any
        case set(CharacterSet)
        case anchor(Anchor)
        /// A group: capturing when `number` is set; `flags` for `(?i-s:...)`.
        case group(number: Int?, flags: ScopedFlags, body: Alternation)
        case atomic(Alternation)
        case look(behind: Bool, negative: Bool, body: Alternation)
        case backreference(Int)
        case conditional(group: Int, yes: Sequence, no: Sequence?)
        case repeated(Node, min: Int, max: Int?, kind: QuantifierKind)
    }

    enum Anchor: Equatable, Sendable {
        case lineStart, lineEnd, stringStart, stringEnd, wordBoundary, notWordBoundary
    }

    enum QuantifierKind: Equatable, Sendable {
        case greedy, lazy, possessive
    }

    enum Category: Equatable, Sendable {
        case digit, notDigit, space, notSpace, word, notWord
    }

    enum SetItem: Equatable, Sendable {
        case scalar(UInt32)
        case range(UInt32, UInt32)
        case category(Category)
    }

    struct CharacterSet: Equatable, Sendable {
        var negated: Bool
        var items: [SetItem]
    }

    /// Flags a scoped group turns on or off (`i`, `m`, `s`, `x`, `a`, `u`).
    struct ScopedFlags: Equatable, Sendable {
        var on: Set<Character> = []
        var off: Set<Character> = []
        static let none = ScopedFlags()
    }

    /// A parsed pattern.
    struct Pattern: Sendable {
        var body: Alternation
        /// Flags set for the whole pattern by leading `(?imsxau)` groups.
        var globalFlags: Set<Character>
        var captureCount: Int
        /// Named groups in the order they were opened (Python's `groupindex` order).
        var groupNames: [(name: String, number: Int)]
    }

    /// A pattern Python's `re.compile` would reject, with Python's message and the position (in Unicode
    /// scalars) where Python reports it.
    struct SyntaxError: Error, Equatable {
        var message: String
        var position: Int
    }
}

extension PythonRegex {
    /// Parses `pattern` as CPython 3.11's `re` does for a `str` pattern.
    static func parse(_ pattern: String) throws(SyntaxError) -> Pattern {
        var parser = Parser(pattern)
        return try parser.parsePattern()
    }
}

extension PythonRegex {
    /// Python's whitespace for `str.isspace()`, `str.strip()` and `\s` in a `str` pattern.
    static let whitespaceRanges: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x1C...0x20, 0x85...0x85, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
        0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000,
    ]

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 { return (0x09...0x0D).contains(value) || (0x1C...0x20).contains(value) }
        return whitespaceRanges.contains { $0.contains(value) }
    }

    /// `str.isidentifier()`, close enough for group names: a letter or `_`, then letters, digits, marks or `_`.
    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        guard first == "_" || first.properties.isXIDStart else { return false }
        return name.unicodeScalars.dropFirst().allSatisfy { $0 == "_" || $0.properties.isXIDContinue }
    }
}

// MARK: - The parser

private let specialCharacters: Set<Unicode.Scalar> = [".", "\\", "[", "{", "(", ")", "*", "+", "?", "^", "$", "|"]
private let repeatCharacters: Set<Unicode.Scalar> = ["*", "+", "?", "{"]
private let verboseWhitespace: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", "\u{0B}", "\u{0C}"]
private let flagCharacters: Set<Character> = ["i", "L", "m", "s", "x", "a", "t", "u"]
private let typeFlags: Set<Character> = ["a", "L", "u"]

extension Unicode.Scalar {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    fileprivate var isOctalDigit: Bool { ("0"..."7").contains(self) }
    fileprivate var isHexDigit: Bool { isASCIIDigit || ("a"..."f").contains(self) || ("A"..."F").contains(self) }
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

/// One token as Python's tokenizer sees it: a scalar, or a backslash and the scalar after it.
private struct Token: Equatable {
    var scalar: Unicode.Scalar
    var escaped: Bool

    static func plain(_ scalar: Unicode.Scalar) -> Token { Token(scalar: scalar, escaped: false) }
}

private struct Parser {
    typealias SyntaxError = PythonRegex.SyntaxError
    typealias Node = PythonRegex.Node

    let scalars: [Unicode.Scalar]
    /// Index of the scalar after the current token.
    var index = 0
    /// The current token (nil at the end).
    var next: Token?
    /// Where a token that ends the pattern after a lone backslash was found.
    var danglingBackslash = false

    var globalFlags: Set<Character> = []
    /// Group widths by number (index 0 unused), nil while a group is open.
    var groupWidths: [(Int, Int?)?] = [nil]
    var openGroups: Set<Int> = []
    var groupNames: [(name: String, number: Int)] = []
    var conditionalReferences: [Int: Int] = [:]

    init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
        advance()
    }

    var groupCount: Int { groupWidths.count }
    var position: Int { index - (next.map { $0.escaped ? 2 : 1 } ?? 0) }

    mutating func advance() {
        guard index < scalars.count else {
            next = nil
            return
        }
        let scalar = scalars[index]
        if scalar == "\\" {
            guard index + 1 < scalars.count else {
                danglingBackslash = true
                next = nil
                index += 1
                return
            }
            next = Token(scalar: scalars[index + 1], escaped: true)
            index += 2
        } else {
            next = .plain(scalar)
            index += 1
        }
    }

    func error(_ message: String, back offset: Int = 0) -> SyntaxError {
        SyntaxError(message: message, position: max(0, position - offset))
    }

    mutating func get() throws(SyntaxError) -> Token? {
        if danglingBackslash { throw SyntaxError(message: "bad escape (end of pattern)", position: scalars.count - 1) }
        let token = next
        advance()
        return token
    }

    mutating func match(_ scalar: Unicode.Scalar) -> Bool {
        if next == .plain(scalar) {
            advance()
            return true
        }
        return false
    }

    mutating func getWhile(_ count: Int, _ accept: (Unicode.Scalar) -> Bool) -> String {
        var result = ""
        for _ in 0..<count {
            guard let token = next, !token.escaped, accept(token.scalar) else { break }
            result.unicodeScalars.append(token.scalar)
            advance()
        }
        return result
    }

    mutating func getUntil(_ terminator: Unicode.Scalar, _ name: String) throws(SyntaxError) -> String {
        var result = ""
        while true {
            let token = next
            advance()
            guard let token else {
                if result.isEmpty { throw error("missing \(name)") }
                throw error("missing \(terminator), unterminated name", back: result.unicodeScalars.count)
            }
            if token == .plain(terminator) {
                if result.isEmpty { throw error("missing \(name)", back: 1) }
                return result
            }
            if token.escaped { result.unicodeScalars.append("\\") }
            result.unicodeScalars.append(token.scalar)
        }
    }

    mutating func seek(_ newIndex: Int) {
        index = newIndex
        danglingBackslash = false
        advance()
    }

    // MARK: Pattern

    mutating func parsePattern() throws(SyntaxError) -> PythonRegex.Pattern {
        let body = try parseAlternation(verbose: false, nested: 0)
        if next != nil {
            throw error("unbalanced parenthesis")
        }
        if danglingBackslash { throw SyntaxError(message: "bad escape (end of pattern)", position: scalars.count - 1) }
        for (group, where_) in conditionalReferences where group >= groupCount {
            throw SyntaxError(message: "invalid group reference \(group)", position: where_)
        }
        if globalFlags.contains("L") {
            throw SyntaxError(message: "cannot use LOCALE flag with a str pattern", position: 0)
        }
        if globalFlags.contains("a") && globalFlags.contains("u") {
            throw SyntaxError(message: "ASCII and UNICODE flags are incompatible", position: 0)
        }
        try checkLookbehinds(body)
        return PythonRegex.Pattern(
            body: body, globalFlags: globalFlags, captureCount: groupCount - 1, groupNames: groupNames
        )
    }

    mutating func parseAlternation(verbose: Bool, nested: Int) throws(SyntaxError) -> PythonRegex.Alternation {
        var items: PythonRegex.Alternation = []
        var verbose = verbose
        while true {
            items.append(try parseSequence(verbose: &verbose, nested: nested + 1, first: nested == 0 && items.isEmpty))
            if !match("|") { break }
            if nested == 0 { verbose = globalFlags.contains("x") }
        }
        return items
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    mutating func parseSequence(verbose: inout Bool, nested: Int, first: Bool = false)
        throws(SyntaxError) -> PythonRegex.Sequence
    {
        var sequence: PythonRegex.Sequence = []
        while true {
            if danglingBackslash {
                throw SyntaxError(message: "bad escape (end of pattern)", position: scalars.count - 1)
            }
            guard let this = next else { break }
            if this == .plain("|") || this == .plain(")") { break }
            advance()

            if verbose && !this.escaped {
                if verboseWhitespace.contains(this.scalar) { continue }
                if this.scalar == "#" {
                    while let token = try get(), token != .plain("\n") {}
                    continue
                }
            }

            if this.escaped {
                sequence.append(try escape(this.scalar))
            } else if !specialCharacters.contains(this.scalar) {
                sequence.append(.literal(this.scalar.value))
            } else if this.scalar == "[" {
                sequence.append(try parseSet())
            } else if repeatCharacters.contains(this.scalar) {
                try parseRepeat(this.scalar, into: &sequence)
            } else if this.scalar == "." {
                sequence.append(.any)
            } else if this.scalar == "(" {
                if let node = try parseGroup(verbose: &verbose, nested: nested, first: first, sequence: sequence) {
                    sequence.append(node)
                }
            } else if this.scalar == "^" {
                sequence.append(.anchor(.lineStart))
            } else if this.scalar == "$" {
                sequence.append(.anchor(.lineEnd))
            }
        }
        return sequence
    }

    // MARK: Escapes

    /// An escape outside a character set (`_escape` in CPython).
    mutating func escape(_ scalar: Unicode.Scalar) throws(SyntaxError) -> Node {
        switch scalar {
        case "A": return .anchor(.stringStart)
        case "Z": return .anchor(.stringEnd)
        case "b": return .anchor(.wordBoundary)
        case "B": return .anchor(.notWordBoundary)
        case "d": return .set(.init(negated: false, items: [.category(.digit)]))
        case "D": return .set(.init(negated: false, items: [.category(.notDigit)]))
        case "s": return .set(.init(negated: false, items: [.category(.space)]))
        case "S": return .set(.init(negated: false, items: [.category(.notSpace)]))
        case "w": return .set(.init(negated: false, items: [.category(.word)]))
        case "W": return .set(.init(negated: false, items: [.category(.notWord)]))
        default: break
        }
        if let value = try commonEscape(scalar) { return .literal(value) }
        if scalar == "0" {
            let digits = "0" + getWhile(2) { $0.isOctalDigit }
            return .literal(UInt32(digits, radix: 8) ?? 0)
        }
        if scalar.isASCIIDigit {
            var digits = String(scalar)
            if let token = next, !token.escaped, token.scalar.isASCIIDigit {
                digits.unicodeScalars.append(token.scalar)
                advance()
                let chars = Array(digits.unicodeScalars)
                if chars[0].isOctalDigit && chars[1].isOctalDigit, let third = next, !third.escaped,
                    third.scalar.isOctalDigit
                {
                    digits.unicodeScalars.append(third.scalar)
                    advance()
                    let value = UInt32(digits, radix: 8) ?? 0
                    if value > 0o377 {
                        throw error("octal escape value \\\(digits) outside of range 0-0o377", back: 4)
                    }
                    return .literal(value)
                }
            }
            let group = Int(digits) ?? 0
            if group < groupCount {
                if openGroups.contains(group) {
                    throw error("cannot refer to an open group", back: digits.count + 1)
                }
                return .backreference(group)
            }
            throw error("invalid group reference \(group)", back: digits.count)
        }
        return try plainEscape(scalar)
    }

    /// An escape inside a character set (`_class_escape` in CPython).
    mutating func classEscape(_ scalar: Unicode.Scalar) throws(SyntaxError) -> PythonRegex.SetItem {
        switch scalar {
        case "b": return .scalar(0x08)
        case "d": return .category(.digit)
        case "D": return .category(.notDigit)
        case "s": return .category(.space)
        case "S": return .category(.notSpace)
        case "w": return .category(.word)
        case "W": return .category(.notWord)
        default: break
        }
        if let value = try commonEscape(scalar) { return .scalar(value) }
        if scalar.isOctalDigit {
            let digits = String(scalar) + getWhile(2) { $0.isOctalDigit }
            let value = UInt32(digits, radix: 8) ?? 0
            if value > 0o377 {
                throw error("octal escape value \\\(digits) outside of range 0-0o377", back: digits.count + 1)
            }
            return .scalar(value)
        }
        if scalar.isASCIIDigit { throw error("bad escape \\\(scalar)", back: 2) }
        guard case .literal(let value) = try plainEscape(scalar) else { throw error("bad escape \\\(scalar)", back: 2) }
        return .scalar(value)
    }

    /// `\a \f \n \r \t \v \\ \xhh \uhhhh \Uhhhhhhhh`, shared by both kinds of escape; nil for other escapes.
    mutating func commonEscape(_ scalar: Unicode.Scalar) throws(SyntaxError) -> UInt32? {
        switch scalar {
        case "a": return 0x07
        case "f": return 0x0C
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "v": return 0x0B
        case "\\": return 0x5C
        case "x", "u", "U":
            let count = scalar == "x" ? 2 : scalar == "u" ? 4 : 8
            let digits = getWhile(count) { $0.isHexDigit }
            guard digits.count == count, let value = UInt32(digits, radix: 16) else {
                throw error("incomplete escape \\\(scalar)\(digits)", back: digits.count + 2)
            }
            if Unicode.Scalar(value) == nil && !(0xD800...0xDFFF).contains(value) {
                throw error("bad escape \\\(scalar)\(digits)", back: digits.count + 2)
            }
            return value
        case "N":
            throw error("\\N{...} named characters are not supported", back: 2)
        default:
            return nil
        }
    }

    /// A backslash before a character that has no meaning: the character itself, unless it is an ASCII
    /// letter or digit (Python rejects those).
    func plainEscape(_ scalar: Unicode.Scalar) throws(SyntaxError) -> Node {
        if scalar.isASCIILetter || scalar.isASCIIDigit {
            throw error("bad escape \\\(scalar)", back: 2)
        }
        return .literal(scalar.value)
    }

    // MARK: Character sets

    mutating func parseSet() throws(SyntaxError) -> Node {
        let start = position - 1
        var items: [PythonRegex.SetItem] = []
        let negated = match("^")
        while true {
            guard let this = try get() else {
                throw SyntaxError(message: "unterminated character set", position: start)
            }
            // A `]` first in the set is a member (`[]a]`, `[^]a]`), as in Python.
            if this == .plain("]") && !items.isEmpty { break }
            let first = this.escaped ? try classEscape(this.scalar) : .scalar(this.scalar.value)
            if match("-") {
                guard let that = try get() else {
                    throw SyntaxError(message: "unterminated character set", position: start)
                }
                if that == .plain("]") {
                    items.append(first)
                    items.append(.scalar(0x2D))
                    break
                }
                let second = that.escaped ? try classEscape(that.scalar) : .scalar(that.scalar.value)
                guard case .scalar(let low) = first, case .scalar(let high) = second, high >= low else {
                    let text = describe(this) + "-" + describe(that)
                    throw error("bad character range \(text)", back: text.unicodeScalars.count)
                }
                items.append(.range(low, high))
            } else {
                items.append(first)
            }
        }
        return .set(.init(negated: negated, items: items))
    }

    func describe(_ token: Token) -> String {
        (token.escaped ? "\\" : "") + String(token.scalar)
    }

    // MARK: Repeats

    mutating func parseRepeat(_ scalar: Unicode.Scalar, into sequence: inout PythonRegex.Sequence) throws(SyntaxError) {
        let here = position
        var minimum = 0
        var maximum: Int?
        switch scalar {
        case "?": maximum = 1
        case "*": break
        case "+": minimum = 1
        default:
            // `{`: a quantifier only when it reads `{m}`, `{m,}`, `{,n}` or `{m,n}`; otherwise a literal.
            if next == .plain("}") {
                sequence.append(.literal(0x7B))
                return
            }
            let low = getWhile(Int.max) { $0.isASCIIDigit }
            var high = low
            if match(",") {
                high = getWhile(Int.max) { $0.isASCIIDigit }
            }
            if !match("}") {
                sequence.append(.literal(0x7B))
                seek(here)
                return
            }
            if !low.isEmpty {
                guard let value = Int(low), value <= 65535 else {
                    throw error("the repetition number \(low) is too large (PCRE2 allows up to 65535)")
                }
                minimum = value
            }
            if !high.isEmpty {
                guard let value = Int(high), value <= 65535 else {
                    throw error("the repetition number \(high) is too large (PCRE2 allows up to 65535)")
                }
                maximum = value
                if value < minimum {
                    throw error("min repeat greater than max repeat", back: position - here)
                }
            }
        }
        guard let item = sequence.last else {
            throw error("nothing to repeat", back: position - here + 1)
        }
        if case .anchor = item { throw error("nothing to repeat", back: position - here + 1) }
        if case .repeated = item { throw error("multiple repeat", back: position - here + 1) }
        var kind = PythonRegex.QuantifierKind.greedy
        if match("?") {
            kind = .lazy
        } else if match("+") {
            kind = .possessive
        }
        sequence[sequence.count - 1] = .repeated(item, min: minimum, max: maximum, kind: kind)
    }

    // MARK: Groups

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    mutating func parseGroup(verbose: inout Bool, nested: Int, first: Bool, sequence: PythonRegex.Sequence)
        throws(SyntaxError) -> Node?
    {
        let start = position - 1
        var capture = true
        var atomic = false
        var name: String?
        var scoped = PythonRegex.ScopedFlags.none
        if match("?") {
            guard let char = try get() else { throw error("unexpected end of pattern") }
            let c = char.escaped ? "\\" : Character(char.scalar)
            if c == "P" {
                if match("<") {
                    let groupName = try getUntil(">", "group name")
                    try checkGroupName(groupName)
                    name = groupName
                } else if match("=") {
                    let groupName = try getUntil(")", "group name")
                    try checkGroupName(groupName)
                    guard let number = groupNames.first(where: { $0.name == groupName })?.number else {
                        throw error("unknown group name '\(groupName)'", back: groupName.unicodeScalars.count + 1)
                    }
                    if openGroups.contains(number) {
                        throw error("cannot refer to an open group", back: groupName.unicodeScalars.count + 1)
                    }
                    return .backreference(number)
                } else {
                    guard let other = try get() else { throw error("unexpected end of pattern") }
                    throw error("unknown extension ?P\(describe(other))", back: 3)
                }
            } else if c == ":" {
                capture = false
            } else if c == "#" {
                while true {
                    guard next != nil else {
                        throw SyntaxError(message: "missing ), unterminated comment", position: start)
                    }
                    if try get() == .plain(")") { break }
                }
                return nil
            } else if c == "=" || c == "!" || c == "<" {
                var behind = false
                var negative = c == "!"
                if c == "<" {
                    guard let kind = try get() else { throw error("unexpected end of pattern") }
                    guard kind == .plain("=") || kind == .plain("!") else {
                        throw error("unknown extension ?<\(describe(kind))", back: 3)
                    }
                    behind = true
                    negative = kind == .plain("!")
                }
                let body = try parseAlternation(verbose: verbose, nested: nested + 1)
                if !match(")") {
                    throw SyntaxError(message: "missing ), unterminated subpattern", position: start)
                }
                return .look(behind: behind, negative: negative, body: body)
            } else if c == "(" {
                return try parseConditional(start: start, verbose: verbose, nested: nested)
            } else if c == ">" {
                capture = false
                atomic = true
            } else if flagCharacters.contains(c) || c == "-" {
                guard let flags = try parseFlags(c) else {
                    if !first || !sequence.isEmpty {
                        throw SyntaxError(message: "global flags not at the start of the expression", position: start)
                    }
                    verbose = globalFlags.contains("x")
                    return nil
                }
                scoped = flags
                capture = false
            } else {
                throw error("unknown extension ?\(describe(char))", back: 2)
            }
        }

        var number: Int?
        if capture {
            let groupNumber = groupCount
            if let name {
                if let previous = groupNames.first(where: { $0.name == name }) {
                    throw error(
                        "redefinition of group name '\(name)' as group \(groupNumber); was group \(previous.number)",
                        back: name.unicodeScalars.count + 1
                    )
                }
                groupNames.append((name, groupNumber))
            }
            groupWidths.append(nil)
            openGroups.insert(groupNumber)
            number = groupNumber
        }
        let subVerbose = (verbose || scoped.on.contains("x")) && !scoped.off.contains("x")
        let body = try parseAlternation(verbose: subVerbose, nested: nested + 1)
        if !match(")") {
            throw SyntaxError(message: "missing ), unterminated subpattern", position: start)
        }
        if let number {
            openGroups.remove(number)
            groupWidths[number] = PythonRegex.width(of: body, groups: groupWidths)
        }
        if atomic { return .atomic(body) }
        return .group(number: number, flags: scoped, body: body)
    }

    mutating func parseConditional(start: Int, verbose: Bool, nested: Int) throws(SyntaxError) -> Node {
        let name = try getUntil(")", "group name")
        let group: Int
        if PythonRegex.isIdentifier(name) {
            guard let number = groupNames.first(where: { $0.name == name })?.number else {
                throw error("unknown group name '\(name)'", back: name.unicodeScalars.count + 1)
            }
            group = number
        } else {
            guard name.unicodeScalars.allSatisfy(\.isASCIIDigit), let number = Int(name) else {
                throw error("bad character in group name '\(name)'", back: name.unicodeScalars.count + 1)
            }
            if number == 0 { throw error("bad group number", back: name.unicodeScalars.count + 1) }
            if conditionalReferences[number] == nil {
                conditionalReferences[number] = position - name.unicodeScalars.count - 1
            }
            group = number
        }
        var innerVerbose = verbose
        let yes = try parseSequence(verbose: &innerVerbose, nested: nested + 1)
        var no: PythonRegex.Sequence?
        if match("|") {
            innerVerbose = verbose
            no = try parseSequence(verbose: &innerVerbose, nested: nested + 1)
            if next == .plain("|") {
                throw error("conditional backref with more than two branches")
            }
        }
        if !match(")") {
            throw SyntaxError(message: "missing ), unterminated subpattern", position: start)
        }
        return .conditional(group: group, yes: yes, no: no)
    }

    /// Flags after `(?`: nil for global flags `(?ims)`, which go into `globalFlags`; the scoped flags of
    /// `(?i-s:` otherwise.
    mutating func parseFlags(_ firstFlag: Character) throws(SyntaxError) -> PythonRegex.ScopedFlags? {
        var on: Set<Character> = []
        var off: Set<Character> = []
        var char: Character? = firstFlag
        if firstFlag != "-" {
            while true {
                guard let flag = char else { throw error("missing -, : or )") }
                if flag == "L" { throw error("bad inline flags: cannot use 'L' flag with a str pattern") }
                on.insert(flag)
                if typeFlags.contains(flag) && on.intersection(typeFlags).count > 1 {
                    throw error("bad inline flags: flags 'a', 'u' and 'L' are incompatible")
                }
                char = try get().map { $0.escaped ? "\\" : Character($0.scalar) }
                guard let next = char else { throw error("missing -, : or )") }
                if next == ")" || next == "-" || next == ":" { break }
                if !flagCharacters.contains(next) {
                    throw error(next.isLetter ? "unknown flag" : "missing -, : or )", back: 1)
                }
            }
        }
        if char == ")" {
            if on.contains("t") { throw error("the TEMPLATE flag (?t) is not supported") }
            globalFlags.formUnion(on)
            return nil
        }
        if on.contains("t") { throw error("bad inline flags: cannot turn on global flag", back: 1) }
        if char == "-" {
            guard var flag = try get().map({ $0.escaped ? "\\" : Character($0.scalar) }) else {
                throw error("missing flag")
            }
            if !flagCharacters.contains(flag) {
                throw error(flag.isLetter ? "unknown flag" : "missing flag", back: 1)
            }
            while true {
                if typeFlags.contains(flag) {
                    throw error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'")
                }
                off.insert(flag)
                guard let next = try get().map({ $0.escaped ? "\\" : Character($0.scalar) }) else {
                    throw error("missing :")
                }
                if next == ":" { break }
                if !flagCharacters.contains(next) {
                    throw error(next.isLetter ? "unknown flag" : "missing :", back: 1)
                }
                flag = next
            }
        }
        if off.contains("t") { throw error("bad inline flags: cannot turn off global flag", back: 1) }
        if !on.isDisjoint(with: off) { throw error("bad inline flags: flag turned on and off", back: 1) }
        return PythonRegex.ScopedFlags(on: on, off: off)
    }

    func checkGroupName(_ name: String) throws(SyntaxError) {
        if !PythonRegex.isIdentifier(name) {
            throw error("bad character in group name '\(name)'", back: name.unicodeScalars.count + 1)
        }
    }

    // MARK: Lookbehind widths

    /// Python rejects a lookbehind whose width is not fixed.
    func checkLookbehinds(_ body: PythonRegex.Alternation) throws(SyntaxError) {
        for sequence in body {
            for node in sequence { try checkLookbehinds(node) }
        }
    }

    func checkLookbehinds(_ node: Node) throws(SyntaxError) {
        switch node {
        case .group(_, _, let body), .atomic(let body):
            try checkLookbehinds(body)
        case .look(let behind, _, let body):
            if behind {
                let (low, high) = PythonRegex.width(of: body, groups: groupWidths)
                if high != low {
                    throw SyntaxError(message: "look-behind requires fixed-width pattern", position: 0)
                }
            }
            try checkLookbehinds(body)
        case .conditional(_, let yes, let no):
            try checkLookbehinds([yes] + (no.map { [$0] } ?? []))
        case .repeated(let item, _, _, _):
            try checkLookbehinds(item)
        default:
            break
        }
    }
}

extension PythonRegex {
    /// Python's `getwidth()`: the fewest and most scalars a pattern can match (nil: no limit).
    static func width(of body: Alternation, groups: [(Int, Int?)?]) -> (Int, Int?) {
        var low = Int.max
        var high: Int? = 0
        for sequence in body {
            let (l, h) = width(of: sequence, groups: groups)
            low = min(low, l)
            high = maxWidth(high, h)
        }
        return (body.isEmpty ? 0 : low, high)
    }

    static func width(of sequence: Sequence, groups: [(Int, Int?)?]) -> (Int, Int?) {
        var low = 0
        var high: Int? = 0
        for node in sequence {
            let (l, h) = width(of: node, groups: groups)
            low = saturatingAdd(low, l)
            high = high.flatMap { a in h.map { saturatingAdd(a, $0) } }
        }
        return (low, high)
    }

    static func width(of node: Node, groups: [(Int, Int?)?]) -> (Int, Int?) {
        switch node {
        case .literal, .any, .set: return (1, 1)
        case .anchor, .look: return (0, 0)
        case .group(_, _, let body), .atomic(let body): return width(of: body, groups: groups)
        case .backreference(let number):
            return number < groups.count ? groups[number] ?? (0, nil) : (0, nil)
        case .conditional(_, let yes, let no):
            let (yesLow, yesHigh) = width(of: yes, groups: groups)
            guard let no else { return (0, yesHigh) }
            let (noLow, noHigh) = width(of: no, groups: groups)
            return (min(yesLow, noLow), maxWidth(yesHigh, noHigh))
        case .repeated(let item, let minimum, let maximum, _):
            let (l, h) = width(of: item, groups: groups)
            let high: Int? =
                if let h, let maximum { h.multipliedReportingOverflow(by: maximum).overflow ? nil : h * maximum } else {
                    h == 0 ? 0 : nil
                }
            let low = l.multipliedReportingOverflow(by: minimum).overflow ? Int.max : l * minimum
            return (low, high)
        }
    }

    private static func maxWidth(_ a: Int?, _ b: Int?) -> Int? {
        guard let a, let b else { return nil }
        return max(a, b)
    }

    private static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}
