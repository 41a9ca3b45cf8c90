/// NetPulse's `credential` field: which provider to ask (`name`), what to ask it for (`ref`), and
/// which of its fields become which connection fields (`field_mapping`).
///
/// ```json
/// "credential": {"name": "vault", "ref": "net/core-routers", "field_mapping": {"password": "pw"}}
/// ```
///
/// It may stand at the top level of a request (every device) or on one device.
public struct CredentialReference: Sendable, Hashable, CustomStringConvertible {
    /// The connection fields a credential may fill.
    public static let fields = ["username", "password", "secret", "passphrase"]

    /// The provider's name, as the operator configured it.
    public var provider: String
    /// What the provider looks up: a variable prefix, a name in a file, a password-manager path.
    public var reference: String
    /// Connection field → the provider's field name. Unmapped connection fields are taken from the
    /// provider's field of the same name when it has one.
    public var fieldMapping: [String: String]

    public init(provider: String, reference: String, fieldMapping: [String: String] = [:]) {
        self.provider = provider
        self.reference = reference
        self.fieldMapping = fieldMapping
    }

    public var description: String { "\(provider):\(reference)" }

    /// Parses the JSON object.
    ///
    /// - Parameters:
    ///   - value: The `credential` value.
    ///   - path: Its JSON path (`credential`, `devices[2].credential`).
    /// - Throws: ``RequestError`` naming the field at fault.
    public init(jsonValue value: JSONValue, path: String) throws(RequestError) {
        var reader = try JSONObjectReader(value, path: path)
        guard let name = try reader.string("name"), !name.isEmpty else {
            throw RequestError(field: reader.field("name"), reason: "is required: the credential provider's name")
        }
        guard let ref = try reader.string("ref"), !ref.isEmpty else {
            throw RequestError(field: reader.field("ref"), reason: "is required: what the provider looks up")
        }
        if ref.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw RequestError(field: reader.field("ref"), reason: "contains a control character")
        }
        var mapping: [String: String] = [:]
        if let value = reader.value("field_mapping") {
            guard case .object(let object) = value else {
                throw RequestError(
                    field: reader.field("field_mapping"), reason: "must be an object, got \(value.typeName)")
            }
            for (key, target) in object {
                let field = "\(reader.field("field_mapping")).\(key)"
                guard Self.fields.contains(key) else {
                    throw RequestError(
                        field: field,
                        reason: "unknown connection field; a credential fills \(Self.fields.joined(separator: ", "))")
                }
                guard case .string(let name) = target, !name.isEmpty else {
                    throw RequestError(field: field, reason: "must be the provider's field name (a string)")
                }
                mapping[key] = name
            }
        }
        try reader.rejectUnknown(hint: "credential fields are name, ref and field_mapping")
        self.init(provider: name, reference: ref, fieldMapping: mapping)
    }
}
