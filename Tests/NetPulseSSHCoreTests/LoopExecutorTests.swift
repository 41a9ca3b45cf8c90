import Glibc
import Logging
import NetPulse
import Synchronization
import Testing

@testable import NetPulseSSHCore

/// Whether the calling code runs on a thread of `loop` (a `@concurrent` function: it runs on the task's
/// preferred executor, or on the global pool without one).
@concurrent
func onLoopThread(_ loop: ReadinessLoop) async -> Bool { loop.isLoopThread }

@Suite("Readiness loop threads as task executors")
struct LoopExecutorTests {
    let pairs = ReadinessLoopTests()

    @Test("a job enqueued on a loop thread's executor runs on that thread, from a task or a child task")
    func jobsRunOnTheLoopThread() async throws {
        let loop = ReadinessLoop(threads: 2)
        let executor = loop.executor(for: 0)
        #expect(!loop.isLoopThread)
        #expect(await onLoopThread(loop) == false, "without a preference, nonisolated code runs on the pool")
        let unstructured = Task(executorPreference: executor) { loop.isLoopThread }
        #expect(await unstructured.value)
        #expect(!ReadinessLoop.isAnyLoopThread)
        #expect(await Task(executorPreference: executor) { ReadinessLoop.isAnyLoopThread }.value)
        let inChildren = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask(executorPreference: executor) { loop.isLoopThread } }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(inChildren)
        let nested = await withTaskExecutorPreference(executor) { await onLoopThread(loop) }
        #expect(nested)
    }

    @Test("a task knows whether it already prefers a loop thread's executor")
    func currentPreference() async throws {
        let loop = ReadinessLoop(threads: 2)
        let first = loop.executor(for: 0)
        let second = loop.executor(for: 1)
        #expect(!currentTaskPrefers(first), "a task without a preference")
        let inside = await withTaskExecutorPreference(first) {
            (currentTaskPrefers(first), currentTaskPrefers(second))
        }
        #expect(inside.0, "the preference just set is not recognised")
        #expect(!inside.1, "another loop thread's executor is taken for the preferred one")
        let child = await Task(executorPreference: second) { currentTaskPrefers(second) }.value
        #expect(child)
        #expect(!currentTaskPrefers(first), "the preference outlived its scope")
    }

    @Test("a wait is resumed on the loop thread that watches the descriptor, on data, deadline and cancellation")
    func waitsResumeOnTheLoopThread() async throws {
        let loop = ReadinessLoop(threads: 2)
        let (a, b) = pairs.socketPair()
        defer {
            loop.forget(fd: a)
            close(a)
            close(b)
        }
        let executor = loop.executor(for: a)
        let reader = Task(executorPreference: executor) { () async throws -> (ReadinessLoop.Readiness, Bool) in
            let readiness = try await loop.wait(fd: a, for: .read, deadline: .now + .seconds(30))
            return (readiness, loop.runsOnLoopThread(of: a))
        }
        var byte: UInt8 = 1
        #expect(write(b, &byte, 1) == 1)
        let (readiness, onLoop) = try await reader.value
        #expect(readiness == .ready)
        #expect(onLoop, "the wait was resumed on another thread than the one that saw the descriptor ready")
        #expect(read(a, &byte, 1) == 1)

        let timer = Task(executorPreference: executor) { () async throws -> (ReadinessLoop.Readiness, Bool) in
            let readiness = try await loop.wait(fd: a, for: .read, deadline: .now + .milliseconds(30))
            return (readiness, loop.runsOnLoopThread(of: a))
        }
        let timed = try await timer.value
        #expect(timed.0 == .timedOut)
        #expect(timed.1)

        let cancelled = Task(executorPreference: executor) { () async -> Bool in
            do {
                _ = try await loop.wait(fd: a, for: .read, deadline: .now + .seconds(30))
                return false
            } catch {
                return error is CancellationError && loop.runsOnLoopThread(of: a)
            }
        }
        #expect(await eventually { loop.waiterCount(fd: a) == 1 })
        cancelled.cancel()
        #expect(await cancelled.value)
    }

    @Test("a task that keeps yielding on a loop thread does not keep it from its descriptors")
    func yieldingTaskDoesNotStarveWaits() async throws {
        let loop = ReadinessLoop(threads: 1)
        let (a, b) = pairs.socketPair()
        defer {
            loop.forget(fd: a)
            close(a)
            close(b)
        }
        let executor = loop.executor(for: a)
        let stop = Atomic<Bool>(false)
        let spinner = Task(executorPreference: executor) { () async -> Int in
            var rounds = 0
            let limit = ContinuousClock.now + .seconds(20)
            while !stop.load(ordering: .relaxed) && ContinuousClock.now < limit {
                rounds += 1
                await Task.yield()
            }
            return rounds
        }
        let reader = Task(executorPreference: executor) {
            try await loop.wait(fd: a, for: .read, deadline: .now + .seconds(10))
        }
        #expect(await eventually { loop.waiterCount(fd: a) == 1 })
        var byte: UInt8 = 1
        #expect(write(b, &byte, 1) == 1)
        let started = ContinuousClock.now
        #expect(try await reader.value == .ready)
        #expect(ContinuousClock.now - started < .seconds(5))
        stop.store(true, ordering: .relaxed)
        #expect(await spinner.value > 0)
    }

    @Test("many tasks on one loop thread, each waiting on its own descriptor, all finish on that thread")
    func manyTasksOnOneThread() async throws {
        let loop = ReadinessLoop(threads: 1)
        let sockets = (0..<100).map { _ in pairs.socketPair() }
        defer {
            for (a, b) in sockets {
                loop.forget(fd: a)
                close(a)
                close(b)
            }
        }
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (a, _) in sockets {
                group.addTask(executorPreference: loop.executor(for: a)) {
                    // Three waits each, one byte read after each: every wake-up resumes the task on the loop
                    // thread.
                    var onLoop = true
                    for _ in 0..<3 {
                        guard try await loop.wait(fd: a, for: .read, deadline: .now + .seconds(20)) == .ready else {
                            return false
                        }
                        onLoop = onLoop && loop.runsOnLoopThread(of: a)
                        var byte: UInt8 = 0
                        _ = read(a, &byte, 1)
                    }
                    return onLoop
                }
            }
            for (_, b) in sockets {
                var bytes: [UInt8] = [1, 2, 3]
                _ = write(b, &bytes, 3)
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == sockets.count)
        #expect(results.allSatisfy { $0 })
    }
}

