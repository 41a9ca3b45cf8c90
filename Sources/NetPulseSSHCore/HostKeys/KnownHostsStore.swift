internal import CNetPulseSSHCore
import Glibc
public import NetPulse
import Synchronization

/// known_hosts files, each parsed once and kept while it does not change.
///
/// Every check costs one `stat` of the file: when its identity (device, inode, size, modification
/// and change times) is the one parsed, the index in memory answers; otherwise the file is read again.
/// Only regular files within ``maxFileSize`` are read.
///
/// Recording a new key (accept-new) is atomic: under one lock per file in this process and an
/// exclusive `flock` for other processes, the file is checked again and the line appended with one
/// `write` in append mode, so concurrent connects to one host record it once and connects to many
/// hosts leave one well-formed line each. Host names that contain control characters, NUL or
/// whitespace (or known_hosts syntax: `,`, `*`, `?`, `!`) are never written.
public final class KnownHostsStore: Sendable {
    /// The store every driver uses unless its configuration names another.
    public static let shared = KnownHostsStore()

    /// The largest known_hosts file read (bytes).
    public let maxFileSize: Int

    private let files = Mutex<[String: KnownHostsFile]>([:])

    /// - Parameter maxFileSize: The largest known_hosts file read, in bytes (64 MiB by default).
    public init(maxFileSize: Int = 64 << 20) {
        self.maxFileSize = maxFileSize
    }

    /// What `path` says of `key` for `host:port`.
    ///
    /// - Throws: `invalid_request` when the file is not a regular file, is too large or cannot be read.
    public func verdict(for key: SSHHostKey, host: String, port: Int, file path: String) throws(NetPulseError)
        -> KnownHostsVerdict
    {
        let name = HostPattern.knownHostsName(host: host, port: port)
        return try file(path).verdict(for: key, name: name, store: self)
    }

    /// What `path` says of `key` for `host:port`; a host the file does not know is recorded with this
    /// key (accept-new), atomically.
    ///
    /// - Returns: The verdict before recording (`.notFound` when the key was recorded).
    /// - Throws: `invalid_request` for a file that cannot be used or a host name that cannot be
    ///   written; `driver_error` when the write fails.
    public func verdictRecordingNew(for key: SSHHostKey, host: String, port: Int, file path: String)
        throws(NetPulseError) -> KnownHostsVerdict
    {
        let name = HostPattern.knownHostsName(host: host, port: port)
        return try file(path).verdictRecordingNew(for: key, name: name, store: self)
    }

    /// What `path` says of `key` for `host:port`, when the version of the file in memory can answer
    /// cheaply: the file has not changed since it was parsed (one `stat`), and the host was looked up
    /// before or the file has few hashed names and wildcard patterns to try. `nil` otherwise: the caller
    /// asks ``verdict(for:host:port:file:)`` where reading a file may block.
    func verdictFromMemory(for key: SSHHostKey, host: String, port: Int, file path: String) -> KnownHostsVerdict? {
        file(path).verdictFromMemory(for: key, name: HostPattern.knownHostsName(host: host, port: port))
    }

    private func file(_ path: String) -> KnownHostsFile {
        let expanded = RegularFile.expandingTilde(path)
        return files.withLock { files in
            if let file = files[expanded] { return file }
            let file = KnownHostsFile(path: expanded)
            files[expanded] = file
            return file
        }
    }

    /// Forgets every parsed file (for tests).
    func reset() { files.withLock { $0.removeAll() } }
}

/// One known_hosts file: its last parsed version and the names already looked up in it.
final class KnownHostsFile: Sendable {
    let path: String

    private struct Parsed {
        /// `nil` for a file that does not exist.
        var identity: FileIdentity?
        var index: KnownHostsIndex
        /// Entries per name already looked up in this version (hashed names cost a scan).
        var lookups: [String: [Int]] = [:]
    }

    private let parsed = Mutex<Parsed?>(nil)
    /// Serializes accept-new within the process (other processes: `flock`).
    private let recording = Mutex(())

    init(path: String) {
        self.path = path
    }

    static let field = "known_hosts_file"

    func verdict(for key: SSHHostKey, name: String, store: KnownHostsStore) throws(NetPulseError)
        -> KnownHostsVerdict
    {
        let identity = RegularFile.identity(of: path)
        if let known = answer(for: key, name: name, identity: identity, scanLimit: .max) { return known }
        let index = try load(store: store)
        return index.verdict(for: key, among: lookUp(name, in: index, identity: identity))
    }

    /// At most this many hashed names and patterns are tried for a host not looked up before, by
    /// ``verdictFromMemory(for:name:)`` (each hashed name costs an HMAC).
    static let memoryScanLimit = 64

    func verdictFromMemory(for key: SSHHostKey, name: String) -> KnownHostsVerdict? {
        answer(for: key, name: name, identity: RegularFile.identity(of: path), scanLimit: Self.memoryScanLimit)
    }

