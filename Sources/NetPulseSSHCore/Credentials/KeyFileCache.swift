import Glibc
import NetPulse
import Synchronization

/// Private key files, each read once and kept while it does not change, so that a connect whose keys
/// are in memory reads no file (it may then run on a loop thread, which must not block on files).
///
/// As with known_hosts (``KnownHostsStore``), one `stat` tells whether the file is the one read: its
/// identity (device, inode, size, modification and change times) must match, or the file is read again
/// off the loop thread. The text is kept as a ``Secret``: it never reaches a log or an error. At most
/// ``capacity`` files are kept; past that the cache starts again empty.
final class KeyFileCache: Sendable {
    /// The cache every session uses.
    static let shared = KeyFileCache()

    /// The most files kept at once.
    static let capacity = 64

    private struct Entry: Sendable {
        var identity: FileIdentity
        var text: Secret
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The text of the key file at `path` (expanded) if the version in memory is still the file's (one
    /// `stat`); `nil` when it is not in memory or has changed.
    func cached(_ path: String) -> Secret? {
        guard let entry = entries.withLock({ $0[path] }), RegularFile.identity(of: path) == entry.identity else {
            return nil
        }
        return entry.text
    }

    /// Reads the key file at `path` (expanded; blocking) and keeps it.
    ///
    /// - Returns: Its text, or `nil` when there is no such file.
    /// - Throws: `invalid_request` naming `key_file` when it is not a regular file, is too large or cannot
    ///   be read.
    func read(_ path: String) throws(NetPulseError) -> Secret? {
        assert(!ReadinessLoop.isAnyLoopThread, "a key file read on a readiness-loop thread")
        let limit = SSHDriverConfiguration.maxKeyFileBytes
        guard let (fd, identity) = try RegularFile.open(path, limit: limit, field: "key_file") else { return nil }
        defer { Glibc.close(fd) }
        let bytes = try RegularFile.readAll(fd, path: path, limit: limit, field: "key_file")
        let text = Secret(String(decoding: bytes, as: UTF8.self))
        entries.withLock { entries in
            if entries.count >= Self.capacity && entries[path] == nil { entries.removeAll() }
            entries[path] = Entry(identity: identity, text: text)
        }
        return text
    }

    /// How many files are kept (for tests).
    var count: Int { entries.withLock { $0.count } }
}