/// A transport over one end of a socket pair whose other end the test holds: reads of stdout say "would
/// block" until the test writes, then return what was written; each read records whether it ran on the
/// loop thread that watches the socket.
final class PairedExecTransport: SSHTransport {
    final class Channel {}

    static let driverName = "paired"
    static let supportedAlgorithms = SSHAlgorithms.modern
    static func advice(forUnsupported offer: SSHAlgorithms) -> String? { nil }

    var loop: ReadinessLoop = .shared
    private(set) var readsOnLoop: [Bool] = []
    private var stdoutEnded = false
    private(set) var pair: (Int32, Int32) = (-1, -1)

    init(settings: SSHTransportSettings) throws(NetPulseError) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw NetPulseError.driverError("socketpair failed") }
        pair = (fds[0], fds[1])
    }

    deinit { close() }

    func attach(socket: Int32) throws(NetPulseError) {}
    var socket: Int32? { pair.0 >= 0 ? pair.0 : nil }
    var interest: ReadinessLoop.Interest { .read }
    var recheckInterval: Duration? { nil }
    func handshake() throws(NetPulseError) -> IOResult<Void> { .processed(()) }
    func serverHostKey() throws(NetPulseError) -> SSHHostKey { throw NetPulseError.driverError("not paired") }
    func authenticationMethods() throws(NetPulseError) -> IOResult<[String]?> { .processed(nil) }
    func authenticate(_ attempt: SSHCredentialAttempt) throws(NetPulseError) -> IOResult<Bool> { .processed(true) }
    func openChannel() throws(NetPulseError) -> IOResult<Channel> { .processed(Channel()) }
    func openForward(host: String, port: Int) throws(NetPulseError) -> IOResult<Channel> { .processed(Channel()) }
    func requestPTY(_ channel: Channel, columns: Int, rows: Int) throws(NetPulseError) -> IOResult<Void> {
        .processed(())
    }
    func requestShell(_ channel: Channel) throws(NetPulseError) -> IOResult<Void> { .processed(()) }
    func requestExec(_ channel: Channel, command: String) throws(NetPulseError) -> IOResult<Void> {
        stdoutEnded = false
        return .processed(())
    }

    func read(_ channel: Channel, _ stream: SSHStream, into buffer: UnsafeMutableRawBufferPointer)
        throws(NetPulseError) -> IOResult<Int>
    {
        guard stream == .standardOutput else { return stdoutEnded ? .processed(0) : .wouldBlock }
        readsOnLoop.append(loop.runsOnLoopThread(of: pair.0))
        if stdoutEnded { return .processed(0) }
        let count = Glibc.read(pair.0, buffer.baseAddress, buffer.count)
        if count > 0 {
            // A newline ends the command's output.
            if buffer[count - 1] == UInt8(ascii: "\n") { stdoutEnded = true }
            return .processed(count)
        }
        if count == 0 { return .processed(0) }
        return .wouldBlock
    }

    func hasBufferedOutput(_ channel: Channel) -> Bool { false }
    func write(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) throws(NetPulseError) -> IOResult<Int> {
        .processed(bytes.count)
    }
    func exitState(_ channel: Channel) throws(NetPulseError) -> IOResult<SSHExitState> { .processed(.exited(0)) }
    func release(_ channel: Channel) {}
    func sendKeepalive() throws(NetPulseError) -> IOResult<Void> { .processed(()) }
    func flush() throws(NetPulseError) -> IOResult<Void> { .processed(()) }

    func close() {
        if pair.0 >= 0 {
            loop.forget(fd: pair.0)
            Glibc.close(pair.0)
            Glibc.close(pair.1)
        }
        pair = (-1, -1)
    }
}

