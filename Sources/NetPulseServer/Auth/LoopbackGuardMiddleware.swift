public import Hummingbird
import HTTPTypes

/// Keeps an API served without keys (`netpulse serve --open`) out of reach of web pages.
///
/// Without a key, anything that can make the machine's browser send a request could drive the API: a
/// page's cross-site `POST` (a "simple" request needs no preflight), or a page whose name was rebound
/// to 127.0.0.1 (DNS rebinding). So, on every route but `/health` and `/openapi.json`:
/// - the `Host` header must name a loopback address (`127.x.x.x`, `localhost`, `[::1]`), with any port;
/// - an `Origin` header, when there is one, must be that same origin (`http://` or `https://` and the
///   `Host`): browsers send it on cross-site requests, other clients do not;
/// - a request with a body (`POST`) must say `Content-Type: application/json`, which a page can send
///   only after a CORS preflight that this API never grants.
public struct LoopbackGuardMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let host = request.head.authority ?? ""
        guard Self.isLoopbackAuthority(host) else {
            throw APIError(
                .forbidden, code: "forbidden_host",
                message: "without API keys this server answers only requests addressed to a loopback name")
        }
        if let origin = request.headers[.origin] {
            guard origin == "http://\(host)" || origin == "https://\(host)" else {
                throw APIError(
                    .forbidden, code: "forbidden_origin",
                    message: "without API keys this server refuses requests from other origins (web pages)")
            }
        }
        if request.method == .post || request.method == .put || request.method == .patch {
            let type = request.headers[.contentType] ?? ""
            let mediaType = type.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingWhitespace().lowercased()
            }
            guard mediaType == "application/json" else {
                throw APIError(
                    .unsupportedMediaType, code: "unsupported_media_type",
                    message: "send the request body as Content-Type: application/json")
            }
        }
        return try await next(request, context)
    }

    /// Whether an authority (`host[:port]`) names a loopback address.
    static func isLoopbackAuthority(_ authority: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || Self.isPort(rest.dropFirst()) && rest.hasPrefix(":") else { return false }
            host = host[host.index(after: host.startIndex)..<close]
            return host == "::1"
        }
        if let colon = host.lastIndex(of: ":") {
            guard Self.isPort(host[host.index(after: colon)...]) else { return false }
            host = host[..<colon]
        }
        return NetPulseServerConfiguration.isLoopback(String(host)) && host != "::1"
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
