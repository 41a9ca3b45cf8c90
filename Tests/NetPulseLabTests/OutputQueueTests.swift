import Testing

@testable import NetPulseLab

/// The output state machine without I/O: the instants are given, nothing sleeps.
@Suite("Output queue and timers")
struct OutputQueueTests {
    let start = ContinuousClock.now

    func text(_ action: OutputQueue.Action) -> String? {
        if case .write(let bytes, _) = action { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    @Test func undelayedDataMergesAndControlItemsFollowInOrder() {
        var queue = OutputQueue()
        queue.append(Array("echo".utf8))
        queue.append(Array("\r\nout\r\n".utf8))
        queue.append(.exitStatus(3))
        queue.append(.close)
        let first = queue.next(now: start, limit: 1000)
        #expect(text(first) == "echo\r\nout\r\n")
        queue.consumed(11)
        #expect(queue.next(now: start, limit: 1000) == .exitStatus(3))
        #expect(queue.next(now: start, limit: 1000) == .close)
        #expect(queue.isEmpty)
        #expect(queue.next(now: start, limit: 1000) == .empty)
    }

    @Test func partialWritesResumeWhereTheyStopped() {
        var queue = OutputQueue()
        queue.append(Array("abcdef".utf8))
        #expect(text(queue.next(now: start, limit: 4)) == "abcd")
        queue.consumed(2)
        #expect(text(queue.next(now: start, limit: 100)) == "cdef")
        #expect(queue.next(now: start, limit: 0) == .blocked)
    }

    @Test func aCommandAnswerWaitsForItsDelayFromTheMomentItIsDue() {
        var queue = OutputQueue()
        queue.append(Array("cmd\r\n".utf8))
        queue.append(Array("answer\r\n".utf8), delay: .milliseconds(200), paced: true)
        #expect(text(queue.next(now: start, limit: 100)) == "cmd\r\n")
        queue.consumed(5)
        let later = start + .milliseconds(10)
        #expect(queue.next(now: later, limit: 100) == .wait(until: later + .milliseconds(200)))
        #expect(queue.next(now: later + .milliseconds(199), limit: 100) == .wait(until: later + .milliseconds(200)))
        #expect(text(queue.next(now: later + .milliseconds(200), limit: 100)) == "answer\r\n")
    }

    @Test func pacedOutputGoesOutLineByLine() {
        var queue = OutputQueue(perLine: .milliseconds(10))
        queue.append(Array("1\n2\n3\n".utf8), paced: true)
        #expect(text(queue.next(now: start, limit: 100)) == "1\n")
        queue.consumed(2)
        #expect(queue.next(now: start + .milliseconds(5), limit: 100) == .wait(until: start + .milliseconds(10)))
        // Late: both lines that are due leave in one write.
        #expect(text(queue.next(now: start + .milliseconds(25), limit: 100)) == "2\n3\n")
        queue.consumed(4)
        #expect(queue.next(now: start + .milliseconds(25), limit: 100) == .empty)
    }

    @Test func echoesAreNeverPaced() {
        var queue = OutputQueue(perLine: .milliseconds(10))
        queue.append(Array("a\nb\n".utf8))
        #expect(text(queue.next(now: start, limit: 100)) == "a\nb\n")
    }

    @Test func slowOutputKeepsToItsRate() {
        var queue = OutputQueue(bytesPerSecond: 1000)
        queue.append(Array(repeating: 65, count: 500))
        // Nothing is owed yet at the first instant: wait for a twentieth of a second's worth (50 bytes).
        guard case .wait(let until) = queue.next(now: start, limit: 1000) else {
            Issue.record("expected a wait")
            return
        }
        #expect(until == start + .milliseconds(50))
        let write = queue.next(now: start + .milliseconds(100), limit: 1000)
        #expect(text(write)?.count == 100)
    }

    @Test func hangAndDropEndTheQueue() {
        var queue = OutputQueue()
        queue.append(Array("half".utf8))
        queue.append(.drop)
        queue.append(Array("never".utf8))
        _ = queue.next(now: start, limit: 100)
        queue.consumed(4)
        #expect(queue.next(now: start, limit: 100) == .drop)
        #expect(queue.next(now: start, limit: 100) == .empty)
    }

    @Test func timerHeapGivesDeadlinesInOrder() {
        var heap = TimerHeap()
        let offsets = [50, 10, 40, 10, 30, 0, 20]
        for (id, offset) in offsets.enumerated() { heap.push(start + .milliseconds(offset), id: id) }
        #expect(heap.earliest == start)
        #expect(heap.popDue(start - .milliseconds(1)) == nil)
        var seen: [Int] = []
        while let entry = heap.popDue(start + .milliseconds(35)) { seen.append(offsets[entry.id]) }
        #expect(seen == [0, 10, 10, 20, 30])
        #expect(heap.count == 2)
    }
}
