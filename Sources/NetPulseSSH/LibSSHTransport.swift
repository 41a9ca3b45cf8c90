internal import CLibSSH
import Foundation
import Glibc
import NetPulseSSHCore

// The one seam between NetPulseSSH and libssh: every C call of the module is in this file. A transport
// is owned by one SSHSession actor, so no two C calls on one libssh session ever run at once.

extension LibSSHDriver {
    /// The version of the libssh library linked at run time, e.g. `"0.10.6/openssl/zlib"`.
    public static var libraryVersion: String { String(cString: ssh_version(0)) }
}

/// libssh 0.10 in non-blocking mode as an ``SSHTransport``.
final class LibSSHTransport: SSHTransport {
    final class Channel {
        fileprivate var raw: ssh_channel?
        fileprivate init(raw: ssh_channel) { self.raw = raw }
    }

    static let driverName = "libssh"

    /// libssh 0.10.6 with OpenSSL (Debian 12): everything NetPulse offers except `ssh-dss`.
    static let supportedAlgorithms = SSHAlgorithms.modern.followed(by: .legacy).filtered { $0 != "ssh-dss" }

    static func advice(forUnsupported offer: SSHAlgorithms) -> String? { nil }

    /// libssh's global initialisation, once per process (it is not thread-safe to do it lazily).
    private static let initialized: Bool = ssh_init() == SSH_OK

    static func initializeLibrary() { _ = initialized }

