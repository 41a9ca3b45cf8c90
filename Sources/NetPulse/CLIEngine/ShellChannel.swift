/// A duplex byte stream to a device's interactive shell (an SSH channel with a pty, or a test
/// script): what the CLI engine runs over. Backends provide it; the engine never sees C.
///
/// One task at a time uses a channel.
///
/// Both requirements are `nonisolated(nonsending)`: they run on the caller's executor (the CLI engine's),
/// so a channel whose backend shares that executor (``CLIEngine/init(channel:profile:enableSecret:logger:executorOwner:)``)
/// reads and writes with no switch of executor per call.
public protocol ShellChannel: AnyObject, Sendable {
    /// Waits for bytes from the device and returns what has arrived (never empty).
    ///
    /// - Parameter deadline: When to give up waiting.
    /// - Returns: The bytes read, or `nil` if the deadline passed with nothing to read.
    /// - Throws: ``NetPulseError/Kind/connectionLost`` when the channel closed or failed;
    ///   `CancellationError` when the task was cancelled.
    nonisolated(nonsending) func read(deadline: ContinuousClock.Instant) async throws -> [UInt8]?

    /// Sends all of `bytes` to the device.
    ///
    /// - Throws: ``NetPulseError/Kind/connectionLost`` or ``NetPulseError/Kind/timeout`` when the
    ///   bytes could not all be written before `deadline`.
    nonisolated(nonsending) func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws
}
