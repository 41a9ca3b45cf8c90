internal import CLibSSH2
import NetPulse

/// One libssh2 channel of an ``SSH2Session``, owned by this object and freed once (``free(deadline:)``,
/// or `deinit`, or with its session). Its C calls go through the session's seam, so they never run
/// at the same time as another call on the same session.
final class SSH2Channel: @unchecked Sendable {
    let session: SSH2Session
    /// The raw handle; only touched inside the session's lock (``SSH2Session/call(_:deadline:_:)``).
    private let raw: OpaquePointer
    private var freed = false

    private init(session: SSH2Session, raw: OpaquePointer) {
        self.session = session
        self.raw = raw
    }

    deinit {
        // Best effort without waiting; a channel left over is freed with its session.
        if !freed { _ = session.withRaw { _ in libssh2_channel_free(raw) } }
    }

    /// The receive window: large enough that bulk output (a 10 MB `show`) is not throttled by
    /// window adjustments.
    static let window: UInt32 = 4 * 1024 * 1024

    /// Opens a `session` channel.
    static func open(_ session: SSH2Session, deadline: ContinuousClock.Instant) async throws -> SSH2Channel {
        let raw = try await session.callPointer("opening a channel on \(session.peer)", deadline: deadline) {
            np_ssh2_channel_open_session($0, window)
        }
        return SSH2Channel(session: session, raw: raw)
    }

    /// Asks for a pseudo-terminal of the given size.
    func requestPTY(width: Int, height: Int, deadline: ContinuousClock.Instant) async throws {
        try await session.call("requesting a pty on \(session.peer)", deadline: deadline) { [raw] _ in
            Int(np_ssh2_channel_request_pty(raw, Int32(width), Int32(height)))
        }
    }

    /// Starts the user's shell.
    func startShell(deadline: ContinuousClock.Instant) async throws {
        try await session.call("starting a shell on \(session.peer)", deadline: deadline) { [raw] _ in
            Int(np_ssh2_channel_shell(raw))
        }
    }

    /// Runs `command` (the channel then carries its output).
    func exec(_ command: String, deadline: ContinuousClock.Instant) async throws {
        try await session.call("starting '\(command)' on \(session.peer)", deadline: deadline) { [raw] _ in
            Int(np_ssh2_channel_exec(raw, command))
        }
    }

    /// One attempt to read from `stream` (0: output, 1: standard error) without waiting.
    ///
    /// - Returns: The number of bytes read, 0 when nothing is there now (or at end of file), or
    ///   `nil` when libssh2 waits for the socket.
    func readNow(stream: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        switch try session.attempt(
            "reading from \(session.peer)",
            { [raw] _ in
                np_ssh2_channel_read(raw, stream, buffer.baseAddress, buffer.count)
            })
        {
        case .done(let count): return count
        case .wouldBlock: return nil
        }
    }

    /// Reads what the device sent on the output stream, waiting until `deadline`.
    ///
    /// - Returns: The bytes (never empty), or `nil` when the deadline passed first.
    /// - Throws: `connection_lost` at end of file or when the transport failed.
    func read(deadline: ContinuousClock.Instant, into buffer: UnsafeMutableRawBufferPointer) async throws -> Int? {
        while true {
            if let count = try readNow(stream: 0, into: buffer), count > 0 { return count }
            if isEOF {
                throw NetPulseError.connectionLost("the device \(session.peer) closed the session")
            }
            do {
                try await session.wait(
                    session.withRaw { libssh2_session_block_directions($0) } ?? 0,
                    what: "reading from \(session.peer)", deadline: deadline)
            } catch let error as NetPulseError where error.kind == .timeout {
                return nil
            }
        }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        var offset = 0
        while offset < bytes.count {
            let start = offset
            let written = try await session.call("writing to \(session.peer)", deadline: deadline) { [raw] _ in
                bytes.withUnsafeBytes { all in
                    np_ssh2_channel_write(raw, all.baseAddress! + start, all.count - start)
                }
            }
            offset += written
        }
    }

    /// Whether the remote end sent end of file.
    var isEOF: Bool { session.withRaw { [raw] _ in libssh2_channel_eof(raw) != 0 } ?? true }

    /// Closes the channel (waits for the remote close, which carries the exit status).
    func close(deadline: ContinuousClock.Instant) async throws {
        try await session.call("closing a channel on \(session.peer)", deadline: deadline) { [raw] _ in
            Int(libssh2_channel_close(raw))
        }
    }

    /// The exit status and signal of the remote command, after ``close(deadline:)``.
    func exitStatus() -> (status: Int, signal: String?) {
        session.withRaw { [raw] session in
            let status = Int(libssh2_channel_get_exit_status(raw))
            let pointer = np_ssh2_channel_exit_signal(raw)
            let signal = pointer.map { String(cString: $0) }
            np_ssh2_free(session, pointer)
            return (status, signal)
        } ?? (-1, nil)
    }

    /// Frees the channel.
    func free(deadline: ContinuousClock.Instant) async {
        guard !freed else { return }
        freed = true
        _ = try? await session.call("freeing a channel on \(session.peer)", deadline: deadline) { [raw] _ in
            Int(libssh2_channel_free(raw))
        }
    }
}
