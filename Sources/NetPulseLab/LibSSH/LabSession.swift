internal import CLibSSH

#if canImport(Glibc)
    import Glibc
#endif

/// One SSH connection to a lab device: its libssh session, its one channel, its emulated terminal and
/// its queue of output. Confined to the loop thread.
final class LabSession {
    private struct Item {
        enum Kind {
            case data(stderr: Bool, isCommand: Bool)
            case exitStatus(Int)
            case close
            case hang
            case drop
        }

        var kind: Kind
        var bytes: [UInt8] = []
        var offset = 0
        var delay: Duration = .zero
        var notBefore: ContinuousClock.Instant?
    }

    private enum Start {
        case shell
        case exec(String)
    }

    /// Largest chunk handed to libssh at once, and only once its previous output has left.
    static let chunk = 32 * 1024
    static let methods = Int32(SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_INTERACTIVE)

    unowned let server: LabServer
    let device: LabServer.Device
    let session: OpaquePointer
    let fd: Int32
    private var channel: OpaquePointer?
    private var serverCallbacks: UnsafeMutablePointer<ssh_server_callbacks_struct>?
    private var channelCallbacks: UnsafeMutablePointer<ssh_channel_callbacks_struct>?

    let created = ContinuousClock.now
    var lastActivity = ContinuousClock.now
    var authenticated = false
    var isDirty = false
    var dead = false
    var inEvent = false
    var kexStarted = false
    var kexAt: ContinuousClock.Instant?
    var wakeAt: ContinuousClock.Instant?
    var channelClosed = false
    var kbdintUser = ""
    private var terminal: (any Terminal)?
    private var pendingStart: Start?
    private var pendingInput: [UInt8] = []
    private var queue: [Item] = []
    private var head = 0
    /// Hung sessions send nothing more and ignore input.
    private var hung = false
    private var ignoreInput = false
    private var midCommandFaultDone = false
    private var garbageMode = false
    private var rateStart: ContinuousClock.Instant?
    private var rateSent = 0

