import Glibc
import Logging
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

@testable import NetPulseSSH2
@testable import NetPulseSSHCore

/// libssh2's transport with one change of timing: before the first stdout read of each exec channel, the
/// stderr reads take the command's whole answer (stdout's data, end of file, exit status, CLOSE) off the
/// socket into libssh2's queue, as happens when the answer arrives between the session's stdout read and
/// its stderr read. That order made 1 of 800 pinned exec commands time out against a healthy device
/// (issue 13): the stderr read said "would block" (libssh2 hides the end of file while stdout's data is
/// queued) and the session slept on a socket that had nothing more to give.
final class AnswerFirstLibSSH2Transport: SSHTransport {
    typealias Channel = LibSSH2Channel

    static let driverName = LibSSH2Transport.driverName
    static var supportedAlgorithms: SSHAlgorithms { LibSSH2Transport.supportedAlgorithms }
    static func advice(forUnsupported offer: SSHAlgorithms) -> String? {
        LibSSH2Transport.advice(forUnsupported: offer)
    }

    let inner: LibSSH2Transport
    /// Channels whose answer was already taken in (held, so that no later channel reuses an address).
    private var staged: [LibSSH2Channel] = []
    /// How many answers were taken in whole before the session's first stdout read.
    private(set) var stagedAnswers = 0

    init(settings: SSHTransportSettings) throws(NetPulseError) { inner = try LibSSH2Transport(settings: settings) }

    func attach(socket: Int32) throws(NetPulseError) { try inner.attach(socket: socket) }
    var socket: Int32? { inner.socket }
    var interest: ReadinessLoop.Interest { inner.interest }
    var recheckInterval: Duration? { inner.recheckInterval }
    func handshake() throws(NetPulseError) -> IOResult<Void> { try inner.handshake() }
    func serverHostKey() throws(NetPulseError) -> SSHHostKey { try inner.serverHostKey() }
    func authenticationMethods() throws(NetPulseError) -> IOResult<[String]?> { try inner.authenticationMethods() }
    func authenticate(_ attempt: SSHCredentialAttempt) throws(NetPulseError) -> IOResult<Bool> {
        try inner.authenticate(attempt)
    }
    func openChannel() throws(NetPulseError) -> IOResult<Channel> { try inner.openChannel() }
    func openForward(host: String, port: Int) throws(NetPulseError) -> IOResult<Channel> {
        try inner.openForward(host: host, port: port)
    }
    func requestPTY(_ channel: Channel, columns: Int, rows: Int) throws(NetPulseError) -> IOResult<Void> {
        try inner.requestPTY(channel, columns: columns, rows: rows)
    }
    func requestShell(_ channel: Channel) throws(NetPulseError) -> IOResult<Void> { try inner.requestShell(channel) }
    func requestExec(_ channel: Channel, command: String) throws(NetPulseError) -> IOResult<Void> {
        try inner.requestExec(channel, command: command)
    }

    func read(_ channel: Channel, _ stream: SSHStream, into buffer: UnsafeMutableRawBufferPointer)
        throws(NetPulseError) -> IOResult<Int>
    {
        if stream == .standardOutput, !staged.contains(where: { $0 === channel }) {
            staged.append(channel)
            try takeInWholeAnswer(channel, buffer)
            // As when stdout's read came just before the answer did.
            return .wouldBlock
        }
        return try inner.read(channel, stream, into: buffer)
    }

    /// Reads stderr (which the test commands never write) until the server's CLOSE came: every packet of
    /// the answer is then in libssh2's queue and the socket is quiet. Waits for readability with a deadline.
    private func takeInWholeAnswer(_ channel: Channel, _ buffer: UnsafeMutableRawBufferPointer) throws(NetPulseError) {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if case .processed(let count) = try inner.read(channel, .standardError, into: buffer), count > 0 {
                throw NetPulseError.driverError("the test command wrote to stderr")
            }
            // libssh2_channel_wait_closed: an error before the end of file, "would block" until the CLOSE.
            if case .processed? = try? inner.exitState(channel) {
                stagedAnswers += 1
                return
            }
            guard let fd = inner.socket else { throw NetPulseError.connectionLost("socket gone") }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = ContinuousClock.now.duration(to: deadline).components
            _ = poll(&entry, 1, Int32(clamping: max(1, left.seconds * 1000 + left.attoseconds / 1_000_000_000_000_000)))
        }
        throw NetPulseError.timeout("the test command's answer did not come within 10 s")
    }

    func hasBufferedOutput(_ channel: Channel) -> Bool { inner.hasBufferedOutput(channel) }
    func write(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) throws(NetPulseError) -> IOResult<Int> {
        try inner.write(channel, bytes)
    }
    func exitState(_ channel: Channel) throws(NetPulseError) -> IOResult<SSHExitState> { try inner.exitState(channel) }
    func release(_ channel: Channel) { inner.release(channel) }
    func sendKeepalive() throws(NetPulseError) -> IOResult<Void> { try inner.sendKeepalive() }
    func flush() throws(NetPulseError) -> IOResult<Void> { try inner.flush() }
    func close() { inner.close() }
}

/// Issue 13: a pinned exec command that timed out on a healthy device with libssh2, because its output
/// had been taken off the socket by the read of the other stream.
@Suite("libssh2 exec: output taken in by the other stream's read")
struct ExecStallScenarios {
    /// Runs `commands` in sequence on one session (each on its own exec channel), the answer of each taken
    /// in before the session's first stdout read; every command must end long before its deadline.
    static func runPinned(
        target: DeviceTarget, knownHosts: String?, commands: [String], expect: (String) -> Bool
    ) async throws {
        let session = try await SSHSession<AnswerFirstLibSSH2Transport>.open(
            target: target, context: Fixture.context(.linux),
            configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: knownHosts)))
        do {
            for command in commands {
                let started = ContinuousClock.now
                let outcome = try await session.execute(Fixture.commands(command, readTimeout: .seconds(4)))
                let elapsed = ContinuousClock.now - started
                #expect(outcome.success, "\(command): \(String(describing: outcome.error))")
                let output = outcome.outputs.first?.output ?? ""
                #expect(expect(output), "\(command): \(output.prefix(200))")
                #expect(elapsed < .seconds(3), "\(command) took \(elapsed) (waited on a quiet socket)")
            }
            // The stall was provoked for every command (else the test proves nothing).
            #expect(await session.withTransport { $0.stagedAnswers } == commands.count)
        } catch {
            await session.close()
            throw error
        }
        await session.close()
    }

    @Test("against an OpenSSH sshd: each command's output arrives although the socket stays quiet")
    func openSSH() async throws {
        try await TestSSHD.with { server in
            try await Self.runPinned(
                target: Fixture.target(server, readTimeout: .seconds(4)), knownHosts: server.knownHostsFile,
                commands: ["echo np-stall-1", "echo np-stall-2", "echo np-stall-3"],
                expect: { $0.contains("np-stall-") })
        }
    }

    @Test("against a NetPulseLab linux device (the benchmark's pinned exec)")
    func lab() async throws {
        let password: Secret = "lab-Pass-9471"
        try await withLab(LabConfiguration(devices: 1, platforms: [.linux], password: password)) { lab in
            let device = try #require(lab.devices.first)
            try await Self.runPinned(
                target: device.target(
                    hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile), readTimeout: .seconds(4)),
                knownHosts: lab.knownHostsFile,
                commands: ["cat /etc/hostname", "uname -a", "cat /etc/hostname"],
                expect: { !$0.isEmpty })
        }
    }
}
