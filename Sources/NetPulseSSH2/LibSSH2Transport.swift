internal import CLibSSH2
import Glibc
import NetPulseSSHCore

// The one seam between NetPulseSSH2 and libssh2: every C call of the module is in this file. A
// transport is owned by one SSHSession actor, so no two C calls on one libssh2 session ever run at once.

extension LibSSH2Driver {
    /// The version of the libssh2 library linked at run time, e.g. `"1.10.0"`.
    public static var libraryVersion: String { libssh2_version(0).map { String(cString: $0) } ?? "unknown" }
}

/// libssh2 1.10 in non-blocking mode as an ``SSHTransport``.
///
/// Sends go through a callback of the shim (`np_ssh2_send`) that takes every packet whole and keeps
/// what the kernel did not accept: libssh2 never sees a half-sent packet, which it could only finish by
/// being called again with the same data.
final class LibSSH2Transport: SSHTransport {
    typealias Channel = LibSSH2Channel

    static let driverName = "libssh2"

    /// libssh2 1.10 (OpenSSL): no rsa-sha2 host keys, no chacha20-poly1305, no AES-GCM, no ETM MACs.
    static let supportedAlgorithms = SSHAlgorithms(
        keyExchange: [
            "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
            "ecdh-sha2-nistp521", "diffie-hellman-group18-sha512", "diffie-hellman-group16-sha512",
            "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256",
            "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1", "diffie-hellman-group1-sha1",
        ],
        hostKeys: [
            "ssh-ed25519", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256", "ssh-rsa", "ssh-dss",
        ],
        ciphers: ["aes256-ctr", "aes192-ctr", "aes128-ctr", "aes256-cbc", "aes192-cbc", "aes128-cbc", "3des-cbc"],
        macs: ["hmac-sha2-256", "hmac-sha2-512", "hmac-sha1"]
    )

    static func advice(forUnsupported offer: SSHAlgorithms) -> String? {
        let libssh = SSHAlgorithms.modern.followed(by: .legacy)
        let reachable = zip(offer.categories, libssh.categories).allSatisfy { theirs, known in
            theirs.list.contains(where: known.list.contains)
        }
        guard reachable else { return nil }
        return "libssh2 1.10 lacks what the device needs (rsa-sha2-256/512 host keys, AES-GCM, chacha20-poly1305); "
            + "the libssh driver has them: use \"driver\": \"libssh\" (netmiko and paramiko payloads run on it)"
    }

    /// `libssh2_init` is not thread-safe; Swift runs a global's initializer exactly once.
    private static let initialized: Bool = libssh2_init(0) == 0

    private let raw: OpaquePointer
    private let context: UnsafeMutablePointer<np_ssh2_context>
    private var fd: Int32 = -1
    private var closed = false
    private let settings: SSHTransportSettings
    /// The keyboard-interactive password while an attempt is in progress (read by the C callback).
    private var keyboardPassword: UnsafeMutableBufferPointer<CChar>?
    /// Channels closed without waiting for the server's CLOSE; freed once it came, or with the session.
    private var lingering: [OpaquePointer] = []

    init(settings: SSHTransportSettings) throws(NetPulseError) {
        precondition(Self.initialized, "libssh2_init failed")
        self.settings = settings
        context = .allocate(capacity: 1)
        context.initialize(
            to: np_ssh2_context(
                kbdint_password: nil, kbdint_password_length: 0, kbdint_prompts_answered: 0, pending: nil,
                pending_length: 0, pending_capacity: 0, closed: 0, simulate_full: 0))
        guard let raw = np_ssh2_session_init(context) else {
            context.deallocate()
            throw NetPulseError.driverError("libssh2_session_init failed (out of memory)")
        }
        self.raw = raw
        libssh2_session_set_blocking(raw, 0)
        // keepalive@libssh2.org with a reply wanted, sent at most once a second when asked.
        libssh2_keepalive_config(raw, 1, 1)
        let algorithms = settings.algorithms
        let preferences: [(Int32, [String])] = [
            (LIBSSH2_METHOD_KEX, algorithms.keyExchange), (LIBSSH2_METHOD_HOSTKEY, algorithms.hostKeys),
            (LIBSSH2_METHOD_CRYPT_CS, algorithms.ciphers), (LIBSSH2_METHOD_CRYPT_SC, algorithms.ciphers),
            (LIBSSH2_METHOD_MAC_CS, algorithms.macs), (LIBSSH2_METHOD_MAC_SC, algorithms.macs),
        ]
        for (method, list) in preferences
        where libssh2_session_method_pref(raw, method, list.joined(separator: ",")) != 0 {
            close()
            throw NetPulseError.driverError("libssh2 supports none of the algorithms '\(list.joined(separator: ","))'")
        }
    }

