internal import CLibSSH
import Glibc
import NetPulse
import NetPulseSSHCore

// The one seam between NetPulseSSH and libssh: every C call of the module is in this file.
// The handles below are not Sendable; each is owned by one `LibSSHSession` actor, so no two C calls
// on one session ever run at the same time.

/// What a libssh call returned, once SSH_AGAIN has been taken care of.
enum LibSSHStep: Equatable {
    /// The call finished with this code.
    case done(Int32)
    /// The call would block: wait for readiness and call again.
    case again
}

/// An `ssh_session` in non-blocking mode, with the socket it runs on. Freed exactly once, by
/// ``release()`` or by `deinit`.
final class LibSSHHandle {
    /// How long a wait trusts the socket alone before asking libssh again (see ``waitReady(_:deadline:isolation:)``).
    static let recheckInterval: Duration = .milliseconds(250)

    private var raw: ssh_session?
    /// The connected socket; owned by this handle from ``attach(fd:)`` on, closed by ``release()``.
    private(set) var fd: Int32 = -1
    let loop: ReadinessLoop
    /// Where the target's host and port are, for messages.
    let peer: String

    init(peer: String, loop: ReadinessLoop) throws(NetPulseError) {
        guard let session = ssh_new() else { throw NetPulseError.driverError("ssh_new failed (out of memory)") }
        raw = session
        self.peer = peer
        self.loop = loop
        ssh_set_blocking(session, 0)
    }

    deinit { release() }

    private var session: ssh_session {
        guard let raw else { preconditionFailure("libssh session used after release") }
        return raw
    }

    var isReleased: Bool { raw == nil }

    // MARK: Return codes

    /// The one return-code helper: `SSH_OK` (or any non-negative code) is done, `SSH_AGAIN` (or the
    /// call's own "again" code) means wait for readiness, `SSH_ERROR` becomes a typed error.
    func check(_ code: Int32, again: Int32 = SSH_AGAIN, _ what: String, kind: NetPulseError.Kind) throws(NetPulseError)
        -> LibSSHStep
    {
        if code == again { return .again }
        if code == SSH_EOF { throw NetPulseError.connectionLost("\(what): the channel reached end of file") }
        if code == SSH_ERROR { throw error(what, kind: kind) }
        return .done(code)
    }

    /// The session's last error as a `NetPulseError`, classified by what libssh says.
    func error(_ what: String, kind: NetPulseError.Kind) -> NetPulseError {
        let text = raw.map { String(cString: ssh_get_error(UnsafeMutableRawPointer($0))) } ?? "session released"
        let lower = text.lowercased()
        let classified: NetPulseError.Kind
        if lower.contains("no match for method") || lower.contains("kex error") || lower.contains("no common") {
            classified = .protocolError
        } else if lower.contains("socket error") || lower.contains("connection closed")
            || lower.contains("disconnected") || lower.contains("socket exception") || lower.contains("eof")
        {
            classified = kind == .protocolError || kind == .authentication ? .connectionLost : kind
        } else {
            classified = kind
        }
        let detail = text.isEmpty ? "" : ": \(text)"
        return NetPulseError(classified, "\(what) with \(peer) failed\(detail)")
    }

    // MARK: Waiting

