/// Python's `str()` of what a `List` Value holds, for the CliTable path.
///
/// ntc-templates' `parse_output` goes through `clitable.CliTable`, whose rows keep list entries as
/// `str(entry)`: a string stays itself, `None` becomes `"None"` and a dict of named groups becomes its Python
/// `repr`, `"{'name': 'Bob', 'age': '32'}"`. ``TemplateIndex`` gives the same strings.
enum PythonRepr {
    static func str(_ item: TextFSMListItem) -> String {
        switch item {
        case .string(let text): return text
        case .null: return "None"
        case .groups(let groups):
            let members = groups.map { repr($0.name) + ": " + ($0.value.map(repr) ?? "None") }
            return "{" + members.joined(separator: ", ") + "}"
        }
    }

    /// `repr()` of a Python `str`.
    static func repr(_ text: String) -> String {
        let quote: Unicode.Scalar =
            text.unicodeScalars.contains("'") && !text.unicodeScalars.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case quote, "\\":
                out += "\\" + String(scalar)
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value < 0x100 {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value < 0x10000 {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else {
                    out += "\\U" + hex(scalar.value, width: 8)
                }
            }
        }
        out.unicodeScalars.append(quote)
        return out
    }

    /// `str.isprintable()` for one character: not a control, format, surrogate, private-use, unassigned or
    /// separator character, except the ASCII space.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