    deinit {
        close()
        np_ssh2_context_free(context)
        context.deallocate()
    }

    /// For tests: the kernel takes no byte, as when the peer stops reading.
    var simulatesFullSocket: Bool {
        get { context.pointee.simulate_full != 0 }
        set { context.pointee.simulate_full = newValue ? 1 : 0 }
    }

    /// Bytes taken from libssh2 that the kernel has not accepted yet (for tests).
    var pendingOutputBytes: Int { context.pointee.pending_length }

    // MARK: Return codes

    /// Sends what the shim holds, then runs one C call: EAGAIN is "would block", any other negative
    /// code a typed error (``mapError(_:what:)``).
    private func call(_ what: @autoclosure () -> String, _ body: () -> Int) throws(NetPulseError) -> IOResult<Int> {
        guard !closed else {
            throw NetPulseError.connectionLost("\(what()) with \(settings.peer): the session is closed")
        }
        if np_ssh2_flush_pending(context, fd) < 0 {
            throw NetPulseError.connectionLost("\(what()) with \(settings.peer): the connection failed")
        }
        let code = body()
        if code >= 0 { return .processed(code) }
        if code == Int(LIBSSH2_ERROR_EAGAIN) { return .wouldBlock }
        throw mapError(code, what: what())
    }

    private var lastErrorMessage: String {
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        _ = libssh2_session_last_error(raw, &message, &length, 0)
        return message.map { String(cString: $0) } ?? "unknown error"
    }

