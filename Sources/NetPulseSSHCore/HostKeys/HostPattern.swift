import NetPulse

/// OpenSSH's host pattern rules (`match_pattern_list` in its match.c), for known_hosts host fields:
/// a comma-separated list of patterns with `*` (any run) and `?` (any one character), each maybe
/// negated with `!`; names compare without regard to ASCII case. A list matches a name when some
/// positive pattern matches it and no negated one does.
enum HostPattern {
    /// Whether the comma-separated `list` matches `name` (already lowercased).
    static func listMatches(_ list: [UInt8], name: [UInt8]) -> Bool {
        var positive = false
        for pattern in list.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            let negated = pattern.first == UInt8(ascii: "!")
            let body = negated ? pattern.dropFirst() : pattern[...]
            if matches(Array(body).map(lowercase), name: name) {
                if negated { return false }
                positive = true
            }
        }
        return positive
    }

    /// Whether one glob `pattern` matches all of `name`.
    static func matches(_ pattern: [UInt8], name: [UInt8]) -> Bool { Glob.matches(pattern, name: name) }

    /// Whether a host field holds a pattern (wildcards or negation) rather than plain names.
    static func isPattern(_ field: some Collection<UInt8>) -> Bool {
        field.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "!") }
    }

    static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    /// The name known_hosts uses for a connection: `host` on port 22, `[host]:port` otherwise
    /// (brackets around an IPv6 host removed first), lowercased.
    static func knownHostsName(host: String, port: Int) -> String {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let lower = String(decoding: bare.utf8.map(lowercase), as: UTF8.self)
        return port == 22 ? lower : "[\(lower)]:\(port)"
    }
}
