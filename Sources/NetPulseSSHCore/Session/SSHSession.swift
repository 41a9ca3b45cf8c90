internal import CNetPulseSSHCore
import Glibc
import Logging
public import NetPulse
import Synchronization

/// One SSH session of either backend: the skeleton both drivers share, over the backend's
/// ``SSHTransport``.
///
/// An actor, so every call into the C library of one session runs on one executor at a time. Between
/// calls it awaits the ``ReadinessLoop`` with a deadline, never blocking a thread. It does, once for
/// both backends: the TCP connect (name resolution included, with the connect deadline and
/// cancellation), the handshake, the host-key decision (``HostKeyValidator``), the credential loop,
/// shell or exec as ``PlatformProfile/transport`` says, output collection with an overall deadline and
/// a cap for exec commands, keepalives, liveness (a real round trip) and a close that never waits for
/// the server.
public actor SSHSession<Transport: SSHTransport>: DriverSession {
    /// The library's session. Every use goes through ``transport``, which counts it.
    private let library: Transport
    /// The library, for each call the session makes on it; each use counts in ``libraryUses``, so a shell
    /// read can tell whether anything used the library since the read before it took everything it held.
    var transport: Transport {
        libraryUses &+= 1
        return library
    }
    private(set) var libraryUses: UInt64 = 0
    /// ``libraryUses`` right after a shell read that took everything the library held of the shell
    /// (``SSHTransport/readTookEverything(_:count:capacity:)``): while it has not moved, the next shell
    /// read waits for the socket before it asks the library.
    var shellReadTookEverything: UInt64?
    let target: DeviceTarget
    let context: DriverContext
    let configuration: SSHDriverConfiguration
    let settings: SSHTransportSettings
    let metrics = SSHSessionMetrics(driver: Transport.driverName)
    var logger: Logger { context.logger }
    var peer: String { settings.peer }

    var shell: Transport.Channel?
    var engine: CLIEngine?
    /// The `session_log` transcript, when the request asks for one.
    var sessionLog: SessionLog?
    private var keepalive: Task<Void, Never>?
    /// Set by ``close()``: every wait ends and no C call runs after it.
    var closing = false
    private var closed = false
    /// Set when the transport or the conversation failed: the session cannot be used again.
    var failure: NetPulseError?
    /// Operations (execute, liveness, keepalive) in progress; ``close()`` waits for them to end.
    private var active = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// A buffer for reads, reused.
    let buffer = ReadBuffer(count: 64 * 1024)
    /// Behind jump hosts: this device's use of the last bastion's session, released on close.
    var bastionLease: BastionLease?
    /// As a bastion: the connections forwarded for devices, the task copying their bytes, and the socket
    /// pair that wakes it when a forward is added.
    var forwards: [JumpForward<Transport.Channel>] = []
    var pump: Task<Void, Never>?
    var wake: (read: Int32, write: Int32) = (-1, -1)
    /// The executor of the loop thread that watches the socket, once connected.
    private nonisolated let loopExecutor = Mutex<(any TaskExecutor)?>(nil)

    /// The executor of the readiness-loop thread that watches this session's socket (`nil` before the
    /// socket is connected): the thread every operation of the session runs on. See
    /// ``DriverSession/preferredExecutor``.
    public nonisolated var preferredExecutor: (any TaskExecutor)? { loopExecutor.withLock { $0 } }

    /// Opens a session: TCP, handshake, host key, authentication, then the shell (when the platform
    /// uses one) and keepalives.
    ///
    /// - Throws: ``NetPulseError`` (`name_resolution`, `connection_refused`, `timeout`, `protocol_error`
    ///   naming what the device offered, `host_key_mismatch`, `host_key_unknown`, `authentication`, ...);
    ///   `CancellationError`.
    public static func open(
        target: DeviceTarget, context: DriverContext, configuration: SSHDriverConfiguration
    ) async throws -> SSHSession {
        let session = try SSHSession(target: target, context: context, configuration: configuration)
        do {
            try await session.start()
            return session
        } catch {
            await session.close()
            throw error
        }
    }

    init(target: DeviceTarget, context: DriverContext, configuration: SSHDriverConfiguration) throws(NetPulseError) {
        let legacy =
            configuration.allowsLegacyAlgorithms && (target.legacyAlgorithms ?? context.platform.legacyAlgorithms)
        var algorithms = SSHAlgorithms.modern
        if legacy { algorithms = algorithms.followed(by: .legacy) }
        let settings = SSHTransportSettings(
            host: target.host, port: target.port, username: target.username,
            peer: target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)",
            algorithms: algorithms.supported(by: Transport.supportedAlgorithms), legacyAlgorithms: legacy)
        self.settings = settings
        self.target = target
        self.context = context
        self.configuration = configuration
        self.library = try Transport(settings: settings)
    }

    // MARK: - Opening

    private func start() async throws {
        let started = ContinuousClock.now
        let deadline = started + target.connectTimeout
        var logPath: String?
        if let value = target.driverArgs["session_log"], value != .null {
            guard case .string(let name) = value else {
                throw NetPulseError(.invalidRequest, "session_log: must be a file name (a string)")
            }
            logPath = try SessionLog.path(
                name: name, policy: configuration.sessionLogs, host: target.host, port: target.port)
        }
        // This may run on a loop thread already (the scheduler runs a job on the one its driver names),
        // which must not block on files: a connect whose key files are in memory and that keeps no
        // transcript reads none; otherwise the files are read off the loop.
        let attempts: [Result<SSHCredentialAttempt, NetPulseError>]
        if logPath == nil, let fromMemory = Self.attemptsFromMemory(target.credentials) {
            attempts = fromMemory
        } else {
            let files = try await withTaskExecutorPreference(globalConcurrentExecutor) {
                try await Self.readFiles(for: target, sessionLog: logPath, peer: peer)
            }
            attempts = files.attempts
            sessionLog = files.sessionLog
        }
        let fd = try await connectSocket(deadline: deadline)
        // From here the transport owns the socket, also when attach fails.
        try transport.attach(socket: fd)
        try await onLoop {
            let handshakeDeadline = target.bannerTimeout.map { ContinuousClock.now + $0 } ?? deadline
            let handshake = target.bannerTimeout.map { "SSH handshake (banner_timeout \($0))" } ?? "SSH handshake"
            do {
                try await drive(handshake, deadline: handshakeDeadline) { () throws(NetPulseError) in
                    try transport.handshake()
                }
            } catch let error as NetPulseError where error.kind == .protocolError || error.kind == .connectionLost {
                throw await negotiationFailure(error, deadline: handshakeDeadline)
            }
            let key = try transport.serverHostKey()
            try await validate(key)
            SSHSessionMetrics.record(metrics.connect, since: started)
            let authenticating = ContinuousClock.now
            try await authenticate(
                attempts, deadline: target.authTimeout.map { ContinuousClock.now + $0 } ?? deadline)
            SSHSessionMetrics.record(metrics.authentication, since: authenticating)
            // The costly part is done; the shell's set-up below waits on the device.
            context.handshakeFinished()
            if context.platform.transport == .shell {
                try await openShell(deadline: ContinuousClock.now + target.readTimeout)
            }
        }
        if let interval = target.keepaliveInterval ?? configuration.keepaliveInterval {
            startKeepalive(every: interval)
        }
        logger.debug("connected", metadata: ["driver": "\(Transport.driverName)", "peer": "\(peer)"])
    }

    /// Checks the server's host key against the known_hosts store: here, on the loop thread, when the
    /// file parsed in memory is still current (a `stat`) and answers at once; otherwise off the loop
    /// thread, where the store reads (and, with accept-new, writes) its file.
    private func validate(_ key: SSHHostKey) async throws {
        let validator = KnownHostsValidator(
            policy: target.hostKeyPolicy ?? configuration.hostKeyPolicy, store: configuration.knownHosts)
        if try validator.validateFromMemory(key, host: target.host, port: target.port, logger: logger) { return }
        try await withTaskExecutorPreference(globalConcurrentExecutor) {
            try await Self.validate(key, with: validator, host: target.host, port: target.port, logger: logger)
        }
    }

    @concurrent
    private nonisolated static func validate(
        _ key: SSHHostKey, with validator: KnownHostsValidator, host: String, port: Int, logger: Logger
    ) async throws(NetPulseError) {
        try validator.validate(key, host: host, port: port, logger: logger)
    }

    /// Runs `body` with the executor of the loop thread that watches the session's socket as the task's
    /// preference (``ReadinessLoop/executor(for:)``): a readiness event then resumes the session on the
    /// thread that saw it, and the CLI engine and every nonisolated step run there too, with no hand-off
    /// to another thread per wake-up. Nothing in `body` may block on files or name resolution.
    func onLoop<T>(_ body: () async throws -> T) async throws -> T {
        guard let fd = transport.socket else { return try await body() }
        let executor = configuration.loop.executor(for: fd)
        loopExecutor.withLock { $0 = executor }
        // A job that already prefers the loop thread (the scheduler's) gets no second preference.
        return try await withPreferredExecutor(executor, operation: body)
    }

    /// Every secret of `target`, for masking transcripts.
    static func secrets(of target: DeviceTarget) -> [Secret] {
        var secrets = target.enableSecret.map { [$0] } ?? []
        for credential in target.credentials {
            switch credential {
            case .password(let secret), .keyboardInteractive(let secret): secrets.append(secret)
            case .privateKey(_, let passphrase?): secrets.append(passphrase)
            case .privateKey: break
            }
        }
        return secrets
    }

    /// Tries each credential of the target in order (as ``attempt(for:)`` made them).
    ///
    /// The first one is tried at once; only when it is refused are the methods the server offers asked for
    /// (an SSH `none` request) and the others tried among them. Asking first, as OpenSSH's client does, costs
    /// a round trip on every connection that the first credential would have saved.
    private func authenticate(
        _ attempts: [Result<SSHCredentialAttempt, NetPulseError>], deadline: ContinuousClock.Instant
    ) async throws {
        let limit = target.authTimeout.map { " (auth_timeout \($0))" } ?? ""
        var tried: [String] = []
        var rest = Array(zip(target.credentials, attempts))
        if let (credential, prepared) = rest.first, case .success(let attempt) = prepared {
            rest.removeFirst()
            if try await accepts(attempt, credential, deadline: deadline, limit: limit, tried: &tried) { return }
        }
        guard
            let offered = try await drive(
                "asking for the authentication methods\(limit)", deadline: deadline,
                { () throws(NetPulseError) in try transport.authenticationMethods() })
        else { return }
        for (credential, prepared) in rest {
            let attempt: SSHCredentialAttempt
            do {
                attempt = try prepared.get()
            } catch {
                tried.append("\(credential) (\(error.message))")
                continue
            }
            guard offered.contains(attempt.method) else { continue }
            if try await accepts(attempt, credential, deadline: deadline, limit: limit, tried: &tried) { return }
        }
        let triedText = tried.isEmpty ? "no credential matches" : "tried \(tried.joined(separator: ", "))"
        throw NetPulseError.authentication(
            "\(target.username)@\(peer) was not let in: \(triedText); the server offers "
                + offered.joined(separator: ","))
    }

    /// Whether the server lets the user in with `attempt`; a refusal is added to `tried`.
    private func accepts(
        _ attempt: SSHCredentialAttempt, _ credential: Credential, deadline: ContinuousClock.Instant, limit: String,
        tried: inout [String]
    ) async throws -> Bool {
        do {
            let accepted = try await drive("\(attempt.method) authentication\(limit)", deadline: deadline) {
                () throws(NetPulseError) in try transport.authenticate(attempt)
            }
            if !accepted { tried.append(credential.description) }
            return accepted
        } catch let error as NetPulseError where error.kind == .authentication {
            tried.append("\(credential) (\(error.message))")
            return false
        }
    }

    /// The credentials as the transport takes them, if that needs no file read: `nil` when a key file is
    /// not in memory (``KeyFileCache``) or has changed since it was read.
    static func attemptsFromMemory(_ credentials: [Credential]) -> [Result<SSHCredentialAttempt, NetPulseError>]? {
        var attempts: [Result<SSHCredentialAttempt, NetPulseError>] = []
        attempts.reserveCapacity(credentials.count)
        for credential in credentials {
            switch credential {
            case .password(let secret): attempts.append(.success(.password(secret)))
            case .keyboardInteractive(let secret): attempts.append(.success(.keyboardInteractive(secret)))
            case .privateKey(let path, let passphrase):
                guard let text = KeyFileCache.shared.cached(RegularFile.expandingTilde(path)) else { return nil }
                attempts.append(.success(.privateKey(bytes: text, passphrase: passphrase, path: path)))
            }
        }
        return attempts
    }

    /// What a connect reads from files: the credentials as the transport takes them (``attempt(for:)``) and
    /// the `session_log` transcript, opened.
    struct Files: Sendable {
        var attempts: [Result<SSHCredentialAttempt, NetPulseError>]
        var sessionLog: SessionLog?
    }

    /// Reads `target`'s key files and opens its transcript at `sessionLog`, off any loop thread.
    @concurrent
    static func readFiles(
        for target: DeviceTarget, sessionLog path: String?, peer: String
    ) async throws(NetPulseError) -> Files {
        let log = try path.map { path throws(NetPulseError) in
            try SessionLog(path: path, secrets: secrets(of: target), peer: peer)
        }
        let attempts = target.credentials.map { credential in
            Result { () throws(NetPulseError) in try attempt(for: credential) }
        }
        return Files(attempts: attempts, sessionLog: log)
    }

    /// The credential as the transport takes it; a key file comes from ``KeyFileCache`` while unchanged,
    /// or is read here (a regular file, size-limited) and kept there.
    static func attempt(for credential: Credential) throws(NetPulseError) -> SSHCredentialAttempt {
        switch credential {
        case .password(let secret): return .password(secret)
        case .keyboardInteractive(let secret): return .keyboardInteractive(secret)
        case .privateKey(let path, let passphrase):
            let expanded = RegularFile.expandingTilde(path)
            // A connect that reads files for another reason (a transcript, another key) does not read again
            // the keys already in memory.
            var text = KeyFileCache.shared.cached(expanded)
            do {
                if text == nil { text = try KeyFileCache.shared.read(expanded) }
            } catch {
                throw NetPulseError.authentication(error.message)
            }
            guard let text else { throw NetPulseError.authentication("key_file '\(path)' does not exist") }
            return .privateKey(bytes: text, passphrase: passphrase, path: path)
        }
    }

    private func openShell(deadline: ContinuousClock.Instant) async throws {
        let channel = try await drive("opening a channel", deadline: deadline) { () throws(NetPulseError) in
            try transport.openChannel()
        }
        shell = channel
        try await drive("requesting a pty", deadline: deadline) { () throws(NetPulseError) in
            try transport.requestPTY(channel, columns: configuration.terminalWidth, rows: configuration.terminalHeight)
        }
        try await drive("starting a shell", deadline: deadline) { () throws(NetPulseError) in
            try transport.requestShell(channel)
        }
        let engine = CLIEngine(
            channel: SSHShellChannel(session: self), profile: context.platform, enableSecret: target.enableSecret,
            logger: logger, executorOwner: self)
        self.engine = engine
        try await engine.start(deadline: deadline)
    }

    // MARK: - Waiting

    /// Runs a transport step until it stops saying "would block", waiting for readiness in between.
    func drive<T>(
        _ what: @autoclosure () -> String, deadline: ContinuousClock.Instant,
        _ step: () throws -> IOResult<T>
    ) async throws -> T {
        while true {
            try checkOpen()
            switch try step() {
            case .processed(let value): return value
            case .wouldBlock: try await waitReady(what(), deadline: deadline)
            }
        }
    }

    func checkOpen() throws(NetPulseError) {
        if closing { throw NetPulseError.connectionLost("the session with \(peer) was closed") }
    }

    /// Waits until the socket is ready for what the transport waits for, or throws `timeout` at
    /// `deadline`. With a ``SSHTransport/recheckInterval``, a quiet slice returns early so that the
    /// caller asks the library again; only the real deadline is a timeout.
    func waitReady(_ what: String, deadline: ContinuousClock.Instant) async throws {
        guard let fd = transport.socket else {
            throw NetPulseError.connectionLost("\(what) with \(peer): the connection was closed")
        }
        let interest = transport.interest
        if interest.contains(.read) {
            // Acknowledge at once what arrives during this wait: OpenSSH's sshd leaves Nagle on for
            // sessions without a pty, so its second small packet in a row waits for our ACK, which Linux
            // delays by ~40 ms. TCP_QUICKACK is not sticky: it is set before each wait.
            var one: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), Int32(TCP_QUICKACK), &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let slice = transport.recheckInterval.map { min(deadline, ContinuousClock.now + $0) } ?? deadline
        let readiness: ReadinessLoop.Readiness
        do {
            readiness = try await configuration.loop.wait(fd: fd, for: interest, deadline: slice)
        } catch is ReadinessLoop.Failure {
            throw NetPulseError.connectionLost("\(what) with \(peer): the socket is gone")
        }
        try checkOpen()
        if readiness == .timedOut && slice >= deadline {
            throw NetPulseError.timeout("\(what) with \(peer) did not complete in time")
        }
    }

    // MARK: - Operations

    /// Runs `body` as the session's one operation: refused on a dead or closed session, and a failure
    /// that leaves the conversation out of step marks the session dead.
    func operation<T>(_ body: () async throws -> T) async throws -> T {
        if closing || closed { throw NetPulseError.sessionUnavailable("the session with \(peer) is closed") }
        if let failure {
            throw NetPulseError.sessionUnavailable("the session with \(peer) is no longer usable: \(failure.message)")
        }
        guard active == 0 else {
            throw NetPulseError.driverError("the session with \(peer) is already in use by another task")
        }
        active += 1
        defer { endOperation() }
        do {
            return try await body()
        } catch let error as NetPulseError
            where [.commandError, .invalidRequest, .unsupported, .authentication].contains(error.kind)
        {
            throw error
        } catch {
            if failure == nil { failure = NetPulseError(wrapping: error) }
            throw error
        }
    }

    private func endOperation() {
        active -= 1
        if active == 0 {
            let waiters = idleWaiters
            idleWaiters = []
            for waiter in waiters { waiter.resume() }
        }
    }

    public func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        let started = ContinuousClock.now
        let outcome = try await executeOperation(request)
        SSHSessionMetrics.record(metrics.command, since: started)
        return outcome
    }

    private func executeOperation(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        try await operation { try await onLoop { try await run(request) } }
    }

    private func run(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        if let engine { return try await engine.execute(request) }
        guard case .commands(let commands) = request.operation else {
            throw NetPulseError.unsupported(
                "platform \(context.platform.name) runs commands on exec channels; it has no configuration mode")
        }
        var outputs: [CommandOutput] = []
        var failures: [String] = []
        for command in commands {
            let output = try await exec(command, timeout: request.readTimeout)
            if output.status == .failed {
                failures.append("'\(command)' \(Self.describeExit(output))")
            }
            outputs.append(output)
        }
        let error = failures.isEmpty ? nil : NetPulseError.commandError(failures.joined(separator: "; "))
        return ExecutionOutcome(outputs: outputs, error: error)
    }

    static func describeExit(_ output: CommandOutput) -> String {
        output.exitStatus.map { "exited with status \($0)" } ?? "ended without an exit status (killed by a signal?)"
    }

    /// Whether the device still answers: a real round trip, bounded by the configuration's liveness
    /// timeout (the prompt through the CLI for shells, a channel open for exec sessions).
    public func isAlive() async -> Bool {
        guard !closing, !closed, failure == nil else { return false }
        if active > 0 { return true }  // in use right now, so not idle
        let deadline = ContinuousClock.now + min(configuration.livenessTimeout, target.connectTimeout)
        do {
            return try await operation {
                try await onLoop { try await liveness(deadline: deadline) }
            }
        } catch {
            return false
        }
    }

    /// The round trip of ``isAlive()``.
    private func liveness(deadline: ContinuousClock.Instant) async throws -> Bool {
        if let engine {
            guard await engine.ping(deadline: deadline) else {
                throw NetPulseError.timeout("\(peer) did not answer a liveness check in time")
            }
            return true
        }
        let channel = try await drive("a liveness check (opening a channel)", deadline: deadline) {
            () throws(NetPulseError) in try transport.openChannel()
        }
        transport.release(channel)
        return true
    }

    // MARK: - Keepalive

    private func startKeepalive(every interval: Duration) {
        keepalive = Task { [weak self] in
            // A timer, not a wait for an event: keepalives are due every `interval`.
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                guard let self, await self.keepaliveTick() else { return }
            }
        }
    }

    /// Sends one keepalive while the session is idle (an operation's own traffic keeps the link alive);
    /// `false` once the session is closed or dead. It never waits: what the socket does not take now
    /// goes out before the next operation's first byte (a peer that stopped answering is found by
    /// ``isAlive()``'s round trip, not here).
    func keepaliveTick() async -> Bool {
        guard !closing, !closed, failure == nil else { return false }
        guard active == 0 else { return true }
        do {
            try await operation {
                let deadline = ContinuousClock.now + configuration.livenessTimeout
                try await drive("sending a keepalive", deadline: deadline) { () throws(NetPulseError) in
                    try transport.sendKeepalive()
                }
                _ = try transport.flush()
            }
            return true
        } catch {
            return false
        }
    }

    /// Runs `body` with the transport (for tests of a backend's seam).
    func withTransport<R: Sendable>(_ body: (Transport) -> R) -> R { body(transport) }

    // MARK: - Closing

    /// Closes the session without waiting for the server: an operation still waiting on the device is
    /// woken and ends (`connection_lost`), then the transport frees everything. Safe to call again.
    public func close() async {
        guard !closed else { return }
        closing = true
        keepalive?.cancel()
        keepalive = nil
        if let fd = transport.socket { configuration.loop.forget(fd: fd) }
        if active > 0 {
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        guard !closed else { return }
        closed = true
        engine = nil
        if let shell { transport.release(shell) }
        shell = nil
        if let pump {
            pump.cancel()
            await pump.value
        }
        pump = nil
        if let fd = transport.socket { configuration.loop.forget(fd: fd) }
        transport.close()
        await bastionLease?.release()
        bastionLease = nil
    }
}

/// The reusable read buffer of a session: allocated once and not zero-filled (zeroing 64 KiB per session
/// cost about 65,000 instructions, more than a tenth of NetPulse's own work per connection). Only bytes a
/// read has just written are ever looked at.
final class ReadBuffer {
    let bytes: UnsafeMutableRawBufferPointer

    init(count: Int) { bytes = .allocate(byteCount: count, alignment: 1) }

    deinit { bytes.deallocate() }

    /// The first `count` bytes, as written by the last read.
    func prefix(_ count: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[0..<count]) }
}
