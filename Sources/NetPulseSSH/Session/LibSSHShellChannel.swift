import NetPulse

/// The pty shell of a ``LibSSHSession`` as the CLI engine sees it.
final class LibSSHShellChannel: ShellChannel {
    private let session: LibSSHSession

    init(session: LibSSHSession) { self.session = session }

    func read(deadline: ContinuousClock.Instant) async throws -> [UInt8]? {
        try await session.shellRead(deadline: deadline)
    }

    func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        try await session.shellWrite(bytes, deadline: deadline)
    }
}