    /// Waits until the socket is ready for what libssh is waiting for (`ssh_get_poll_flags`): reading
    /// always, writing too when it has output pending.
    ///
    /// - Throws: `timeout` when `deadline` passes, naming `what`; `CancellationError`.
    func waitReady(
        _ what: String,
        deadline: ContinuousClock.Instant,
        isolation: isolated (any Actor)? = #isolation
    ) async throws {
        // libssh closes the socket itself when it fails on it: never wait on a number that may be reused.
        guard ssh_get_fd(session) == fd else {
            throw NetPulseError.connectionLost("\(what) with \(peer): the connection was closed")
        }
        var interest: ReadinessLoop.Interest = .read
        // Both probes: the poll flags say what libssh's last call wanted; the status says whether its
        // output buffer still holds bytes (a window adjust the server may be waiting for).
        if ssh_get_poll_flags(session) & SSH_WRITE_PENDING != 0 || ssh_get_status(session) & SSH_WRITE_PENDING != 0 {
            interest.insert(.write)
        }
        // Acknowledge at once what arrives during this wait: OpenSSH's sshd leaves Nagle on for sessions
        // without a pty, so its second small packet in a row waits for our ACK, which Linux delays by
        // ~40 ms. TCP_QUICKACK is not sticky: it is set before each wait (as the libssh2 driver does).
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), Int32(TCP_QUICKACK), &one, socklen_t(MemoryLayout<Int32>.size))
        // libssh can hold complete packets in its own input buffer after draining the socket, and then
        // the socket stays quiet although a read would succeed (seen as rare 30 s stalls on long exec
        // outputs). So the wait is cut into slices: after each quiet slice the caller asks libssh again,
        // and only the real deadline is a timeout.
        let slice = min(deadline, ContinuousClock.now + Self.recheckInterval)
        let readiness: ReadinessLoop.Readiness
        do {
            readiness = try await loop.wait(fd: fd, for: interest, deadline: slice)
        } catch is ReadinessLoop.Failure {
            throw NetPulseError.connectionLost("\(what) with \(peer): the socket is gone")
        }
        if readiness == .timedOut && slice >= deadline {
            throw NetPulseError.timeout("\(what) with \(peer) did not complete in time")
        }
    }

    /// Calls `call` until it stops saying "again", waiting for readiness in between.
    @discardableResult
    func drive(
        _ what: String,
        kind: NetPulseError.Kind,
        again: Int32 = SSH_AGAIN,
        deadline: ContinuousClock.Instant,
        isolation: isolated (any Actor)? = #isolation,
        _ call: (ssh_session) -> Int32
    ) async throws -> Int32 {
        while true {
            switch try check(call(session), again: again, what, kind: kind) {
            case .done(let code): return code
            case .again: try await waitReady(what, deadline: deadline)
            }
        }
    }

    // MARK: Options

    func setOption(_ option: ssh_options_e, string value: String, _ field: String) throws(NetPulseError) {
        if ssh_options_set(session, option, value) != SSH_OK {
            throw NetPulseError(.invalidRequest, "libssh rejected \(field) '\(value)': \(errorText)")
        }
    }

    func setOption(_ option: ssh_options_e, int value: Int32, _ field: String) throws(NetPulseError) {
        var value = value
        if ssh_options_set(session, option, &value) != SSH_OK {
            throw NetPulseError(.invalidRequest, "libssh rejected \(field): \(errorText)")
        }
    }

    private var errorText: String { String(cString: ssh_get_error(UnsafeMutableRawPointer(session))) }

    /// Configures the session before it connects.
    func configure(host: String, port: Int, username: String, legacyAlgorithms: Bool) throws(NetPulseError) {
        // The host and port name the device in known_hosts; the socket is ours (SSH_OPTIONS_FD).
        try setOption(SSH_OPTIONS_HOST, string: host, "host")
        try setOption(SSH_OPTIONS_PORT, int: Int32(port), "port")
        try setOption(SSH_OPTIONS_USER, string: username, "username")
        // Do not read ~/.ssh/config: the request says everything.
        try setOption(SSH_OPTIONS_PROCESS_CONFIG, int: 0, "process_config")
        // Without it each login stalls on Nagle / delayed ACK (~40 ms per round trip).
        try setOption(SSH_OPTIONS_NODELAY, int: 1, "nodelay")
        if legacyAlgorithms {
            try setOption(SSH_OPTIONS_KEY_EXCHANGE, string: LibSSHAlgorithms.legacyKeyExchange, "key_exchange")
            try setOption(SSH_OPTIONS_HOSTKEYS, string: LibSSHAlgorithms.legacyHostKeys, "host_keys")
            try setOption(SSH_OPTIONS_CIPHERS_C_S, string: LibSSHAlgorithms.legacyCiphers, "ciphers")
            try setOption(SSH_OPTIONS_CIPHERS_S_C, string: LibSSHAlgorithms.legacyCiphers, "ciphers")
            try setOption(SSH_OPTIONS_HMAC_C_S, string: LibSSHAlgorithms.legacyMACs, "macs")
            try setOption(SSH_OPTIONS_HMAC_S_C, string: LibSSHAlgorithms.legacyMACs, "macs")
            try setOption(
                SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES, string: LibSSHAlgorithms.legacyHostKeys, "publickey_types")
        }
    }

    /// Hands the connected socket to libssh; this handle closes it in ``release()``.
    func attach(fd: Int32) throws(NetPulseError) {
        self.fd = fd  // owned from now on, even if libssh refuses it
        var socket = fd
        if ssh_options_set(session, SSH_OPTIONS_FD, &socket) != SSH_OK {
            throw NetPulseError.driverError("libssh rejected the socket: \(errorText)")
        }
    }

    func setKnownHostsFile(_ path: String) throws(NetPulseError) {
        try setOption(SSH_OPTIONS_KNOWNHOSTS, string: path, "known_hosts_file")
        // Only the file the policy names counts: no system-wide file behind the caller's back.
        try setOption(SSH_OPTIONS_GLOBAL_KNOWNHOSTS, string: "/dev/null", "global_known_hosts_file")
    }

    // MARK: Handshake

    /// Whether `ssh_connect` has taken the socket (from then on libssh may close it on failure).
    private var connectStarted = false

    func connect(deadline: ContinuousClock.Instant, isolation: isolated (any Actor)? = #isolation) async throws {
        connectStarted = true
        do {
            try await drive("SSH handshake", kind: .protocolError, deadline: deadline) { ssh_connect($0) }
        } catch let error as NetPulseError where error.kind == .connectionLost {
            // A server that finds no common algorithm may close before libssh notices the mismatch
            // itself: during the key exchange a closed connection is the server refusing the handshake.
            throw NetPulseError.protocolError(
                "\(error.message) (the server closed the connection during the key exchange; no common algorithm?)")
        }
    }

    /// What the known-hosts file says of the server's key.
    enum HostKeyState {
        case known
        case changed
        /// Not in the file (or the file does not exist yet).
        case unknown
        case failed(String)
    }

    func hostKeyState() -> HostKeyState {
        switch ssh_session_is_known_server(session) {
        case SSH_KNOWN_HOSTS_OK: .known
        case SSH_KNOWN_HOSTS_CHANGED, SSH_KNOWN_HOSTS_OTHER: .changed
        case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND: .unknown
        default: .failed(errorText)
        }
    }

    /// Appends the server's key to the known-hosts file.
    func recordHostKey() throws(NetPulseError) {
        if ssh_session_update_known_hosts(session) != SSH_OK {
            throw NetPulseError(.hostKeyUnknown, "cannot record the host key of \(peer): \(errorText)")
        }
    }

    /// The server key's SHA256 fingerprint, as OpenSSH prints it (`SHA256:...`).
    func hostKeyFingerprint() -> String {
        var key: ssh_key?
        guard ssh_get_server_publickey(session, &key) == SSH_OK, let key else { return "SHA256:(unavailable)" }
        defer { ssh_key_free(key) }
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK, hash != nil else {
            return "SHA256:(unavailable)"
        }
        defer { ssh_clean_pubkey_hash(&hash) }
        guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length) else {
            return "SHA256:(unavailable)"
        }
        defer { ssh_string_free_char(text) }
        let type = String(cString: ssh_key_type_to_char(ssh_key_type(key)))
        return "\(type) \(String(cString: text))"
    }

    /// The server key as known_hosts writes it: its type name and base64 blob.
    func hostKeyBlob() -> (type: String, base64: String)? {
        var key: ssh_key?
        guard ssh_get_server_publickey(session, &key) == SSH_OK, let key else { return nil }
        defer { ssh_key_free(key) }
        var blob: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &blob) == SSH_OK, let blob else { return nil }
        defer { ssh_string_free_char(blob) }
        return (String(cString: ssh_key_type_to_char(ssh_key_type(key))), String(cString: blob))
    }

    /// The negotiated algorithms, for logs and tests: key exchange, cipher, MAC (server to client).
    var negotiated: (kex: String, cipher: String, mac: String) {
        func text(_ pointer: UnsafePointer<CChar>?) -> String { pointer.map { String(cString: $0) } ?? "" }
        return (
            text(ssh_get_kex_algo(session)), text(ssh_get_cipher_in(session)), text(ssh_get_hmac_in(session))
        )
    }

    // MARK: Authentication

    enum AuthResult { case success, denied }

    private func authResult(_ code: Int32) -> AuthResult {
        code == Int32(SSH_AUTH_SUCCESS.rawValue) ? .success : .denied
    }

    private static let authAgain = Int32(SSH_AUTH_AGAIN.rawValue)

    func authenticatePassword(
        _ password: Secret, deadline: ContinuousClock.Instant, isolation: isolated (any Actor)? = #isolation
    ) async throws -> AuthResult {
        let code = try await drive(
            "password authentication", kind: .authentication, again: Self.authAgain,
            deadline: deadline
        ) { ssh_userauth_password($0, nil, password.revealed) }
        return authResult(code)
    }

    /// Keyboard-interactive: every prompt that asks for a password (or does not echo) gets the secret;
    /// an empty round (PAM's info messages) is answered with nothing, as OpenSSH does.
    func authenticateKeyboardInteractive(
        _ password: Secret, deadline: ContinuousClock.Instant, isolation: isolated (any Actor)? = #isolation
    ) async throws -> AuthResult {
        var rounds = 0
        while true {
            let code = try await drive(
                "keyboard-interactive authentication", kind: .authentication,
                again: Self.authAgain, deadline: deadline
            ) { ssh_userauth_kbdint($0, nil, nil) }
            guard code == Int32(SSH_AUTH_INFO.rawValue) else { return authResult(code) }
            rounds += 1
            // A server that keeps asking is not going to accept us.
            if rounds > 8 { return .denied }
            let count = ssh_userauth_kbdint_getnprompts(session)
            for index in 0..<max(0, count) {
                var echo: CChar = 0
                let prompt = ssh_userauth_kbdint_getprompt(session, UInt32(index), &echo).map { String(cString: $0) }
                let asksPassword =
                    echo == 0 || (prompt ?? "").lowercased().contains("password")
                    || (prompt ?? "").lowercased().contains("passcode")
                let answer = asksPassword ? password.revealed : ""
                if ssh_userauth_kbdint_setanswer(session, UInt32(index), answer) < 0 {
                    throw error("keyboard-interactive authentication", kind: .authentication)
                }
            }
        }
    }

    /// Public key from a file; a wrong passphrase or unreadable key is an `authentication` error
    /// naming the file (never the passphrase).
    func authenticatePublicKey(
        path: String, passphrase: Secret?, deadline: ContinuousClock.Instant,
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> AuthResult {
        var key: ssh_key?
        let imported = ssh_pki_import_privkey_file(path, passphrase?.revealed, nil, nil, &key)
        guard imported == SSH_OK, let key else {
            let readable = access(path, R_OK) == 0
            throw NetPulseError.authentication(
                readable
                    ? "cannot load private key \(path): wrong passphrase or unsupported key format"
                    : "cannot read private key file \(path)")
        }
        defer { ssh_key_free(key) }
        let code = try await drive(
            "public key authentication", kind: .authentication, again: Self.authAgain,
            deadline: deadline
        ) { ssh_userauth_publickey($0, nil, key) }
        return authResult(code)
    }

    // MARK: Liveness

    var isConnected: Bool { raw.map { ssh_is_connected($0) == 1 } ?? false }

    /// Sends an OpenSSH keepalive (a global request the server answers); the answer is read by the next
    /// call that processes packets.
    func sendKeepalive() -> Bool {
        guard let raw, ssh_is_connected(raw) == 1 else { return false }
        _ = ssh_send_keepalive(raw)
        return ssh_is_connected(raw) == 1
    }

    // MARK: Channels

    func newChannel() throws(NetPulseError) -> LibSSHChannel {
        guard let channel = ssh_channel_new(session) else { throw error("opening a channel", kind: .connectionLost) }
        return LibSSHChannel(raw: channel, owner: self)
    }

    // MARK: Release

    /// Frees the session and closes its socket, once.
    ///
    /// Who closes the socket (measured with libssh 0.10.6): libssh never closes a socket given with
    /// `SSH_OPTIONS_FD` in `ssh_disconnect`/`ssh_free`, but it does close it by itself when it fails on it
    /// (read error, end of file, failed key exchange); `ssh_get_fd` is then -1. So the socket is closed
    /// here exactly when libssh still holds it (or never took it), and the readiness loop forgets it first.
    func release() {
        guard let raw else { return }
        self.raw = nil
        let ours = fd >= 0 && (!connectStarted || ssh_get_fd(raw) == fd)
        if ours { loop.forget(fd: fd) }
        ssh_disconnect(raw)
        ssh_free(raw)
        if ours { Glibc.close(fd) }
        fd = -1
    }
}

