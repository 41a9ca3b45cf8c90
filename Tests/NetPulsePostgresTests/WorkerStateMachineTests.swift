import Foundation
import Testing

@testable import NetPulsePostgres

/// The worker loop's decisions, without a database or a driver.
@Suite("Worker state machine")
struct WorkerStateMachineTests {
    static func job(_ index: Int, device: String = "d", epoch: Int? = nil) -> ClaimedJob {
        ClaimedJob(
            batchID: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, index: index, attempt: 1,
            device: device, epoch: epoch)
    }

    @Test("claims up to the free capacity, and waits when full")
    func capacity() {
        var state = WorkerStateMachine<String>(capacity: 2)
        #expect(state.next == .claim(pinned: 2, roundRobin: 2, limit: 2))
        _ = state.start(Self.job(0)) { _ in true }
        #expect(state.next == .claim(pinned: 1, roundRobin: 1, limit: 1))
        _ = state.start(Self.job(1)) { _ in true }
        #expect(state.next == .wait)
        _ = state.finished(Self.job(0), keeping: nil)
        #expect(state.next == .claim(pinned: 1, roundRobin: 1, limit: 1))
    }

    @Test("a short claim stops claiming until jobs are announced or a job finishes")
    func drained() {
        var state = WorkerStateMachine<String>(capacity: 4)
        state.pinnedClaimed(leases: 0, jobs: 0)
        state.roundRobinClaimed(1, asked: 4)
        _ = state.start(Self.job(0)) { _ in true }
        #expect(state.next == .wait)
        state.jobsAnnounced()
        #expect(state.next == .claim(pinned: 3, roundRobin: 3, limit: 3))
        state.pinnedClaimed(leases: 0, jobs: 0)
        state.roundRobinClaimed(0, asked: 3)
        #expect(state.next == .wait)
        _ = state.finished(Self.job(0), keeping: nil)
        #expect(state.next == .claim(pinned: 0, roundRobin: 4, limit: 4))
    }

    @Test("round-robin lanes below the capacity: the rest is kept for pinned devices, never closed by round-robin jobs")
    func roundRobinLanes() {
        var state = WorkerStateMachine<String>(capacity: 4, roundRobinLanes: 1)
        #expect(state.pinnedRoom == 3)
        #expect(state.next == .claim(pinned: 3, roundRobin: 1, limit: 4))
        _ = state.start(Self.job(0)) { _ in true }
        #expect(state.next == .claim(pinned: 3, roundRobin: 0, limit: 3))
        for (index, device) in ["p", "q", "r"].enumerated() {
            _ = state.start(Self.job(1 + index, device: device, epoch: 1)) { _ in true }
        }
        #expect(state.next == .wait)
        for (index, device) in ["p", "q", "r"].enumerated() {
            #expect(state.finished(Self.job(1 + index, device: device, epoch: 1), keeping: "s" + device) == nil)
        }
        #expect(state.openConnections == 4)
        #expect(state.next == .claim(pinned: 3, roundRobin: 0, limit: 3))
        _ = state.finished(Self.job(0), keeping: nil)
        // The next round-robin job finds its lane free and closes no kept session.
        let roundRobin = state.start(Self.job(4)) { _ in true }
        #expect(roundRobin.use == nil && roundRobin.close.isEmpty)
        #expect(state.openConnections == 4)
        // A pinned job for a new device makes room among the pinned devices: p's session, the oldest.
        let fresh = state.start(Self.job(5, device: "t", epoch: 1)) { _ in true }
        #expect(fresh.use == nil && fresh.close == ["sp"])
        #expect(state.openConnections == 4)
        #expect(state.runningRoundRobin == 1)
        _ = state.finished(Self.job(4), keeping: nil)
        #expect(state.runningRoundRobin == 0)
    }

