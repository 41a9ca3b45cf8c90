import Glibc
import Logging
import NetPulse
import Synchronization
import Testing

@testable import NetPulseSSHCore

extension SSHSession {
    /// Gives the session a shell channel without a server (for tests of the shell reads).
    func adoptShell(_ channel: Transport.Channel) { shell = channel }
}

/// Shell reads after a read that took everything the library held: they wait for the socket before
/// asking the library again, unless something used the library since.
@Suite("Shell reads")
struct ShellReadTests {
    func session() throws -> SSHSession<ScriptedExecTransport> { try ExecReadTests().session() }

    /// A session with a shell whose library answers 5 bytes, then 3, and says whether the first read took
    /// everything it held; the first read is made. The socket never becomes readable unless written to.
    func sessionAfterFirstRead(
        tookEverything: Bool, onWait: (@Sendable () -> Void)? = nil
    ) async throws -> SSHSession<ScriptedExecTransport> {
        let session = try session()
        await session.withTransport { transport in
            transport.reads = [.standardOutput: [.processed(5), .processed(3)]]
            transport.tookEverything = tookEverything
            transport.onWait = onWait
        }
        await session.adoptShell(ScriptedExecTransport.Channel())
        let first = try await session.shellRead(deadline: .now + .seconds(5))
        #expect(first?.count == 5)
        return session
    }

    /// The next shell read with a deadline `limit` away, which must give the library's 3 bytes within 2 s.
    func readsAtOnce(_ session: SSHSession<ScriptedExecTransport>, limit: Duration = .seconds(5)) async throws {
        let started = ContinuousClock.now
        let bytes = try await session.shellRead(deadline: .now + limit)
        #expect(bytes?.count == 3)
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test("after a read that took everything, the next read waits for the socket before it asks the library")
    func waitsForTheSocketFirst() async throws {
        let waiting = AsyncStream<Void>.makeStream()
        let session = try await sessionAfterFirstRead(tookEverything: true) { waiting.continuation.yield() }
        // (No use of the transport here: `withTransport` is a use of the library too.)
        let second = Task { try await session.shellRead(deadline: .now + .seconds(10)) }
        // The session is about to wait on the socket: it has not asked the library yet.
        let waited = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var events = waiting.stream.makeAsyncIterator()
                return await events.next() != nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            waiting.continuation.finish()
            return first
        }
        #expect(waited, "the second read did not wait on the socket")
        #expect(await session.withTransport { $0.readCount } == 1)
        // The socket becomes readable: the read goes on and asks the library.
        let peer = await session.withTransport { $0.peerEnd }
        var byte: UInt8 = 1
        #expect(write(peer, &byte, 1) == 1)
        let bytes = try await second.value
        #expect(bytes?.count == 3)
        #expect(await session.withTransport { $0.readCount } == 2)
        await session.close()
    }

    @Test("a write between two reads sends the next read to the library first")
    func libraryUsedSinceAsksFirst() async throws {
        let session = try await sessionAfterFirstRead(tookEverything: true)
        try await session.shellWrite(Array("show version\n".utf8), deadline: .now + .seconds(5))
        // The socket never becomes readable: a read that waited for it first would end at the deadline.
        try await readsAtOnce(session)
        await session.close()
    }

    @Test("without the library's word, every read asks it first (the default)")
    func unsureAsksFirst() async throws {
        let session = try await sessionAfterFirstRead(tookEverything: false)
        try await readsAtOnce(session)
        await session.close()
    }

    @Test("at the deadline of a read that waited first, the library is still asked once")
    func deadlineStillAsksOnce() async throws {
        let session = try await sessionAfterFirstRead(tookEverything: true)
        // Bytes the library got without the socket saying so (its own buffer) are not lost at the deadline.
        try await readsAtOnce(session, limit: .milliseconds(100))
        #expect(await session.withTransport { $0.readCount } == 2)
        await session.close()
    }
}
