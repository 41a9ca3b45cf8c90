import ArgumentParser
import Logging
import NetPulseObservability

/// How `netpulse serve` writes its logs (`--log-format`).
enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Human-readable lines on standard error.
    case text
    /// One JSON object per line on standard error (``JSONLogHandler``).
    case json
}

/// `serve`'s logging and metrics, set up once per process before anything logs or records.
enum ServeObservability {
    /// Bootstraps logging in `format` and the Prometheus registry that `GET /metrics` serves.
    static func bootstrap(logFormat format: LogFormat) -> PrometheusEndpoint {
        switch format {
        case .text:
            LoggingSetup.bootstrap()
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label, stream: .standardError)
                // The logger's own level (--verbose) decides; the handler passes everything on.
                handler.logLevel = .debug
                return handler
            }
        }
        return PrometheusEndpoint.bootstrap()
    }
}
