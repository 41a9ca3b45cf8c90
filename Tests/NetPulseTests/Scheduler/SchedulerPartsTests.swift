import NetPulseTesting
import SSHTestSupport
import Testing

@testable import NetPulse

@Suite("Scheduler parts", .timeLimit(.minutes(1)))
struct SchedulerPartsTests {
    @Test("FIFO keeps order through pops, prepends and compaction")
    func fifo() {
        var queue = FIFO<Int>()
        for value in 0..<5_000 { queue.append(value) }
        for expected in 0..<3_000 { #expect(queue.popFirst() == expected) }
        queue.prepend(2_999)
        #expect(queue.count == 2_001)
        #expect(queue.first == 2_999)
        var rest: [Int] = []
        while let value = queue.popFirst() { rest.append(value) }
        #expect(rest == Array(2_999..<5_000))
        #expect(queue.isEmpty)
        queue.prepend(7)
        #expect(queue.popFirst() == 7)
        #expect(queue.popFirst() == nil)
    }

    @Test("the deadline heap pops in deadline order (FIFO on ties), removes from anywhere, reports positions")
    func deadlineHeap() {
        var random = SplitMix64(seed: 42)
        var heap = DeadlineHeap<Int>()
        var positions: [Int: Int] = [:]
        var live: [Int: Duration] = [:]
        let moved: (Int, Int) -> Void = { entry, position in positions[entry] = position }
        var popped: [(Duration, Int)] = []
        for entry in 0..<5_000 {
            let deadline = Duration.milliseconds(Int64(random.next() % 500))
            heap.push(entry, at: deadline, moved: moved)
            live[entry] = deadline
            // Now and then, remove a random live entry from wherever it sits.
            if random.next() % 3 == 0, let victim = live.keys.randomElement(using: &random) {
                let position = positions[victim]!
                #expect(heap.remove(at: position, moved: moved) == victim)
                live[victim] = nil
                positions[victim] = nil
            }
        }
        #expect(heap.count == live.count)
        #expect(heap.next == live.values.min())
        while let entry = heap.popDue(.milliseconds(250), moved: moved) {
            popped.append((live[entry]!, entry))
            live[entry] = nil
        }
        #expect(popped.allSatisfy { $0.0 <= .milliseconds(250) })
        #expect(zip(popped, popped.dropFirst()).allSatisfy { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) })
        #expect(live.values.allSatisfy { $0 > .milliseconds(250) })
        #expect(heap.count == live.count)
        while heap.popDue(.seconds(1), moved: moved) != nil {}
        #expect(heap.isEmpty)
    }

    @Test("the handshake gate serves waiters in order and lets a cancelled waiter go")
    func handshakeGate() async throws {
        let gate = HandshakeGate(limit: 1)
        try await gate.acquire()
        #expect(!gate.tryAcquire())
        let cancelled = Task { try await gate.acquire() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let waiter = Task {
            try await gate.acquire()
            return gate.inProgress
        }
        // The permit passes to the waiter when released.
        gate.release()
        #expect(try await waiter.value == 1)
        gate.release()
        #expect(gate.tryAcquire())
        gate.release()
        #expect(gate.inProgress == 0)
    }

    @Test("job ids carry their batch and index")
    func jobIDs() {
        let id = JobID.make(batchID: "5f1c-aa", index: 42)
        #expect(JobID.parse(id)?.batchID == "5f1c-aa")
        #expect(JobID.parse(id)?.index == 42)
        #expect(JobID.parse("nodot") == nil)
        #expect(JobID.parse("b.-1") == nil)
    }

    @Test("the manual clock wakes sleepers when time passes their deadline, and on cancel")
    func manualClock() async throws {
        let clock = ManualSchedulerClock()
        let sleeper = Task { try await clock.sleep(until: .seconds(5)) }
        try await withDeadline(.seconds(10), "a sleeper") { await clock.waitForSleeper(after: .seconds(4)) }
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.sleeperCount == 0)
        let cancelled = Task { try await clock.sleep(until: .seconds(100)) }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }
}
