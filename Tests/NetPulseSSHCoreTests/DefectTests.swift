import Glibc
import NetPulse
import Synchronization
import SSHTestSupport
import Testing

@testable import NetPulseSSHCore

/// Polls `condition` (yielding in between) until it holds or `limit` passes.
func eventually(within limit: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if condition() { return true }
        await Task.yield()
    }
    return condition()
}

@Suite("Readiness loop and name resolution: defects of issue 13")
struct CoreDefectTests {
    @Test("two waiters on one descriptor: neither is dropped, cancelling one leaves the other")
    func twoWaitersOnOneDescriptor() async throws {
        let loop = ReadinessLoop(threads: 1)
        let (a, b) = ReadinessLoopTests().socketPair()
        defer {
            loop.forget(fd: a)
            close(a)
            close(b)
        }
        let first = Task { try await loop.wait(fd: a, for: .read, deadline: .now + .seconds(60)) }
        #expect(await eventually { loop.waiterCount(fd: a) == 1 })
        let second = Task { try await loop.wait(fd: a, for: .read, deadline: .now + .seconds(60)) }
        #expect(await eventually { loop.waiterCount(fd: a) == 2 })
        first.cancel()
        let cancelled = await outcome(of: first, within: .seconds(5))
        #expect(cancelled != nil, "the first waiter was dropped: it hangs even when cancelled")
        #expect(throws: CancellationError.self) { _ = try cancelled?.get() }
        var byte: UInt8 = 7
        #expect(write(b, &byte, 1) == 1)
        let woken = await outcome(of: second, within: .seconds(5))
        #expect(try woken?.get() == .ready)
    }

    @Test("a name resolution that never answers ends at the connect deadline, or at once when cancelled")
    func resolutionDeadlineAndCancellation() async throws {
        let release = Mutex(false)
        let hanging = TCPConnector.Resolver { _, _ in
            // Stands for a DNS server that never answers; released when the test ends.
            while !release.withLock({ $0 }) { usleep(1_000) }
            return []
        }
        defer { release.withLock { $0 = true } }
        let timed = Task {
            try await TCPConnector.connect(
                host: "device.example", port: 22, deadline: .now + .milliseconds(300), loop: .shared, resolver: hanging)
        }
        let timedOut = await outcome(of: timed, within: .seconds(10))
        #expect(timedOut != nil, "name resolution ignored the deadline")
        #expect(throws: NetPulseError.self) { _ = try timedOut?.get() }
        if case .failure(let error as NetPulseError)? = timedOut {
            #expect(error.kind == .timeout)
            #expect(error.message.contains("device.example"))
        }

        let cancelled = Task {
            try await TCPConnector.connect(
                host: "device.example", port: 22, deadline: .now + .seconds(600), loop: .shared, resolver: hanging)
        }
        cancelled.cancel()
        let ended = await outcome(of: cancelled, within: .seconds(10))
        #expect(ended != nil, "name resolution ignored cancellation")
        #expect(throws: CancellationError.self) { _ = try ended?.get() }
    }
}
