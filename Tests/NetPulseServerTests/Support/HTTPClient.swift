import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A small HTTP/1.1 client over URLSession, for the API on loopback.
struct HTTPClient: Sendable {
    /// `http://127.0.0.1:PORT`.
    let base: String
    /// Sent as `X-API-KEY` unless a request says otherwise.
    let key: String?

    struct Reply: Sendable {
        var status: Int
        var body: Data
        var headers: [String: String]

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The body as a JSON object (fails the test when it is not one).
        func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
            try #require(
                JSONSerialization.jsonObject(with: body) as? [String: Any], "not a JSON object: \(text)",
                sourceLocation: sourceLocation)
        }

        /// The body as a JSON array of objects (fails the test when it is not one).
        func jsonArray(sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
            try #require(
                JSONSerialization.jsonObject(with: body) as? [[String: Any]], "not a JSON array: \(text)",
                sourceLocation: sourceLocation)
        }

        /// The `error` object of an error reply.
        func error(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
            try #require(
                try json()["error"] as? [String: Any], "no error object: \(text)", sourceLocation: sourceLocation)
        }

        func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        return URLSession(configuration: configuration)
    }()

    /// Sends a request.
    ///
    /// - Parameters:
    ///   - key: `.some(nil)` sends no key; `nil` sends the client's.
    func send(
        _ method: String, _ path: String, body: Data? = nil, key: String?? = nil,
        headers: [String: String] = [:]
    ) async throws -> Reply {
        let url = try #require(URL(string: base + path), "bad path \(path)")
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        if let key = key ?? self.key { request.setValue(key, forHTTPHeaderField: "X-API-KEY") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await Self.session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name] = value }
        }
        return Reply(status: http.statusCode, body: data, headers: fields)
    }

    func get(_ path: String, key: String?? = nil) async throws -> Reply {
        try await send("GET", path, key: key)
    }

    func post(_ path: String, _ body: String, key: String?? = nil) async throws -> Reply {
        try await send("POST", path, body: Data(body.utf8), key: key)
    }

    func delete(_ path: String, key: String?? = nil) async throws -> Reply {
        try await send("DELETE", path, key: key)
    }
}
