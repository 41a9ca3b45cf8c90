internal import CLibSSH

#if canImport(Glibc)
    import Glibc
#endif

/// One SSH connection to a lab device: its libssh session with a poll context of its own (an
/// `ssh_event` holding only this session's socket), its channels, and its timers. Confined to the loop
/// thread.
///
/// Why a poll context per session: libssh's `ssh_handle_packets` marks the *calling* session failed
/// when the poll over its context reports an error on any socket in it. Every write, EOF and close
/// polls that context, so sessions sharing one `ssh_event` killed each other. Here a session's I/O
/// polls only its own socket; the loop's epoll says which session to poll.
final class LabSession {
    static let methods = Int32(SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE)

    let id: Int
    unowned let server: LabServer
    let device: LabServer.Device
    let session: OpaquePointer
    /// The accepted socket; libssh owns it (and closes it when the session fails or is freed).
    let fd: Int32
    private var event: OpaquePointer?
    private var serverCallbacks: UnsafeMutablePointer<ssh_server_callbacks_struct>?
    private(set) var channels: [LabChannel] = []

    let created = ContinuousClock.now
    var lastActivity = ContinuousClock.now
    private(set) var authenticated = false
    var isDirty = false
    /// Gone: freed by the loop at the end of this turn.
    var dead = false
    /// When the key exchange starts (a banner delay), if not yet.
    var kexAt: ContinuousClock.Instant?
    /// The earliest wake-up asked for.
    private(set) var wakeAt: ContinuousClock.Instant?
    /// Input seen but held back until this instant (round trip, login time); the socket is not polled
    /// for input meanwhile.
    private var heldUntil: ContinuousClock.Instant?
    private var loginDelayPending: Bool
    /// The epoll events registered for the socket now (0: not registered).
    private var interest: UInt32 = 0
    private var registered = false
    var kbdintUser = ""

    init(id: Int, server: LabServer, device: LabServer.Device, session: OpaquePointer, fd: Int32) {
        self.id = id
        self.server = server
        self.device = device
        self.session = session
        self.fd = fd
        loginDelayPending = device.plan.profile.latency.login > .zero
        let me = Unmanaged.passUnretained(self).toOpaque()
        ssh_set_blocking(session, 0)
        ssh_set_auth_methods(session, LabSession.methods)

        let callbacks = UnsafeMutablePointer<ssh_server_callbacks_struct>.allocate(capacity: 1)
        callbacks.initialize(to: ssh_server_callbacks_struct())
        callbacks.pointee.userdata = me
        callbacks.pointee.auth_password_function = { _, user, password, userdata in
            let lab = LabSession.from(userdata)
            guard let user, let password else { return SSH_AUTH_DENIED.rawValue }
            lab.lastActivity = .now
            guard
                lab.server.checkPassword(
                    user: String(cString: user), password: String(cString: password), device: lab.device)
            else { return SSH_AUTH_DENIED.rawValue }
            lab.authenticated = true
            return SSH_AUTH_SUCCESS.rawValue
        }
        callbacks.pointee.auth_pubkey_function = { _, user, key, state, userdata in
            let lab = LabSession.from(userdata)
            guard let user else { return SSH_AUTH_DENIED.rawValue }
            let signed = state == SSH_PUBLICKEY_STATE_VALID.rawValue
            guard state == SSH_PUBLICKEY_STATE_NONE.rawValue || signed else { return SSH_AUTH_DENIED.rawValue }
            guard lab.server.checkKey(user: String(cString: user), key: key, device: lab.device, signed: signed) else {
                return SSH_AUTH_DENIED.rawValue
            }
            if signed { lab.authenticated = true }
            return SSH_AUTH_SUCCESS.rawValue
        }
        callbacks.pointee.channel_open_request_session_function = { session, userdata in
            let lab = LabSession.from(userdata)
            let open = lab.channels.count { !$0.isFinished }
            guard lab.authenticated, open < lab.server.plan.maxChannelsPerSession,
                let handle = ssh_channel_new(session)
            else { return nil }
            lab.channels.append(LabChannel(session: lab, handle: handle))
            lab.server.stats.channels += 1
            return handle
        }
        serverCallbacks = callbacks
        netpulse_set_server_callbacks(session, callbacks)
        // Keyboard-interactive has no server callback in libssh 0.10: it arrives as a message.
        ssh_set_message_callback(
            session,
            { session, message, userdata in
                let lab = LabSession.from(userdata)
                guard let message, ssh_message_type(message) == SSH_REQUEST_AUTH.rawValue,
                    ssh_message_subtype(message) == Int32(SSH_AUTH_METHOD_INTERACTIVE)
                else { return 1 }
                if ssh_message_auth_kbdint_is_response(message) == 0 {
                    // The response message carries no user name: remember it from the request.
                    lab.kbdintUser = ssh_message_auth_user(message).map { String(cString: $0) } ?? ""
                    let prompt = strdup("Password: ")
                    defer { Glibc.free(prompt) }
                    var prompts: [UnsafePointer<CChar>?] = [UnsafePointer(prompt)]
                    var echo: [CChar] = [0]
                    ssh_message_auth_interactive_request(message, "", "", 1, &prompts, &echo)
                    return 0
                }
                let answer =
                    ssh_userauth_kbdint_getnanswers(session) == 1
                    ? ssh_userauth_kbdint_getanswer(session, 0).map { String(cString: $0) } : nil
                if let answer, lab.server.checkPassword(user: lab.kbdintUser, password: answer, device: lab.device) {
                    lab.authenticated = true
                    ssh_message_auth_reply_success(message, 0)
                    return 0
                }
                ssh_message_auth_set_methods(message, LabSession.methods)
                return 1
            }, me)
    }

