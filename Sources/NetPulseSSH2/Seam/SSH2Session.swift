internal import CLibSSH2
import Glibc
import NetPulse
import NetPulseSSHCore
import Synchronization

/// The C seam: one libssh2 session in non-blocking mode, and the only code that calls libssh2 on it.
///
/// Ownership and confinement: this object owns the `LIBSSH2_SESSION`, its callback context and the
/// socket, and frees them exactly once (``shutdown(deadline:)``, or `deinit` as a last resort). Every C
/// call on the session or one of its channels runs inside `state.withLock`, so no two ever run at once
/// whatever the threads; between calls the owner task awaits readiness on the shared ``ReadinessLoop``
/// and holds no lock. libssh2 never blocks: when it answers `LIBSSH2_ERROR_EAGAIN`, ``call(_:deadline:_:)``
/// asks it which direction it waits for and suspends the task until the socket is ready or the
/// deadline passes.
final class SSH2Session: @unchecked Sendable {
    struct State {
        /// The session was freed; no C call may run.
        var freed = false
        /// The transport failed: the session cannot be used again.
        var failure: NetPulseError?
        /// An operation that waits on the socket is in progress (one waiter per descriptor).
        var busy = false
    }

    /// The raw handle; only touched inside `state.withLock`.
    private let raw: OpaquePointer
    private let context: UnsafeMutablePointer<np_ssh2_context>
    /// The connected socket, owned by this session.
    let fd: Int32
    let loop: ReadinessLoop
    /// `host:port`, for messages.
    let peer: String
    private let state = Mutex(State())

    /// Creates a session over a connected non-blocking socket; takes ownership of `fd`.
    init(fd: Int32, peer: String, loop: ReadinessLoop) throws(NetPulseError) {
        LibSSH2.initializeOnce()
        context = .allocate(capacity: 1)
        context.initialize(
            to: np_ssh2_context(kbdint_password: nil, kbdint_password_length: 0, kbdint_prompts_answered: 0))
        guard let raw = np_ssh2_session_init(context) else {
            context.deallocate()
            loop.forget(fd: fd)
            Glibc.close(fd)
            throw NetPulseError.driverError("libssh2_session_init failed (out of memory)")
        }
        self.raw = raw
        self.fd = fd
        self.peer = peer
        self.loop = loop
        libssh2_session_set_blocking(raw, 0)
    }

    deinit {
        // Normally ``shutdown(deadline:)`` ran already. Nobody else holds a reference here, so
        // these calls cannot race another one.
        freeNow()
        context.deallocate()
    }

    // MARK: - The seam

    /// What one attempt of a C call gave.
    private enum Step {
        case done(Int)
        case again(Int32)
        case failed(Int, String)
    }

    /// Runs a libssh2 call that returns a status or a byte count, until it stops saying EAGAIN.
    ///
    /// - Parameters:
    ///   - what: What the call does, for messages ("key exchange with h:p").
    ///   - deadline: When to give up waiting for the socket.
    ///   - body: The C call; it runs under the session lock and must not block (the session is
    ///     non-blocking).
    /// - Returns: The call's non-negative result.
    /// - Throws: The ``NetPulseError`` that ``SSH2Session/mapError(_:message:what:)`` gives, a
    ///   `timeout` when the deadline passes, `CancellationError` when the task is cancelled.
    @discardableResult
    func call(_ what: @autoclosure () -> String, deadline: ContinuousClock.Instant, _ body: (OpaquePointer) -> Int)
        async throws -> Int
    {
        while true {
            switch try attempt(what(), body) {
            case .done(let value): return value
            case .wouldBlock(let directions): try await wait(directions, what: what(), deadline: deadline)
            }
        }
    }

    /// What one attempt of a C call gave, when it did not fail.
    enum Attempt {
        /// The call's non-negative result.
        case done(Int)
        /// libssh2 said EAGAIN; it waits for these `LIBSSH2_SESSION_BLOCK_*` directions.
        case wouldBlock(Int32)
    }

