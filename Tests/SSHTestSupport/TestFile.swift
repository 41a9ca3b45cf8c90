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
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        written += count
    }
    guard fchmod(fd, mode) == 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
}
