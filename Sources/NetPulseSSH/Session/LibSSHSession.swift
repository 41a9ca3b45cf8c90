import Logging
import NetPulse
import NetPulseSSHCore

/// One SSH connection through libssh: the session, its socket, and (for device platforms) the pty
/// shell the CLI engine talks over.
///
/// An actor, so that every C call on the session happens on one executor at a time: libssh does not
/// allow one session to be used from two threads at once. Between C calls the actor awaits the readiness
/// loop, never blocking a thread.
actor LibSSHSession: DriverSession {
    private let handle: LibSSHHandle
    private let target: DeviceTarget
    private let configuration: SSHDriverConfiguration
    private let context: DriverContext
    private var shellChannel: LibSSHChannel?
    private var engine: CLIEngine?
    private var keepalive: Task<Void, Never>?
    private var closed = false

    init(target: DeviceTarget, context: DriverContext, configuration: SSHDriverConfiguration) throws(NetPulseError) {
        self.target = target
        self.context = context
        self.configuration = configuration
        let peer = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        handle = try LibSSHHandle(peer: peer, loop: configuration.loop)
    }

    private var logger: Logger { context.logger }
    private var usesExec: Bool { context.platform.name == "linux" }

    // MARK: Opening

    /// Connects, checks the host key, authenticates, and for device platforms opens the shell and starts
    /// the CLI engine. On failure the caller closes the session.
    func open() async throws {
        let deadline = ContinuousClock.now + target.connectTimeout
        try handle.configure(
            host: target.host, port: target.port, username: target.username,
            legacyAlgorithms: target.legacyAlgorithms)
        let policy = target.hostKeyPolicy ?? configuration.hostKeyPolicy
        switch policy {
        case .strict(let file?), .acceptNew(let file?): try handle.setKnownHostsFile(file)
        case .strict(nil), .acceptNew(nil), .off: break
        }
        let fd = try await TCPConnector.connect(
            host: target.host, port: target.port, deadline: deadline, loop: configuration.loop)
        // From here the handle owns the socket and closes it in release(), also when attach fails.
        try handle.attach(fd: fd)
        try await handle.connect(deadline: deadline)
        try checkHostKey(policy)
        try await authenticate(deadline: deadline)
        if !usesExec {
            try await openShell(deadline: deadline)
        }
        if let interval = target.keepaliveInterval ?? configuration.keepaliveInterval {
            startKeepalive(every: interval)
        }
    }

    private func checkHostKey(_ policy: HostKeyPolicy) throws(NetPulseError) {
        let state: LibSSHHandle.HostKeyState
        switch policy {
        case .off:
            logger.warning(
                "host key checking is off: the server's key is not verified",
                metadata: ["peer": "\(handle.peer)", "key": "\(handle.hostKeyFingerprint())"])
            return
        case .strict(let file), .acceptNew(let file):
            // libssh skips `@revoked` lines: check them first.
            let revoked = RevokedHostKeys(file: file ?? "~/.ssh/known_hosts")
            if let blob = handle.hostKeyBlob(), revoked.contains(type: blob.type, base64: blob.base64) {
                throw NetPulseError.hostKeyMismatch(
                    "the host key of \(handle.peer) (\(handle.hostKeyFingerprint())) is marked @revoked in known_hosts")
            }
            state = handle.hostKeyState()
        }
        switch (state, policy) {
        case (.known, _):
            return
        case (.changed, _):
            throw NetPulseError.hostKeyMismatch(
                "the host key of \(handle.peer) (\(handle.hostKeyFingerprint())) does not match the known_hosts entry"
            )
        case (.unknown, .acceptNew):
            try handle.recordHostKey()
            logger.notice(
                "new host key recorded", metadata: ["peer": "\(handle.peer)", "key": "\(handle.hostKeyFingerprint())"])
        case (.unknown, _):
            throw NetPulseError(
                .hostKeyUnknown,
                "the host key of \(handle.peer) (\(handle.hostKeyFingerprint())) is not in known_hosts (policy strict)")
        case (.failed(let reason), _):
            throw NetPulseError(.hostKeyUnknown, "cannot check the host key of \(handle.peer): \(reason)")
        }
    }

    private func authenticate(deadline: ContinuousClock.Instant) async throws {
        var tried: [String] = []
        for credential in target.credentials {
            tried.append(credential.description)
            let result: LibSSHHandle.AuthResult
            switch credential {
            case .password(let secret):
                result = try await handle.authenticatePassword(secret, deadline: deadline)
            case .keyboardInteractive(let secret):
                result = try await handle.authenticateKeyboardInteractive(secret, deadline: deadline)
            case .privateKey(let path, let passphrase):
                result = try await handle.authenticatePublicKey(path: path, passphrase: passphrase, deadline: deadline)
            }
            if result == .success { return }
        }
        throw NetPulseError.authentication(
            "\(target.username)@\(handle.peer) rejected every credential tried (\(tried.joined(separator: ", ")))")
    }

    private func openShell(deadline: ContinuousClock.Instant) async throws {
        let channel = try handle.newChannel()
        shellChannel = channel
        try await channel.openSession(deadline: deadline)
        try await channel.requestPTY(
            columns: configuration.terminalWidth, rows: configuration.terminalHeight, deadline: deadline)
        try await channel.requestShell(deadline: deadline)
        let engine = CLIEngine(
            channel: LibSSHShellChannel(session: self), profile: context.platform,
            enableSecret: target.enableSecret, logger: logger)
        self.engine = engine
        try await engine.start(deadline: ContinuousClock.now + target.readTimeout)
    }

    private func startKeepalive(every interval: Duration) {
        keepalive = Task { [weak self] in
            // A timer, not a wait for an event: it ends with the session (cancelled in close()).
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                guard let self, await self.sendKeepalive() else { return }
            }
        }
    }

    private func sendKeepalive() -> Bool {
        guard !closed else { return false }
        return handle.sendKeepalive()
    }

    // MARK: Shell I/O (for LibSSHShellChannel)

    private static let chunk = 32 * 1024

    func shellRead(deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        guard !closed, let channel = shellChannel else {
            throw NetPulseError.connectionLost("the session with \(handle.peer) is closed")
        }
        var buffer = [UInt8](repeating: 0, count: Self.chunk)
        while true {
            let result = try buffer.withUnsafeMutableBytes { raw throws(NetPulseError) in
                try channel.read(into: raw, stderr: false)
            }
            switch result {
            case .data(let count):
                buffer.removeSubrange(count...)
                return buffer
            case .endOfFile:
                throw NetPulseError.connectionLost("the device \(handle.peer) closed the shell")
            case .nothing:
                do {
                    try await handle.waitReady("reading the shell", deadline: deadline)
                } catch let error as NetPulseError where error.kind == .timeout {
                    return nil
                }
            }
        }
    }

    func shellWrite(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        guard !closed, let channel = shellChannel else {
            throw NetPulseError.connectionLost("the session with \(handle.peer) is closed")
        }
        var offset = 0
        while offset < bytes.count {
            let written = try bytes.withUnsafeBytes { raw throws(NetPulseError) in
                try channel.write(UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
            offset += written
            if written == 0 { try await handle.waitReady("writing to the shell", deadline: deadline) }
        }
    }

    // MARK: DriverSession

    func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        guard !closed else { throw NetPulseError.sessionUnavailable("the session with \(handle.peer) is closed") }
        if let engine { return try await engine.execute(request) }
        guard case .commands(let commands) = request.operation else {
            throw NetPulseError.unsupported(
                "platform \(context.platform.name) runs commands on exec channels; it has no configuration mode")
        }
        guard handle.isConnected else {
            throw NetPulseError.sessionUnavailable("the session with \(handle.peer) is no longer connected")
        }
        var outputs: [CommandOutput] = []
        var failures: [String] = []
        for command in commands {
            let output = try await exec(command, readTimeout: request.readTimeout)
            if output.status == .failed {
                failures.append("'\(command)' exited with \(output.exitStatus.map(String.init) ?? "no status")")
            }
            outputs.append(output)
        }
        let error = failures.isEmpty ? nil : NetPulseError.commandError(failures.joined(separator: "; "))
        return ExecutionOutcome(outputs: outputs, error: error)
    }

    /// Runs one command on its own exec channel: its output, standard error and exit status.
    private func exec(_ command: String, readTimeout: Duration) async throws -> CommandOutput {
        let channel = try handle.newChannel()
        defer { channel.release() }
        var deadline = ContinuousClock.now + readTimeout
        try await channel.openSession(deadline: deadline)
        try await channel.requestExec(command, deadline: deadline)
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: Self.chunk)
        var outEnded = false
        var errEnded = false
        while !(outEnded && errEnded) {
            var progress = false
            for isStderr in [false, true] where !(isStderr ? errEnded : outEnded) {
                let result = try buffer.withUnsafeMutableBytes { raw throws(NetPulseError) in
                    try channel.read(into: raw, stderr: isStderr)
                }
                switch result {
                case .data(let count):
                    if isStderr { stderr += buffer[..<count] } else { stdout += buffer[..<count] }
                    progress = true
                case .endOfFile:
                    if isStderr { errEnded = true } else { outEnded = true }
                case .nothing:
                    break
                }
            }
            if progress {
                deadline = ContinuousClock.now + readTimeout
            } else if !(outEnded && errEnded) {
                try await handle.waitReady("reading the output of '\(command)'", deadline: deadline)
            }
        }
        // The exit status comes with or just after end of file; a command killed by a signal has none.
        var status = channel.exitStatus()
        while status == nil && !channel.isClosed {
            try await handle.waitReady("waiting for the exit status of '\(command)'", deadline: deadline)
            status = channel.exitStatus()
        }
        return CommandOutput(
            command: command,
            output: String(decoding: stdout, as: UTF8.self),
            status: status == 0 ? .ok : .failed,
            exitStatus: status,
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    func isAlive() async -> Bool {
        guard !closed, handle.isConnected else { return false }
        if let shellChannel {
            // Send a keepalive and look at what came back: a closed or reset connection shows here.
            guard handle.sendKeepalive(), shellChannel.poll(), !shellChannel.isClosed else { return false }
            return true
        }
        // Exec sessions have no standing channel: a channel open is a full round trip to the server.
        do {
            let channel = try handle.newChannel()
            defer { channel.release() }
            try await channel.openSession(deadline: ContinuousClock.now + min(target.connectTimeout, .seconds(5)))
            return true
        } catch {
            return false
        }
    }

    func close() async {
        guard !closed else { return }
        closed = true
        keepalive?.cancel()
        keepalive = nil
        engine = nil
        shellChannel?.release()
        shellChannel = nil
        handle.release()
    }
}