/// An `ssh_channel`, freed exactly once (before its session: ``LibSSHSession`` releases channels first).
final class LibSSHChannel {
    private var raw: ssh_channel?
    let owner: LibSSHHandle

    init(raw: ssh_channel, owner: LibSSHHandle) {
        self.raw = raw
        self.owner = owner
    }

    deinit { release() }

    private var channel: ssh_channel {
        guard let raw else { preconditionFailure("libssh channel used after release") }
        return raw
    }

    private func drive(
        _ what: String, kind: NetPulseError.Kind, deadline: ContinuousClock.Instant,
        isolation: isolated (any Actor)? = #isolation, _ call: (ssh_channel) -> Int32
    ) async throws {
        let channel = channel
        try await owner.drive(what, kind: kind, deadline: deadline) { _ in call(channel) }
    }

    func openSession(deadline: ContinuousClock.Instant, isolation: isolated (any Actor)? = #isolation) async throws {
        try await drive("opening a session channel", kind: .connectionLost, deadline: deadline) {
            ssh_channel_open_session($0)
        }
    }

    func requestPTY(
        columns: Int, rows: Int, deadline: ContinuousClock.Instant, isolation: isolated (any Actor)? = #isolation
    ) async throws {
        try await drive("requesting a pty", kind: .protocolError, deadline: deadline) {
            ssh_channel_request_pty_size($0, "vt100", Int32(columns), Int32(rows))
        }
    }

