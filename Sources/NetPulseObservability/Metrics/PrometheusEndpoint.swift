public import Hummingbird
import Metrics
import NIOCore
public import Prometheus
import Synchronization

/// The process's metrics in Prometheus' text format, and the `GET /metrics` route that serves them.
///
/// ``bootstrap()`` makes a Prometheus registry the process's swift-metrics backend, so that
/// every metric recorded through swift-metrics (the scheduler's, the SSH sessions' connect,
/// authentication and command timings, hummingbird's HTTP metrics) lands in it; timers become
/// histograms. Mount the route on any hummingbird router, `netpulse serve`'s or a worker's:
///
/// ```swift
/// let metrics = PrometheusEndpoint.bootstrap()
/// let router = Router()
/// metrics.addRoutes(to: router)
/// ```
///
/// Metric names and labels are fixed words (driver names, routes, statuses): no host, user or secret
/// reaches the output.
public struct PrometheusEndpoint: Sendable {
    /// Where the metrics are kept.
    public let registry: PrometheusCollectorRegistry

    /// The media type of Prometheus' text exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Histogram buckets of every timer, from 1 ms (a loopback command) to 60 s (a slow login).
    public static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2_500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    /// An endpoint over `registry`, without touching the process's metrics system.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Makes a Prometheus registry the process's swift-metrics backend (once; later calls return the
    /// same registry), so that every metric recorded from then on is served.
    ///
    /// Call it before creating a ``NetPulse/Scheduler`` or opening sessions: metrics objects made
    /// earlier keep the backend they were made with. swift-metrics allows one bootstrap per process:
    /// do not call `MetricsSystem.bootstrap` elsewhere as well.
    public static func bootstrap() -> PrometheusEndpoint {
        let registry = bootstrapped.withLock { registry in
            if let registry { return registry }
            let made = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: made)
            factory.defaultDurationHistogramBuckets = durationBuckets
            MetricsSystem.bootstrap(factory)
            registry = made
            return made
        }
        return PrometheusEndpoint(registry: registry)
    }

    /// The current values, in Prometheus' text exposition format.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }

    /// Adds `GET /metrics` (or `path`) to a router or router group. The route needs no API key,
    /// as scrapers expect; it carries no secret.
    ///
    /// - Parameters:
    ///   - routes: The router (or a group of it).
    ///   - path: Where to serve the metrics (default `metrics`).
    public func addRoutes<Routes: RouterMethods>(to routes: Routes, path: String = "metrics") {
        routes.get(RouterPath(path)) { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: Self.contentType],
                body: .init(byteBuffer: ByteBuffer(bytes: self.render())))
        }
    }
}
