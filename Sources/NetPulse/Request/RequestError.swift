/// A batch request that cannot be run, with the path of the offending field.
///
/// The path uses the JSON names: `devices[3].host`, `options.ttl`, `connection_args.port`.
/// The message never quotes a secret.
public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The JSON path of the field at fault (`""` for the document itself).
    public var field: String
    /// Why the field is wrong.
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}
