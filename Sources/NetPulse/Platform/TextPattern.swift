/// A piece of text to look for in one line of device output: an error message, a pager, a question.
///
/// A deliberately small matcher that works on bytes (no `Regex`, no `String` conversion), because the
/// engine runs it on every line it checks. ASCII letters may match case-insensitively.
public struct TextPattern: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// Where in the line the text must be.
    public enum Anchor: Sendable, Hashable {
        /// Anywhere in the line.
        case anywhere
        /// At the start of the line, after any spaces or tabs.
        case lineStart
    }

    /// The text looked for.
    public let text: String
    public let anchor: Anchor
    /// Whether ASCII letters match regardless of case.
    public let caseInsensitive: Bool
    private let needle: [UInt8]

    /// Creates a pattern.
    ///
    /// - Parameters:
    ///   - text: The text to find; must not be empty.
    ///   - anchor: Where it must be in the line.
    ///   - caseInsensitive: Whether ASCII letters match regardless of case.
    public init(_ text: String, anchor: Anchor = .anywhere, caseInsensitive: Bool = false) {
        precondition(!text.isEmpty, "a TextPattern needs text")
        self.text = text
        self.anchor = anchor
        self.caseInsensitive = caseInsensitive
        self.needle = caseInsensitive ? Array(text.utf8).map(Self.lower) : Array(text.utf8)
    }

    /// A pattern matching `value` anywhere in the line, case-sensitively.
    public init(stringLiteral value: String) { self.init(value) }

    /// The same text at the start of a line.
    public static func lineStart(_ text: String, caseInsensitive: Bool = false) -> TextPattern {
        TextPattern(text, anchor: .lineStart, caseInsensitive: caseInsensitive)
    }

    public var description: String {
        "\(anchor == .lineStart ? "^" : "")\(text)\(caseInsensitive ? " (any case)" : "")"
    }

    /// Whether the pattern occurs in `line` (which holds no line break).
    public func matches(_ line: some StringProtocol) -> Bool {
        let bytes = Array(line.utf8)
        return bytes.withUnsafeBufferPointer { matches($0) }
    }

    func matches(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = needle.count
        switch anchor {
        case .lineStart:
            var start = 0
            while start < line.count, line[start] == UInt8(ascii: " ") || line[start] == UInt8(ascii: "\t") {
                start += 1
            }
            return start + count <= line.count && equal(line, at: start)
        case .anywhere:
            guard line.count >= count else { return false }
            let first = needle[0]
            var index = 0
            let last = line.count - count
            while index <= last {
                let byte = caseInsensitive ? Self.lower(line[index]) : line[index]
                if byte == first, equal(line, at: index) { return true }
                index += 1
            }
            return false
        }
    }

    func matches(_ line: ArraySlice<UInt8>) -> Bool {
        line.withUnsafeBufferPointer { matches($0) }
    }

    /// Whether the pattern occurs near the end of `line`: at most `slack` bytes (trailing spaces aside) after
    /// it, as a question's shape ends the question (`[confirm]`, `(y/n)?  [n] `, `[Y/N]:`).
    func endsLine(_ line: ArraySlice<UInt8>, slack: Int) -> Bool {
        line.withUnsafeBufferPointer { line in
            var end = line.count
            while end > 0, line[end - 1] == UInt8(ascii: " ") { end -= 1 }
            let count = needle.count
            guard end >= count else { return false }
            var start = end - count
            let lowest = max(0, end - count - slack)
            while start >= lowest {
                if anchor == .anywhere || start == 0, equal(line, at: start) { return true }
                start -= 1
            }
            return false
        }
    }

    private func equal(_ line: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        for offset in 0..<needle.count {
            let byte = caseInsensitive ? Self.lower(line[start + offset]) : line[start + offset]
            if byte != needle[offset] { return false }
        }
        return true
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    public static func == (lhs: TextPattern, rhs: TextPattern) -> Bool {
        lhs.text == rhs.text && lhs.anchor == rhs.anchor && lhs.caseInsensitive == rhs.caseInsensitive
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(text)
        hasher.combine(anchor)
        hasher.combine(caseInsensitive)
    }
}

/// A set of bytes, tested in constant time.
struct ByteSet: Sendable, Hashable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var upper: (UInt64, UInt64) = (0, 0)

    init(_ characters: String) {
        for byte in characters.utf8 { insert(byte) }
    }

    mutating func insert(_ byte: UInt8) {
        switch byte {
        case 0..<64: low |= 1 << UInt64(byte)
        case 64..<128: high |= 1 << UInt64(byte - 64)
        case 128..<192: upper.0 |= 1 << UInt64(byte - 128)
        default: upper.1 |= 1 << UInt64(byte - 192)
        }
    }

    @inline(__always)
    func contains(_ byte: UInt8) -> Bool {
        switch byte {
        case 0..<64: low & (1 << UInt64(byte)) != 0
        case 64..<128: high & (1 << UInt64(byte - 64)) != 0
        case 128..<192: upper.0 & (1 << UInt64(byte - 128)) != 0
        default: upper.1 & (1 << UInt64(byte - 192)) != 0
        }
    }

    static func == (lhs: ByteSet, rhs: ByteSet) -> Bool {
        lhs.low == rhs.low && lhs.high == rhs.high && lhs.upper.0 == rhs.upper.0 && lhs.upper.1 == rhs.upper.1
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(low)
        hasher.combine(high)
        hasher.combine(upper.0)
        hasher.combine(upper.1)
    }
}
