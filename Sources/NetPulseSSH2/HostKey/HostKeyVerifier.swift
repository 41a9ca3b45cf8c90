internal import CLibSSH2
import Foundation
import Logging
import NetPulse
import Synchronization

/// Checks a server's host key against the ``HostKeyPolicy``: strict against a known_hosts file,
/// accept-new (trust on first use, appended to the file), or off (accepted with a logged warning).
enum HostKeyVerifier {
    /// The server's key as received after the key exchange.
    struct ServerKey {
        /// The key blob (what known_hosts holds in base64).
        var blob: [UInt8]
        /// `LIBSSH2_HOSTKEY_TYPE_*`.
        var type: Int32
        /// `SHA256:...` as OpenSSH prints it.
        var fingerprint: String

        /// The algorithm name written in known_hosts (`ssh-ed25519`, ...).
        var algorithm: String {
            switch type {
            case LIBSSH2_HOSTKEY_TYPE_RSA: "ssh-rsa"
            case LIBSSH2_HOSTKEY_TYPE_DSS: "ssh-dss"
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: "ecdsa-sha2-nistp256"
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: "ecdsa-sha2-nistp384"
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: "ecdsa-sha2-nistp521"
            case LIBSSH2_HOSTKEY_TYPE_ED25519: "ssh-ed25519"
            default: "unknown"
            }
        }

        /// The `LIBSSH2_KNOWNHOST_KEY_*` bits for this key type.
        var knownHostType: Int32 {
            switch type {
            case LIBSSH2_HOSTKEY_TYPE_RSA: LIBSSH2_KNOWNHOST_KEY_SSHRSA
            case LIBSSH2_HOSTKEY_TYPE_DSS: LIBSSH2_KNOWNHOST_KEY_SSHDSS
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: LIBSSH2_KNOWNHOST_KEY_ECDSA_256
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: LIBSSH2_KNOWNHOST_KEY_ECDSA_384
            case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: LIBSSH2_KNOWNHOST_KEY_ECDSA_521
            case LIBSSH2_HOSTKEY_TYPE_ED25519: LIBSSH2_KNOWNHOST_KEY_ED25519
            default: LIBSSH2_KNOWNHOST_KEY_UNKNOWN
            }
        }
    }

    /// What a known_hosts file says about a key.
    enum Verdict: Equatable {
        case match
        /// The file holds another key of the same type for the host.
        case mismatch
        /// The file holds only keys of other types for the host (OpenSSH's "other keys known").
        case otherType
        /// The file marks this very key `@revoked`.
        case revoked
        case notFound
    }

    /// Serializes appends to known_hosts files within the process.
    private static let appendLock = Mutex(())

    /// The server's key of a session after its handshake.
    static func serverKey(of session: SSH2Session) throws -> ServerKey {
        let key = session.withRaw { raw -> ServerKey? in
            var length = 0
            var type: Int32 = 0
            guard let pointer = libssh2_session_hostkey(raw, &length, &type), length > 0 else { return nil }
            let blob = Array(UnsafeRawBufferPointer(start: pointer, count: length))
            guard let hash = libssh2_hostkey_hash(raw, LIBSSH2_HOSTKEY_HASH_SHA256) else { return nil }
            let digest = Data(UnsafeRawBufferPointer(start: hash, count: 32))
            let base64 = digest.base64EncodedString().replacingOccurrences(of: "=", with: "")
            return ServerKey(blob: blob, type: type, fingerprint: "SHA256:\(base64)")
        }
        guard let key = key ?? nil else {
            throw NetPulseError.protocolError("no host key from \(session.peer) after the key exchange")
        }
        return key
    }

    /// Applies `policy` to the key the server presented.
    ///
    /// - Throws: `host_key_mismatch` (naming the fingerprint) when the file has another key for the
    ///   host; `host_key_unknown` when strict and the host is not in the file; `driver_error` when
    ///   accept-new cannot write the file.
    static func verify(
        _ key: ServerKey,
        session: SSH2Session,
        host: String,
        port: Int,
        policy: HostKeyPolicy,
        logger: Logger
    ) throws {
        let name = knownHostsName(host: host, port: port)
        switch policy {
        case .off:
            logger.warning(
                "host key checking is off: accepting the key without checking",
                metadata: ["host": "\(name)", "key": "\(key.algorithm) \(key.fingerprint)"])
        case .strict(let file), .acceptNew(let file):
            let path = file ?? defaultKnownHostsFile()
            let verdict = try check(key, session: session, host: host, port: port, file: path)
            switch verdict {
            case .match:
                return
            case .mismatch:
                throw NetPulseError.hostKeyMismatch(
                    "the host key of \(name) (\(key.algorithm) \(key.fingerprint)) does not match the key "
                        + "recorded for it in \(path); refusing to connect")
            case .otherType:
                throw NetPulseError.hostKeyMismatch(
                    "the host key of \(name) (\(key.algorithm) \(key.fingerprint)) is not recorded in \(path), "
                        + "which holds a key of another type for this host; refusing to connect")
            case .revoked:
                throw NetPulseError.hostKeyMismatch(
                    "the host key of \(name) (\(key.algorithm) \(key.fingerprint)) is marked @revoked in \(path); "
                        + "refusing to connect")
            case .notFound:
                guard case .acceptNew = policy else {
                    throw NetPulseError(
                        .hostKeyUnknown,
                        "the host key of \(name) (\(key.algorithm) \(key.fingerprint)) is not in \(path) "
                            + "and the host key policy is strict")
                }
                try append(key, name: name, to: path)
                logger.notice(
                    "new host key accepted and recorded",
                    metadata: ["host": "\(name)", "key": "\(key.algorithm) \(key.fingerprint)", "file": "\(path)"])
            }
        }
    }

