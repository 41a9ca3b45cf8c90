import Glibc
import Logging
import NetPulse

/// What both session kinds share: the C session, liveness, keepalives and the clean close.
class LibSSH2SessionBase: @unchecked Sendable {
    let session: SSH2Session
    private let keepaliveTask: Task<Void, Never>?

    init(session: SSH2Session, keepalive: Duration?) {
        self.session = session
        keepaliveTask = keepalive.map { startKeepaliveTask(session, interval: $0) }
    }

    /// Runs one execution as the session's only user. A transport failure, a timeout or a
    /// cancellation leaves libssh2 mid-conversation: the session is then marked dead.
    func run(_ body: () async throws -> ExecutionOutcome) async throws -> ExecutionOutcome {
        if let failure = session.failure {
            throw NetPulseError.sessionUnavailable("the session to \(session.peer) is dead: \(failure.message)")
        }
        do {
            return try await session.exclusive("execute") {
                _ = sendKeepaliveIfDue(session)
                return try await body()
            }
        } catch let error as NetPulseError
            where error.kind == .commandError || error.kind == .invalidRequest
            || error.kind == .unsupported || error.kind == .authentication
        {
            throw error
        } catch {
            session.markFailed(NetPulseError(wrapping: error))
            throw error
        }
    }

    /// Cheap liveness: no recorded failure, a keepalive sent when due, and no end of file waiting on
    /// the socket. It does not wait for a round trip.
    func transportAlive() -> Bool {
        guard session.failure == nil, !session.isFreed else { return false }
        guard sendKeepaliveIfDue(session, idleOnly: true) else { return false }
        var byte: UInt8 = 0
        let peeked = recv(session.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if peeked == 0 { return false }
        if peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { return false }
        return true
    }

    func closeBase(channel: SSH2Channel?) async {
        keepaliveTask?.cancel()
        let deadline = ContinuousClock.now + .seconds(1)
        if let channel { await channel.free(deadline: deadline) }
        await session.shutdown(deadline: deadline)
    }
}

/// A session on a CLI device: a pty shell channel driven by the ``CLIEngine``.
final class LibSSH2ShellSession: LibSSH2SessionBase, DriverSession, @unchecked Sendable {
    let shell: SSH2ShellChannel
    let engine: CLIEngine

    init(session: SSH2Session, shell: SSH2ShellChannel, engine: CLIEngine, keepalive: Duration?) {
        self.shell = shell
        self.engine = engine
        super.init(session: session, keepalive: keepalive)
    }

    func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        try await run { try await engine.execute(request) }
    }

    func isAlive() async -> Bool {
        transportAlive() && !shell.channel.isEOF
    }

    func close() async {
        await closeBase(channel: shell.channel)
    }
}

/// A session on a `linux` target: each command on its own exec channel, with exit status and stderr.
final class LibSSH2ExecSession: LibSSH2SessionBase, DriverSession, @unchecked Sendable {
    func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        guard case .commands(let commands) = request.operation else {
            throw NetPulseError.unsupported(
                "platform linux has no configuration mode; send the lines as commands")
        }
        return try await run {
            var outputs: [CommandOutput] = []
            var firstFailure: NetPulseError?
            for command in commands {
                let result = try await ExecCommand.run(command, on: session, readTimeout: request.readTimeout)
                let failed = result.exitStatus != 0
                outputs.append(
                    CommandOutput(
                        command: command, output: result.output, status: failed ? .failed : .ok,
                        exitStatus: result.exitStatus, stderr: result.stderr))
                if failed && firstFailure == nil {
                    let how =
                        result.signal.map { "was killed by signal \($0)" } ?? "exited with status \(result.exitStatus)"
                    firstFailure = .commandError("command '\(command)' \(how)")
                }
            }
            return ExecutionOutcome(outputs: outputs, error: firstFailure)
        }
    }

    func isAlive() async -> Bool { transportAlive() }

    func close() async {
        await closeBase(channel: nil)
    }
}

/// One command on an exec channel.
enum ExecCommand {
    struct Result {
        var output: String
        var stderr: String
        /// The exit status; -1 when the command ended by a signal or without a status.
        var exitStatus: Int
        var signal: String?
    }

    /// Runs `command` and collects its output and standard error until end of file; each wait on the
    /// device has `readTimeout`.
    static func run(_ command: String, on session: SSH2Session, readTimeout: Duration) async throws -> Result {
        let channel = try await SSH2Channel.open(session, deadline: .now + readTimeout)
        do {
            try await channel.exec(command, deadline: .now + readTimeout)
            var output: [UInt8] = []
            var errors: [UInt8] = []
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
            defer { buffer.deallocate() }
            while true {
                var progressed = false
                var blocked = false
                for stream: Int32 in [0, 1] {
                    while true {
                        guard let count = try channel.readNow(stream: stream, into: buffer) else {
                            blocked = true
                            break
                        }
                        if count == 0 { break }
                        progressed = true
                        if stream == 0 {
                            output.append(contentsOf: buffer[0..<count])
                        } else {
                            errors.append(contentsOf: buffer[0..<count])
                        }
                    }
                }
                if progressed { continue }
                if channel.isEOF { break }
                _ = blocked
                try await session.wait(
                    session.withRaw { libssh2BlockDirections($0) } ?? 0,
                    what: "waiting for the output of '\(command)' on \(session.peer)",
                    deadline: .now + readTimeout)
            }
            try await channel.close(deadline: .now + readTimeout)
            let (status, signal) = channel.exitStatus()
            await channel.free(deadline: .now + readTimeout)
            return Result(
                output: String(decoding: output, as: UTF8.self),
                stderr: String(decoding: errors, as: UTF8.self),
                exitStatus: signal == nil ? status : -1,
                signal: signal)
        } catch {
            await channel.free(deadline: .now + .milliseconds(100))
            throw error
        }
    }
}