    /// Makes one attempt of a C call under the lock, without waiting.
    ///
    /// - Throws: The mapped ``NetPulseError`` when the call failed.
    func attempt(_ what: @autoclosure () -> String, _ body: (OpaquePointer) -> Int) throws -> Attempt {
        let step = state.withLock { state -> Step in
            if state.freed { return .failed(Int(LIBSSH2_ERROR_BAD_USE), "the session is closed") }
            let rc = body(raw)
            if rc >= 0 { return .done(rc) }
            if rc == Int(LIBSSH2_ERROR_EAGAIN) { return .again(libssh2_session_block_directions(raw)) }
            return .failed(rc, lastErrorMessage())
        }
        switch step {
        case .done(let value): return .done(value)
        case .again(let directions): return .wouldBlock(directions)
        case .failed(let code, let message): throw fail(Self.mapError(code, message: message, what: what()))
        }
    }

    /// Runs a libssh2 call that returns a pointer (NULL with EAGAIN as the session's last error means
    /// "again").
    func callPointer(
        _ what: @autoclosure () -> String,
        deadline: ContinuousClock.Instant,
        _ body: (OpaquePointer) -> OpaquePointer?
    ) async throws -> OpaquePointer {
        var result: OpaquePointer?
        try await call(what(), deadline: deadline) { session in
            if let pointer = body(session) {
                result = pointer
                return 0
            }
            return Int(libssh2_session_last_errno(session))
        }
        return result!
    }

    /// Runs a short C call under the lock without waiting (queries, flag settings, frees).
    func withRaw<T>(_ body: (OpaquePointer) -> T) -> T? {
        state.withLock { state -> T? in
            state.freed ? nil : body(raw)
        }
    }

    /// Waits until libssh2's socket can move in the direction it asked for.
    ///
    /// - Throws: `timeout` when `deadline` passes first, `CancellationError`.
    func wait(_ directions: Int32, what: String, deadline: ContinuousClock.Instant) async throws {
        var interest: ReadinessLoop.Interest = []
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { interest.insert(.read) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { interest.insert(.write) }
        if interest.isEmpty { interest = .read }
        if interest.contains(.read) {
            // Acknowledge at once what arrives during this wait. OpenSSH's sshd leaves Nagle on for
            // sessions without a pty: when it writes two small packets in a row, the second waits for
            // our ACK, which Linux would delay by ~40 ms. Measured here: an exec round went from
            // 55-77 ms to 6-11 ms. (TCP_QUICKACK is not sticky, so it is set before each wait.)
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), Int32(TCP_QUICKACK), &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let readiness: ReadinessLoop.Readiness
        do {
            readiness = try await loop.wait(fd: fd, for: interest, deadline: deadline)
        } catch let failure as ReadinessLoop.Failure {
            throw fail(.connectionLost("\(what): the socket to \(peer) cannot be watched (\(failure))"))
        }
        if readiness == .timedOut { throw NetPulseError.timeout("\(what): no answer from \(peer) in time") }
    }

    /// The session's last error text (under the lock).
    private func lastErrorMessage() -> String {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        _ = libssh2_session_last_error(raw, &message, &length, 0)
        return message.map { String(cString: $0) } ?? "unknown error"
    }

    /// Records a transport failure, so that the session is known dead, and returns the error.
    private func fail(_ error: NetPulseError) -> NetPulseError {
        if error.kind == .connectionLost || error.kind == .protocolError {
            state.withLock { state in
                if state.failure == nil { state.failure = error }
            }
        }
        return error
    }

    /// Marks the session dead (e.g. after a cancellation or a timeout left a call half done).
    func markFailed(_ error: NetPulseError) {
        state.withLock { state in
            if state.failure == nil { state.failure = error }
        }
    }

    /// The failure that killed the session, if any.
    var failure: NetPulseError? { state.withLock { $0.failure } }

    /// Maps a libssh2 status to a NetPulse error kind; the one place that classifies C failures.
    static func mapError(_ code: Int, message: String, what: String) -> NetPulseError {
        let text = "\(what): \(message) (libssh2 error \(code))"
        switch Int32(code) {
        case LIBSSH2_ERROR_SOCKET_SEND, LIBSSH2_ERROR_SOCKET_RECV, LIBSSH2_ERROR_SOCKET_DISCONNECT,
            LIBSSH2_ERROR_BAD_SOCKET, LIBSSH2_ERROR_SOCKET_NONE, LIBSSH2_ERROR_CHANNEL_CLOSED,
            LIBSSH2_ERROR_CHANNEL_EOF_SENT, LIBSSH2_ERROR_CHANNEL_UNKNOWN:
            return .connectionLost(text)
        case LIBSSH2_ERROR_AUTHENTICATION_FAILED, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED,
            LIBSSH2_ERROR_PASSWORD_EXPIRED, LIBSSH2_ERROR_KEYFILE_AUTH_FAILED, LIBSSH2_ERROR_FILE,
            LIBSSH2_ERROR_METHOD_NONE:
            return .authentication(text)
        case LIBSSH2_ERROR_TIMEOUT, LIBSSH2_ERROR_SOCKET_TIMEOUT:
            return .timeout(text)
        case LIBSSH2_ERROR_BANNER_RECV, LIBSSH2_ERROR_BANNER_SEND, LIBSSH2_ERROR_INVALID_MAC,
            LIBSSH2_ERROR_KEX_FAILURE, LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE, LIBSSH2_ERROR_HOSTKEY_INIT,
            LIBSSH2_ERROR_HOSTKEY_SIGN, LIBSSH2_ERROR_DECRYPT, LIBSSH2_ERROR_PROTO,
            LIBSSH2_ERROR_METHOD_NOT_SUPPORTED, LIBSSH2_ERROR_ENCRYPT, LIBSSH2_ERROR_COMPRESS,
            LIBSSH2_ERROR_ZLIB, LIBSSH2_ERROR_CHANNEL_OUTOFORDER, LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED,
            LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED, LIBSSH2_ERROR_OUT_OF_BOUNDARY:
            return .protocolError(text)
        default:
            return .driverError(text)
        }
    }

    // MARK: - Exclusive use

    /// Claims the session for one operation that waits on the socket; `false` if one is running.
    func claim() -> Bool {
        state.withLock { state in
            if state.busy { return false }
            state.busy = true
            return true
        }
    }

    func release() {
        state.withLock { $0.busy = false }
    }

    /// Runs a short C call only when no operation holds the session (for keepalives), without
    /// claiming it: an execution starting at the same moment is never refused because of it.
    ///
    /// - Returns: `nil` when an operation is running or the session is freed.
    func withRawIfIdle<T>(_ body: (OpaquePointer) -> T) -> T? {
        state.withLock { state -> T? in
            state.freed || state.busy ? nil : body(raw)
        }
    }

    /// Runs `body` as the session's only operation; a second concurrent one is a `driver_error`.
    func exclusive<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        guard claim() else {
            throw NetPulseError.driverError("\(what): the session to \(peer) is already in use by another task")
        }
        defer { release() }
        return try await body()
    }

