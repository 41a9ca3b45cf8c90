import Synchronization

/// How many requests one API key may make: a sustained rate and a burst.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// Requests per second, sustained.
    public var requestsPerSecond: Double
    /// Requests that may come at once after a quiet spell.
    public var burst: Int

    /// - Parameters:
    ///   - requestsPerSecond: The sustained rate; greater than 0.
    ///   - burst: The burst; at least 1.
    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }

    public var description: String { "\(requestsPerSecond)/s (burst \(burst))" }

    /// Checks the settings.
    ///
    /// - Throws: ``ServerConfigurationError`` (field `rate_limit`).
    public func validate() throws(ServerConfigurationError) {
        guard requestsPerSecond.isFinite, requestsPerSecond > 0, requestsPerSecond <= 1e9 else {
            throw ServerConfigurationError(field: "rate_limit", reason: "the rate must be between 0 and 1e9 per second")
        }
        guard burst >= 1 else {
            throw ServerConfigurationError(field: "rate_limit", reason: "the burst must be at least 1")
        }
    }
}

/// A token bucket per tenant. The table holds one small entry per key that made a request; keys are
/// configured by the operator, so it is bounded.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let limit: RateLimit
    private let buckets = Mutex<[String: Bucket]>([:])

    init(_ limit: RateLimit) { self.limit = limit }

    /// Takes one token for `tenant`.
    ///
    /// - Returns: `nil` when the request may go on; otherwise how long until a token is free.
    func take(_ tenant: String, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            var bucket = buckets[tenant] ?? Bucket(tokens: Double(limit.burst), updated: now)
            let elapsed = bucket.updated.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(limit.burst), bucket.tokens + max(0, seconds) * limit.requestsPerSecond)
            bucket.updated = now
            defer { buckets[tenant] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            let missing = (1 - bucket.tokens) / limit.requestsPerSecond
            return .milliseconds(Int64(min(missing, 86_400) * 1000) + 1)
        }
    }
}