    /// `host` for port 22, `[host]:port` otherwise, as OpenSSH writes known_hosts.
    static func knownHostsName(host: String, port: Int) -> String {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return port == 22 ? bare : "[\(bare)]:\(port)"
    }

    static func defaultKnownHostsFile() -> String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return "\(home)/.ssh/known_hosts"
    }

    /// Looks the key up in the file. Lines libssh2 cannot parse (key types it does not know,
    /// markers) are skipped one by one instead of failing the whole file.
    private static func check(_ key: ServerKey, session: SSH2Session, host: String, port: Int, file: String) throws
        -> Verdict
    {
        let lines: [Substring]
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            lines = text.split(whereSeparator: \.isNewline)
        } else if FileManager.default.fileExists(atPath: file) {
            throw NetPulseError.driverError("cannot read the known_hosts file \(file)")
        } else {
            lines = []
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        // `@revoked <hosts> <type> <base64>`: this key is refused wherever it shows up.
        for line in lines where line.hasPrefix("@revoked") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 4, let blob = Data(base64Encoded: String(fields[3])), Array(blob) == key.blob {
                return .revoked
            }
        }
        let result = session.withRaw { raw -> (Int32, Int32) in
            guard let hosts = libssh2_knownhost_init(raw) else {
                return (LIBSSH2_KNOWNHOST_CHECK_FAILURE, LIBSSH2_KNOWNHOST_CHECK_FAILURE)
            }
            defer { libssh2_knownhost_free(hosts) }
            for line in lines {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("@") { continue }
                var bytes = Array(trimmed.utf8)
                bytes.append(0x0a)
                _ = bytes.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) {
                        np_ssh2_knownhost_add_line(hosts, $0.baseAddress, $0.count)
                    }
                }
            }
            // First among keys of the server's type; then, if none, among keys of any type (a type
            // mask of 0 makes libssh2 compare every key recorded for the host).
            return key.blob.withUnsafeBufferPointer { blob in
                blob.withMemoryRebound(to: CChar.self) { bytes in
                    let sameType = np_ssh2_knownhost_check(
                        hosts, bare, Int32(port), bytes.baseAddress, bytes.count, key.knownHostType)
                    let anyType =
                        sameType == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND
                        ? np_ssh2_knownhost_check(hosts, bare, Int32(port), bytes.baseAddress, bytes.count, 0)
                        : sameType
                    return (sameType, anyType)
                }
            }
        }
        switch result {
        case (LIBSSH2_KNOWNHOST_CHECK_MATCH, _)?: return .match
        case (LIBSSH2_KNOWNHOST_CHECK_MISMATCH, _)?: return .mismatch
        case (LIBSSH2_KNOWNHOST_CHECK_NOTFOUND, LIBSSH2_KNOWNHOST_CHECK_MISMATCH)?: return .otherType
        case (LIBSSH2_KNOWNHOST_CHECK_NOTFOUND, _)?: return .notFound
        default: throw NetPulseError.driverError("cannot check the host key of \(host) against \(file)")
        }
    }

    /// Appends `name algorithm base64` to the file (created, with its folder, if missing).
    private static func append(_ key: ServerKey, name: String, to file: String) throws {
        let line = "\(name) \(key.algorithm) \(Data(key.blob).base64EncodedString())\n"
        try appendLock.withLock { _ throws(NetPulseError) in
            let folder = (file as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                try? FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            let fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw NetPulseError.driverError(
                    "cannot record the new host key of \(name) in \(file): \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            var text = line
            // Keep the file line-based when its last line has no line ending.
            let size = lseek(fd, 0, SEEK_END)
            if size > 0 {
                var last: UInt8 = 0
                if pread(fd, &last, 1, size - 1) == 1 && last != 0x0a { text = "\n" + text }
            }
            let bytes = Array(text.utf8)
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count else {
                throw NetPulseError.driverError("cannot record the new host key of \(name) in \(file)")
            }
        }
    }
}
