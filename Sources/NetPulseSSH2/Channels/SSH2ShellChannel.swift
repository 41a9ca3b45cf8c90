import NetPulse

/// An interactive shell (pty) on a libssh2 channel, as the ``ShellChannel`` the CLI engine runs over.
///
/// The CLI engine is its only user, one call at a time.
final class SSH2ShellChannel: ShellChannel, @unchecked Sendable {
    let channel: SSH2Channel
    /// Reused for every read; touched only by the one task using the channel.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    init(channel: SSH2Channel) {
        self.channel = channel
    }

    deinit {
        buffer.deallocate()
    }

    /// Opens a session channel with a wide pty and starts the shell.
    static func open(
        _ session: SSH2Session,
        width: Int,
        height: Int,
        deadline: ContinuousClock.Instant
    ) async throws -> SSH2ShellChannel {
        let channel = try await SSH2Channel.open(session, deadline: deadline)
        do {
            try await channel.requestPTY(width: width, height: height, deadline: deadline)
            try await channel.startShell(deadline: deadline)
        } catch {
            await channel.free(deadline: .now + .seconds(1))
            throw error
        }
        return SSH2ShellChannel(channel: channel)
    }

    func read(deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        guard let count = try await channel.read(deadline: deadline, into: buffer) else { return nil }
        return Array(buffer[0..<count])
    }

    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        try await channel.write(bytes, deadline: deadline)
    }
}