    private static func from(_ userdata: UnsafeMutableRawPointer?) -> LabSession {
        Unmanaged<LabSession>.fromOpaque(userdata!).takeUnretainedValue()
    }

    func markDirty() { server.markDirty(self) }

    /// Asks the loop to service this session at `instant` (or earlier, if already asked).
    func wake(at instant: ContinuousClock.Instant) {
        if let wakeAt, wakeAt <= instant { return }
        wakeAt = instant
        server.schedule(self, at: instant)
    }

    /// Called by the loop when a timer of this session is due: clears the wake-up if it was this one.
    func timerFired(now: ContinuousClock.Instant) -> Bool {
        guard let wakeAt, wakeAt <= now else { return false }
        self.wakeAt = nil
        return true
    }

    /// libssh holds output it could not write yet.
    var writePending: Bool { ssh_get_status(session) & SSH_WRITE_PENDING != 0 }

    /// The socket is closed or the session failed.
    var isClosed: Bool { ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR) != 0 }

    // MARK: Loop side

    /// Starts the key exchange, gives the session its own poll context and registers its socket.
    func startKeyExchange() {
        kexAt = nil
        // The session must have begun its key exchange before ssh_event_add_session accepts it.
        let rc = ssh_handle_key_exchange(session)
        guard rc == SSH_OK || rc == SSH_AGAIN, let event = ssh_event_new() else {
            dead = true
            return
        }
        self.event = event
        guard ssh_event_add_session(event, session) == SSH_OK else {
            dead = true
            return
        }
        updateInterest()
    }

    /// The socket is ready (`events` from epoll).
    func ready(_ events: UInt32, now: ContinuousClock.Instant) {
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
            heldUntil = nil
            poll()
            return
        }
        guard heldUntil == nil else { return }
        let hold = inputDelay()
        if hold > .zero {
            heldUntil = now + hold
            wake(at: now + hold)
            updateInterest()
            return
        }
        poll()
    }

    /// How long input that arrives now waits: the round trip, plus the login time once, when the keys
    /// are in place and the client is about to authenticate.
    private func inputDelay() -> Duration {
        let latency = device.plan.profile.latency
        var delay = latency.roundTrip
        if loginDelayPending, !authenticated, ssh_get_cipher_in(session) != nil {
            loginDelayPending = false
            delay += latency.login
        }
        return delay
    }

    /// Lets libssh read and write this session's socket (its own poll context only), then services it.
    private func poll() {
        guard let event else { return }
        ssh_event_dopoll(event, 0)
        markDirty()
    }

    /// Does what callbacks recorded: starts shells and exec commands, sends output, answers and frees
    /// closed channels; then registers the socket for what the session waits for.
    func service(now: ContinuousClock.Instant) {
        if let kexAt {
            if kexAt <= now { startKeyExchange() } else { wake(at: kexAt) }
            return
        }
        if let heldUntil {
            if heldUntil <= now {
                self.heldUntil = nil
                if let event { ssh_event_dopoll(event, 0) }
            } else {
                wake(at: heldUntil)
            }
        }
        for channel in channels { channel.service(now: now) }
        if channels.contains(where: \.isFinished) {
            channels.removeAll { channel in
                guard channel.isFinished else { return false }
                channel.free()
                return true
            }
        }
        if isClosed {
            dead = true
            return
        }
        updateInterest()
    }

    /// Registers the socket for input unless input is held back, and for output while libssh holds some.
    private func updateInterest() {
        guard !dead, event != nil else { return }
        var wanted: UInt32 = 0
        if heldUntil == nil {
            wanted = EPOLLIN.rawValue
            if writePending { wanted |= EPOLLOUT.rawValue }
        }
        guard !registered || wanted != interest else { return }
        var change = epoll_event()
        change.events = wanted
        change.data.u64 = LabServer.sessionToken(id)
        if epoll_ctl(server.epoll, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &change) == 0 {
            registered = true
            interest = wanted
        } else {
            dead = true
        }
    }

    /// Drops the TCP connection without an SSH goodbye (a fault, or a reload).
    func drop() {
        let socket = ssh_get_fd(session)
        if socket >= 0 { shutdown(socket, Int32(SHUT_RDWR)) }
        dead = true
    }

    /// Frees everything in libssh. The loop calls this at top level only (never inside a callback).
    func free() {
        dead = true
        if let event {
            ssh_event_remove_session(event, session)
            ssh_event_free(event)
            self.event = nil
        }
        // Sends SSH_MSG_DISCONNECT only if the socket is still open (timeouts, stop); closes it.
        ssh_disconnect(session)
        ssh_free(session)
        // ssh_free freed the channels.
        for channel in channels { channel.detach() }
        channels = []
        serverCallbacks?.deallocate()
        serverCallbacks = nil
    }
}