    /// Maps a libssh2 status to a NetPulse error kind; the one place that classifies C failures.
    private func mapError(_ code: Int, what: String) -> NetPulseError {
        let text = "\(what) with \(settings.peer): \(lastErrorMessage) (libssh2 error \(code))"
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

    // MARK: Socket

    func attach(socket: Int32) throws(NetPulseError) { fd = socket }

    var socket: Int32? { closed || fd < 0 ? nil : fd }

    var interest: ReadinessLoop.Interest {
        let directions = closed ? 0 : libssh2_session_block_directions(raw)
        var interest: ReadinessLoop.Interest = []
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { interest.insert(.read) }
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 || context.pointee.pending_length > 0 {
            interest.insert(.write)
        }
        return interest.isEmpty ? .read : interest
    }

    var recheckInterval: Duration? { nil }

    // MARK: Handshake and authentication

    func handshake() throws(NetPulseError) -> IOResult<Void> {
        try call("SSH handshake", { Int(libssh2_session_handshake(raw, fd)) }).map { _ in () }
    }

    func serverHostKey() throws(NetPulseError) -> SSHHostKey {
        var length = 0
        var type: Int32 = 0
        guard let pointer = libssh2_session_hostkey(raw, &length, &type), length > 0 else {
            throw NetPulseError.protocolError("no host key from \(settings.peer) after the key exchange")
        }
        return try SSHHostKey(blob: Array(UnsafeRawBufferPointer(start: pointer, count: length)))
    }

    func authenticationMethods() throws(NetPulseError) -> IOResult<[String]?> {
        var methods: [String]?
        let result = try call("asking for the authentication methods") {
            let user = settings.username
            if let list = libssh2_userauth_list(raw, user, UInt32(clamping: user.utf8.count)) {
                methods = String(cString: list).split(separator: ",").map(String.init)
                return 0
            }
            // NULL with no error: the server let the user in with "none".
            if libssh2_userauth_authenticated(raw) != 0 { return 0 }
            return Int(libssh2_session_last_errno(raw))
        }
        return result.map { _ in methods }
    }

    func authenticate(_ attempt: SSHCredentialAttempt) throws(NetPulseError) -> IOResult<Bool> {
        let user = settings.username
        let code: Int
        switch attempt {
        case .password(let secret):
            code = Int(np_ssh2_userauth_password(raw, user, secret.revealed))
        case .keyboardInteractive(let secret):
            if keyboardPassword == nil {
                // The C callback reads the password from the session's context; the copy is wiped after.
                let bytes = Array(secret.revealed.utf8CString)
                let storage = UnsafeMutableBufferPointer<CChar>.allocate(capacity: bytes.count)
                _ = storage.initialize(from: bytes)
                keyboardPassword = storage
                context.pointee.kbdint_password = UnsafePointer(storage.baseAddress)
                context.pointee.kbdint_password_length = bytes.count - 1
            }
            code = Int(np_ssh2_userauth_kbdint(raw, user))
        case .privateKey(let key, let passphrase, let path):
            let text = key.revealed
            // Given the public key, libssh2 parses the private key once (to sign) instead of twice; an
            // encrypted key gets none, so that a wrong passphrase still fails as it did, at the first parse.
            let publicKey = OpenSSHKeyFile.publicKeyLine(ofUnencrypted: text)
            code = Int(
                np_ssh2_userauth_publickey_memory(
                    raw, user, publicKey, publicKey?.utf8.count ?? 0, text, text.utf8.count, passphrase?.revealed))
            if code == Int(LIBSSH2_ERROR_FILE) || code == Int(LIBSSH2_ERROR_METHOD_NOT_SUPPORTED) {
                throw NetPulseError.authentication(
                    "cannot load private key \(path): wrong passphrase or unsupported key format")
            }
        }
        if code == Int(LIBSSH2_ERROR_EAGAIN) { return .wouldBlock }
        clearKeyboardPassword()
        if code == 0 { return .processed(true) }
        if code == Int(LIBSSH2_ERROR_AUTHENTICATION_FAILED) || code == Int(LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
            return .processed(false)
        }
        throw mapError(code, what: "\(attempt.method) authentication")
    }

    private func clearKeyboardPassword() {
        guard let storage = keyboardPassword else { return }
        context.pointee.kbdint_password = nil
        context.pointee.kbdint_password_length = 0
        storage.update(repeating: 0)
        storage.deallocate()
        keyboardPassword = nil
    }

    // MARK: Channels

    /// The receive window: large enough that bulk output (a 10 MB `show`) is not throttled by window
    /// adjustments.
    static let window: UInt32 = 4 * 1024 * 1024

    func openChannel() throws(NetPulseError) -> IOResult<Channel> {
        freeLingering()
        var channel: OpaquePointer?
        let result = try call("opening a channel") {
            channel = np_ssh2_channel_open_session(raw, Self.window)
            return channel == nil ? Int(libssh2_session_last_errno(raw)) : 0
        }
        guard case .processed = result, let channel else { return .wouldBlock }
        return .processed(LibSSH2Channel(raw: channel))
    }

    func openForward(host: String, port: Int) throws(NetPulseError) -> IOResult<Channel> {
        freeLingering()
        var channel: OpaquePointer?
        var code = 0
        let result: IOResult<Int>
        do {
            result = try call("opening a channel to \(host):\(port)") {
                channel = libssh2_channel_direct_tcpip_ex(raw, host, Int32(clamping: port), "127.0.0.1", 0)
                code = channel == nil ? Int(libssh2_session_last_errno(raw)) : 0
                return code
            }
        } catch  where code == Int(LIBSSH2_ERROR_CHANNEL_FAILURE) {
            // The server refused the channel: it could not connect to host:port.
            throw NetPulseError.connectionRefused(error.message)
        }
        guard case .processed = result, let channel else { return .wouldBlock }
        return .processed(LibSSH2Channel(raw: channel))
    }

    private func request(_ channel: Channel, _ what: String, _ body: (OpaquePointer) -> Int32) throws(NetPulseError)
        -> IOResult<Void>
    {
        guard let handle = channel.raw else { throw NetPulseError.connectionLost("\(what): the channel is closed") }
        return try call(what, { Int(body(handle)) }).map { _ in () }
    }

    func requestPTY(_ channel: Channel, columns: Int, rows: Int) throws(NetPulseError) -> IOResult<Void> {
        try request(channel, "requesting a pty") {
            np_ssh2_channel_request_pty($0, Int32(clamping: columns), Int32(clamping: rows))
        }
    }

    func requestShell(_ channel: Channel) throws(NetPulseError) -> IOResult<Void> {
        try request(channel, "starting a shell") { np_ssh2_channel_shell($0) }
    }

    func requestExec(_ channel: Channel, command: String) throws(NetPulseError) -> IOResult<Void> {
        try request(channel, "starting '\(command)'") { np_ssh2_channel_exec($0, command) }
    }

    func read(_ channel: Channel, _ stream: SSHStream, into buffer: UnsafeMutableRawBufferPointer)
        throws(NetPulseError) -> IOResult<Int>
    {
        guard let handle = channel.raw else { throw NetPulseError.connectionLost("the channel is closed") }
        let result = try call("reading from the channel") {
            np_ssh2_channel_read(handle, stream == .standardError ? 1 : 0, buffer.baseAddress, buffer.count)
        }
        if case .processed(0) = result, libssh2_channel_eof(handle) == 0 { return .wouldBlock }
        return result
    }

    /// Any DATA or EXTENDED_DATA packet of the channel in libssh2's queue. `libssh2_channel_read` takes
    /// every packet off the socket whatever the stream asked for, and `libssh2_channel_eof` says "not yet"
    /// while such a packet waits: after stdout's data and the end of file came in with a read of stderr,
    /// that read says "would block" although nothing more will come on the socket.
    func hasBufferedOutput(_ channel: Channel) -> Bool {
        guard !closed, let handle = channel.raw else { return false }
        return libssh2_poll_channel_read(handle, 1) != 0
    }

    /// `libssh2_channel_read` reads the socket until it would block before it copies out what is queued:
    /// with no DATA or EXTENDED_DATA packet of the channel left in the queue and no end of file, the
    /// next bytes can only come from the socket.
    func readTookEverything(_ channel: Channel, count: Int, capacity: Int) -> Bool {
        guard !closed, let handle = channel.raw else { return false }
        return libssh2_poll_channel_read(handle, 1) == 0 && libssh2_channel_eof(handle) == 0
    }

    func write(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) throws(NetPulseError) -> IOResult<Int> {
        guard let handle = channel.raw else { throw NetPulseError.connectionLost("the channel is closed") }
        let result = try call("writing to the channel") {
            np_ssh2_channel_write(handle, bytes.baseAddress, bytes.count)
        }
        if case .processed(0) = result { return .wouldBlock }
        return result
    }

    func exitState(_ channel: Channel) throws(NetPulseError) -> IOResult<SSHExitState> {
        guard let handle = channel.raw else { return .processed(.unknown) }
        // After end of file, the server's exit-status comes before its CLOSE: wait for the CLOSE (without
        // sending ours), then read both.
        guard case .processed = try call("waiting for the exit status", { Int(libssh2_channel_wait_closed(handle)) })
        else { return .wouldBlock }
        if let signal = np_ssh2_channel_exit_signal(handle) {
            let name = String(cString: signal)
            np_ssh2_free(raw, signal)
            return .processed(.signalled(name))
        }
        return .processed(.exited(Int(libssh2_channel_get_exit_status(handle))))
    }

    func release(_ channel: Channel) {
        guard let handle = channel.raw else { return }
        channel.raw = nil
        guard !closed else { return }  // freed with the session
        // CLOSE goes out at once (sends never wait); freeing waits only if the server has not closed yet,
        // so such a channel lingers until its CLOSE came or the session goes.
        let code = libssh2_channel_free(handle)
        if code == LIBSSH2_ERROR_EAGAIN { lingering.append(handle) }
    }

    /// One more try at freeing channels that waited for the server's CLOSE.
    private func freeLingering() {
        guard !lingering.isEmpty else { return }
        lingering.removeAll { libssh2_channel_free($0) != LIBSSH2_ERROR_EAGAIN }
    }

    // MARK: Keepalive

    func sendKeepalive() throws(NetPulseError) -> IOResult<Void> {
        var next: Int32 = 0
        return try call("sending a keepalive", { Int(libssh2_keepalive_send(raw, &next)) }).map { _ in () }
    }

    func flush() throws(NetPulseError) -> IOResult<Void> {
        let held = np_ssh2_flush_pending(context, fd)
        if held < 0 { throw NetPulseError.connectionLost("sending to \(settings.peer) failed") }
        return held == 0 ? .processed(()) : .wouldBlock
    }

    // MARK: Close

    func close() {
        guard !closed else { return }
        closed = true
        clearKeyboardPassword()
        if fd >= 0 {
            // DISCONNECT is taken whole by the send callback; one attempt to push it out, then every
            // later send fails at once and reads see end of file: freeing never waits for the server.
            _ = np_ssh2_session_disconnect(raw)
            _ = np_ssh2_flush_pending(context, fd)
            context.pointee.closed = 1
            _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        }
        context.pointee.closed = 1
        var attempts = 0
        while libssh2_session_free(raw) == LIBSSH2_ERROR_EAGAIN && attempts < 8 { attempts += 1 }
        lingering = []
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// A libssh2 channel handle, released through its transport.
final class LibSSH2Channel {
    fileprivate var raw: OpaquePointer?
    fileprivate init(raw: OpaquePointer) { self.raw = raw }
}