    func requestShell(deadline: ContinuousClock.Instant, isolation: isolated (any Actor)? = #isolation) async throws {
        try await drive("starting a shell", kind: .protocolError, deadline: deadline) {
            ssh_channel_request_shell($0)
        }
    }

    func requestExec(
        _ command: String, deadline: ContinuousClock.Instant, isolation: isolated (any Actor)? = #isolation
    ) async throws {
        try await drive("starting a command", kind: .protocolError, deadline: deadline) {
            ssh_channel_request_exec($0, command)
        }
    }

    /// What a non-blocking read found.
    enum ReadResult: Equatable {
        case data(Int)
        case nothing
        case endOfFile
    }

    /// Reads what is buffered or on the socket, without waiting.
    func read(into buffer: UnsafeMutableRawBufferPointer, stderr: Bool) throws(NetPulseError) -> ReadResult {
        let code = ssh_channel_read_nonblocking(
            channel, buffer.baseAddress, UInt32(buffer.count), stderr ? 1 : 0)
        if code > 0 { return .data(Int(code)) }
        if code == SSH_EOF { return .endOfFile }
        if code == SSH_ERROR || !owner.isConnected {
            throw owner.error("reading from the channel", kind: .connectionLost)
        }
        if ssh_channel_is_eof(channel) != 0 { return .endOfFile }
        if ssh_channel_is_closed(channel) != 0 {
            throw NetPulseError.connectionLost("the channel with \(owner.peer) was closed")
        }
        return .nothing
    }

