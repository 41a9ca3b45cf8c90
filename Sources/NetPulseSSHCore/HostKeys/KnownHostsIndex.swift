import Foundation

/// What a known_hosts file says about one server key for one host name.
public enum KnownHostsVerdict: Sendable, Equatable {
    /// A line for the host holds this key.
    case match
    /// Lines for the host hold other keys of the same type.
    case mismatch
    /// Lines for the host hold only keys of other types (OpenSSH: "other keys known").
    case otherType
    /// The key is marked `@revoked`.
    case revoked
    /// Only `@cert-authority` lines name the host: they vouch for host certificates, which NetPulse does
    /// not take, never for a plain key.
    case certificateAuthorityOnly
    /// No line names the host.
    case notFound
}

/// One known_hosts file, parsed once and indexed: plain names in a dictionary (`host` and
/// `[host]:port` alike), hashed names (`|1|salt|hash`) with their HMAC key prepared, pattern lines
/// (`*`, `?`, `!`) apart, and `@revoked` keys in a set.
///
/// A lookup of a plain name is one dictionary access. A hashed name can only be found by hashing the
/// name with each line's salt, as OpenSSH does; the answer is then remembered per name, so a host is
/// hashed against the file once per file version.
struct KnownHostsIndex: Sendable {
    enum Marker: Sendable { case none, certificateAuthority }

    struct Entry: Sendable {
        var marker: Marker
        var type: String
        var blob: [UInt8]
    }

    struct HashedName: Sendable {
        var key: HMACSHA1Key
        var hash: [UInt8]
        var entry: Int
    }

    private(set) var entries: [Entry] = []
    private(set) var plain: [String: [Int]] = [:]
    private(set) var hashed: [HashedName] = []
    private(set) var patterns: [(list: [UInt8], entry: Int)] = []
    private(set) var revoked: Set<[UInt8]> = []
    /// Lines that were not understood (skipped, as OpenSSH does).
    private(set) var skipped = 0

    init() {}

    init(bytes: [UInt8]) {
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            add(line: line)
        }
    }

    /// Adds one line (as a file append does).
    mutating func add(line: ArraySlice<UInt8>) {
        var fields = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0d || $0 == 0x0a })[...]
        guard let first = fields.first, first.first != UInt8(ascii: "#") else { return }
        var marker = Marker.none
        if first.first == UInt8(ascii: "@") {
            switch String(decoding: first, as: UTF8.self) {
            case "@revoked":
                fields = fields.dropFirst()
                if fields.count >= 3, let blob = Data(base64Encoded: Data(fields[fields.startIndex + 2])) {
                    revoked.insert(Array(blob))
                } else {
                    skipped += 1
                }
                return
            case "@cert-authority":
                marker = .certificateAuthority
                fields = fields.dropFirst()
            default:
                skipped += 1
                return
            }
        }
        guard fields.count >= 3, let blob = Data(base64Encoded: Data(fields[fields.startIndex + 2])),
            let type = SSHHostKey.leadingString(of: Array(blob))
        else {
            skipped += 1
            return
        }
        let hosts = fields[fields.startIndex]
        let index = entries.count
        entries.append(Entry(marker: marker, type: type, blob: Array(blob)))
        if HostPattern.isPattern(hosts) {
            patterns.append((Array(hosts), index))
            return
        }
        for name in hosts.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            if name.starts(with: "|1|".utf8) {
                if let hashedName = Self.hashedName(name, entry: index) {
                    hashed.append(hashedName)
                } else {
                    skipped += 1
                }
            } else {
                plain[String(decoding: name.map(HostPattern.lowercase), as: UTF8.self), default: []].append(index)
            }
        }
    }

    /// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`.
    private static func hashedName(_ field: ArraySlice<UInt8>, entry: Int) -> HashedName? {
        let parts = field.dropFirst(3).split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        guard parts.count == 2, let salt = Data(base64Encoded: Data(parts[0])),
            let hash = Data(base64Encoded: Data(parts[1])), hash.count == 20
        else { return nil }
        return HashedName(key: HMACSHA1Key(secret: Array(salt)), hash: Array(hash), entry: entry)
    }

    /// The entries whose host field names `name` (lowercased known_hosts form), hashed names included.
    func entries(named name: String) -> [Int] {
        var found = plain[name] ?? []
        let bytes = Array(name.utf8)
        if !hashed.isEmpty {
            var digest = [UInt8](repeating: 0, count: 20)
            bytes.withUnsafeBufferPointer { message in
                for candidate in hashed {
                    candidate.key.code(for: message, into: &digest)
                    if digest == candidate.hash { found.append(candidate.entry) }
                }
            }
        }
        for (list, entry) in patterns where HostPattern.listMatches(list, name: bytes) {
            found.append(entry)
        }
        return found
    }

    /// The verdict for `key` among the given entries (those naming the host).
    func verdict(for key: SSHHostKey, among found: [Int]) -> KnownHostsVerdict {
        if revoked.contains(key.blob) { return .revoked }
        var sameType = false
        var otherType = false
        var authorities = false
        for index in found {
            let entry = entries[index]
            if entry.marker == .certificateAuthority {
                authorities = true
                continue
            }
            if entry.blob == key.blob { return .match }
            if entry.type == key.type { sameType = true } else { otherType = true }
        }
        if sameType { return .mismatch }
        if otherType { return .otherType }
        return authorities ? .certificateAuthorityOnly : .notFound
    }
}
