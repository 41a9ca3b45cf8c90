/// Turns the raw bytes of a pty into lines of text, as a terminal would show them.
///
/// It keeps the state of escape sequences and carriage returns across chunks, so a chunk may end
/// anywhere (inside `\u{1B}[K`, between `\r` and `\n`). It drops ANSI escapes, normalises `\r\n` to
/// `\n`, and applies what devices use to erase a pager (`\b`, a bare `\r`, `ESC[nD`, `ESC[K`) to the
/// current line. Completed lines go to ``output`` (each followed by `\n`); the unfinished last line
/// stays in ``line``: that is the only place a prompt can be, so the engine looks only there.
struct TerminalText {
    /// Completed lines, each followed by `\n`.
    var output: [UInt8] = []
    /// The current, unfinished line.
    private(set) var line: [UInt8] = []
    /// Where the next byte lands in ``line``.
    private var cursor = 0
    /// The line was written over (cursor moved back): its trailing spaces are erasure, not text.
    private var overwritten = false
    /// A `\r` was seen; whether it is the start of `\r\n` is known only with the next byte.
    private var pendingCarriageReturn = false
    /// Whether the current line is followed by a carriage return (so nothing on it ends the data).
    var endsWithCarriageReturn: Bool { pendingCarriageReturn }
    /// Whether an answer was already typed for what the current line shows.
    var answeredCurrentLine = false
    private var escape = Escape.none
    private var parameter = 0
    private var parameterCount = 0

    private enum Escape {
        case none
        case escape  // after ESC
        case csi  // ESC [
        case string  // OSC, DCS, ...: until BEL or ESC \
        case stringEscape  // ESC inside a string
        case oneMore  // ESC ( and the like: one more byte
    }

    /// Number of completed lines so far (since the last ``resetOutput()``).
    private(set) var completedLines = 0

    /// The rightmost column the cursor may reach: the widest terminal a profile asks for (32767, Arista),
    /// so that a few bytes of `ESC[99999C` cannot grow a line by megabytes.
    static let maxColumn = 32_767
    /// The most bytes ``output`` and ``line`` may hold together; past it ``overflowed`` is set and
    /// further bytes are dropped (the engine then fails the command).
    var limit = Int.max
    /// More than ``limit`` bytes came since the last ``resetOutput()``.
    private(set) var overflowed = false

    mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { feed($0) }
    }

    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        let count = bytes.count
        while index < count {
            // Checked per step: one step adds at most a run of input bytes or `maxColumn` of padding.
            if output.count + line.count > limit {
                overflowed = true
                return
            }
            let byte = bytes[index]
            if escape == .none && !pendingCarriageReturn && byte >= 0x20 && byte != 0x7F {
                // Fast path: a run of printable bytes.
                var end = index + 1
                while end < count {
                    let next = bytes[end]
                    if next < 0x20 || next == 0x7F { break }
                    end += 1
                }
                write(UnsafeBufferPointer(rebasing: bytes[index..<end]))
                index = end
                continue
            }
            step(byte)
            index += 1
        }
    }

    private mutating func write(_ run: UnsafeBufferPointer<UInt8>) {
        if cursor == line.count {
            line.append(contentsOf: run)
            cursor += run.count
            return
        }
        if cursor > line.count {
            line.append(contentsOf: repeatElement(UInt8(ascii: " "), count: cursor - line.count))
        }
        for byte in run {
            if cursor < line.count {
                line[cursor] = byte
            } else {
                line.append(byte)
            }
            cursor += 1
        }
    }

    private mutating func step(_ byte: UInt8) {
        if pendingCarriageReturn {
            pendingCarriageReturn = false
            if byte == UInt8(ascii: "\r") {
                pendingCarriageReturn = true
                return
            }
            if byte != UInt8(ascii: "\n") {
                // A bare carriage return: back to column 0, the rest overwrites.
                cursor = 0
                overwritten = true
            }
        }
        switch escape {
        case .none:
            break
        case .escape:
            switch byte {
            case UInt8(ascii: "["): escape = .csi; parameter = 0; parameterCount = 0
            case UInt8(ascii: "]"), UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"):
                escape = .string
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "#"),
                UInt8(ascii: "%"):
                escape = .oneMore
            default: escape = .none
            }
            return
        case .csi:
            if byte >= 0x30 && byte <= 0x3F {
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    if parameterCount == 0 { parameter = min(parameter * 10 + Int(byte - 48), 100_000) }
                } else if byte == UInt8(ascii: ";") {
                    parameterCount += 1
                }
                return
            }
            if byte >= 0x20 && byte <= 0x2F { return }
            if byte >= 0x40 && byte <= 0x7E {
                escape = .none
                applyCSI(final: byte)
                return
            }
            escape = .none  // a broken sequence: handle the byte as text
        case .string:
            if byte == 0x07 { escape = .none } else if byte == 0x1B { escape = .stringEscape }
            return
        case .stringEscape:
            escape = byte == UInt8(ascii: "\\") ? .none : .string
            return
        case .oneMore:
            escape = .none
            return
        }
        switch byte {
        case UInt8(ascii: "\n"):
            endLine()
        case UInt8(ascii: "\r"):
            pendingCarriageReturn = true
        case 0x08:  // backspace
            if cursor > 0 {
                cursor -= 1
                overwritten = true
            }
        case 0x1B:
            escape = .escape
        case UInt8(ascii: "\t"):
            var tab = UInt8(ascii: "\t")
            withUnsafeMutablePointer(to: &tab) { write(UnsafeBufferPointer(start: $0, count: 1)) }
        default:
            if byte >= 0x20 && byte != 0x7F {
                var printable = byte
                withUnsafeMutablePointer(to: &printable) { write(UnsafeBufferPointer(start: $0, count: 1)) }
            }
        // Other control bytes (NUL, BEL, DEL, ...) show nothing.
        }
    }

    private mutating func applyCSI(final: UInt8) {
        let count = max(parameter, 1)
        switch final {
        case UInt8(ascii: "K"):  // erase in line
            switch parameter {
            case 0: if cursor < line.count { line.removeSubrange(cursor...) }
            case 1:
                for index in 0..<min(cursor + 1, line.count) { line[index] = UInt8(ascii: " ") }
                overwritten = true
            default:
                line.removeAll(keepingCapacity: true)
                overwritten = true
            }
        case UInt8(ascii: "D"):  // cursor back
            cursor = max(0, cursor - count)
            overwritten = true
        case UInt8(ascii: "C"):  // cursor forward
            cursor = min(cursor + count, Self.maxColumn)
        case UInt8(ascii: "G"):  // cursor to column
            cursor = min(count - 1, Self.maxColumn)
            overwritten = true
        default:
            break  // colours, modes, screen-level moves: nothing to keep
        }
    }

    private mutating func endLine() {
        var end = line.count
        if overwritten {
            while end > 0, line[end - 1] == UInt8(ascii: " ") { end -= 1 }
        }
        output.append(contentsOf: line[0..<end])
        output.append(UInt8(ascii: "\n"))
        completedLines += 1
        clearLine()
    }

    /// Ends the current line as if a line break came (a line that matched an `expect_string`).
    mutating func completeLine() {
        if !line.isEmpty { endLine() }
    }

    /// Forgets the current line (a prompt or a pager that was consumed).
    mutating func clearLine() {
        line.removeAll(keepingCapacity: true)
        cursor = 0
        overwritten = false
        answeredCurrentLine = false
    }

    /// Forgets the completed lines (a new command starts).
    mutating func resetOutput() {
        output.removeAll(keepingCapacity: output.count < 1 << 20)
        completedLines = 0
        overflowed = false
    }
}
