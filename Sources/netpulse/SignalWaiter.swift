import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for SIGINT or SIGTERM without a signal handler doing work (Dispatch signal sources).
final class SignalWaiter: Sendable {
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    nonisolated(unsafe) private var sources: [any DispatchSourceSignal] = []

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let continuation = continuation
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received.
    func wait() async -> Int32 {
        for await number in stream { return number }
        return 0
    }
}
