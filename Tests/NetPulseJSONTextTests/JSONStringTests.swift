import Foundation
import NetPulseJSONText
import Testing

@Suite("JSON string literals")
struct JSONStringTests {
    @Test(
        "exact output of the tricky cases",
        arguments: [
            ("", #""""#),
            ("plain text / slash", #""plain text / slash""#),
            (#"say "hi""#, #""say \"hi\"""#),
            (#"C:\path\"#, #""C:\\path\\""#),
            ("a\nb\rc\td", #""a\nb\rc\td""#),
            ("\u{08}\u{0C}", #""\b\f""#),
            ("\u{00}\u{01}\u{1B}\u{1F}", #""\u0000\u0001\u001b\u001f""#),
            ("\u{7F}", #""\u007f""#),
            ("line\u{2028}para\u{2029}end", #""line\u2028para\u2029end""#),
            ("é 日本 🙂 e\u{301}", "\"é 日本 🙂 e\u{301}\""),
            ("\u{80}\u{9F}\u{A0}", "\"\u{80}\u{9F}\u{A0}\""),
        ])
    func exact(input: String, expected: String) {
        #expect(JSONString.quoted(input) == expected)
        var bytes: [UInt8] = [UInt8(ascii: "x")]
        JSONString.append(input, to: &bytes)
        #expect(bytes == [UInt8(ascii: "x")] + Array(expected.utf8))
    }

    @Test("every ASCII character, C1 controls, the separators and astral scalars decode back to themselves")
    func roundTrip() throws {
        var scalars: [Unicode.Scalar] = (0...0x7F).compactMap(Unicode.Scalar.init)
        scalars += (0x80...0x9F).compactMap(Unicode.Scalar.init)
        scalars += [0xA0, 0xFEFF, 0x2028, 0x2029, 0xFFFD, 0x1F642, 0x10FFFF].compactMap(Unicode.Scalar.init)
        let original = String(String.UnicodeScalarView(scalars))
        let literal = JSONString.quoted(original)
        let decoded = try JSONDecoder().decode([String].self, from: Data("[\(literal)]".utf8))
        #expect(decoded == [original])
        // Nothing raw that a line-oriented or JavaScript reader would trip on.
        let bytes = Array(literal.utf8)
        #expect(!bytes.contains { $0 < 0x20 || $0 == 0x7F })
        #expect(!literal.unicodeScalars.contains { $0.value == 0x2028 || $0.value == 0x2029 })
    }

    @Test("a long mixed string decodes back to itself")
    func longMixed() throws {
        let piece = "ok \"q\" \\ \n\t\u{0}\u{7F}\u{2028}ü🙂"
        let original = String(repeating: piece, count: 500)
        let decoded = try JSONDecoder().decode(String.self, from: Data(JSONString.quoted(original).utf8))
        #expect(decoded == original)
    }
}
