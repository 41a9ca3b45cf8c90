/// A password, enable secret or passphrase.
///
/// Its `description`, `debugDescription`, reflection and JSON encoding all show `"********"`, so a
/// secret cannot reach a log line, an error or a JSON result by accident. Read ``revealed`` only
/// where the value is handed to the device.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, ExpressibleByStringLiteral, Encodable
{
    /// The mask shown wherever a secret would otherwise be printed.
    public static let mask = "********"

    private let value: String

    public init(_ value: String) { self.value = value }
    public init(stringLiteral value: String) { self.value = value }

    /// The secret itself, for the code that sends it to the device.
    public var revealed: String { value }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { Self.mask }
    public var debugDescription: String { "Secret(\(Self.mask))" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Self.mask)
    }
}
