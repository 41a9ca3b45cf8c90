public import Hummingbird
public import HTTPTypes
import Logging

/// Checks `X-API-KEY`: missing or unknown is 401; a read-only key on anything but `GET`/`HEAD` is 403;
/// a key over its rate is 429. The handler runs with the key's tenant in ``APITenant/current``.
///
/// With no keys configured and unauthenticated access allowed, every request passes (as one tenant,
/// with one rate).
public struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    public static var headerName: HTTPField.Name { HTTPField.Name("X-API-KEY")! }

    let keys: APIKeys
    let open: Bool
    let limiter: RateLimiter?

    /// - Parameters:
    ///   - keys: The accepted keys.
    ///   - allowUnauthenticated: Let requests without a key through when `keys` is empty.
    ///   - rateLimit: Requests each key may make; `nil` for no limit.
    public init(keys: APIKeys, allowUnauthenticated: Bool, rateLimit: RateLimit? = nil) {
        self.keys = keys
        self.open = allowUnauthenticated && keys.isEmpty
        self.limiter = rateLimit.map(RateLimiter.init)
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let tenant: String
        if open {
            tenant = "open"
        } else {
            let challenge: HTTPFields = [.wwwAuthenticate: #"APIKey header="X-API-KEY""#]
            guard let presented = request.headers[Self.headerName], !presented.isEmpty else {
                throw APIError(
                    .unauthorized, code: "unauthorized", message: "missing X-API-KEY header", headers: challenge)
            }
            guard let key = keys.match(presented) else {
                context.logger.info("request with an unknown API key refused")
                throw APIError(.unauthorized, code: "unauthorized", message: "unknown API key", headers: challenge)
            }
            if key.scope == .read && request.method != .get && request.method != .head {
                throw APIError(.forbidden, code: "forbidden", message: "this API key may only read (GET)")
            }
            tenant = "key-\(key.index)"
        }
        if let limiter, let wait = limiter.take(tenant) {
            let seconds = max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
            throw APIError(
                .tooManyRequests, code: "rate_limited",
                message: "this API key made more than \(limiter.limit) requests; try again in \(seconds) s",
                headers: [.retryAfter: String(seconds)])
        }
        return try await APITenant.$current.withValue(tenant) { try await next(request, context) }
    }
}

/// Who the request in progress acts for, as ``APIKeyMiddleware`` found it: an opaque name per API key
/// (`key-0`, `key-1`, ...; `open` without keys). The API submits batches under it, so pinned sessions
/// are never shared across keys.
public enum APITenant {
    @TaskLocal public static var current: String?
}
