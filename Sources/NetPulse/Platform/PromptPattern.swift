/// The shape of a platform's prompt: `[opener][flags]NAME[mode]terminator[spaces]`.
///
/// Examples: Cisco `R1>`, `R1(config-if)#` (name `R1`, mode `(config-if)`); Junos `admin@mx1> `;
/// Huawei `<HW1>`, `[~HW1-GigabitEthernet0/0/1]` (opener `[`, flag `~`); Linux `user@host:~$ `.
///
/// NAME is the base prompt (the hostname part) that the engine learns after login; once it knows it, a
/// prompt must start with it, which keeps output lines that merely look like a prompt from ending a
/// command. Matching works on bytes, on one line only (the text after the last line break), and never
/// looks at more than ``maxLength`` bytes, so it costs the same whatever the size of the output.
public struct PromptPattern: Sendable, Hashable {
    /// What may follow the name, before the terminator.
    public enum Mode: Sendable, Hashable {
        /// Nothing: the terminator follows the name.
        case none
        /// Optionally one enclosed part, such as Cisco's `(config-if)`: no spaces inside.
        case enclosed(open: Character, close: Character)
        /// Any printable text that does not start with a letter or digit (`-GigabitEthernet0/0/1`,
        /// `:~/src`, ` ~]`).
        case free
    }

    /// Characters one of which may open the prompt (`<` and `[` for Huawei).
    public var openers: String
    /// Whether the prompt must start with one of ``openers``.
    public var requiresOpener: Bool
    /// Characters that may follow the opener before the name (Huawei VRP 8 shows `[~HW1]`, `[*HW1]`).
    public var flags: String
    /// Characters allowed in the name besides ASCII letters and digits.
    public var nameCharacters: String
    /// What may follow the name.
    public var mode: Mode
    /// Characters that end a prompt (`>` and `#` for Cisco).
    public var terminators: String
    /// The longest line that can be a prompt, trailing spaces included.
    public var maxLength: Int

    private let openerSet: ByteSet
    private let flagSet: ByteSet
    private let nameSet: ByteSet
    private let terminatorSet: ByteSet

    /// Creates a prompt shape.
    ///
    /// - Parameters:
    ///   - openers: Characters one of which may open the prompt.
    ///   - requiresOpener: Whether an opener is required.
    ///   - flags: Characters allowed between the opener and the name.
    ///   - nameCharacters: Characters allowed in the name besides ASCII letters and digits.
    ///   - mode: What may follow the name.
    ///   - terminators: Characters that end the prompt; at least one.
    ///   - maxLength: The longest line that can be a prompt.
    public init(
        openers: String = "",
        requiresOpener: Bool = false,
        flags: String = "",
        nameCharacters: String = "._-",
        mode: Mode = .none,
        terminators: String,
        maxLength: Int = 160
    ) {
        precondition(!terminators.isEmpty, "a PromptPattern needs at least one terminator")
        self.openers = openers
        self.requiresOpener = requiresOpener
        self.flags = flags
        self.nameCharacters = nameCharacters
        self.mode = mode
        self.terminators = terminators
        self.maxLength = maxLength
        self.openerSet = ByteSet(openers)
        self.flagSet = ByteSet(flags)
        var names = ByteSet("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        for byte in nameCharacters.utf8 { names.insert(byte) }
        self.nameSet = names
        self.terminatorSet = ByteSet(terminators)
    }

    public static func == (lhs: PromptPattern, rhs: PromptPattern) -> Bool {
        lhs.openers == rhs.openers && lhs.requiresOpener == rhs.requiresOpener && lhs.flags == rhs.flags
            && lhs.nameCharacters == rhs.nameCharacters && lhs.mode == rhs.mode
            && lhs.terminators == rhs.terminators && lhs.maxLength == rhs.maxLength
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(openers)
        hasher.combine(requiresOpener)
        hasher.combine(flags)
        hasher.combine(nameCharacters)
        hasher.combine(mode)
        hasher.combine(terminators)
        hasher.combine(maxLength)
    }

    /// A prompt found in a line.
    public struct Match: Sendable, Hashable {
        /// The name (base prompt) part, such as `R1` or `admin@mx1`.
        public var name: String
        /// The whole prompt without trailing spaces, such as `R1(config)#`.
        public var prompt: String
        /// The terminator character's byte.
        public var terminator: UInt8
    }

    /// Whether `line` is a prompt, and if so its parts.
    ///
    /// - Parameters:
    ///   - line: One line, without a line break.
    ///   - base: When given, the prompt's name must be exactly this.
    /// - Returns: The match, or `nil`.
    public func match(_ line: String, base: String? = nil) -> Match? {
        let bytes = Array(line.utf8)
        let baseBytes = base.map { Array($0.utf8) }
        return bytes.withUnsafeBufferPointer { buffer in
            guard let raw = match(buffer, base: baseBytes.map { ArraySlice($0) }) else { return nil }
            return Match(
                name: String(decoding: buffer[raw.name], as: UTF8.self),
                prompt: String(decoding: buffer[0..<raw.end], as: UTF8.self),
                terminator: raw.terminator
            )
        }
    }

    /// Byte-level result: ranges into the line.
    struct RawMatch {
        var name: Range<Int>
        var end: Int
        var terminator: UInt8
    }

    /// The matcher itself: one pass over at most ``maxLength`` bytes, no allocation.
    func match(_ line: UnsafeBufferPointer<UInt8>, base: ArraySlice<UInt8>?) -> RawMatch? {
        var end = line.count
        if end > maxLength || end == 0 { return nil }
        while end > 0, line[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard end >= 2 else { return nil }
        let terminator = line[end - 1]
        guard terminatorSet.contains(terminator) else { return nil }
        let last = end - 1  // index of the terminator
        var index = 0
        if openerSet.contains(line[0]) {
            index = 1
        } else if requiresOpener {
            return nil
        }
        while index < last, flagSet.contains(line[index]) { index += 1 }
        let nameStart = index
        if let base {
            guard !base.isEmpty, index + base.count <= last else { return nil }
            for byte in base {
                if line[index] != byte { return nil }
                index += 1
            }
        } else {
            while index < last, nameSet.contains(line[index]) { index += 1 }
            guard index > nameStart else { return nil }
        }
        let nameEnd = index
        guard modeMatches(line, from: nameEnd, to: last) else { return nil }
        return RawMatch(name: nameStart..<nameEnd, end: end, terminator: terminator)
    }

    private func modeMatches(_ line: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        if start == end { return true }
        switch mode {
        case .none:
            return false
        case .enclosed(let open, let close):
            guard let openByte = open.asciiValue, let closeByte = close.asciiValue else { return false }
            guard end - start >= 2, line[start] == openByte, line[end - 1] == closeByte else { return false }
            for index in (start + 1)..<(end - 1) {
                let byte = line[index]
                if byte <= 0x20 || byte == 0x7F || byte == openByte || byte == closeByte { return false }
            }
            return true
        case .free:
            let first = line[start]
            if Self.isAlphanumeric(first) { return false }
            for index in start..<end where line[index] < 0x20 || line[index] == 0x7F { return false }
            return true
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
