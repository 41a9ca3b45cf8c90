/// Writing a parsed Python pattern in PCRE2 syntax.
///
/// The output is compiled with UTF and UCP, so `\d`, `\w` and `\b` have their Unicode meaning as in a
/// Python `str` pattern. What PCRE2 would read differently is spelled out:
/// - `\s` is Python's own whitespace set (it includes U+001C–U+001F, which PCRE2's `\s` does not);
/// - `\Z` is PCRE2's `\z` (Python's `\Z` is the very end), `{,n}` is `{0,n}`;
/// - literals other than ASCII letters and digits are written `\x{...}`, so a `[` inside a set is never a
///   POSIX class and a `#` is never a comment;
/// - backreferences are `\g{n}`, named groups become numbered groups (PCRE2 limits names to 32 characters,
///   TextFSM allows 48), and the names are kept beside the pattern;
/// - verbose mode (`(?x)`) is applied while parsing; the ASCII flag (`(?a)`) writes ASCII sets;
/// - `(*LF)` makes `\n` the only newline, as for Python's `.` and `$`.
extension PythonRegex {
    /// PCRE2 for a pattern on its own.
    static func pcre2Source(for pattern: Pattern) -> String {
        "(*LF)" + pcre2Branch(for: pattern, groupOffset: 0)
    }

    /// PCRE2 for a pattern as one group of a larger pattern: its global flags scoped to the group, its groups
    /// numbered after `groupOffset` others.
    static func pcre2Branch(for pattern: Pattern, groupOffset: Int) -> String {
        let flags = pattern.globalFlags.intersection(["i", "m", "s"])
        var out = "(?" + String(flags.sorted()) + ":"
        let emitter = Emitter(ascii: pattern.globalFlags.contains("a"), groupOffset: groupOffset)
        emitter.write(pattern.body, into: &out)
        return out + ")"
    }
}

private struct Emitter {
    var ascii: Bool
    var groupOffset: Int

    func write(_ body: PythonRegex.Alternation, into out: inout String) {
        for (index, sequence) in body.enumerated() {
            if index > 0 { out += "|" }
            write(sequence, into: &out)
        }
    }

    func write(_ sequence: PythonRegex.Sequence, into out: inout String) {
        for node in sequence { write(node, into: &out) }
    }

    func write(_ node: PythonRegex.Node, into out: inout String) {
        switch node {
        case .literal(let value):
            out += literal(value)
        case .any:
            out += "."
        case .set(let set):
            out += self.set(set)
        case .anchor(let anchor):
            out += self.anchor(anchor)
        case .group(let number, let flags, let body):
            var inner = self
            if flags.on.contains("a") { inner.ascii = true }
            if flags.on.contains("u") { inner.ascii = false }
            if number != nil {
                out += "("
            } else {
                let on = String(flags.on.intersection(["i", "m", "s"]).sorted())
                let off = String(flags.off.intersection(["i", "m", "s"]).sorted())
                out += "(?" + on + (off.isEmpty ? "" : "-" + off) + ":"
            }
            inner.write(body, into: &out)
            out += ")"
        case .atomic(let body):
            out += "(?>"
            write(body, into: &out)
            out += ")"
        case .look(let behind, let negative, let body):
            out += "(?" + (behind ? "<" : "") + (negative ? "!" : "=")
            write(body, into: &out)
            out += ")"
        case .backreference(let number):
            out += "\\g{\(number + groupOffset)}"
        case .conditional(let group, let yes, let no):
            out += "(?(\(group + groupOffset))"
            write(yes, into: &out)
            if let no {
                out += "|"
                write(no, into: &out)
            }
            out += ")"
        case .repeated(let item, let minimum, let maximum, let kind):
            write(item, into: &out)
            switch (minimum, maximum) {
            case (0, nil): out += "*"
            case (1, nil): out += "+"
            case (0, 1): out += "?"
            case (let low, nil): out += "{\(low),}"
            case (let low, let high?) where low == high: out += "{\(low)}"
            case (let low, let high?): out += "{\(low),\(high)}"
            }
            switch kind {
            case .greedy: break
            case .lazy: out += "?"
            case .possessive: out += "+"
            }
        }
    }

