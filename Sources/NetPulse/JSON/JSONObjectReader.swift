/// Reads one JSON object field by field, naming the field path in every error, and refuses
/// fields it was not asked for.
struct JSONObjectReader {
    let object: [String: JSONValue]
    let path: String
    private(set) var read: Set<String> = []

    init(_ value: JSONValue, path: String) throws(RequestError) {
        guard case .object(let object) = value else {
            throw RequestError(field: path, reason: "must be an object, got \(value.typeName)")
        }
        self.object = object
        self.path = path
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`; a JSON `null` counts as absent.
    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func has(_ key: String) -> Bool {
        if let value = object[key], value != .null { return true }
        return false
    }

    mutating func string(_ key: String) throws(RequestError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let string) = value else {
            throw RequestError(field: field(key), reason: "must be a string, got \(value.typeName)")
        }
        return string
    }

    mutating func secret(_ key: String) throws(RequestError) -> Secret? {
        guard let value = value(key) else { return nil }
        // The value is never quoted back: it may be a secret typed in the wrong place.
        guard case .string(let string) = value else {
            throw RequestError(field: field(key), reason: "must be a string, got \(value.typeName)")
        }
        return Secret(string)
    }

    mutating func bool(_ key: String) throws(RequestError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let bool) = value else {
            throw RequestError(field: field(key), reason: "must be true or false, got \(value.typeName)")
        }
        return bool
    }

    mutating func int(_ key: String) throws(RequestError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 1e15 else {
            throw RequestError(field: field(key), reason: "must be a whole number, got \(value.typeName)")
        }
        return Int(number)
    }

    /// A number of seconds (integer or fraction).
    mutating func seconds(_ key: String) throws(RequestError) -> Duration? {
        guard let value = value(key) else { return nil }
        guard case .number(let number) = value, number.isFinite else {
            throw RequestError(field: field(key), reason: "must be a number of seconds, got \(value.typeName)")
        }
        guard abs(number) <= 1e9 else {
            throw RequestError(field: field(key), reason: "is out of range (at most 1e9 seconds)")
        }
        return .milliseconds(Int64((number * 1000).rounded()))
    }

    /// A string or a list of strings; a string is split into its non-empty lines.
    mutating func lines(_ key: String) throws(RequestError) -> [String]? {
        guard let value = value(key) else { return nil }
        switch value {
        case .string(let string):
            return Self.splitLines(string)
        case .array(let items):
            var lines: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let string) = item else {
                    throw RequestError(
                        field: "\(field(key))[\(index)]",
                        reason: "must be a string, got \(item.typeName)"
                    )
                }
                lines += Self.splitLines(string)
            }
            return lines
        default:
            throw RequestError(
                field: field(key),
                reason: "must be a string or a list of strings, got \(value.typeName)"
            )
        }
    }

    /// A string naming one of `Choice`'s raw values.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ key: String,
        as type: Choice.Type
    ) throws(RequestError) -> Choice? where Choice.RawValue == String {
        guard let name = try string(key) else { return nil }
        guard let choice = Choice(rawValue: name.lowercased()) else {
            let known = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw RequestError(field: field(key), reason: "unknown value '\(name)'; expected one of: \(known)")
        }
        return choice
    }

    /// Fails on the first field that was never read.
    func rejectUnknown(hint: String) throws(RequestError) {
        let unknown = object.keys.filter { !read.contains($0) }.sorted()
        if let first = unknown.first {
            throw RequestError(field: field(first), reason: "unknown field; \(hint)")
        }
    }

    static func splitLines(_ string: String) -> [String] {
        string.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            .filter { !$0.allSatisfy(\.isWhitespace) }
            .map(String.init)
    }
}