    @Test("lanes are clamped to the capacity; the worker's options refuse lanes out of range, naming the flag")
    func lanesValidated() throws {
        #expect(WorkerStateMachine<String>(capacity: 2, roundRobinLanes: 9).roundRobinLanes == 2)
        #expect(WorkerStateMachine<String>(capacity: 2, roundRobinLanes: 2).pinnedRoom == 2)
        #expect(try PostgresWorker.Options(name: "w", capacity: 8).roundRobinLanes == 8)
        #expect(try PostgresWorker.Options(name: "w", capacity: 8, roundRobinLanes: 2).roundRobinLanes == 2)
        for lanes in [0, 9, -1] {
            let error = #expect(throws: PostgresQueueError.self) {
                try PostgresWorker.Options(name: "w", capacity: 8, roundRobinLanes: lanes)
            }
            #expect(error?.description.contains("--round-robin-lanes") == true)
        }
    }

    @Test("a stop lets running jobs finish, claims nothing more, then exits closing kept sessions")
    func stop() {
        var state = WorkerStateMachine<String>(capacity: 4)
        _ = state.start(Self.job(0, device: "p", epoch: 1)) { _ in true }
        _ = state.start(Self.job(1)) { _ in true }
        state.stop()
        #expect(state.next == .wait)
        #expect(state.finished(Self.job(0, device: "p", epoch: 1), keeping: "session-p") == "session-p")
        #expect(state.next == .wait)
        _ = state.finished(Self.job(1), keeping: nil)
        #expect(state.next == .exit)
        #expect(state.takeSessions().isEmpty)
    }

    @Test("a pinned device's session is reused only when the job's settings match")
    func sessionReuse() {
        var state = WorkerStateMachine<String>(capacity: 4)
        _ = state.start(Self.job(0, device: "p", epoch: 1)) { _ in true }
        #expect(state.finished(Self.job(0, device: "p", epoch: 1), keeping: "s1") == nil)
        let same = state.start(Self.job(1, device: "p", epoch: 1)) { $0 == "s1" }
        #expect(same.use == "s1" && same.close.isEmpty)
        #expect(state.finished(Self.job(1, device: "p", epoch: 1), keeping: "s1") == nil)
        let other = state.start(Self.job(2, device: "p", epoch: 1)) { _ in false }
        #expect(other.use == nil && other.close == ["s1"])
        // A round-robin job never takes a kept session.
        #expect(state.finished(Self.job(2, device: "p", epoch: 1), keeping: "s2") == nil)
        let roundRobin = state.start(Self.job(3, device: "p")) { _ in true }
        #expect(roundRobin.use == nil && roundRobin.close.isEmpty)
    }

    @Test("kept sessions count against the capacity: a fresh connection evicts the least recently used one")
    func keptSessionsWithinCapacity() {
        var state = WorkerStateMachine<String>(capacity: 2)
        _ = state.start(Self.job(0, device: "p", epoch: 1)) { _ in true }
        #expect(state.finished(Self.job(0, device: "p", epoch: 1), keeping: "sp") == nil)
        _ = state.start(Self.job(1, device: "q", epoch: 1)) { _ in true }
        #expect(state.finished(Self.job(1, device: "q", epoch: 1), keeping: "sq") == nil)
        #expect(state.openConnections == 2)
        // A round-robin job needs a connection of its own: p's session, the older, is closed first.
        let fresh = state.start(Self.job(2)) { _ in true }
        #expect(fresh.use == nil && fresh.close == ["sp"])
        #expect(state.openConnections == 2)
        // q's kept session serves q's next job: nothing to close.
        let reuse = state.start(Self.job(3, device: "q", epoch: 1)) { _ in true }
        #expect(reuse.use == "sq" && reuse.close.isEmpty)
        #expect(state.openConnections == 2)
    }

    @Test("declared dead: every running job is stopped, sessions closed, nothing more claimed")
    func lost() {
        var state = WorkerStateMachine<String>(capacity: 4)
        _ = state.start(Self.job(0, device: "p", epoch: 1)) { _ in true }
        #expect(state.finished(Self.job(0, device: "p", epoch: 1), keeping: "s") == nil)
        _ = state.start(Self.job(1)) { _ in true }
        _ = state.start(Self.job(2)) { _ in true }
        let news = state.heartbeat(alive: false, cancelRequested: [], released: [])
        #expect(Set(news.stop.map(\.index)) == [1, 2])
        #expect(news.close == ["s"])
        #expect(state.next == .wait)
        _ = state.finished(Self.job(1), keeping: nil)
        _ = state.finished(Self.job(2), keeping: nil)
        #expect(state.next == .exit)
        #expect(state.lost)
    }

    @Test("a heartbeat's cancellations stop only running jobs; released devices close their sessions")
    func heartbeat() {
        var state = WorkerStateMachine<String>(capacity: 4)
        _ = state.start(Self.job(0, device: "p", epoch: 1)) { _ in true }
        #expect(state.finished(Self.job(0, device: "p", epoch: 1), keeping: "s") == nil)
        _ = state.start(Self.job(1)) { _ in true }
        let gone = JobKey(batchID: Self.job(9).batchID, index: 9)
        let news = state.heartbeat(
            alive: true, cancelRequested: [JobKey(batchID: Self.job(1).batchID, index: 1), gone], released: ["p"])
        #expect(news.stop.map(\.index) == [1])
        #expect(news.close == ["s"])
        #expect(!state.lost)
    }

    @Test("the turns list the batches started, least recently first, and forget the oldest past their bound")
    func turns() {
        var state = WorkerStateMachine<String>(capacity: 100)
        let batches = (0..<WorkerStateMachine<String>.turnsKept + 2).map { _ in UUID() }
        func start(_ batch: UUID, _ index: Int, epoch: Int? = nil) {
            _ = state.start(ClaimedJob(batchID: batch, index: index, attempt: 1, device: "d\(index)", epoch: epoch)) {
                _ in true
            }
        }
        #expect(state.turns.isEmpty)
        start(batches[0], 0)
        start(batches[1], 0, epoch: 1)
        start(batches[0], 1)
        #expect(state.turns == [batches[1], batches[0]])
        for (offset, batch) in batches.enumerated() { start(batch, 10 + offset) }
        #expect(state.turns == Array(batches.suffix(WorkerStateMachine<String>.turnsKept)))
    }
}
