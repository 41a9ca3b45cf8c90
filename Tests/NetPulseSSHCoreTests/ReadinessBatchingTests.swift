import Glibc
import NetPulse
import SSHTestSupport
import Testing

@testable import NetPulseSSHCore

/// ``ReadinessLoop/Batching``: a thread shared by many waits lets sparse events gather before it
/// collects them. Nothing may be lost or woken early on the way.
@Suite("Readiness loop: batching")
struct ReadinessBatchingTests {
    /// Eight waits on eight socket pairs; a byte is written to each pair in turn, `spacing` apart. Returns
    /// how every wait ended and how many wake-ups with events the loop had meanwhile.
    func spreadEvents(on loop: ReadinessLoop, spacing: Duration) async throws -> ([ReadinessLoop.Readiness?], Int) {
        let pairs = (0..<8).map { _ in ReadinessLoopTests().socketPair() }
        defer { for (a, b) in pairs { ReadinessLoopTests().closeAll(a, b, loop: loop) } }
        let waits = pairs.map { pair in
            Task { try await loop.wait(fd: pair.0, for: .read, deadline: .now + .seconds(60)) }
        }
        // Registered or not, each wait sees its byte: a registration after the write finds it ready.
        let before = loop.wakeUps
        for (_, peer) in pairs {
            var byte: UInt8 = 1
            #expect(write(peer, &byte, 1) == 1)
            try await Task.sleep(for: spacing)  // spreads the events; nothing waits on them here
        }
        var ended: [ReadinessLoop.Readiness?] = []
        for wait in waits { ended.append(try await outcome(of: wait, within: .seconds(10))?.get()) }
        return (ended, loop.wakeUps - before)
    }

    @Test("sparse events on a thread with enough waits are collected in a few wake-ups, each wait once")
    func sparseEventsGather() async throws {
        let loop = ReadinessLoop(threads: 1, batching: try .init(window: .milliseconds(80), minimumWaiters: 4))
        let (ended, wakeUps) = try await spreadEvents(on: loop, spacing: .milliseconds(2))
        #expect(ended == Array(repeating: .ready, count: 8))
        // Eight events within ~20 ms: one or two windows of 80 ms (one per event without batching).
        #expect(wakeUps <= 4, "\(wakeUps) wake-ups for 8 events 2 ms apart with an 80 ms window")
    }

    @Test("below the waits it asks for, or switched off, batching leaves every event to its own wake-up")
    func fewWaitsOrOff() async throws {
        for batching in [try ReadinessLoop.Batching(window: .milliseconds(80), minimumWaiters: 64), .off] {
            let loop = ReadinessLoop(threads: 1, batching: batching)
            let (ended, wakeUps) = try await spreadEvents(on: loop, spacing: .milliseconds(20))
            #expect(ended == Array(repeating: .ready, count: 8))
            // Events 20 ms apart: nearly every one wakes the thread by itself (a busy machine may join two).
            #expect(wakeUps >= 4, "\(wakeUps) wake-ups for 8 events 20 ms apart with \(batching)")
        }
    }

    @Test("a deadline shorter than the window is kept: the wait ends timed out, not early and not lost")
    func deadlineWithinTheWindow() async throws {
        let loop = ReadinessLoop(threads: 1, batching: try .init(window: .milliseconds(90), minimumWaiters: 1))
        let (a, b) = ReadinessLoopTests().socketPair()
        defer { ReadinessLoopTests().closeAll(a, b, loop: loop) }
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let wait = Task { try await loop.wait(fd: a, for: .read, deadline: started + .milliseconds(20)) }
            let ended = try await outcome(of: wait, within: .seconds(10))?.get()
            #expect(ended == .timedOut)
            #expect(ContinuousClock.now - started >= .milliseconds(20))
        }
    }

    @Test("a window outside 0...100 ms, or fewer than one wait, is refused naming the field")
    func refusedSettings() {
        for (window, waiters, field) in [
            (Duration.milliseconds(-1), 1, "window"), (.milliseconds(101), 1, "window"), (.zero, 0, "minimumWaiters"),
        ] {
            let error = #expect(throws: NetPulseError.self) {
                try ReadinessLoop.Batching(window: window, minimumWaiters: waiters)
            }
            #expect(error?.kind == .invalidRequest)
            #expect(error?.message.contains(field) == true, "\(error?.message ?? "")")
        }
    }
}