    /// A scalar, the same inside and outside a class: ASCII letters and digits as they are, all else as `\x{...}`.
    func literal(_ value: UInt32) -> String {
        if let scalar = Unicode.Scalar(value), scalar.isASCII,
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
        {
            return String(scalar)
        }
        return "\\x{" + String(value, radix: 16) + "}"
    }

    func anchor(_ anchor: PythonRegex.Anchor) -> String {
        switch anchor {
        case .lineStart: return "^"
        case .lineEnd: return "$"
        case .stringStart: return "\\A"
        case .stringEnd: return "\\z"
        case .wordBoundary:
            return ascii ? "(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))" : "\\b"
        case .notWordBoundary:
            return ascii ? "(?:(?<=[A-Za-z0-9_])(?=[A-Za-z0-9_])|(?<![A-Za-z0-9_])(?![A-Za-z0-9_]))" : "\\B"
        }
    }

    /// The inside of a PCRE2 class for Python's `\s`.
    static let unicodeSpace: String = PythonRegex.whitespaceRanges.map { range in
        range.count == 1
            ? "\\x{\(String(range.lowerBound, radix: 16))}"
            : "\\x{\(String(range.lowerBound, radix: 16))}-\\x{\(String(range.upperBound, radix: 16))}"
    }.joined()

    /// A category as a piece of a class: `(inside, complemented)`; a complemented piece matches what the
    /// class `[^inside]` matches.
    func category(_ category: PythonRegex.Category) -> (String, Bool) {
        switch (category, ascii) {
        case (.digit, false): return ("\\d", false)
        case (.notDigit, false): return ("\\D", false)
        case (.word, false): return ("\\w", false)
        case (.notWord, false): return ("\\W", false)
        case (.space, false): return (Self.unicodeSpace, false)
        case (.notSpace, false): return (Self.unicodeSpace, true)
        case (.digit, true): return ("0-9", false)
        case (.notDigit, true): return ("0-9", true)
        case (.word, true): return ("A-Za-z0-9_", false)
        case (.notWord, true): return ("A-Za-z0-9_", true)
        case (.space, true): return ("\\x{9}-\\x{d}\\x{20}", false)
        case (.notSpace, true): return ("\\x{9}-\\x{d}\\x{20}", true)
        }
    }

    /// A set as one PCRE2 atom. Complemented categories cannot go inside a class, so a set that has them
    /// becomes an alternation (or, negated, an intersection written with lookaheads).
    func set(_ set: PythonRegex.CharacterSet) -> String {
        var positive = ""
        var complements: [String] = []
        for item in set.items {
            switch item {
            case .scalar(let value):
                positive += literal(value)
            case .range(let low, let high):
                positive += literal(low) + "-" + literal(high)
            case .category(let category):
                let (inside, complemented) = self.category(category)
                if complemented {
                    complements.append(inside)
                } else {
                    positive += inside
                }
            }
        }
        if complements.isEmpty {
            return (set.negated ? "[^" : "[") + positive + "]"
        }
        if !set.negated {
            let parts = (positive.isEmpty ? [] : ["[" + positive + "]"]) + complements.map { "[^" + $0 + "]" }
            // Atomic: the alternatives each match one character, so trying another after a later failure
            // can only match the same character again; without it, `[(\S\s)]+` inside a repeat backtracks
            // exponentially where Python's single set does not.
            return parts.count == 1 ? parts[0] : "(?>" + parts.joined(separator: "|") + ")"
        }
        // Not (P or not C1 or not C2 ...) = not P and C1 and C2 ...
        var out = "(?:"
        if !positive.isEmpty { out += "(?![" + positive + "])" }
        for inside in complements.dropLast() { out += "(?=[" + inside + "])" }
        out += "[" + complements[complements.count - 1] + "])"
        return out
    }
}
