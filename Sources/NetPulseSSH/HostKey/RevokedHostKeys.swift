import Foundation

/// The `@revoked` lines of a known_hosts file, which libssh 0.10.6 does not act on (it skips them).
///
/// A key listed as revoked is refused for every host, whatever the line's host pattern says: a revoked
/// key must never be accepted, and being stricter than the pattern costs nothing.
struct RevokedHostKeys {
    /// `(key type, base64 blob)` pairs.
    private(set) var keys: Set<[String]> = []

    init(text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 4, fields[0] == "@revoked" else { continue }
            keys.insert([String(fields[2]), String(fields[3])])
        }
    }

    /// Reads the file; a missing or unreadable file revokes nothing.
    init(file: String) {
        let path = NSString(string: file).expandingTildeInPath
        self.init(text: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    func contains(type: String, base64: String) -> Bool { keys.contains([type, base64]) }
}
