import Glibc
import NetPulse

/// Where `session_log` transcripts may go.
public enum SessionLogPolicy: Sendable, Hashable {
    /// `session_log` is a path, as netmiko takes it (the command line, whose user owns the machine).
    case anyPath
    /// `session_log` is a file name inside this folder; a path, `..` or a hidden name is refused.
    case directory(String)
    /// No transcripts: a request naming `session_log` is refused (a server whose operator set no folder).
    case refused
}

/// A device's shell transcript (netmiko's `session_log`): what the device sent and what was written to it,
/// with the target's password, enable secret and key passphrase replaced by ``Secret/mask``.
///
/// `{host}` and `{port}` in the name are replaced by the device's; a name without them gets `_HOST_PORT`
/// before its extension, so the devices of one batch never share a file. The file is created with mode
/// 0600 (never through a symbolic link) and appended to.
final class SessionLog: Sendable {
    private let fd: Int32
    private let secrets: [[UInt8]]

    /// The file `name` stands for under `policy`, for `host` and `port`.
    ///
    /// - Throws: ``NetPulseError`` of kind `invalid_request` naming `session_log`.
    static func path(name: String, policy: SessionLogPolicy, host: String, port: Int) throws(NetPulseError) -> String {
        func refuse(_ reason: String) -> NetPulseError { NetPulseError(.invalidRequest, "session_log: \(reason)") }
        if name.isEmpty || name.utf8.contains(0) { throw refuse("must be a non-empty file name") }
        let safeHost = String(host.map { $0 == ":" || $0 == "/" ? "_" : $0 })
        var expanded = name.replacing("{host}", with: safeHost).replacing("{port}", with: String(port))
        if expanded == name {
            let slash = expanded.lastIndex(of: "/").map { expanded.index(after: $0) } ?? expanded.startIndex
            let dot = expanded[slash...].lastIndex(of: ".").flatMap { $0 == slash ? nil : $0 } ?? expanded.endIndex
            expanded.insert(contentsOf: "_\(safeHost)_\(port)", at: dot)
        }
        switch policy {
        case .anyPath:
            return expanded
        case .refused:
            throw refuse("session logs are not kept here (the operator sets a folder with --session-log-dir)")
        case .directory(let directory):
            if name.contains("/") || name.hasPrefix(".") || expanded.hasPrefix(".") || expanded.contains("/") {
                throw refuse("must be a plain file name inside the operator's session-log folder, not a path")
            }
            return directory.hasSuffix("/") ? directory + expanded : directory + "/" + expanded
        }
    }

    init(path: String, secrets: [Secret], peer: String) throws(NetPulseError) {
        assert(!ReadinessLoop.isAnyLoopThread, "a session log opened on a readiness-loop thread")
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw NetPulseError(
                .invalidRequest, "session_log: cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        // Longest first, so that a secret containing another is masked whole.
        self.secrets = secrets.map { Array($0.revealed.utf8) }.filter { !$0.isEmpty }
            .sorted { $0.count > $1.count }
        record(Array("--- session with \(peer)\n".utf8))
    }

    deinit { Glibc.close(fd) }

    /// Appends `bytes`, masked.
    func record(_ bytes: [UInt8]) {
        let masked = Self.mask(bytes, secrets: secrets)
        masked.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, base + offset, raw.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// `bytes` with every occurrence of each secret replaced by the mask.
    static func mask(_ bytes: [UInt8], secrets: [[UInt8]]) -> [UInt8] {
        guard !secrets.isEmpty else { return bytes }
        let mask = Array(Secret.mask.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        outer: while index < bytes.count {
            for secret in secrets where bytes.count - index >= secret.count {
                if bytes[index] == secret[0] && bytes[index..<(index + secret.count)].elementsEqual(secret) {
                    out += mask
                    index += secret.count
                    continue outer
                }
            }
            out.append(bytes[index])
            index += 1
        }
        return out
    }
}
