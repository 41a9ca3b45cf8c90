/// What an emulated terminal asks the SSH plumbing to do, in order.
enum TerminalEvent: Equatable, Sendable {
    /// Bytes echoed while typing: sent at once.
    case echo([UInt8])
    /// The answer to an entered line (its output and the next prompt), or the start-up banner.
    /// Injected latency and mid-command faults apply to these.
    case output([UInt8], isCommand: Bool)
    /// The user logged out: close the channel.
    case close
    /// The device reloads: every session of it is dropped.
    case reload
}

/// The result of a command run over an `exec` channel.
struct ExecResult: Equatable, Sendable {
    var stdout: [UInt8]
    var stderr: [UInt8]
    var status: Int
}

/// A pure state machine for one interactive session: bytes in, events out. No I/O, no clock.
protocol Terminal: AnyObject {
    /// The prompt shown now.
    var prompt: String { get }
    /// The banner and the first prompt.
    func start() -> [TerminalEvent]
    /// Feeds typed bytes; returns what to send back.
    func receive(_ bytes: [UInt8]) -> [TerminalEvent]
    /// Runs one command without a pty (SSH `exec`).
    func exec(_ command: String) -> ExecResult
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
}

extension Array where Element == TerminalEvent {
    /// Appends echoed bytes, joined to an echo just before them: a typed line is echoed as one event
    /// rather than one array per key. The bytes sent, and their order, are the same.
    mutating func appendEcho(_ bytes: [UInt8]) {
        if case .echo(var echoed)? = last {
            removeLast()
            echoed += bytes
            append(.echo(echoed))
        } else {
            append(.echo(bytes))
        }
    }

    /// Appends one echoed key, joined to an echo just before it as the bytes are.
    mutating func appendEcho(_ byte: UInt8) {
        if case .echo(var echoed)? = last {
            removeLast()
            echoed.append(byte)
            append(.echo(echoed))
        } else {
            append(.echo([byte]))
        }
    }
}

/// A small deterministic generator (SplitMix64), so each device's output depends only on its seed.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476C_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Splits typed bytes into lines with simple editing (backspace, Ctrl-C), echoing as a pty would.
struct LineEditor {
    private var buffer: [UInt8] = []
    private var lastWasCR = false

    enum Step: Equatable {
        /// A key to echo as typed (no array per key).
        case typed(UInt8)
        case echo([UInt8])
        case line(String)
        case interrupt
    }

    /// Whether `byte` is the line feed of a CR LF whose CR already ended something (a line or a
    /// `[confirm]` key); records `byte` for the next call.
    mutating func swallowsLineFeed(_ byte: UInt8) -> Bool {
        defer { lastWasCR = byte == 13 }
        return byte == 10 && lastWasCR
    }

    /// Feeds one byte. `echo` is false while a secret is typed.
    mutating func feed(_ byte: UInt8, echo: Bool) -> Step? {
        defer { lastWasCR = byte == 13 }
        switch byte {
        case 10 where lastWasCR:
            return nil
        case 13, 10:
            let line = String(decoding: buffer, as: UTF8.self)
            buffer.removeAll(keepingCapacity: true)
            return .line(line)
        case 8, 127:
            guard !buffer.isEmpty else { return nil }
            buffer.removeLast()
            return echo ? .echo([8, 32, 8]) : nil
        case 3:
            buffer.removeAll()
            return .interrupt
        case 0..<32:
            return nil
        default:
            buffer.append(byte)
            return echo ? .typed(byte) : nil
        }
    }
}
