internal import CNetPulseSSHCore
import Glibc
import NetPulse

/// What identifies one version of a file: device, inode, size and change times. A file replaced,
/// appended to or rewritten gets another identity.
struct FileIdentity: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: timespec
    var changed: timespec

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim
        changed = info.st_ctim
    }

    static func == (a: FileIdentity, b: FileIdentity) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size
            && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
            && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(device)
        hasher.combine(inode)
        hasher.combine(size)
        hasher.combine(modified.tv_nsec)
    }
}

/// Reads files that a request or an operator names (known_hosts, private keys) with the care such
/// paths need: only regular files are read (a FIFO would block, `/dev/zero` would never end), never
/// more than a size limit, and through a descriptor opened without blocking.
enum RegularFile {
    /// The identity of the file at `path` now, or `nil` when there is none.
    static func identity(of path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(info)
    }

    /// Opens `path` (with `flags` added to `O_CLOEXEC | O_NONBLOCK`) and checks that it is a regular
    /// file of at most `limit` bytes.
    ///
    /// - Parameter field: The setting that named the file (`known_hosts_file`, `key_file`), for errors.
    /// - Returns: The open descriptor and the file's identity, or `nil` when the file does not exist.
    /// - Throws: ``NetPulseError`` of kind `invalid_request` naming `field` and the reason.
    static func open(
        _ path: String, flags: Int32 = O_RDONLY, mode: mode_t = 0o600, limit: Int, field: String
    ) throws(NetPulseError) -> (fd: Int32, identity: FileIdentity)? {
        let fd = Glibc.open(path, flags | O_CLOEXEC | O_NONBLOCK, mode)
        guard fd >= 0 else {
            let error = errno
            if error == ENOENT { return nil }
            throw NetPulseError(
                .invalidRequest, "\(field) '\(path)' cannot be opened: \(String(cString: strerror(error)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw NetPulseError(
                .invalidRequest, "\(field) '\(path)' cannot be examined: \(String(cString: strerror(error)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            Glibc.close(fd)
            throw NetPulseError(.invalidRequest, "\(field) '\(path)' is not a regular file")
        }
        guard Int64(info.st_size) <= Int64(limit) else {
            Glibc.close(fd)
            throw NetPulseError(
                .invalidRequest, "\(field) '\(path)' is \(info.st_size) bytes, more than the limit of \(limit)")
        }
        return (fd, FileIdentity(info))
    }

    /// Reads what an open regular file holds, at most `limit` bytes (a file that grew past it since it
    /// was checked is an error, not a silent cut).
    static func readAll(_ fd: Int32, path: String, limit: Int, field: String) throws(NetPulseError) -> [UInt8] {
        var bytes: [UInt8] = []
        // Not zero-filled: zeroing 64 KiB cost more than reading a key file (this runs per connection).
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { chunk.deallocate() }
        var offset: off_t = 0
        while true {
            let count = pread(fd, chunk.baseAddress, chunk.count, offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw NetPulseError(
                    .invalidRequest, "\(field) '\(path)' cannot be read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            offset += off_t(count)
            if bytes.count > limit {
                throw NetPulseError(.invalidRequest, "\(field) '\(path)' is larger than the limit of \(limit) bytes")
            }
        }
    }

    /// `~` and `~/...` expanded with `$HOME`.
    static func expandingTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/root"
        return home + path.dropFirst()
    }
}
