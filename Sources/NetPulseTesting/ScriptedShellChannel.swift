public import NetPulse
import Synchronization

/// A `ShellChannel` that plays a device from a script, for transcript tests of the CLI engine and of
/// anything else that talks to a shell.
///
/// The device answers each write: a responder gets what was written and returns the bytes to send back
/// (or nothing), which the channel hands out in chunks split where the test chooses (every `n` bytes,
/// at given offsets, or as given). A device that never answers is a responder that returns `nil`; a
/// read with nothing queued then returns `nil` once its deadline has passed.
///
/// Time: nothing can arrive while the single user of the channel is reading (the device only answers
/// writes), so a read with nothing queued can only end at its deadline. With
/// ``DeadlineMode/immediate`` (the default) that read returns `nil` at once, as if the deadline had
/// passed, so timeout tests do not wait; ``DeadlineMode/realTime`` really waits until the deadline.
public final class ScriptedShellChannel: ShellChannel {
    /// How each answer is cut into chunks.
    public enum Chunking: Sendable, Hashable {
        /// One chunk per answer.
        case whole
        /// Chunks of at most this many bytes.
        case every(Int)
        /// Cut at these byte offsets of each answer (offsets past its end are ignored).
        case at([Int])
    }

    /// What a read with nothing queued does.
    public enum DeadlineMode: Sendable, Hashable {
        /// Returns `nil` at once, as if the deadline had passed.
        case immediate
        /// Waits until the deadline (cancellable), then returns `nil`.
        case realTime
    }

    /// What the device does after a write.
    public struct Reply: Sendable, Hashable {
        /// Bytes to send back, each element one chunk (further cut by the channel's ``Chunking``).
        public var chunks: [[UInt8]]
        /// Close the connection once the chunks are read (reads then throw `connection_lost`).
        public var closes: Bool

        public init(chunks: [[UInt8]] = [], closes: Bool = false) {
            self.chunks = chunks
            self.closes = closes
        }

        /// Sends `text` back.
        public static func text(_ text: String) -> Reply { Reply(chunks: [Array(text.utf8)]) }
        /// Sends nothing back.
        public static let silence = Reply()
        /// Sends `text`, then drops the connection.
        public static func textThenClose(_ text: String) -> Reply {
            Reply(chunks: text.isEmpty ? [] : [Array(text.utf8)], closes: true)
        }
    }

    /// Answers one write (the bytes as text, line ending included).
    public typealias Responder = @Sendable (_ written: String) -> Reply

    private struct State {
        var queue: [[UInt8]] = []
        var queueHead = 0
        var closed = false
        var closeReason = "the device closed the connection"
        var written: [String] = []
        var bytesRead = 0
    }

    private let state: Mutex<State>
    private let chunking: Chunking
    private let deadlineMode: DeadlineMode
    private let responder: Responder

    /// Creates a scripted device.
    ///
    /// - Parameters:
    ///   - greeting: What the device sends right after the shell opens (banner, MOTD, first prompt).
    ///   - chunking: How each answer (and the greeting) is cut into chunks.
    ///   - deadlines: What a read with nothing queued does.
    ///   - respond: The device: given what was written, what comes back.
    public init(
        greeting: Reply,
        chunking: Chunking = .whole,
        deadlines: DeadlineMode = .immediate,
        respond: @escaping Responder
    ) {
        self.chunking = chunking
        self.deadlineMode = deadlines
        self.responder = respond
        var initial = State()
        initial.queue = Self.cut(greeting.chunks, chunking)
        initial.closed = greeting.closes
        self.state = Mutex(initial)
    }

    /// Everything written so far, one element per write.
    public var written: [String] { state.withLock { $0.written } }

    /// Total bytes handed out by reads.
    public var bytesRead: Int { state.withLock { $0.bytesRead } }

    /// Closes the channel from the device's side: queued bytes are still read, then reads throw.
    public func close(reason: String = "the device closed the connection") {
        state.withLock {
            $0.closed = true
            $0.closeReason = reason
        }
    }