    /// The user's `~/.ssh`, looked up once per process. libssh uses it for nothing here (no config, no
    /// default identities, no known_hosts of its own), but without it `ssh_connect` looks the user up
    /// (`getpwuid`: the name-service switch and /etc/passwd) on every connection.
    private static let sshDirectory = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".ssh")
        .path

    private var session: ssh_session?
    private var fd: Int32 = -1
    /// Whether `ssh_connect` has taken the socket (from then on libssh may close it on failure).
    private var connectStarted = false
    private let settings: SSHTransportSettings
    /// State kept across the calls of one step that said "again".
    private var opening: Channel?
    private var loadedKey: ssh_key?
    private var keyboardRounds = 0

    init(settings: SSHTransportSettings) throws(NetPulseError) {
        Self.initializeLibrary()
        guard let session = ssh_new() else { throw NetPulseError.driverError("ssh_new failed (out of memory)") }
        self.session = session
        self.settings = settings
        ssh_set_blocking(session, 0)
        // The host and port only name the device in messages; the socket is ours (SSH_OPTIONS_FD).
        try setOption(SSH_OPTIONS_HOST, string: settings.host, "host")
        try setOption(SSH_OPTIONS_PORT, int: Int32(clamping: settings.port), "port")
        try setOption(SSH_OPTIONS_USER, string: settings.username, "username")
        // Do not read ~/.ssh/config: the request says everything. Host keys are checked by the
        // session's store, never by libssh's own known_hosts code.
        try setOption(SSH_OPTIONS_PROCESS_CONFIG, int: 0, "process_config")
        try setOption(SSH_OPTIONS_KNOWNHOSTS, string: "/dev/null", "known_hosts")
        try setOption(SSH_OPTIONS_GLOBAL_KNOWNHOSTS, string: "/dev/null", "global_known_hosts")
        try setOption(SSH_OPTIONS_SSH_DIR, string: Self.sshDirectory, "ssh_dir")
        // Without it each login stalls on Nagle / delayed ACK (~40 ms per round trip).
        try setOption(SSH_OPTIONS_NODELAY, int: 1, "nodelay")
        let algorithms = settings.algorithms
        try setOption(SSH_OPTIONS_KEY_EXCHANGE, string: algorithms.keyExchange.joined(separator: ","), "key_exchange")
        try setOption(SSH_OPTIONS_HOSTKEYS, string: algorithms.hostKeys.joined(separator: ","), "host_keys")
        for option in [SSH_OPTIONS_CIPHERS_C_S, SSH_OPTIONS_CIPHERS_S_C] {
            try setOption(option, string: algorithms.ciphers.joined(separator: ","), "ciphers")
        }
        for option in [SSH_OPTIONS_HMAC_C_S, SSH_OPTIONS_HMAC_S_C] {
            try setOption(option, string: algorithms.macs.joined(separator: ","), "macs")
        }
        try setOption(
            SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES, string: algorithms.hostKeys.joined(separator: ","), "publickey_types")
    }

    deinit {
        if let loadedKey { ssh_key_free(loadedKey) }
        close()
    }

    private var raw: ssh_session {
        guard let session else { preconditionFailure("libssh session used after close") }
        return session
    }

    private func setOption(_ option: ssh_options_e, string value: String, _ field: String) throws(NetPulseError) {
        if ssh_options_set(raw, option, value) != SSH_OK {
            throw NetPulseError(.invalidRequest, "libssh rejected \(field) '\(value)': \(errorText)")
        }
    }

    private func setOption(_ option: ssh_options_e, int value: Int32, _ field: String) throws(NetPulseError) {
        var value = value
        if ssh_options_set(raw, option, &value) != SSH_OK {
            throw NetPulseError(.invalidRequest, "libssh rejected \(field): \(errorText)")
        }
    }

    private var errorText: String {
        session.map { String(cString: ssh_get_error(UnsafeMutableRawPointer($0))) } ?? "session closed"
    }

    // MARK: Return codes

    /// The one return-code helper: `SSH_AGAIN` (or the call's own "again" code) means wait, `SSH_ERROR`
    /// becomes a typed error classified by libssh's message, anything else is the call's result.
    private func step(_ code: Int32, again: Int32 = SSH_AGAIN, _ what: String, kind: NetPulseError.Kind)
        throws(NetPulseError) -> IOResult<Int32>
    {
        if code == again { return .wouldBlock }
        if code == SSH_EOF { throw NetPulseError.connectionLost("\(what) with \(settings.peer): end of file") }
        if code == SSH_ERROR { throw error(what, kind: kind) }
        return .processed(code)
    }

    private func error(_ what: String, kind: NetPulseError.Kind) -> NetPulseError {
        let text = errorText
        let lower = text.lowercased()
        var classified = kind
        if lower.contains("no match for method") || lower.contains("kex error") || lower.contains("no common") {
            classified = .protocolError
        } else if lower.contains("socket error") || lower.contains("connection closed")
            || lower.contains("disconnected") || lower.contains("socket exception") || lower.contains("eof")
        {
            classified = kind == .protocolError || kind == .authentication ? .connectionLost : kind
        }
        return NetPulseError(classified, "\(what) with \(settings.peer) failed\(text.isEmpty ? "" : ": \(text)")")
    }

    // MARK: Socket

    func attach(socket: Int32) throws(NetPulseError) {
        fd = socket  // owned from now on, even if libssh refuses it
        var value = socket
        if ssh_options_set(raw, SSH_OPTIONS_FD, &value) != SSH_OK {
            throw NetPulseError.driverError("libssh rejected the socket: \(errorText)")
        }
    }

    /// libssh closes the socket itself when it fails on it (read error, end of file, failed key
    /// exchange), and `ssh_get_fd` then says -1: the socket is ours only while libssh still holds it.
    var socket: Int32? {
        guard let session, fd >= 0 else { return nil }
        return !connectStarted || ssh_get_fd(session) == fd ? fd : nil
    }

    var interest: ReadinessLoop.Interest {
        guard let session else { return .read }
        // The poll flags say what libssh's last call wanted; the status says whether its output buffer
        // still holds bytes (a window adjust the server may be waiting for).
        let pending =
            ssh_get_poll_flags(session) & SSH_WRITE_PENDING != 0 || ssh_get_status(session) & SSH_WRITE_PENDING != 0
        return pending ? [.read, .write] : .read
    }

    /// libssh can hold complete packets in its own input buffer after draining the socket (seen as rare
    /// 30 s stalls on long exec outputs): waits are cut into slices and libssh is asked again after each.
    var recheckInterval: Duration? { .milliseconds(250) }

    // MARK: Handshake and authentication

    func handshake() throws(NetPulseError) -> IOResult<Void> {
        connectStarted = true
        do {
            return try step(ssh_connect(raw), "SSH handshake", kind: .protocolError).map { _ in () }
        } catch  where error.kind == .connectionLost {
            // A server that finds no common algorithm may close before libssh notices the mismatch.
            throw NetPulseError.protocolError(
                "\(error.message) (the server closed the connection during the key exchange; no common algorithm?)")
        }
    }

    func serverHostKey() throws(NetPulseError) -> SSHHostKey {
        var key: ssh_key?
        guard ssh_get_server_publickey(raw, &key) == SSH_OK, let key else {
            throw NetPulseError.protocolError("no host key from \(settings.peer) after the key exchange")
        }
        defer { ssh_key_free(key) }
        var text: UnsafeMutablePointer<CChar>?
        defer { if let text { ssh_string_free_char(text) } }
        guard ssh_pki_export_pubkey_base64(key, &text) == SSH_OK, let text,
            let blob = Data(base64Encoded: String(cString: text))
        else {
            throw NetPulseError.protocolError("cannot read the host key of \(settings.peer)")
        }
        return try SSHHostKey(blob: Array(blob))
    }

    private static let authAgain = Int32(SSH_AUTH_AGAIN.rawValue)
    private static let authSuccess = Int32(SSH_AUTH_SUCCESS.rawValue)

    func authenticationMethods() throws(NetPulseError) -> IOResult<[String]?> {
        let code = try step(ssh_userauth_none(raw, nil), again: Self.authAgain, "authentication", kind: .authentication)
        guard case .processed(let result) = code else { return .wouldBlock }
        if result == Self.authSuccess { return .processed(nil) }
        let mask = ssh_userauth_list(raw, nil)
        var methods: [String] = []
        if mask & Int32(SSH_AUTH_METHOD_PUBLICKEY) != 0 { methods.append("publickey") }
        if mask & Int32(SSH_AUTH_METHOD_PASSWORD) != 0 { methods.append("password") }
        if mask & Int32(SSH_AUTH_METHOD_INTERACTIVE) != 0 { methods.append("keyboard-interactive") }
        return .processed(methods)
    }

    func authenticate(_ attempt: SSHCredentialAttempt) throws(NetPulseError) -> IOResult<Bool> {
        let result: IOResult<Bool>
        switch attempt {
        case .password(let secret):
            result = try step(
                ssh_userauth_password(raw, nil, secret.revealed), again: Self.authAgain, "password authentication",
                kind: .authentication
            ).map { $0 == Self.authSuccess }
        case .keyboardInteractive(let secret):
            result = try keyboardInteractive(secret)
        case .privateKey(let bytes, let passphrase, let path):
            if loadedKey == nil {
                var key: ssh_key?
                // The key derivation of a passphrase-protected key runs here, once per attempt.
                guard ssh_pki_import_privkey_base64(bytes.revealed, passphrase?.revealed, nil, nil, &key) == SSH_OK,
                    let key
                else {
                    throw NetPulseError.authentication(
                        "cannot load private key \(path): wrong passphrase or unsupported key format")
                }
                loadedKey = key
            }
            result = try step(
                ssh_userauth_publickey(raw, nil, loadedKey), again: Self.authAgain, "public key authentication",
                kind: .authentication
            ).map { $0 == Self.authSuccess }
        }
        if case .processed = result {
            if let loadedKey { ssh_key_free(loadedKey) }
            loadedKey = nil
            keyboardRounds = 0
        }
        return result
    }

    /// Keyboard-interactive: each round's prompts answered by the shared rule; an empty round (PAM's
    /// information messages) answered with nothing, as OpenSSH does.
    private func keyboardInteractive(_ secret: Secret) throws(NetPulseError) -> IOResult<Bool> {
        while true {
            let code = try step(
                ssh_userauth_kbdint(raw, nil, nil), again: Self.authAgain, "keyboard-interactive authentication",
                kind: .authentication)
            guard case .processed(let result) = code else { return .wouldBlock }
            guard result == Int32(SSH_AUTH_INFO.rawValue) else { return .processed(result == Self.authSuccess) }
            keyboardRounds += 1
            if keyboardRounds > SSHCredentialAttempt.maxKeyboardInteractiveRounds { return .processed(false) }
            let count = ssh_userauth_kbdint_getnprompts(raw)
            for index in 0..<max(0, count) {
                var echo: CChar = 0
                let prompt = ssh_userauth_kbdint_getprompt(raw, UInt32(index), &echo).map { String(cString: $0) }
                let answer = SSHCredentialAttempt.answer(prompt: prompt ?? "", echoes: echo != 0, secret: secret)
                if ssh_userauth_kbdint_setanswer(raw, UInt32(index), answer) < 0 {
                    throw error("keyboard-interactive authentication", kind: .authentication)
                }
            }
        }
    }

    // MARK: Channels

    func openChannel() throws(NetPulseError) -> IOResult<Channel> {
        try open("opening a channel", kind: .connectionLost) { ssh_channel_open_session($0) }
    }

    func openForward(host: String, port: Int) throws(NetPulseError) -> IOResult<Channel> {
        try open("opening a channel to \(host):\(port)", kind: .connectionRefused) {
            ssh_channel_open_forward($0, host, Int32(clamping: port), "127.0.0.1", 0)
        }
    }

    /// A new channel opened by `call`, kept in ``opening`` while libssh says "again".
    private func open(_ what: String, kind: NetPulseError.Kind, _ call: (ssh_channel) -> Int32)
        throws(NetPulseError) -> IOResult<Channel>
    {
        if opening == nil {
            guard let raw = ssh_channel_new(raw) else { throw error(what, kind: .connectionLost) }
            opening = Channel(raw: raw)
        }
        guard let channel = opening, let handle = channel.raw else { return .wouldBlock }
        do {
            guard case .processed = try step(call(handle), what, kind: kind) else { return .wouldBlock }
        } catch {
            opening = nil
            release(channel)
            throw error
        }
        opening = nil
        return .processed(channel)
    }

    private func request(_ channel: Channel, _ what: String, _ call: (ssh_channel) -> Int32) throws(NetPulseError)
        -> IOResult<Void>
    {
        guard let handle = channel.raw else { throw NetPulseError.connectionLost("\(what): the channel is closed") }
        return try step(call(handle), what, kind: .protocolError).map { _ in () }
    }

    func requestPTY(_ channel: Channel, columns: Int, rows: Int) throws(NetPulseError) -> IOResult<Void> {
        try request(channel, "requesting a pty") {
            ssh_channel_request_pty_size($0, "vt100", Int32(clamping: columns), Int32(clamping: rows))
        }
    }

    func requestShell(_ channel: Channel) throws(NetPulseError) -> IOResult<Void> {
        try request(channel, "starting a shell") { ssh_channel_request_shell($0) }
    }

    func requestExec(_ channel: Channel, command: String) throws(NetPulseError) -> IOResult<Void> {
        try request(channel, "starting a command") { ssh_channel_request_exec($0, command) }
    }

    func read(_ channel: Channel, _ stream: SSHStream, into buffer: UnsafeMutableRawBufferPointer)
        throws(NetPulseError) -> IOResult<Int>
    {
        guard let handle = channel.raw else { throw NetPulseError.connectionLost("the channel is closed") }
        let code = ssh_channel_read_nonblocking(
            handle, buffer.baseAddress, UInt32(clamping: buffer.count), stream == .standardError ? 1 : 0)
        if code > 0 { return .processed(Int(code)) }
        if code == SSH_EOF { return .processed(0) }
        if code == SSH_ERROR || ssh_is_connected(raw) != 1 {
            throw error("reading from the channel", kind: .connectionLost)
        }
        if ssh_channel_is_eof(handle) != 0 { return .processed(0) }
        if ssh_channel_is_closed(handle) != 0 {
            throw NetPulseError.connectionLost("the channel with \(settings.peer) was closed")
        }
        return .wouldBlock
    }

    /// Bytes in the channel's stdout buffer: a non-blocking read of stderr fills both buffers, and
    /// `ssh_channel_is_eof` says "not yet" while either holds data. Only stdout's needs a look: the session
    /// reads stdout first in each pass, so data a stdout read took in for stderr is read in the same pass.
    /// (`ssh_channel_poll` on an empty buffer polls the socket once, without waiting.)
    func hasBufferedOutput(_ channel: Channel) -> Bool {
        guard let handle = channel.raw, let session, ssh_is_connected(session) == 1 else { return false }
        return ssh_channel_poll(handle, 0) > 0
    }

    /// libssh takes in every complete packet the socket gave in one pass (`ssh_socket_pollcallback` feeds
    /// them all to the packet layer), and a read returns all of stdout's buffer that fits: a read that did
    /// not fill the buffer emptied it. `ssh_channel_is_eof` says whether the end came (or stderr holds
    /// data, a shell's rare case: the socket then wakes the wait, or the recheck slice does).
    func readTookEverything(_ channel: Channel, count: Int, capacity: Int) -> Bool {
        guard count < capacity, let handle = channel.raw else { return false }
        return ssh_channel_is_eof(handle) == 0 && ssh_channel_is_open(handle) != 0
    }

    func write(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) throws(NetPulseError) -> IOResult<Int> {
        guard let handle = channel.raw, ssh_channel_is_closed(handle) == 0, ssh_is_connected(raw) == 1 else {
            throw NetPulseError.connectionLost("the channel with \(settings.peer) is closed")
        }
        let code = ssh_channel_write(handle, bytes.baseAddress, UInt32(clamping: bytes.count))
        if code == SSH_ERROR { throw error("writing to the channel", kind: .connectionLost) }
        return code > 0 ? .processed(Int(code)) : .wouldBlock
    }

    func exitState(_ channel: Channel) throws(NetPulseError) -> IOResult<SSHExitState> {
        guard let handle = channel.raw else { return .processed(.unknown) }
        let status = ssh_channel_get_exit_status(handle)
        if status >= 0 { return .processed(.exited(Int(status))) }
        if ssh_channel_is_closed(handle) != 0 { return .processed(.unknown) }
        if ssh_is_connected(raw) != 1 { throw error("waiting for the exit status", kind: .connectionLost) }
        return .wouldBlock
    }

    func release(_ channel: Channel) {
        guard let handle = channel.raw else { return }
        channel.raw = nil
        guard let session else { return }  // freed with the session
        // Sends CLOSE without waiting: libssh keeps the channel until the server's CLOSE arrives.
        if ssh_channel_is_open(handle) != 0 && ssh_is_connected(session) == 1 { _ = ssh_channel_close(handle) }
        ssh_channel_free(handle)
    }

    // MARK: Keepalive

    func sendKeepalive() throws(NetPulseError) -> IOResult<Void> {
        guard ssh_is_connected(raw) == 1 else {
            throw NetPulseError.connectionLost("the connection with \(settings.peer) is gone")
        }
        _ = ssh_send_keepalive(raw)
        return .processed(())
    }

    func flush() throws(NetPulseError) -> IOResult<Void> {
        try step(ssh_blocking_flush(raw, 0), "sending", kind: .connectionLost).map { _ in () }
    }

    // MARK: Close

    func close() {
        guard let session else { return }
        let ours = socket
        if let channel = opening {
            opening = nil
            release(channel)
        }
        self.session = nil
        // Never waits: DISCONNECT goes out with one non-blocking send (libssh leaves a socket given with
        // SSH_OPTIONS_FD open), then the socket is closed here if libssh has not closed it already.
        ssh_disconnect(session)
        ssh_free(session)
        if let ours { Glibc.close(ours) }
        fd = -1
    }
}
