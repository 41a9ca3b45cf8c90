import Glibc
import Logging
import NetPulse
import Testing

@testable import NetPulseSSHCore

/// A transport that replays one exec channel's reads in a given order, over a socket that never becomes
/// readable: any wait on the socket lasts until the deadline.
final class ScriptedExecTransport: SSHTransport {
    final class Channel {}

    static let driverName = "scripted"
    static let supportedAlgorithms = SSHAlgorithms.modern
    static func advice(forUnsupported offer: SSHAlgorithms) -> String? { nil }

    /// What each read of a stream returns, in order; the last answer repeats.
    var reads: [SSHStream: [IOResult<Int>]] = [:]
    /// What each ``hasBufferedOutput(_:)`` says, in order; the last answer repeats.
    var buffered: [Bool] = [false]
    private(set) var readCount = 0
    private(set) var bufferChecks = 0
    /// What ``readTookEverything(_:count:capacity:)`` says after a read with data.
    var tookEverything = false
    /// Called when the session asks what to wait for: it is about to wait on the socket.
    var onWait: (@Sendable () -> Void)?
    private var pair: (Int32, Int32) = (-1, -1)
    /// The socket pair's other end: a byte written there makes ``socket`` readable.
    var peerEnd: Int32 { pair.1 }

    init(settings: SSHTransportSettings) throws(NetPulseError) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw NetPulseError.driverError("socketpair failed")
        }
        pair = (fds[0], fds[1])
    }

    deinit { close() }

    func attach(socket: Int32) throws(NetPulseError) {}
    var socket: Int32? { pair.0 >= 0 ? pair.0 : nil }
    var interest: ReadinessLoop.Interest {
        onWait?()
        return .read
    }
    var recheckInterval: Duration? { nil }
    func handshake() throws(NetPulseError) -> IOResult<Void> { .processed(()) }
    func serverHostKey() throws(NetPulseError) -> SSHHostKey { throw NetPulseError.driverError("not scripted") }
    func authenticationMethods() throws(NetPulseError) -> IOResult<[String]?> { .processed(nil) }
    func authenticate(_ attempt: SSHCredentialAttempt) throws(NetPulseError) -> IOResult<Bool> { .processed(true) }
    func openChannel() throws(NetPulseError) -> IOResult<Channel> { .processed(Channel()) }
    func openForward(host: String, port: Int) throws(NetPulseError) -> IOResult<Channel> { .processed(Channel()) }
    func requestPTY(_ channel: Channel, columns: Int, rows: Int) throws(NetPulseError) -> IOResult<Void> {
        .processed(())
    }
    func requestShell(_ channel: Channel) throws(NetPulseError) -> IOResult<Void> { .processed(()) }
    func requestExec(_ channel: Channel, command: String) throws(NetPulseError) -> IOResult<Void> { .processed(()) }

    func read(_ channel: Channel, _ stream: SSHStream, into buffer: UnsafeMutableRawBufferPointer)
        throws(NetPulseError) -> IOResult<Int>
    {
        readCount += 1
        var queue = reads[stream] ?? [.wouldBlock]
        let answer = queue.count > 1 ? queue.removeFirst() : queue[0]
        reads[stream] = queue
        if case .processed(let count) = answer, count > 0 {
            buffer.initializeMemory(as: UInt8.self, repeating: stream == .standardOutput ? 0x6F : 0x65)
        }
        return answer
    }

    func readTookEverything(_ channel: Channel, count: Int, capacity: Int) -> Bool { tookEverything }

    func hasBufferedOutput(_ channel: Channel) -> Bool {
        bufferChecks += 1
        let answer = buffered.count > 1 ? buffered.removeFirst() : buffered[0]
        return answer
    }

    func write(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) throws(NetPulseError) -> IOResult<Int> {
        .processed(bytes.count)
    }
    func exitState(_ channel: Channel) throws(NetPulseError) -> IOResult<SSHExitState> { .processed(.exited(0)) }
    func release(_ channel: Channel) {}
    func sendKeepalive() throws(NetPulseError) -> IOResult<Void> { .processed(()) }
    func flush() throws(NetPulseError) -> IOResult<Void> { .processed(()) }

    func close() {
        if pair.0 >= 0 {
            Glibc.close(pair.0)
            Glibc.close(pair.1)
        }
        pair = (-1, -1)
    }
}

