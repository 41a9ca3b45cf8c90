public import Hummingbird
public import HTTPTypes
import Logging

/// Checks `X-API-KEY`: missing or unknown is 401; a read-only key on anything but `GET`/`HEAD` is 403.
///
/// With no keys configured and unauthenticated access allowed, every request passes.
public struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    public static var headerName: HTTPField.Name { HTTPField.Name("X-API-KEY")! }

    let keys: APIKeys
    let open: Bool

    /// - Parameters:
    ///   - keys: The accepted keys.
    ///   - allowUnauthenticated: Let requests without a key through when `keys` is empty.
    public init(keys: APIKeys, allowUnauthenticated: Bool) {
        self.keys = keys
        self.open = allowUnauthenticated && keys.isEmpty
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if open { return try await next(request, context) }
        let challenge: HTTPFields = [.wwwAuthenticate: #"APIKey header="X-API-KEY""#]
        guard let presented = request.headers[Self.headerName], !presented.isEmpty else {
            throw APIError(
                .unauthorized, code: "unauthorized", message: "missing X-API-KEY header", headers: challenge)
        }
        guard let scope = keys.scope(of: presented) else {
            context.logger.info("request with an unknown API key refused")
            throw APIError(.unauthorized, code: "unauthorized", message: "unknown API key", headers: challenge)
        }
        if scope == .read && request.method != .get && request.method != .head {
            throw APIError(.forbidden, code: "forbidden", message: "this API key may only read (GET)")
        }
        return try await next(request, context)
    }
}
