/// A batch request that cannot be run, with the path of the offending field.
///
/// The path uses the JSON names: `devices[3].host`, `options.ttl`, `connection_args.port`.
/// The message never quotes a secret.
public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why a request was not taken: it is invalid, or it is fine but the scheduler is full.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A field is wrong: the same request will fail again.
        public static let invalid = Kind(rawValue: "invalid")
        /// The scheduler holds as many queued jobs as it may: the same request may succeed later.
        public static let overloaded = Kind(rawValue: "overloaded")
    }

    /// The JSON path of the field at fault (`""` for the document itself).
    public var field: String
    /// Why the field is wrong.
    public var reason: String
    /// Invalid (the default) or overloaded.
    public var kind: Kind

    public init(field: String, reason: String, kind: Kind = .invalid) {
        self.field = field
        self.reason = reason
        self.kind = kind
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}
