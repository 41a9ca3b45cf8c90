/// The devices an API may connect to: IPv4 networks (`127.0.0.0/8`), exact IP addresses, exact
/// host names. A host name matches only when listed itself: it is never resolved to check it.
///
/// An HTTP API that opens connections where a request says is a way into every network the server
/// reaches; a filter keeps it to the networks it is meant for.
public struct TargetFilter: Sendable, Hashable, CustomStringConvertible {
    private var networks: [(address: UInt32, mask: UInt32)] = []
    private var exact: Set<String> = []
    private var rules: [String] = []

    /// - Parameter rules: `a.b.c.d/n` networks, IP addresses or host names.
    /// - Throws: ``ServerConfigurationError`` (field `allowed_targets`) for a malformed rule.
    public init(_ rules: [String]) throws(ServerConfigurationError) {
        for rule in rules {
            let trimmed = rule.trimmingWhitespace()
            guard !trimmed.isEmpty else { continue }
            if let slash = trimmed.firstIndex(of: "/") {
                guard let address = Self.ipv4(trimmed[..<slash]),
                    let bits = Int(trimmed[trimmed.index(after: slash)...]),
                    (0...32).contains(bits)
                else {
                    throw ServerConfigurationError(
                        field: "allowed_targets", reason: "'\(trimmed)' is not an IPv4 network (a.b.c.d/n)")
                }
                let mask: UInt32 = bits == 0 ? 0 : ~0 << (32 - UInt32(bits))
                networks.append((address & mask, mask))
            } else {
                exact.insert(Self.normalized(trimmed))
            }
            self.rules.append(String(trimmed))
        }
        if self.rules.isEmpty {
            throw ServerConfigurationError(field: "allowed_targets", reason: "is empty; give at least one rule")
        }
    }

    /// Whether a device's host is allowed.
    public func allows(_ host: String) -> Bool {
        let name = Self.normalized(host[...])
        if exact.contains(name) { return true }
        guard let address = Self.ipv4(name[...]) else { return false }
        return networks.contains { address & $0.mask == $0.address }
    }

    public var description: String { rules.joined(separator: ",") }

    public static func == (lhs: TargetFilter, rhs: TargetFilter) -> Bool { lhs.rules == rhs.rules }
    public func hash(into hasher: inout Hasher) { hasher.combine(rules) }

    private static func normalized(_ host: Substring) -> String {
        var host = host
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return host.lowercased()
    }

    /// A dotted-quad IPv4 address, strictly (four decimal parts, 0...255, no leading zeros).
    static func ipv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || !part.hasPrefix("0"), let byte = UInt8(part)
            else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> SubSequence {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}
