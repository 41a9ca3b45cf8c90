internal import CPCRE2
import Foundation
import NetPulseTextFSM

/// The measurement behind the choice of PCRE2 (see `Sources/NetPulseTextFSM/Regex/PCRE2.swift`): the rules
/// of the template's `Start` state tried in order on every input line (past a `Continue` rule, on to the
/// next), every group of a match copied out as a String, with each engine.
enum RegexEngines {
    static func compare(template: TextFSMTemplate, input: String, rounds: Int) throws {
        guard let start = template.states.first(where: { $0.name == "Start" }) else { return }
        let lines = input.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let continues = start.rules.map { $0.lineAction == .continue }
        // Named groups become plain groups for the engines that do not take Python's `(?P<name>`.
        let plain = start.rules.map { $0.regex.replacing(#/\(\?P<\w+>/#, with: "(") }

        let pcre2 = try start.rules.map { try PCRE2Loop($0.pcre2Regex, jit: true) }
        report("PCRE2 (JIT)", rounds) { PCRE2Loop.run(pcre2, lines, continues) }
        let interpreted = try start.rules.map { try PCRE2Loop($0.pcre2Regex, jit: false) }
        report("PCRE2 (no JIT)", rounds) { PCRE2Loop.run(interpreted, lines, continues) }

        let foundation = try plain.map { try NSRegularExpression(pattern: $0) }
        report("NSRegularExpression", rounds) {
            var captures = 0
            for line in lines {
                let string = line as NSString
                let range = NSRange(location: 0, length: string.length)
                for (index, regex) in foundation.enumerated() {
                    guard let match = regex.firstMatch(in: line, options: .anchored, range: range) else { continue }
                    for group in 1..<match.numberOfRanges where match.range(at: group).location != NSNotFound {
                        _ = string.substring(with: match.range(at: group))
                        captures += 1
                    }
                    if !continues[index] { break }
                }
            }
            return captures
        }

        let swift = try plain.map { try Regex($0) }
        report("Swift Regex", rounds) {
            var captures = 0
            for line in lines {
                for (index, regex) in swift.enumerated() {
                    guard let match = try? regex.prefixMatch(in: line) else { continue }
                    for group in 1..<match.output.count {
                        if let text = match.output[group].substring {
                            _ = String(text)
                            captures += 1
                        }
                    }
                    if !continues[index] { break }
                }
            }
            return captures
        }
    }

    static func report(_ engine: String, _ rounds: Int, _ body: () -> Int) {
        let result = best(rounds, body)
        print(#"{"engine": "\#(engine)", "captures": \#(result.count), "ms": \#(result.seconds * 1000)}"#)
    }
}

/// The PCRE2 side of the comparison, with the same calls the engine makes.
final class PCRE2Loop {
    let code: OpaquePointer
    let jit: Bool
    let data: OpaquePointer

    init(_ pattern: String, jit: Bool) throws {
        var error: Int32 = 0
        var offset = 0
        let options = UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP) | UInt32(PCRE2_ANCHORED) | UInt32(PCRE2_NO_UTF_CHECK)
        var pattern = pattern
        guard let code = pattern.withUTF8({ pcre2_compile_8($0.baseAddress, $0.count, options, &error, &offset, nil) })
        else { throw CocoaError(.formatting) }
        self.code = code
        self.jit = jit && pcre2_jit_compile_8(code, UInt32(PCRE2_JIT_COMPLETE)) == 0
        data = pcre2_match_data_create_from_pattern_8(code, nil)
    }

    deinit {
        pcre2_match_data_free_8(data)
        pcre2_code_free_8(code)
    }

    static func run(_ loops: [PCRE2Loop], _ lines: [String], _ continues: [Bool]) -> Int {
        var captures = 0
        for var line in lines {
            line.withUTF8 { bytes in
                for (index, loop) in loops.enumerated() {
                    let result =
                        loop.jit
                        ? pcre2_jit_match_8(loop.code, bytes.baseAddress, bytes.count, 0, 0, loop.data, nil)
                        : pcre2_match_8(
                            loop.code, bytes.baseAddress, bytes.count, 0, UInt32(PCRE2_NO_UTF_CHECK), loop.data, nil
                        )
                    guard result > 0 else { continue }
                    let ovector = pcre2_get_ovector_pointer_8(loop.data)!
                    for group in 1..<Int(result) where ovector[2 * group] != -1 {
                        _ = String(
                            decoding: UnsafeBufferPointer(rebasing: bytes[ovector[2 * group]..<ovector[2 * group + 1]]),
                            as: UTF8.self)
                        captures += 1
                    }
                    if !continues[index] { break }
                }
            }
        }
        return captures
    }
}
