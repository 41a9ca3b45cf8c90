public import Foundation

/// Writes a file for a test (a script it will run directly, a secrets file), closed before it returns.
///
/// The descriptor is opened close-on-exec. Tests run in parallel in one process and spawn long-lived
/// children (labs, sshd) with `posix_spawn`, which hands every descriptor without that flag to the child:
/// a script written with `Data.write(to:)` at that moment stays open for writing in the child, and running
/// it then fails with `ETXTBSY` ("Text file busy") for as long as the child lives.
///
/// - Parameters:
///   - text: The contents.
///   - path: Where it goes (replaced if present).
///   - mode: Its permissions.
public func writeTestFile(_ text: String, to path: String, mode: mode_t = 0o700) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw TestFileError(path: path, call: "open", errno: errno) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { throw TestFileError(path: path, call: "write", errno: count < 0 ? errno : EIO) }
        written += count
    }
    guard fchmod(fd, mode) == 0 else { throw TestFileError(path: path, call: "fchmod", errno: errno) }
}

/// Why ``writeTestFile(_:to:mode:)`` failed: the path, the system call and its error.
public struct TestFileError: Error, CustomStringConvertible {
    public var path: String
    public var call: String
    public var errno: Int32
    public var description: String { "\(call) \(path): \(String(cString: strerror(errno)))" }
}
