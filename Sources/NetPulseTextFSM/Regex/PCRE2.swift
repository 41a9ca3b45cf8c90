internal import CPCRE2

// The only file that calls PCRE2.
//
// Why PCRE2: measured on the ntc template `cisco_ios_show_interfaces` (the rules of its `Start` state tried
// in order on every line of a 10,020-line `show interfaces`, captures copied out as Strings; best of 5;
// `swift build -c release --product netpulse-textfsm-bench && .build/release/netpulse-textfsm-bench engines`):
//
//     PCRE2 10.42 JIT        16-17 ms
//     PCRE2 10.42 no JIT     44 ms
//     NSRegularExpression    247 ms
//     Swift Regex            397 ms
//     (Python textfsm, the whole parse of the same output: 171 ms)
//
// (2 cores, load average 6-7 while other builds ran.) Only PCRE2 with its JIT leaves room for the
// 10x over Python that the parse must reach; NSRegularExpression and Swift Regex are slower than Python's
// `re` on these patterns.

/// A compiled PCRE2 pattern, JIT-compiled when the library has a JIT.
///
/// `@unchecked Sendable`: the `pcre2_code` is never modified after `init` (compiling and JIT-compiling
/// happen there), and PCRE2 documents compiled patterns as safe to use from several threads at once;
/// every match brings its own `PCRE2MatchData`.
final class PCRE2Code: @unchecked Sendable {
    private let code: OpaquePointer
    private let jit: Bool
    /// Capturing groups in the pattern.
    let captureCount: Int

    /// Compiles `pattern` (PCRE2 syntax, UTF-8, UCP) anchored at the start of the subject, as Python's
    /// `re.match` is.
    init(_ pattern: String) throws(PCRE2Error) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options =
            UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP) | UInt32(PCRE2_ANCHORED) | UInt32(PCRE2_ALT_CIRCUMFLEX)
            | UInt32(PCRE2_NO_UTF_CHECK)
        var pattern = pattern
        let compiled = pattern.withUTF8 { bytes in
            // Never empty: the translator starts every pattern with `(*LF)`.
            pcre2_compile_8(bytes.baseAddress, bytes.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            throw PCRE2Error(message: PCRE2Code.message(errorCode), offset: errorOffset)
        }
        code = compiled
        jit = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        var count: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
        captureCount = Int(count)
    }

    deinit {
        pcre2_code_free_8(code)
    }

    /// Matches at the start of `subject`; the groups are then in `data`.
    func match(_ subject: UnsafeBufferPointer<UInt8>, _ data: borrowing PCRE2MatchData) throws(PCRE2Error) -> Bool {
        guard let base = subject.baseAddress else {
            // An empty subject still needs a valid pointer.
            var byte: UInt8 = 0
            return try withUnsafePointer(to: &byte) { pointer throws(PCRE2Error) in
                try match(UnsafeBufferPointer(start: pointer, count: 0), data)
            }
        }
        var result: Int32
        if jit {
            result = pcre2_jit_match_8(code, base, subject.count, 0, 0, data.pointer, data.context)
            if result == PCRE2_ERROR_JIT_STACKLIMIT {
                // The JIT's 32 KiB stack ran out; the interpreter keeps its frames on the heap.
                result = pcre2_match_8(
                    code, base, subject.count, 0, UInt32(PCRE2_NO_JIT) | UInt32(PCRE2_NO_UTF_CHECK), data.pointer,
                    data.context
                )
            }
        } else {
            result = pcre2_match_8(code, base, subject.count, 0, UInt32(PCRE2_NO_UTF_CHECK), data.pointer, data.context)
        }
        if result > 0 { return true }
        if result == PCRE2_ERROR_NOMATCH { return false }
        throw PCRE2Error(message: PCRE2Code.message(result), offset: nil)
    }

    static func message(_ code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer[0..<Int(length)], as: UTF8.self)
    }
}

/// Where a match puts its groups; one per parse (or per thread), reused from match to match.
struct PCRE2MatchData: ~Copyable {
    fileprivate let pointer: OpaquePointer
    /// The limits: PCRE2's default match limit (10 million) ends matches that Python's backtracking
    /// finishes within seconds on some ntc regexes (nested `\s*\w*` runs on a long line); 100 million
    /// lets those finish and still bounds a runaway pattern.
    fileprivate let context: OpaquePointer
    static let matchLimit: UInt32 = 100_000_000
    private let ovector: UnsafeMutablePointer<Int>
    private let pairs: Int

    /// Room for group 0 and `captureCount` groups.
    init(captureCount: Int) {
        pairs = captureCount + 1
        // Allocation fails only when memory is exhausted, like any Swift allocation.
        pointer = pcre2_match_data_create_8(UInt32(pairs), nil)!
        ovector = pcre2_get_ovector_pointer_8(pointer)
        context = pcre2_match_context_create_8(nil)!
        pcre2_set_match_limit_8(context, Self.matchLimit)
    }

    deinit {
        pcre2_match_context_free_8(context)
        pcre2_match_data_free_8(pointer)
    }

    /// The `(*MARK:n)` passed on the way to the last match, as a number.
    var mark: Int? {
        guard let name = pcre2_get_mark_8(pointer) else { return nil }
        var value = 0
        var index = 0
        while name[index] != 0 {
            let digit = Int(name[index]) - 0x30
            guard (0...9).contains(digit) else { return nil }
            value = value * 10 + digit
            index += 1
        }
        return index == 0 ? nil : value
    }

    /// The byte range of `group` in the subject of the last match, nil when the group did not take part.
    func range(of group: Int) -> Range<Int>? {
        guard group < pairs else { return nil }
        let start = ovector[2 * group]
        let end = ovector[2 * group + 1]
        // PCRE2_UNSET is ~0 as size_t: -1 here.
        guard start >= 0, end >= start else { return nil }
        return start..<end
    }
}

/// PCRE2 refused a pattern or failed a match.
struct PCRE2Error: Error {
    var message: String
    /// Byte offset in the pattern, for compile errors.
    var offset: Int?
}