    public func read(deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        try Task.checkCancellation()
        enum Next {
            case chunk([UInt8])
            case closed(String)
            case nothing
        }
        let next: Next = state.withLock { state in
            if state.queueHead < state.queue.count {
                let chunk = state.queue[state.queueHead]
                state.queueHead += 1
                state.bytesRead += chunk.count
                if state.queueHead == state.queue.count {
                    state.queue.removeAll(keepingCapacity: true)
                    state.queueHead = 0
                }
                return .chunk(chunk)
            }
            return state.closed ? .closed(state.closeReason) : .nothing
        }
        switch next {
        case .chunk(let chunk):
            return chunk
        case .closed(let reason):
            throw NetPulseError.connectionLost(reason)
        case .nothing:
            // Only a write can bring data, and the reader is the only writer: this is a device that
            // never answers.
            if deadlineMode == .realTime { try await Task.sleep(until: deadline, clock: .continuous) }
            return nil
        }
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        try Task.checkCancellation()
        let text = String(decoding: bytes, as: UTF8.self)
        let closed = state.withLock { state -> String? in
            state.closed ? state.closeReason : nil
        }
        if let closed { throw NetPulseError.connectionLost(closed) }
        let reply = responder(text)
        let chunks = Self.cut(reply.chunks, chunking)
        state.withLock { state in
            state.written.append(text)
            state.queue.append(contentsOf: chunks)
            if reply.closes { state.closed = true }
        }
    }

    static func cut(_ chunks: [[UInt8]], _ chunking: Chunking) -> [[UInt8]] {
        var result: [[UInt8]] = []
        for chunk in chunks where !chunk.isEmpty {
            switch chunking {
            case .whole:
                result.append(chunk)
            case .every(let size):
                let size = max(size, 1)
                var start = 0
                while start < chunk.count {
                    let end = min(start + size, chunk.count)
                    result.append(Array(chunk[start..<end]))
                    start = end
                }
            case .at(let offsets):
                var start = 0
                for offset in offsets.sorted() where offset > start && offset < chunk.count {
                    result.append(Array(chunk[start..<offset]))
                    start = offset
                }
                result.append(Array(chunk[start...]))
            }
        }
        return result
    }
}

extension ScriptedShellChannel {
    /// One step of a fixed transcript.
    public enum Step: Sendable, Hashable {
        /// The device sends this text (one chunk, further cut by the channel's ``Chunking``).
        case device(String)
        /// The engine must write exactly this next (line ending included).
        case expect(String)
        /// The device drops the connection once what it sent before is read.
        case close
    }

    /// A device that follows a fixed transcript: the `.device` steps before the first `.expect` are the
    /// greeting; after each write that matches the next `.expect`, the `.device` steps up to the
    /// following `.expect` come back. A write that does not match closes the channel with a message
    /// naming both texts, so the test fails with `connection_lost`; when the transcript is used up, the
    /// device stays silent.
    ///
    /// - Parameters:
    ///   - steps: The transcript.
    ///   - chunking: How each `.device` text is cut.
    ///   - deadlines: What a read with nothing queued does.
    public convenience init(
        transcript steps: [Step], chunking: Chunking = .whole, deadlines: DeadlineMode = .immediate
    ) {
        let script = Mutex(steps[...])
        let greeting = script.withLock { Self.takeReplies(&$0) }
        self.init(greeting: greeting, chunking: chunking, deadlines: deadlines) { written in
            script.withLock { steps -> Reply in
                guard case .expect(let expected)? = steps.first else { return .silence }
                guard expected == written else {
                    let message =
                        "the transcript expected \(String(reflecting: expected)), got \(String(reflecting: written))"
                    steps = []
                    return Reply(chunks: [], closes: true).withReason(message)
                }
                steps.removeFirst()
                return Self.takeReplies(&steps)
            }
        }
    }

    private static func takeReplies(_ steps: inout ArraySlice<Step>) -> Reply {
        var reply = Reply()
        while let step = steps.first {
            switch step {
            case .device(let text): reply.chunks.append(Array(text.utf8))
            case .close: reply.closes = true
            case .expect: return reply
            }
            steps.removeFirst()
        }
        return reply
    }
}

extension ScriptedShellChannel.Reply {
    /// A closing reply whose reason the test sees (kept in the last, empty-safe chunk list).
    fileprivate func withReason(_ reason: String) -> Self {
        var copy = self
        copy.closes = true
        copy.chunks = [Array("\n[transcript mismatch: \(reason)]\n".utf8)]
        return copy
    }
}
