/// OpenSSH's glob (`match_pattern` in its match.c): `*` matches any run of bytes, `?` any one byte.
///
/// Linear in practice (one backtrack point), so a long name against a pattern of many `*` stays cheap. Used
/// by ssh_config `Host` patterns, known_hosts host patterns and the operator's allowed credential references.
package enum Glob {
    /// Whether `pattern` matches all of `name`, byte for byte.
    package static func matches(_ pattern: [UInt8], name: [UInt8]) -> Bool {
        var p = 0
        var n = 0
        var starP = -1
        var starN = 0
        while n < name.count {
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == name[n]) {
                p += 1
                n += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                starP = p
                starN = n
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starN += 1
                n = starN
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// ``matches(_:name:)`` on strings, optionally without regard to ASCII case.
    package static func matches(_ pattern: some StringProtocol, _ name: some StringProtocol, ignoringCase: Bool) -> Bool
    {
        func bytes(_ text: some StringProtocol) -> [UInt8] {
            ignoringCase ? text.utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 } : Array(text.utf8)
        }
        return matches(bytes(pattern), name: bytes(name))
    }
}
