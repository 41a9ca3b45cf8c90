import NetPulse

extension SSHSession {
    /// Runs one command on its own exec channel and collects its standard output and error until end
    /// of file, then its exit status.
    ///
    /// `timeout` bounds the whole command, like a command on a shell: a command that keeps printing
    /// past it is a `timeout`, and output beyond the configuration's cap is an `unexpected_output`.
    func exec(_ command: String, timeout: Duration) async throws -> CommandOutput {
        let deadline = ContinuousClock.now + timeout
        let channel = try await drive("opening a channel for '\(command)'", deadline: deadline) {
            () throws(NetPulseError) in try transport.openChannel()
        }
        defer { transport.release(channel) }
        try await drive("starting '\(command)'", deadline: deadline) { () throws(NetPulseError) in
            try transport.requestExec(channel, command: command)
        }
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var ended: Set<SSHStream> = []
        let cap = configuration.maxExecOutputBytes
        // Whether the last pass without progress was repeated because the library held output: at most
        // one such pass per wait, so a library that claims output it never gives cannot spin.
        var recheckedBuffers = false
        while ended.count < 2 {
            var progress = false
            for stream in [SSHStream.standardOutput, .standardError] where !ended.contains(stream) {
                let result = try transport.read(channel, stream, into: buffer.bytes)
                guard case .processed(let count) = result else { continue }
                // An end of file is progress too: the read of one stream can take the other's data and end
                // of file into the library's own buffers, and the socket then stays quiet (libssh2 stalled
                // here until the deadline when stdout's end came in with stderr's read).
                progress = true
                if count == 0 {
                    ended.insert(stream)
                    continue
                }
                if stream == .standardOutput {
                    output.append(contentsOf: buffer.prefix(count))
                } else {
                    errors.append(contentsOf: buffer.prefix(count))
                }
                if output.count + errors.count > cap {
                    throw NetPulseError.unexpectedOutput(
                        "the output of '\(command)' on \(peer) exceeds the cap of \(cap) bytes")
                }
            }
            if !progress && ended.count < 2 {
                // One stream's read may have pulled the other's data into the library's buffers while it
                // said "would block" (libssh2 hides the end of file while data of the channel is queued):
                // the socket then stays quiet, so ask the library before sleeping on it (issue 13, pinned
                // exec waited until its deadline).
                if !recheckedBuffers && transport.hasBufferedOutput(channel) {
                    recheckedBuffers = true
                    try checkOpen()
                    continue
                }
                recheckedBuffers = false
                try await waitReady("reading the output of '\(command)'", deadline: deadline)
            } else {
                recheckedBuffers = false
                try checkOpen()
                if ContinuousClock.now >= deadline {
                    throw NetPulseError.timeout("'\(command)' on \(peer) did not finish within \(timeout)")
                }
            }
        }
        let exit = try await drive("waiting for the exit status of '\(command)'", deadline: deadline) {
            () throws(NetPulseError) in try transport.exitState(channel)
        }
        let status: Int?
        switch exit {
        case .exited(let code): status = code
        case .signalled, .unknown: status = nil
        }
        return CommandOutput(
            command: command, output: String(decoding: output, as: UTF8.self),
            status: status == 0 ? .ok : .failed, exitStatus: status, stderr: String(decoding: errors, as: UTF8.self))
    }

    // MARK: - Shell I/O (for SSHShellChannel)

    func shellRead(deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        guard let shell else { throw NetPulseError.connectionLost("the session with \(peer) has no shell") }
        if let mark = shellReadTookEverything, mark == libraryUses {
            // The last read took all the library held and nothing used it since: only the socket can bring
            // more, so wait for it first. At the deadline, the library is still asked once below.
            do {
                try await waitReady("reading the shell", deadline: deadline)
            } catch let error as NetPulseError where error.kind == .timeout {}
        }
        shellReadTookEverything = nil
        while true {
            try checkOpen()
            let result = try transport.read(shell, .standardOutput, into: buffer.bytes)
            switch result {
            case .processed(0):
                throw NetPulseError.connectionLost("the device \(peer) closed the shell")
            case .processed(let count):
                if transport.readTookEverything(shell, count: count, capacity: buffer.bytes.count) {
                    shellReadTookEverything = libraryUses
                }
                let bytes = Array(buffer.prefix(count))
                sessionLog?.record(bytes)
                return bytes
            case .wouldBlock:
                do {
                    try await waitReady("reading the shell", deadline: deadline)
                } catch let error as NetPulseError where error.kind == .timeout {
                    return nil
                }
            }
        }
    }

    func shellWrite(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        guard let shell else { throw NetPulseError.connectionLost("the session with \(peer) has no shell") }
        sessionLog?.record(bytes)
        var offset = 0
        while offset < bytes.count {
            offset += try await drive("writing to the shell", deadline: deadline) {
                try bytes.withUnsafeBytes { raw in
                    try transport.write(shell, UnsafeRawBufferPointer(rebasing: raw[offset...]))
                }
            }
        }
    }

    // MARK: - Negotiation

    /// A failed handshake as the error a person can act on: what the device offered (from a probe
    /// connection of our own), what this driver offered, and what to change.
    func negotiationFailure(_ error: NetPulseError, deadline: ContinuousClock.Instant) async -> NetPulseError {
        let probeDeadline = max(deadline, ContinuousClock.now + .seconds(2))
        guard
            let offer = await SSHServerOffer.probe(
                host: target.host, port: target.port, deadline: probeDeadline, loop: configuration.loop)
        else {
            return error
        }
        let ours = settings.algorithms
        let failing = zip(ours.categories, offer.algorithms.categories).filter { mine, theirs in
            !mine.list.contains(where: theirs.list.contains)
        }
        guard !failing.isEmpty else { return error }
        var parts = failing.map { mine, theirs in
            "\(mine.name): the device offers \(theirs.list.joined(separator: ",")), "
                + "\(Transport.driverName) offered \(mine.list.joined(separator: ","))"
        }
        let legacy = SSHAlgorithms.legacy.supported(by: Transport.supportedAlgorithms)
        let legacyWouldDo = zip(
            failing,
            legacy.categories.filter { category in
                failing.contains { $0.0.name == category.name }
            }
        ).allSatisfy { pair, legacyList in pair.1.list.contains(where: legacyList.list.contains) }
        if !settings.legacyAlgorithms && legacyWouldDo {
            parts.append(
                configuration.allowsLegacyAlgorithms
                    ? "the device needs legacy algorithms: allow them with \"legacy_algorithms\": true"
                    : "the device needs legacy algorithms, which this driver's configuration refuses to every device "
                        + "(SSHDriverConfiguration.allowsLegacyAlgorithms)")
        } else if let advice = Transport.advice(forUnsupported: offer.algorithms) {
            parts.append(advice)
        } else {
            parts.append("no algorithm the device offers is supported by \(Transport.driverName)")
        }
        return NetPulseError.protocolError(
            "no common algorithm with \(peer) (\(offer.version)): " + parts.joined(separator: "; "))
    }
}

/// The pty shell of an ``SSHSession`` as the CLI engine sees it.
final class SSHShellChannel<Transport: SSHTransport>: ShellChannel {
    private let session: SSHSession<Transport>

    init(session: SSHSession<Transport>) { self.session = session }

    nonisolated(nonsending) func read(deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        try await session.shellRead(deadline: deadline)
    }

    nonisolated(nonsending) func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        try await session.shellWrite(bytes, deadline: deadline)
    }
}
