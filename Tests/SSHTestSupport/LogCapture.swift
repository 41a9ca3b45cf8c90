public import Logging
import Synchronization

/// Collects every log line (level, message and metadata) at trace level, for tests that check what
/// reaches the logs (never a secret).
public final class LogCapture: Sendable {
    private let stored = Mutex<[String]>([])

    public init() {}

    /// Every line logged so far.
    public var lines: [String] { stored.withLock { $0 } }

    /// A logger that writes here.
    public func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) { stored.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
            capture.append("\(event.level) \(event.message) \(all)")
        }
    }
}
