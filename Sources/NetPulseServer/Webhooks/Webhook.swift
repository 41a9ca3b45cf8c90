public import Foundation
public import NetPulse

/// NetPulse's `webhook` object: where to send each job's result when it is final.
///
/// `{"url": "http://127.0.0.1:9000/hook", "method": "POST", "headers": {"Authorization": "..."},
/// "timeout": 5, "max_retries": 3, "retry_intervals": [1, 2, 4]}`. Header values are kept as
/// `Secret`s: they never appear in logs, errors, descriptions or JSON.
public struct Webhook: Sendable, Hashable, CustomStringConvertible {
    public var url: URL
    /// `POST` (default) or `PUT`.
    public var method: String
    public var headers: [String: Secret]
    /// Seconds one attempt may take (default 5, at most 60).
    public var timeout: Duration
    /// Attempts after the first that failed (default 3, at most 10).
    public var maxRetries: Int
    /// Seconds before each retry; the last one repeats (default 1, 2, 4; each at most 300).
    public var retryIntervals: [Duration]

    /// The URL without user, path or query: what logs may show.
    public var origin: String {
        var components = URLComponents()
        components.scheme = url.scheme
        components.host = url.host
        components.port = url.port
        return components.string ?? "?"
    }

    public var description: String { "webhook \(method) \(origin) (\(headers.count) header(s) masked)" }

    /// Reads the `webhook` object of a request.
    ///
    /// - Throws: `RequestError` naming the field at fault (`webhook.url`, ...).
    public init(jsonValue value: JSONValue, path: String = "webhook") throws(RequestError) {
        guard case .object(let object) = value else {
            throw RequestError(field: path, reason: "must be an object")
        }
        let known: Set<String> = ["url", "method", "headers", "timeout", "max_retries", "retry_intervals"]
        if let unknown = object.keys.filter({ !known.contains($0) }).sorted().first {
            throw RequestError(
                field: "\(path).\(unknown)",
                reason: "unknown field; a webhook has \(known.sorted().joined(separator: ", "))")
        }
        guard case .string(let text)? = object["url"], let url = URL(string: text),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host,
            !host.isEmpty
        else {
            throw RequestError(field: "\(path).url", reason: "is required: an http:// or https:// URL with a host")
        }
        self.url = url
        switch object["method"] {
        case nil, .null?: method = "POST"
        case .string(let name)? where ["POST", "PUT"].contains(name.uppercased()): method = name.uppercased()
        default: throw RequestError(field: "\(path).method", reason: "must be POST or PUT")
        }
        headers = [:]
        switch object["headers"] {
        case nil, .null?: break
        case .object(let fields)?:
            for (name, field) in fields {
                guard case .string(let text) = field, Self.isToken(name), !text.contains(where: \.isNewline) else {
                    throw RequestError(
                        field: "\(path).headers", reason: "must map header names to single-line string values")
                }
                headers[name] = Secret(text)
            }
        default:
            throw RequestError(field: "\(path).headers", reason: "must be an object")
        }
        timeout = try Self.seconds(object["timeout"], field: "\(path).timeout", default: 5, bound: 60)
        switch object["max_retries"] {
        case nil, .null?: maxRetries = 3
        case .number(let number)? where number.rounded() == number && (0...10).contains(number):
            maxRetries = Int(number)
        default: throw RequestError(field: "\(path).max_retries", reason: "must be a whole number from 0 to 10")
        }
        switch object["retry_intervals"] {
        case nil, .null?: retryIntervals = [.seconds(1), .seconds(2), .seconds(4)]
        case .array(let items)? where !items.isEmpty && items.count <= 10:
            retryIntervals = []
            for (index, item) in items.enumerated() {
                retryIntervals.append(
                    try Self.seconds(item, field: "\(path).retry_intervals[\(index)]", default: 1, bound: 300))
            }
        default:
            throw RequestError(field: "\(path).retry_intervals", reason: "must be a list of 1 to 10 numbers of seconds")
        }
    }

    /// The webhook as a request gives it, header values revealed: what a store that keeps batches
    /// (PostgreSQL) writes beside the batch's request, which holds the devices' passwords the same way.
    /// Never log or show it; ``init(jsonValue:path:)`` reads it back.
    package var storedJSON: JSONValue {
        var object: [String: JSONValue] = [
            "url": .string(url.absoluteString), "method": .string(method),
            "timeout": .number(timeout.webhookSeconds), "max_retries": .number(Double(maxRetries)),
            "retry_intervals": .array(retryIntervals.map { .number($0.webhookSeconds) }),
        ]
        if !headers.isEmpty { object["headers"] = .object(headers.mapValues { .string($0.revealed) }) }
        return .object(object)
    }

    /// The wait before retry `attempt` (1-based).
    func interval(beforeRetry attempt: Int) -> Duration {
        retryIntervals[min(attempt, retryIntervals.count) - 1]
    }

    private static func seconds(
        _ value: JSONValue?, field: String, default fallback: Double, bound: Double
    ) throws(RequestError) -> Duration {
        switch value {
        case nil, .null?: return .milliseconds(Int64(fallback * 1000))
        case .number(let number)? where number.isFinite && number > 0 && number <= bound:
            return .milliseconds(Int64((number * 1000).rounded()))
        default: throw RequestError(field: field, reason: "must be a number of seconds above 0, at most \(Int(bound))")
        }
    }

    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (0x21...0x7E).contains(byte) && !"()<>@,;:\\\"/[]?={}".utf8.contains(byte)
            }
    }
}

extension Duration {
    /// Seconds as a number, as a webhook's fields give them.
    fileprivate var webhookSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