    init(server: LabServer, device: LabServer.Device, session: OpaquePointer, fd: Int32) {
        self.server = server
        self.device = device
        self.session = session
        self.fd = fd
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
            guard lab.authenticated, lab.channel == nil, let channel = ssh_channel_new(session) else { return nil }
            lab.channel = channel
            netpulse_set_channel_callbacks(channel, lab.makeChannelCallbacks())
            return channel
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
                let user = lab.kbdintUser
                if let answer, lab.server.checkPassword(user: user, password: answer, device: lab.device) {
                    lab.authenticated = true
                    ssh_message_auth_reply_success(message, 0)
                    return 0
                }
                ssh_message_auth_set_methods(
                    message, LabSession.methods)
                return 1
            }, me)
    }

    static func from(_ userdata: UnsafeMutableRawPointer?) -> LabSession {
        Unmanaged<LabSession>.fromOpaque(userdata!).takeUnretainedValue()
    }

    private func makeChannelCallbacks() -> UnsafeMutablePointer<ssh_channel_callbacks_struct> {
        let callbacks = UnsafeMutablePointer<ssh_channel_callbacks_struct>.allocate(capacity: 1)
        callbacks.initialize(to: ssh_channel_callbacks_struct())
        callbacks.pointee.userdata = Unmanaged.passUnretained(self).toOpaque()
        callbacks.pointee.channel_data_function = { _, _, data, length, _, userdata in
            let lab = LabSession.from(userdata)
            guard let data else { return 0 }
            lab.input(Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
            return Int32(length)
        }
        callbacks.pointee.channel_pty_request_function = { _, _, _, _, _, _, _, _ in 0 }
        callbacks.pointee.channel_pty_window_change_function = { _, _, _, _, _, _, _ in 0 }
        callbacks.pointee.channel_env_request_function = { _, _, _, _, _ in 0 }
        callbacks.pointee.channel_shell_request_function = { _, _, userdata in
            let lab = LabSession.from(userdata)
            guard lab.pendingStart == nil, lab.terminal == nil else { return 1 }
            // Answered after this returns: the work happens in the loop.
            lab.pendingStart = .shell
            lab.server.markDirty(lab)
            return 0
        }
        callbacks.pointee.channel_exec_request_function = { _, _, command, userdata in
            let lab = LabSession.from(userdata)
            guard lab.pendingStart == nil, lab.terminal == nil, let command else { return 1 }
            lab.pendingStart = .exec(String(cString: command))
            lab.server.markDirty(lab)
            return 0
        }
        callbacks.pointee.channel_eof_function = { _, _, _ in }
        callbacks.pointee.channel_close_function = { _, _, userdata in
            let lab = LabSession.from(userdata)
            lab.channelClosed = true
            lab.server.markDirty(lab)
        }
        channelCallbacks = callbacks
        return callbacks
    }

    func releaseCallbacks() {
        serverCallbacks?.deallocate()
        serverCallbacks = nil
        channelCallbacks?.deallocate()
        channelCallbacks = nil
    }

    // MARK: Work, done in the loop

    private func input(_ bytes: [UInt8]) {
        lastActivity = .now
        guard !ignoreInput, !hung else { return }
        guard let terminal else {
            pendingInput += bytes
            return
        }
        enqueue(terminal.receive(bytes))
        server.markDirty(self)
    }

    private var latency: Duration {
        if case .latency(let perCommand, _)? = device.plan.fault { return perCommand }
        return .zero
    }

    /// Appends output, merged into the last queued item when nothing (delay, mid-command fault) tells
    /// them apart: each write costs a poll over the whole event inside libssh, so fewer writes matter.
    private func append(_ bytes: [UInt8], isCommand: Bool, delay: Duration) {
        let fault = device.plan.fault
        let faultPending = !midCommandFaultDone && (fault == .hangMidCommand || fault == .dropMidOutput)
        if delay == .zero, !(isCommand && faultPending), head < queue.count, let last = queue.indices.last,
            case .data(false, let lastIsCommand) = queue[last].kind, !(lastIsCommand && faultPending),
            queue[last].delay == .zero || queue[last].notBefore.map({ $0 <= .now }) == true
        {
            queue[last].bytes += bytes
            return
        }
        queue.append(Item(kind: .data(stderr: false, isCommand: isCommand), bytes: bytes, delay: delay))
    }

    private func enqueue(_ events: [TerminalEvent]) {
        for event in events {
            switch event {
            case .echo(let bytes):
                if !garbageMode { append(bytes, isCommand: false, delay: .zero) }
            case .output(let bytes, let isCommand):
                if isCommand { server.stats.commands += 1 }
                append(
                    garbageMode ? server.garbage(count: bytes.count / 2) : bytes, isCommand: isCommand,
                    delay: isCommand ? latency : .zero)
            case .close:
                // As sshd does on logout; without it OpenSSH's client reports 255.
                queue.append(Item(kind: .exitStatus(0)))
                queue.append(Item(kind: .close))
            }
        }
    }

    private func makeTerminal() -> any Terminal {
        device.plan.platform == .linux
            ? LinuxTerminal(device: device.state) : RouterTerminal(device: device.state)
    }

    func service() {
        // Not answered here: a client's CLOSE is left unanswered (libssh does not answer it). Answering
        // with ssh_channel_close from this loop made libssh clients lose other sessions at scale (see the
        // closing note); libssh2 clients then wait out their close deadline instead.
        if let start = pendingStart {
            pendingStart = nil
            begin(start)
        }
        pump()
    }

    private func begin(_ start: Start) {
        let terminal = makeTerminal()
        self.terminal = terminal
        switch start {
        case .shell:
            var events = terminal.start()
            switch device.plan.fault {
            case .hangBeforePrompt?:
                // The banner, then silence.
                if case .output(let bytes, _) = events.first {
                    let text = String(decoding: bytes, as: UTF8.self)
                    let prompt = (terminal as? RouterTerminal)?.prompt ?? (terminal as? LinuxTerminal)?.prompt ?? ""
                    events = [
                        .output(
                            Array(text.hasSuffix(prompt) ? String(text.dropLast(prompt.count)) : text), isCommand: false
                        )
                    ]
                }
                ignoreInput = true
                enqueue(events)
                queue.append(Item(kind: .hang))
            case .garbage?:
                garbageMode = true
                queue.append(Item(kind: .data(stderr: false, isCommand: false), bytes: server.garbage(count: 256)))
            default:
                enqueue(events)
            }
            if !pendingInput.isEmpty {
                let typed = pendingInput
                pendingInput = []
                input(typed)
            }
        case .exec(let command):
            server.stats.commands += 1
            var result = terminal.exec(command)
            if result.status >= 1000 { result.status -= 1000 }
            if device.plan.fault == .hangBeforePrompt {
                queue.append(Item(kind: .hang))
                return
            }
            if garbageMode || device.plan.fault == .garbage {
                result.stdout = server.garbage(count: max(64, result.stdout.count))
            }
            queue.append(Item(kind: .data(stderr: false, isCommand: true), bytes: result.stdout, delay: latency))
            queue.append(Item(kind: .data(stderr: true, isCommand: false), bytes: result.stderr))
            queue.append(Item(kind: .exitStatus(result.status)))
            queue.append(Item(kind: .close))
        }
    }

    /// Sends queued output, honouring delays, the slow-output rate, the channel window and libssh's
    /// own output buffer (nothing more is handed over until it is empty).
    private func pump() {
        while !hung, !dead, head < queue.count {
            guard let channel, !channelClosed || isClosingItem else {
                if channelClosed { queue.removeAll(); head = 0 }
                return
            }
            let now = ContinuousClock.now
            if queue[head].delay > .zero {
                if queue[head].notBefore == nil { queue[head].notBefore = now + queue[head].delay }
                if let notBefore = queue[head].notBefore, now < notBefore {
                    wakeAt = notBefore
                    return
                }
            }
            switch queue[head].kind {
            case .data(let stderr, let isCommand):
                if isCommand && !midCommandFaultDone { applyMidCommandFault() }
                if queue[head].offset >= queue[head].bytes.count {
                    advance()
                    continue
                }
                // Bytes still in libssh's output buffer (ssh_get_poll_flags would report POLLOUT interest,
                // which libssh re-arms after every send even when everything went out).
                if ssh_get_status(session) & SSH_WRITE_PENDING != 0 {
                    server.blocked.append(self)
                    return
                }
                let window = Int(ssh_channel_window_size(channel))
                guard window > 0 else {
                    server.blocked.append(self)
                    return
                }
                var count = min(queue[head].bytes.count - queue[head].offset, Self.chunk, window)
                if case .slowOutput(let rate)? = device.plan.fault {
                    let start = rateStart ?? now
                    rateStart = start
                    let elapsed = Double((now - start) / .milliseconds(1)) / 1000
                    let budget = Int(elapsed * Double(rate)) - rateSent
                    guard budget > 0 else {
                        let need = max(1, min(count, rate / 20))
                        wakeAt = now + .milliseconds(max(1, need * 1000 / rate))
                        return
                    }
                    count = min(count, budget)
                }
                let chunk = Array(queue[head].bytes[queue[head].offset..<(queue[head].offset + count)])
                let written = chunk.withUnsafeBytes { buffer in
                    stderr
                        ? ssh_channel_write_stderr(channel, buffer.baseAddress, UInt32(count))
                        : ssh_channel_write(channel, buffer.baseAddress, UInt32(count))
                }
                guard written >= 0 else {
                    dead = true
                    return
                }
                rateSent += Int(written)
                queue[head].offset += Int(written)
                if written == 0 {
                    server.blocked.append(self)
                    return
                }
            case .exitStatus(let status):
                ssh_channel_request_send_exit_status(channel, Int32(status))
                advance()
            case .close:
                ssh_channel_send_eof(channel)
                ssh_channel_close(channel)
                channelClosed = true
                lastActivity = .now
                queue.removeAll()
                head = 0
                return
            case .hang:
                hung = true
                queue.removeAll()
                head = 0
                return
            case .drop:
                // Abrupt: no SSH disconnect, no channel close; the sweep frees the session.
                shutdown(fd, Int32(SHUT_RDWR))
                dead = true
                return
            }
        }
        if head >= queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
    }

    private var isClosingItem: Bool {
        if case .close = queue[head].kind { return true }
        return false
    }

    private func advance() {
        head += 1
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
    }

    /// Hang or drop halfway through the first answer of two lines or more.
    private func applyMidCommandFault() {
        let fault = device.plan.fault
        guard fault == .hangMidCommand || fault == .dropMidOutput else { return }
        let bytes = queue[head].bytes
        guard bytes.filter({ $0 == 10 }).count >= 2 else { return }
        midCommandFaultDone = true
        queue[head].bytes = Array(bytes.prefix(bytes.count / 2))
        queue.insert(Item(kind: fault == .hangMidCommand ? .hang : .drop), at: head + 1)
    }
}