/// How many bytes wait unread on `fd`.
func unread(_ fd: Int32) -> Int32 {
    var count: Int32 = 0
    _ = ioctl(fd, UInt(FIONREAD), &count)
    return count
}

@Suite("Sessions run on their socket's loop thread")
struct SessionOnLoopTests {
    /// A session over a ``PairedExecTransport`` on `loop`, with the session's socket and the test's end.
    static func pairedSession(loop: ReadinessLoop) async throws -> (SSHSession<PairedExecTransport>, Int32, Int32) {
        let session = try SSHSession<PairedExecTransport>(
            target: DeviceTarget(
                host: "127.0.0.1", port: 22, username: "tester", credentials: [.password(Secret("x"))],
                platform: "linux"),
            context: DriverContext(platform: .linux, logger: Logger(label: "test")),
            configuration: SSHDriverConfiguration(hostKeyPolicy: .off, loop: loop))
        let (fd, peer) = await session.withTransport { transport in
            transport.loop = loop
            return transport.pair
        }
        return (session, fd, peer)
    }

    @Test("an exec command's reads after each wake-up run on the loop thread that watches the session's socket")
    func execReadsRunOnTheLoopThread() async throws {
        let loop = ReadinessLoop(threads: 2)
        let (session, fd, peer) = try await Self.pairedSession(loop: loop)
        let request = ExecutionRequest(operation: .commands(["echo hi"]), logger: Logger(label: "test"))
        let running = Task { try await session.execute(request) }
        // Each part goes once the session has read the last one and waits again: every part is a wake-up.
        for part in ["h", "i", "\n"] {
            #expect(await eventually { unread(fd) == 0 && loop.waiterCount(fd: fd) == 1 })
            var bytes = Array(part.utf8)
            #expect(write(peer, &bytes, bytes.count) == bytes.count)
        }
        let outcome = try await running.value
        #expect(outcome.outputs.first?.output == "hi\n")
        let reads = await session.withTransport { $0.readsOnLoop }
        // The first read runs where execute was called; every read after a wake-up runs on the loop thread.
        #expect(reads.count >= 4)
        #expect(reads.dropFirst().allSatisfy { $0 }, "reads after a wake-up ran off the loop thread: \(reads)")
        await session.close()
    }

    @Test("preferredExecutor is the socket's loop thread; an operation started there never leaves it")
    func preferredExecutorRunsEverythingOnTheLoopThread() async throws {
        let loop = ReadinessLoop(threads: 2)
        let (session, fd, peer) = try await Self.pairedSession(loop: loop)
        #expect(session.preferredExecutor == nil)  // no operation has run on the socket yet
        let request = ExecutionRequest(operation: .commands(["echo hi"]), logger: Logger(label: "test"))
        var bytes = Array("hi\n".utf8)
        #expect(write(peer, &bytes, bytes.count) == bytes.count)
        _ = try await session.execute(request)
        let executor = try #require(session.preferredExecutor)
        #expect(executor === loop.executor(for: fd))

        // A task that starts on that executor (a job of a pinned queue, once its task runs there) does the
        // whole operation on the loop thread, the read before any wait included: nothing in it hops away.
        let before = await session.withTransport { $0.readsOnLoop.count }
        let answered = Task {
            #expect(await eventually { loop.waiterCount(fd: fd) == 1 })
            var more = Array("again\n".utf8)
            #expect(write(peer, &more, more.count) == more.count)
        }
        let outcome = try await Task(executorPreference: executor) {
            try await session.execute(request)
        }.value
        await answered.value
        #expect(outcome.outputs.first?.output == "again\n")
        let reads = await session.withTransport { Array($0.readsOnLoop.dropFirst(before)) }
        #expect(reads.count >= 2)
        #expect(reads.allSatisfy { $0 }, "a read ran off the loop thread: \(reads)")
        await session.close()
    }
}
