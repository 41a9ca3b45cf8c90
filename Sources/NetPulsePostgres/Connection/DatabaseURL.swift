import Foundation
import Logging
import NIOSSL
public import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]` URL, checked.
///
/// The password is kept out of ``description``.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: String

    /// Parses and checks a URL.
    ///
    /// - Throws: ``PostgresQueueError`` of kind `invalidConfiguration` naming the part at fault (`--database`).
    public init(_ text: String) throws(PostgresQueueError) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresQueueError(
                .invalidConfiguration, "--database: expected postgres://user@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresQueueError(.invalidConfiguration, "--database: the URL names no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresQueueError(.invalidConfiguration, "--database: the URL names no user")
        }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else {
            throw PostgresQueueError(.invalidConfiguration, "--database: port \(port) is out of range")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw PostgresQueueError(.invalidConfiguration, "--database: the URL names no database")
        }
        let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        guard ["disable", "prefer", "require"].contains(mode) else {
            throw PostgresQueueError(
                .invalidConfiguration, "--database: sslmode must be disable, prefer or require, not '\(mode)'")
        }
        self.host = host
        self.port = port
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        self.sslMode = mode
    }

    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(sslMode)"
    }

    /// The client configuration for postgres-nio, with at most `maxConnections` pooled connections.
    public func clientConfiguration(maxConnections: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(.makeClientConfiguration())
        default: tls = .prefer(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = max(2, maxConnections)
        return configuration
    }
}

/// A failure of the PostgreSQL queue: a kind and a message that never carries a secret.
public struct PostgresQueueError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// A bad `--database` URL or option.
        public static let invalidConfiguration = Kind(rawValue: "invalid_configuration")
        /// The database's schema is older (run `netpulse db migrate`) or newer than this program.
        public static let schemaMismatch = Kind(rawValue: "schema_mismatch")
        /// A query failed.
        public static let database = Kind(rawValue: "database")
        /// A stored batch or result could not be read back.
        public static let corruptRow = Kind(rawValue: "corrupt_row")
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    /// Wraps a postgres-nio error: PSQLError's `description` hides the server's message, so its fields are
    /// read (a query's text and binds are never included).
    static func wrapping(_ error: any Error, _ what: String) -> PostgresQueueError {
        if let error = error as? PostgresQueueError { return error }
        if let psql = error as? PSQLError {
            let server = psql.serverInfo?[.message] ?? "\(psql.code)"
            let state = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return PostgresQueueError(.database, "\(what): \(server)\(state)")
        }
        return PostgresQueueError(.database, "\(what): \(error)")
    }
}