    // MARK: - Keyboard-interactive context

    /// Sets (or clears, with `nil`) the password the keyboard-interactive callback answers with.
    /// The bytes live in `storage`, which the caller keeps alive until it clears them.
    func setKeyboardInteractivePassword(_ storage: UnsafeMutableBufferPointer<CChar>?) {
        state.withLock { _ in
            context.pointee.kbdint_password = storage.map { UnsafePointer($0.baseAddress!) }
            context.pointee.kbdint_password_length = storage.map { $0.count - 1 } ?? 0
        }
    }

    // MARK: - Ending

    /// Says goodbye to the server if it can before `deadline`, then frees the session and closes the
    /// socket. Never throws; safe to call more than once.
    func shutdown(deadline: ContinuousClock.Instant) async {
        let usable = state.withLock { !$0.freed && $0.failure == nil }
        if usable {
            _ = try? await call("disconnect from \(peer)", deadline: deadline) { Int(np_ssh2_session_disconnect($0)) }
        }
        freeNow()
    }

    /// Frees the C session and closes the socket, once. The socket is shut down first: any send
    /// libssh2 still tries then fails at once instead of saying EAGAIN, so its free completes in one
    /// call. The loop forgets the descriptor before it is closed.
    private func freeNow() {
        let didFree = state.withLock { state -> Bool in
            guard !state.freed else { return false }
            _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
            var attempts = 0
            while libssh2_session_free(raw) == LIBSSH2_ERROR_EAGAIN && attempts < 8 { attempts += 1 }
            state.freed = true
            return true
        }
        if didFree {
            loop.forget(fd: fd)
            Glibc.close(fd)
        }
    }

    /// Whether the session was freed.
    var isFreed: Bool { state.withLock { $0.freed } }
}
