/// JSON string literals (RFC 8259), written one way wherever NetPulse writes JSON text by hand: the
/// lab's inventory, TextFSM records, JSON log lines.
///
/// Escaped: `"` and `\`; `\n`, `\r`, `\t`, `\b`, `\f` in their short forms; every other control
/// character (U+0000–U+001F) and DEL (U+007F) as `\u00XX`; U+2028 and U+2029 as `\u2028` and `\u2029`,
/// which JSON allows raw but JavaScript string literals (before ES2019) and some log viewers do not.
/// Everything else, non-ASCII included, is written as its UTF-8 bytes. A Swift `String` is always valid
/// Unicode, so the output is always valid UTF-8 and valid JSON.
package enum JSONString {
    /// Appends `text` as a JSON string literal, quotes included, to UTF-8 bytes.
    package static func append(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += #"\""#.utf8
            case 0x5C: out += #"\\"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0x08: out += #"\b"#.utf8
            case 0x0C: out += #"\f"#.utf8
            case 0x00..<0x20, 0x7F, 0x2028, 0x2029: appendUnicodeEscape(scalar.value, to: &out)
            case 0x20..<0x7F: out.append(UInt8(truncatingIfNeeded: scalar.value))
            default: UTF8.encode(scalar) { out.append($0) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `text` as a JSON string literal, quotes included.
    package static func quoted(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `\uXXXX`, lowercase hexadecimal, for a scalar in the Basic Multilingual Plane.
    private static func appendUnicodeEscape(_ value: UInt32, to out: inout [UInt8]) {
        out += #"\u"#.utf8
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