@Suite("Exec output collection")
struct ExecReadTests {
    func session() throws -> SSHSession<ScriptedExecTransport> {
        try SSHSession(
            target: DeviceTarget(
                host: "127.0.0.1", port: 22, username: "tester", credentials: [.password(Secret("x"))],
                platform: "linux"),
            context: DriverContext(platform: .linux, logger: Logger(label: "test")),
            configuration: SSHDriverConfiguration(hostKeyPolicy: .off))
    }

    @Test("stdout's end of file taken in by the stderr read: the command ends at once, not at its deadline")
    func endOfFileTakenByTheOtherStream() async throws {
        let session = try session()
        // As libssh2 does: stdout has nothing yet; the stderr read then pulls the channel's remaining
        // packets (stderr's and stdout's end of file) into the library's buffers. The socket stays quiet.
        await session.withTransport { transport in
            transport.reads = [.standardOutput: [.wouldBlock, .processed(0)], .standardError: [.processed(0)]]
        }
        let started = ContinuousClock.now
        let output = try await session.exec("true", timeout: .seconds(3))
        let elapsed = ContinuousClock.now - started
        #expect(output.exitStatus == 0)
        #expect(elapsed < .seconds(2), "the exec waited on a quiet socket for \(elapsed)")
        await session.close()
    }

    @Test("stdout's data taken in by the stderr read: collected at once, not at the deadline (issue 13)")
    func dataTakenByTheOtherStream() async throws {
        let session = try session()
        // As libssh2 does: stdout has nothing yet; the stderr read then pulls stdout's data and the end of
        // file into the library's queue, and says "would block" (its end of file is hidden while stdout's
        // data waits). The socket stays quiet: only the library knows that output is there.
        await session.withTransport { transport in
            transport.reads = [
                .standardOutput: [.wouldBlock, .processed(5), .processed(0)],
                .standardError: [.wouldBlock, .processed(0)],
            ]
            transport.buffered = [true, false]
        }
        let started = ContinuousClock.now
        let output = try await session.exec("cat /etc/hostname", timeout: .seconds(3))
        let elapsed = ContinuousClock.now - started
        #expect(output.output == "ooooo")
        #expect(output.exitStatus == 0)
        #expect(elapsed < .seconds(2), "the exec waited on a quiet socket for \(elapsed)")
        await session.close()
    }

    @Test("a library that claims output it never gives does not make the read loop spin")
    func bufferedClaimDoesNotSpin() async throws {
        let session = try session()
        await session.withTransport { transport in
            transport.reads = [.standardOutput: [.wouldBlock], .standardError: [.wouldBlock]]
            transport.buffered = [true]
        }
        await #expect(throws: NetPulseError.self) {
            _ = try await session.exec("sleep 10", timeout: .milliseconds(300))
        }
        // At most one extra pass per wait on the socket: a handful of reads, not thousands.
        #expect(await session.withTransport { $0.readCount } < 20)
        #expect(await session.withTransport { $0.bufferChecks } >= 1)
        await session.close()
    }

    @Test("a stream with nothing yet waits on the socket until the deadline (timeout)")
    func quietStreamsTimeOut() async throws {
        let session = try session()
        await session.withTransport { transport in
            transport.reads = [.standardOutput: [.wouldBlock], .standardError: [.wouldBlock]]
        }
        await #expect(throws: NetPulseError.self) {
            _ = try await session.exec("sleep 10", timeout: .milliseconds(200))
        }
        // Two reads per pass, and a pass only after each wait: a wait happened (no busy loop).
        #expect(await session.withTransport { $0.readCount } < 20)
        await session.close()
    }
}
