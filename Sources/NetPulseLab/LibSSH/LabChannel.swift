internal import CLibSSH

#if canImport(Glibc)
    import Glibc
#endif

/// One SSH channel of a lab session: a pty shell or one exec command, with its emulated terminal and
/// its queued output. Confined to the loop thread.
///
/// Callbacks only record what happened and mark the session dirty (they may run inside one of this
/// session's own writes); ``service(now:)``, called by the loop, does the work.
final class LabChannel {
    private enum Start {
        case shell
        case exec(String)
    }

    /// Largest chunk handed to libssh at once, and only once its previous output has left.
    static let chunk = 32 * 1024

    unowned let session: LabSession
    private(set) var handle: OpaquePointer?
    private var callbacks: UnsafeMutablePointer<ssh_channel_callbacks_struct>?
    private var terminal: (any Terminal)?
    private var pendingStart: Start?
    private var pendingInput: [UInt8] = []
    private var output: OutputQueue
    /// The client sent CLOSE.
    private var remoteClosed = false
    /// We sent CLOSE.
    private var localClosed = false
    /// A hung channel sends nothing more and ignores input.
    private var hung = false
    private var ignoreInput = false
    private var garbageMode = false
    private var midCommandFaultPending: Bool

    init(session: LabSession, handle: OpaquePointer) {
        self.session = session
        self.handle = handle
        let device = session.device
        var rate: Int?
        if case .slowOutput(let bytesPerSecond)? = device.plan.fault { rate = bytesPerSecond }
        output = OutputQueue(perLine: device.plan.profile.latency.perLine, bytesPerSecond: rate)
        midCommandFaultPending = device.plan.fault == .hangMidCommand || device.plan.fault == .dropMidOutput
        let callbacks = UnsafeMutablePointer<ssh_channel_callbacks_struct>.allocate(capacity: 1)
        callbacks.initialize(to: ssh_channel_callbacks_struct())
        callbacks.pointee.userdata = Unmanaged.passUnretained(self).toOpaque()
        callbacks.pointee.channel_data_function = { _, _, data, length, _, userdata in
            let channel = LabChannel.from(userdata)
            guard let data else { return 0 }
            channel.input(Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
            return Int32(length)
        }
        callbacks.pointee.channel_pty_request_function = { _, _, _, _, _, _, _, _ in 0 }
        callbacks.pointee.channel_pty_window_change_function = { _, _, _, _, _, _, _ in 0 }
        callbacks.pointee.channel_env_request_function = { _, _, _, _, _ in 0 }
        callbacks.pointee.channel_shell_request_function = { _, _, userdata in
            LabChannel.from(userdata).request(.shell)
        }
        callbacks.pointee.channel_exec_request_function = { _, _, command, userdata in
            guard let command else { return 1 }
            return LabChannel.from(userdata).request(.exec(String(cString: command)))
        }
        callbacks.pointee.channel_eof_function = { _, _, _ in }
        callbacks.pointee.channel_close_function = { _, _, userdata in
            let channel = LabChannel.from(userdata)
            channel.remoteClosed = true
            channel.session.markDirty()
        }
        self.callbacks = callbacks
        netpulse_set_channel_callbacks(handle, callbacks)
    }

    private static func from(_ userdata: UnsafeMutableRawPointer?) -> LabChannel {
        Unmanaged<LabChannel>.fromOpaque(userdata!).takeUnretainedValue()
    }

    /// Both sides sent CLOSE: the channel can be freed.
    var isFinished: Bool { remoteClosed && localClosed }

    /// A shell or exec request: accepted once per channel, answered by libssh after this returns;
    /// the work happens in the loop.
    private func request(_ start: Start) -> Int32 {
        guard pendingStart == nil, terminal == nil, !remoteClosed else { return 1 }
        pendingStart = start
        session.markDirty()
        return 0
    }

    private func input(_ bytes: [UInt8]) {
        session.lastActivity = .now
        guard !ignoreInput, !hung else { return }
        guard let terminal else {
            pendingInput += bytes
            return
        }
        enqueue(terminal.receive(bytes))
        session.markDirty()
    }

    /// Frees the channel in libssh (it must be finished, or the session going). Runs in the loop.
    func free() {
        if let handle { ssh_channel_free(handle) }
        detach()
    }

    /// Forgets the libssh channel, which its session frees; releases the callbacks.
    func detach() {
        handle = nil
        callbacks?.deallocate()
        callbacks = nil
    }

    // MARK: Work, done in the loop

    func service(now: ContinuousClock.Instant) {
        guard let handle else { return }
        if remoteClosed {
            // Answer the client's CLOSE (libssh does not), so its close returns at once.
            if !localClosed {
                localClosed = true
                output.removeAll()
                ssh_channel_close(handle)
                session.server.stats.closesAnswered += 1
            }
            return
        }
        if let start = pendingStart {
            pendingStart = nil
            begin(start)
        }
        pump(handle, now: now)
    }

    private var commandDelay: Duration {
        var delay = session.device.plan.profile.latency.command
        if case .latency(let perCommand, _)? = session.device.plan.fault { delay += perCommand }
        return delay
    }

    private func enqueue(_ events: [TerminalEvent]) {
        for event in events {
            switch event {
            case .echo(let bytes):
                if !garbageMode { output.append(bytes) }
            case .output(let bytes, let isCommand):
                if isCommand { session.server.stats.commands += 1 }
                let data = garbageMode ? session.server.garbage(count: bytes.count / 2) : bytes
                appendAnswer(data, isCommand: isCommand)
            case .close:
                // As sshd does on logout; without it OpenSSH's client reports 255.
                output.append(.exitStatus(0))
                output.append(.close)
            case .reload:
                output.append(.reload)
            }
        }
    }

    /// Queues an answer, cut in half and followed by a hang or a drop when the device's mid-command
    /// fault is still due and the answer has two lines or more.
    private func appendAnswer(_ data: [UInt8], isCommand: Bool, stderr: Bool = false) {
        let delay = isCommand ? commandDelay : .zero
        if isCommand, midCommandFaultPending, data.lazy.filter({ $0 == 10 }).count >= 2 {
            midCommandFaultPending = false
            output.append(Array(data.prefix(data.count / 2)), delay: delay, paced: true)
            output.append(session.device.plan.fault == .hangMidCommand ? .hang : .drop)
            return
        }
        output.append(data, stderr: stderr, delay: delay, paced: isCommand)
    }

    private func makeTerminal() -> any Terminal {
        session.device.plan.platform == .linux
            ? LinuxTerminal(device: session.device.state) : RouterTerminal(device: session.device.state)
    }

    private func begin(_ start: Start) {
        let terminal = makeTerminal()
        self.terminal = terminal
        let fault = session.device.plan.fault
        switch start {
        case .shell:
            var events = terminal.start()
            switch fault {
            case .hangBeforePrompt?:
                // The banner, then silence.
                if case .output(let bytes, _) = events.first {
                    let text = String(decoding: bytes, as: UTF8.self)
                    let prompt = terminal.prompt
                    events = [
                        .output(
                            Array(text.hasSuffix(prompt) ? String(text.dropLast(prompt.count)) : text), isCommand: false
                        )
                    ]
                }
                ignoreInput = true
                enqueue(events)
                output.append(.hang)
            case .garbage?:
                garbageMode = true
                output.append(session.server.garbage(count: 256))
            default:
                enqueue(events)
            }
            if !pendingInput.isEmpty {
                let typed = pendingInput
                pendingInput = []
                input(typed)
            }
        case .exec(let command):
            session.server.stats.commands += 1
            var result = terminal.exec(command)
            if result.status >= 1000 { result.status -= 1000 }
            if fault == .hangBeforePrompt {
                output.append(.hang)
                return
            }
            if garbageMode || fault == .garbage {
                result.stdout = session.server.garbage(count: max(64, result.stdout.count))
            }
            appendAnswer(result.stdout, isCommand: true)
            if !result.stderr.isEmpty { output.append(result.stderr, stderr: true) }
            output.append(.exitStatus(result.status))
            output.append(.close)
        }
    }

    /// Sends queued output, honouring delays, pacing, the channel window and libssh's own output
    /// buffer (nothing more is handed over until it is empty).
    private func pump(_ handle: OpaquePointer, now: ContinuousClock.Instant) {
        while !hung, !localClosed {
            let writable = !session.writePending
            let limit = writable ? min(Self.chunk, Int(ssh_channel_window_size(handle))) : 0
            switch output.next(now: now, limit: limit) {
            case .write(let bytes, let stderr):
                let written = bytes.withUnsafeBytes { buffer in
                    stderr
                        ? ssh_channel_write_stderr(handle, buffer.baseAddress, UInt32(buffer.count))
                        : ssh_channel_write(handle, buffer.baseAddress, UInt32(buffer.count))
                }
                guard written >= 0 else {
                    // The session failed (its own socket): the loop frees it.
                    output.removeAll()
                    return
                }
                output.consumed(Int(written))
                if written == 0 { return }
            case .blocked:
                // Waits for the socket (EPOLLOUT) or the client's window adjust: both poll this session.
                return
            case .exitStatus(let status):
                ssh_channel_request_send_exit_status(handle, Int32(status))
            case .close:
                ssh_channel_send_eof(handle)
                ssh_channel_close(handle)
                localClosed = true
                session.lastActivity = .now
            case .hang:
                hung = true
            case .drop:
                // Abrupt: no SSH disconnect, no channel close; the loop frees the session.
                session.drop()
                return
            case .reload:
                session.server.reload(session.device)
                return
            case .wait(let until):
                session.wake(at: until)
                return
            case .empty:
                return
            }
        }
    }
}
