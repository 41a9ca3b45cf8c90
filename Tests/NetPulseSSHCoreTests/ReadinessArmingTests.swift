import Glibc
import NetPulse
import SSHTestSupport
import Testing

@testable import NetPulseSSHCore

/// `register()` arms the descriptor outside the loop's lock: these check that no interest is lost when
/// two waiters arm one descriptor at the same moment, and that a failed arming ends the wait.
@Suite("Readiness loop: arming outside the lock")
struct ReadinessArmingTests {
    @Test("a reader and a writer registering on one descriptor at once: the writer always wakes at once")
    func concurrentReadAndWriteWaiters() async throws {
        let loop = ReadinessLoop(threads: 1)
        for _ in 0..<200 {
            let (a, b) = ReadinessLoopTests().socketPair()
            defer {
                loop.forget(fd: a)
                close(a)
                close(b)
            }
            // The reader waits for data that never comes; the writer's socket is writable now, so the
            // writer must be woken at once whatever the order of the two epoll_ctl calls.
            let reader = Task { try await loop.wait(fd: a, for: .read, deadline: .now + .seconds(60)) }
            let writer = Task { try await loop.wait(fd: a, for: .write, deadline: .now + .seconds(60)) }
            let woken = await outcome(of: writer, within: .seconds(10))
            #expect(woken != nil, "the write waiter's interest was lost")
            #expect(try woken?.get() == .ready)
            reader.cancel()
            let cancelled = await outcome(of: reader, within: .seconds(10))
            #expect(cancelled != nil)
            if woken == nil { break }
        }
    }

    @Test("a descriptor that cannot be watched ends the wait with a failure, not a hang")
    func unwatchableDescriptorFails() async throws {
        let loop = ReadinessLoop(threads: 1)
        // A regular file: epoll refuses it (EPERM).
        var template = Array("/tmp/netpulse-arming-XXXXXX".utf8CString)
        let a = mkstemp(&template)
        try #require(a >= 0)
        defer {
            unlink(template)
            close(a)
        }
        let waiter = Task { try await loop.wait(fd: a, for: .read, deadline: .now + .seconds(60)) }
        let ended = await outcome(of: waiter, within: .seconds(10))
        #expect(ended != nil, "the wait on a closed descriptor hung")
        #expect(throws: ReadinessLoop.Failure.self) { _ = try ended?.get() }
        #expect(loop.waiterCount(fd: a) == 0)
    }
}
