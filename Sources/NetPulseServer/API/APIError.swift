import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import NetPulse

/// An error the API answers with: an HTTP status and a JSON body
/// `{"error": {"status": 422, "code": "invalid_request", "field": "devices[0].host", "message": "..."},
/// "detail": "devices[0].host: ..."}` (`detail` is NetPulse's, for its clients).
///
/// Messages never contain a secret: request errors come from `RequestError`, whose messages never
/// quote one.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// A stable, machine-readable name (`invalid_request`, `malformed_json`, `unauthorized`, ...).
    public var code: String
    /// The JSON path of the field at fault, when there is one.
    public var field: String?
    public var message: String
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, field: String? = nil, message: String, headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.field = field
        self.message = message
        self.headers = headers
    }

    public var description: String {
        "\(status.code) \(code)" + (field.map { " \($0)" } ?? "") + ": \(message)"
    }

    /// A request field at fault (422).
    static func invalid(_ error: RequestError) -> APIError {
        APIError(.unprocessableContent, code: "invalid_request", field: error.field, message: error.reason)
    }

    /// A request the scheduler did not take: invalid (422), or the scheduler is full (429).
    static func refused(_ error: RequestError) -> APIError {
        guard error.kind == .overloaded else { return invalid(error) }
        return APIError(
            .tooManyRequests, code: "queue_full", field: error.field, message: error.reason,
            headers: [.retryAfter: "1"])
    }

    static func invalid(field: String, _ message: String) -> APIError {
        APIError(.unprocessableContent, code: "invalid_request", field: field, message: message)
    }

    /// A request field the operator's policy refuses (403).
    static func forbidden(field: String, _ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden_by_policy", field: field, message: message)
    }

    static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jsonBody)))
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var status: Int
            var code: String
            var field: String?
            var message: String
        }
        var error: Detail
        /// NetPulse's (FastAPI's) error text: the field and the message in one sentence.
        var detail: String
    }

    var jsonBody: Data {
        let body = Body(
            error: .init(status: status.code, code: code, field: field, message: message),
            detail: field.map { $0.isEmpty ? message : "\($0): \(message)" } ?? message)
        return (try? JSONResponse.encoder.encode(body)) ?? Data(#"{"error":{"status":500,"code":"internal"}}"#.utf8)
    }
}

/// Turns every error that reaches it into the API's JSON error body: hummingbird's own
/// `HTTPError`s (unknown route: 404), a too large body (413), and anything unexpected (500, with a
/// generic message: an unexpected error's text is logged at debug, not returned).
///
/// ``NetPulseServer`` puts it first on its router; a host app may add it to its own.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError(
                error.status, code: Self.code(error.status), message: error.body ?? error.status.reasonPhrase,
                headers: error.headers)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the request body is too large")
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, code: Self.code(error.status), message: error.status.reasonPhrase)
        } catch {
            context.logger.debug("unexpected error", metadata: ["error.type": "\(type(of: error))"])
            throw APIError(.internalServerError, code: "internal", message: "internal error")
        }
    }

    static func code(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "body_too_large"
        case 422: "invalid_request"
        default: status.code >= 500 ? "internal" : "http_\(status.code)"
        }
    }
}

/// JSON responses with stable (sorted) keys.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