    /// Writes as much of `bytes` as the channel window allows now; returns how many were taken.
    func write(_ bytes: UnsafeRawBufferPointer) throws(NetPulseError) -> Int {
        if ssh_channel_is_closed(channel) != 0 || !owner.isConnected {
            throw NetPulseError.connectionLost("the channel with \(owner.peer) is closed")
        }
        let code = ssh_channel_write(channel, bytes.baseAddress, UInt32(bytes.count))
        if code == SSH_ERROR { throw owner.error("writing to the channel", kind: .connectionLost) }
        return max(0, Int(code))
    }

    var isEOF: Bool { ssh_channel_is_eof(channel) != 0 }
    var isClosed: Bool { ssh_channel_is_closed(channel) != 0 }
    var isOpen: Bool { raw.map { ssh_channel_is_open($0) != 0 } ?? false }

    /// The exit status once the server sent it; `nil` while it has not (yet).
    func exitStatus() -> Int? {
        let status = ssh_channel_get_exit_status(channel)
        return status >= 0 ? Int(status) : nil
    }

    /// Checks for incoming data or end of file without reading: false when the channel or session died.
    func poll() -> Bool {
        guard let raw else { return false }
        let code = ssh_channel_poll(raw, 0)
        return code != SSH_ERROR && code != SSH_EOF && owner.isConnected
    }

    /// Closes (without waiting for the server's close) and frees the channel, once.
    func release() {
        guard let raw else { return }
        self.raw = nil
        if !owner.isReleased {
            if ssh_channel_is_open(raw) != 0 && owner.isConnected { _ = ssh_channel_close(raw) }
            ssh_channel_free(raw)
        }
    }
}
