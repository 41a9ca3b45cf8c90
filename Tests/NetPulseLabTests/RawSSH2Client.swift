import CLibSSH2
import Foundation
import NetPulseLab

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking libssh2 client with nothing of ours in between, for checks at the protocol level (a
/// channel CLOSE and the peer's answer). Run it off the cooperative pool (`offPool`).
final class RawSSH2Client {
    let session: OpaquePointer
    private let fd: Int32

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects, checks the host key against the lab's, and logs in with a password.
    init(_ device: LabDevice, password: String, timeout: Duration = .seconds(10)) throws {
        libssh2_init(0)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(device.port).bigEndian)
        inet_pton(AF_INET, device.host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0, let session = libssh2_session_init_ex(nil, nil, nil, nil) else {
            close(fd)
            throw Failure(description: "connect to \(device.port) failed")
        }
        self.session = session
        libssh2_session_set_timeout(session, Int(timeout / .milliseconds(1)))
        guard libssh2_session_handshake(session, fd) == 0 else { throw Failure(description: "handshake failed") }
        var length = 0
        var type: Int32 = 0
        guard let key = libssh2_session_hostkey(session, &length, &type) else {
            throw Failure(description: "no host key")
        }
        let blob = Data(bytes: key, count: length).base64EncodedString()
        guard device.hostKey.hasSuffix(" " + blob) else { throw Failure(description: "host key mismatch") }
        let user = device.username
        let auth = libssh2_userauth_password_ex(
            session, user, UInt32(user.utf8.count), password, UInt32(password.utf8.count), nil)
        guard auth == 0 else { throw Failure(description: "authentication failed: \(auth)") }
    }

    /// Opens a session channel and starts a shell on it.
    func openShell() throws -> OpaquePointer {
        guard
            let channel = libssh2_channel_open_ex(
                session, "session", 7, UInt32(2 * 1024 * 1024), UInt32(32_768), nil, 0)
        else { throw Failure(description: "channel open failed") }
        guard libssh2_channel_process_startup(channel, "shell", 5, nil, 0) == 0 else {
            throw Failure(description: "shell failed")
        }
        return channel
    }

    /// Sends CLOSE and waits (each wait up to the session timeout) for the peer's EOF and CLOSE.
    /// - Returns: libssh2's result: 0 when the peer answered.
    func closeAndWait(_ channel: OpaquePointer) -> Int32 {
        let closed = libssh2_channel_close(channel)
        guard closed == 0 else { return closed }
        let eof = libssh2_channel_wait_eof(channel)
        guard eof == 0 else { return eof }
        let result = libssh2_channel_wait_closed(channel)
        libssh2_channel_free(channel)
        return result
    }

    deinit {
        libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "bye", "")
        libssh2_session_free(session)
        close(fd)
    }
}
