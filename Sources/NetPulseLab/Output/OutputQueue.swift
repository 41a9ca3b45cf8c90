/// What one channel still has to send, and when: a pure state machine (no I/O, no clock of its own).
///
/// The channel appends output, then asks ``next(now:limit:)`` what to do and reports with
/// ``consumed(_:)`` how many bytes libssh took. Timing lives here: a command's answer waits for the
/// device's per-command time, command output is released line by line at the device's pace, and a
/// slow-output fault caps the byte rate.
struct OutputQueue {
    enum Kind: Equatable {
        case data(stderr: Bool)
        case exitStatus(Int)
        case close
        /// Send nothing more and ignore input (a hung device).
        case hang
        /// Drop the TCP connection without a goodbye.
        case drop
        /// The device reloads: every session dropped, the device down for its boot time.
        case reload
    }

    /// What the caller does next.
    enum Action: Equatable {
        case write(ArraySlice<UInt8>, stderr: Bool)
        case exitStatus(Int)
        case close
        case hang
        case drop
        case reload
        /// Data is due but the caller may hand over nothing now (`limit` was 0).
        case blocked
        /// Nothing may go out before this instant.
        case wait(until: ContinuousClock.Instant)
        case empty
    }

    private struct Item {
        var kind: Kind
        var bytes: [UInt8] = []
        var offset = 0
        /// Wait this long after the item reaches the head of the queue.
        var delay: Duration = .zero
        /// Released line by line (command output).
        var paced = false
        /// When the first byte may go (set when the item reaches the head).
        var readyAt: ContinuousClock.Instant?
        /// Line ends already sent.
        var linesSent = 0
    }

    /// The pause between two lines of a command's output (zero: all at once).
    var perLine: Duration
    /// The byte-rate cap of a slow-output fault, if any.
    var bytesPerSecond: Int?

    private var items: [Item] = []
    private var head = 0
    private var rateStart: ContinuousClock.Instant?
    private var rateSent = 0

    init(perLine: Duration = .zero, bytesPerSecond: Int? = nil) {
        self.perLine = perLine
        self.bytesPerSecond = bytesPerSecond
    }

    var isEmpty: Bool { head >= items.count }

    /// Appends data. Unpaced, undelayed data joins the last queued data so it leaves in one write.
    mutating func append(_ bytes: [UInt8], stderr: Bool = false, delay: Duration = .zero, paced: Bool = false) {
        let isPaced = paced && perLine > .zero
        if delay == .zero, !isPaced, head < items.count, let last = items.indices.last,
            items[last].kind == .data(stderr: stderr), !items[last].paced, items[last].delay == .zero
        {
            items[last].bytes += bytes
            return
        }
        items.append(Item(kind: .data(stderr: stderr), bytes: bytes, delay: delay, paced: isPaced))
    }

    /// Appends a control item (exit status, close, hang, drop).
    mutating func append(_ kind: Kind) {
        items.append(Item(kind: kind))
    }

    /// Forgets everything queued.
    mutating func removeAll() {
        items.removeAll()
        head = 0
    }

    /// The next thing to do at `now`; a write hands over at most `limit` bytes.
    mutating func next(now: ContinuousClock.Instant, limit: Int) -> Action {
        while head < items.count {
            if items[head].readyAt == nil { items[head].readyAt = now + items[head].delay }
            let readyAt = items[head].readyAt ?? now
            if now < readyAt { return .wait(until: readyAt) }
            switch items[head].kind {
            case .data(let stderr):
                let item = items[head]
                guard item.offset < item.bytes.count else {
                    advance()
                    continue
                }
                guard limit > 0 else { return .blocked }
                var count = min(item.bytes.count - item.offset, limit)
                if item.paced {
                    // Line k (0-based) may go from readyAt + k × perLine.
                    let allowed = 1 + Int((now - readyAt) / perLine)
                    var end = item.offset
                    var lines = item.linesSent
                    while end < item.bytes.count, lines < allowed {
                        if item.bytes[end] == 10 { lines += 1 }
                        end += 1
                    }
                    if end == item.offset { return .wait(until: readyAt + perLine * item.linesSent) }
                    count = min(count, end - item.offset)
                }
                if let rate = bytesPerSecond {
                    let start = rateStart ?? now
                    rateStart = start
                    let budget = Int(Double((now - start) / .microseconds(1)) * Double(rate) / 1e6) - rateSent
                    // Wait for a twentieth of a second's worth at least, so writes stay few.
                    let wanted = max(1, min(count, rate / 20))
                    if budget < wanted {
                        let missing = wanted - max(budget, 0)
                        return .wait(until: now + .microseconds(max(1000, missing * 1_000_000 / rate)))
                    }
                    count = min(count, budget)
                }
                guard count > 0 else { return .wait(until: now + .milliseconds(1)) }
                return .write(item.bytes[item.offset..<(item.offset + count)], stderr: stderr)
            case .exitStatus(let status):
                advance()
                return .exitStatus(status)
            case .close:
                removeAll()
                return .close
            case .hang:
                removeAll()
                return .hang
            case .drop:
                removeAll()
                return .drop
            case .reload:
                removeAll()
                return .reload
            }
        }
        removeAll()
        return .empty
    }

    /// Records that `count` bytes of the head item went out.
    mutating func consumed(_ count: Int) {
        guard head < items.count, count > 0 else { return }
        let start = items[head].offset
        let end = min(items[head].bytes.count, start + count)
        if items[head].paced {
            for index in start..<end where items[head].bytes[index] == 10 { items[head].linesSent += 1 }
        }
        items[head].offset = end
        rateSent += end - start
        if end >= items[head].bytes.count { advance() }
    }

    private mutating func advance() {
        head += 1
        if head >= items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
