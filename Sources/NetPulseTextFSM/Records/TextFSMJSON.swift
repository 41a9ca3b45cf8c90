import NetPulseJSONText

/// JSON for records with the fields in template order (`JSONEncoder` does not keep the order of keys).
public enum TextFSMJSON {
    /// A JSON array of `records`; `indent` spaces per level, or nil for one line.
    public static func array(_ records: [TextFSMRecord], indent: Int? = 2) -> String {
        var out = ""
        list(records.map { object($0, indent: indent, level: 1) }, indent: indent, level: 0, into: &out)
        return out
    }

    static func object(_ record: TextFSMRecord, indent: Int?, level: Int) -> String {
        var out = ""
        let members = record.fields.map { field in
            string(field.name) + ": " + value(field.value, indent: indent, level: level + 1)
        }
        object(members, indent: indent, level: level, into: &out)
        return out
    }

    static func value(_ value: TextFSMValue, indent: Int?, level: Int) -> String {
        switch value {
        case .string(let text):
            return string(text)
        case .list(let items):
            var out = ""
            list(items.map { item($0, indent: indent, level: level + 1) }, indent: indent, level: level, into: &out)
            return out
        }
    }

    static func item(_ item: TextFSMListItem, indent: Int?, level: Int) -> String {
        switch item {
        case .string(let text):
            return string(text)
        case .null:
            return "null"
        case .groups(let groups):
            var out = ""
            let members = groups.map { string($0.name) + ": " + ($0.value.map(string) ?? "null") }
            object(members, indent: indent, level: level, into: &out)
            return out
        }
    }

    private static func list(_ elements: [String], indent: Int?, level: Int, into out: inout String) {
        container(elements, open: "[", close: "]", indent: indent, level: level, into: &out)
    }

    private static func object(_ members: [String], indent: Int?, level: Int, into out: inout String) {
        container(members, open: "{", close: "}", indent: indent, level: level, into: &out)
    }

    private static func container(
        _ elements: [String], open: String, close: String, indent: Int?, level: Int, into out: inout String
    ) {
        out += open
        guard !elements.isEmpty else {
            out += close
            return
        }
        guard let indent else {
            out += elements.joined(separator: ", ") + close
            return
        }
        let inner = "\n" + String(repeating: " ", count: indent * (level + 1))
        out += inner + elements.joined(separator: "," + inner)
        out += "\n" + String(repeating: " ", count: indent * level) + close
    }

    /// A JSON string literal.
    static func string(_ text: String) -> String { JSONString.quoted(text) }
}