    /// The verdict of the parsed version when it is the file's version `identity`; `nil` when it is not,
    /// or when looking `name` up for the first time means trying more than `scanLimit` hashed names and
    /// patterns.
    private func answer(for key: SSHHostKey, name: String, identity: FileIdentity?, scanLimit: Int)
        -> KnownHostsVerdict?
    {
        let cached = parsed.withLock { parsed -> (KnownHostsIndex, [Int]?)? in
            guard let parsed, parsed.identity == identity else { return nil }
            return (parsed.index, parsed.lookups[name])
        }
        guard let (index, found) = cached else { return nil }
        if let found { return index.verdict(for: key, among: found) }
        guard index.hashed.count + index.patterns.count <= scanLimit else { return nil }
        return index.verdict(for: key, among: lookUp(name, in: index, identity: identity))
    }

    /// The entries of `index` for `name`, remembered for the file's version `identity`.
    private func lookUp(_ name: String, in index: KnownHostsIndex, identity: FileIdentity?) -> [Int] {
        let entries = index.entries(named: name)
        remember(name, entries, identity: identity)
        return entries
    }

    /// Reads and parses the file (or notes that it is missing), and keeps the result.
    private func load(store: KnownHostsStore) throws(NetPulseError) -> KnownHostsIndex {
        guard let (fd, identity) = try RegularFile.open(path, limit: store.maxFileSize, field: Self.field) else {
            parsed.withLock { $0 = Parsed(identity: nil, index: KnownHostsIndex()) }
            return KnownHostsIndex()
        }
        defer { close(fd) }
        let bytes = try RegularFile.readAll(fd, path: path, limit: store.maxFileSize, field: Self.field)
        let index = KnownHostsIndex(bytes: bytes)
        parsed.withLock { $0 = Parsed(identity: identity, index: index) }
        return index
    }

    private func remember(_ name: String, _ entries: [Int], identity: FileIdentity?) {
        parsed.withLock { parsed in
            guard parsed?.identity == identity else { return }
            // Bounded: a file looked up under very many names forgets and starts over.
            if parsed?.lookups.count ?? 0 >= 100_000 { parsed?.lookups.removeAll() }
            parsed?.lookups[name] = entries
        }
    }

    func verdictRecordingNew(for key: SSHHostKey, name: String, store: KnownHostsStore) throws(NetPulseError)
        -> KnownHostsVerdict
    {
        // Most connects find the host known: answer those without the write lock.
        let known = try verdict(for: key, name: name, store: store)
        guard known == .notFound else { return known }
        try Self.checkWritable(name)
        return try recording.withLock { _ throws(NetPulseError) -> KnownHostsVerdict in
            try createFolder()
            guard
                let (fd, identity) = try RegularFile.open(
                    path, flags: O_RDWR | O_CREAT | O_APPEND, limit: store.maxFileSize, field: Self.field)
            else {
                throw NetPulseError.driverError("cannot create the known_hosts file \(path)")
            }
            defer { close(fd) }
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
            defer { _ = flock(fd, LOCK_UN) }
            // Read again under the lock: another connect (here or in another process) may have
            // recorded the host since the check above.
            let unchanged = parsed.withLock { parsed in parsed.flatMap { $0.identity == identity ? $0.index : nil } }
            var lastByte: UInt8?
            var index: KnownHostsIndex
            if let unchanged, identity.size > 0 {
                index = unchanged
                var byte: UInt8 = 0
                if pread(fd, &byte, 1, off_t(identity.size - 1)) == 1 { lastByte = byte }
            } else {
                let bytes = try RegularFile.readAll(fd, path: path, limit: store.maxFileSize, field: Self.field)
                index = KnownHostsIndex(bytes: bytes)
                lastByte = bytes.last
            }
            let now = index.verdict(for: key, among: index.entries(named: name))
            guard now == .notFound else {
                parsed.withLock { $0 = Parsed(identity: identity, index: index) }
                return now
            }
            var line = Array("\(name) \(key.type) \(key.base64)\n".utf8)
            if let lastByte, lastByte != UInt8(ascii: "\n") { line.insert(UInt8(ascii: "\n"), at: 0) }
            let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written == line.count else {
                throw NetPulseError.driverError(
                    "cannot record the host key of \(name) in \(path): \(String(cString: strerror(errno)))")
            }
            index.add(line: line[...])
            var info = stat()
            let after = fstat(fd, &info) == 0 ? FileIdentity(info) : nil
            parsed.withLock { $0 = Parsed(identity: after, index: index) }
            return .notFound
        }
    }

    private func createFolder() throws(NetPulseError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let folder = String(path[..<slash])
        var info = stat()
        if stat(folder, &info) == 0 { return }
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw NetPulseError.driverError(
                "cannot create the folder of the known_hosts file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Refuses names that would corrupt the file or change its meaning.
    static func checkWritable(_ name: String) throws(NetPulseError) {
        let bad = name.utf8.contains { byte in
            byte <= 0x20 || byte == 0x7f || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "*")
                || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "!")
        }
        guard !bad, !name.isEmpty, !name.hasPrefix("|"), !name.hasPrefix("@"), !name.hasPrefix("#") else {
            throw NetPulseError(
                .invalidRequest,
                "host \(name.debugDescription) cannot be recorded in known_hosts: a host name must not contain "
                    + "control characters, NUL, whitespace or known_hosts syntax (, * ? ! and a leading | @ #)")
        }
    }
}
