/// One record of a parse: the template's Values, in the template's order, under their lower-cased names
/// (as ntc-templates' `parse_output` returns them).
public struct TextFSMRecord: Sendable, Hashable, Encodable, CustomStringConvertible {
    /// The fields in Value order.
    public private(set) var fields: [TextFSMField]

    /// A record from fields; a name given twice keeps its first place and its last value, as a Python dict.
    public init(fields: [TextFSMField]) {
        self.fields = []
        for field in fields {
            if let index = self.fields.firstIndex(where: { $0.name == field.name }) {
                self.fields[index].value = field.value
            } else {
                self.fields.append(field)
            }
        }
    }

    init(uniqueFields: [TextFSMField]) {
        fields = uniqueFields
    }

    /// The value of the field `name` (lower-cased Value name).
    public subscript(name: String) -> TextFSMValue? {
        fields.first { $0.name == name }?.value
    }

    /// The field names in order.
    public var names: [String] { fields.map(\.name) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        for field in fields {
            try container.encode(field.value, forKey: DynamicKey(field.name))
        }
    }

    public var description: String { TextFSMJSON.object(self, indent: nil, level: 0) }
}

/// A named value of a record.
public struct TextFSMField: Sendable, Hashable {
    public var name: String
    public var value: TextFSMValue

    public init(name: String, value: TextFSMValue) {
        self.name = name
        self.value = value
    }
}

/// A record's value: a string, or a list for a `List` Value.
public enum TextFSMValue: Sendable, Hashable, Encodable, ExpressibleByStringLiteral {
    /// A plain Value; an empty string when nothing was captured.
    case string(String)
    /// A `List` Value.
    case list([TextFSMListItem])

    public init(stringLiteral value: String) {
        self = .string(value)
    }

    /// The string, or nil for a list.
    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .list(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        }
    }
}

/// One entry of a `List` Value.
public enum TextFSMListItem: Sendable, Hashable, Encodable, ExpressibleByStringLiteral {
    case string(String)
    /// Python's `None`: the Value's group did not take part in the match (JSON `null`).
    case null
    /// A `List` Value whose regex has named groups gives, per match, each group's text (textfsm's dict).
    case groups([TextFSMGroup])

    public init(stringLiteral value: String) {
        self = .string(value)
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .groups(let groups):
            var container = encoder.container(keyedBy: DynamicKey.self)
            for group in groups {
                try container.encode(group.value, forKey: DynamicKey(group.name))
            }
        }
    }
}

/// A named group of a `List` Value's match.
public struct TextFSMGroup: Sendable, Hashable {
    public var name: String
    /// nil when the group did not take part in the match.
    public var value: String?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ string: String) { stringValue = string }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
