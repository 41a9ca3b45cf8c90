import CLibSSH
import Foundation

/// One blocking libssh client session with a pty shell.
final class LoginClient {
    let session: OpaquePointer
    var channel: OpaquePointer?
    var buffer = [CChar](repeating: 0, count: 65_536)

    init(port: Int, knownHosts: String, password: String) throws {
        guard let session = ssh_new() else { throw BenchError("ssh_new failed") }
        self.session = session
        var port = UInt32(port)
        var one: Int32 = 1
        ssh_options_set(session, SSH_OPTIONS_HOST, "127.0.0.1")
        ssh_options_set(session, SSH_OPTIONS_PORT, &port)
        ssh_options_set(session, SSH_OPTIONS_USER, "admin")
        ssh_options_set(session, SSH_OPTIONS_NODELAY, &one)
        ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, knownHosts)
        ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null")
        var timeout = 30
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout)
        guard ssh_connect(session) == SSH_OK else { throw BenchError("connect: \(error)") }
        guard ssh_session_is_known_server(session) == SSH_KNOWN_HOSTS_OK else { throw BenchError("host key not known") }
        guard ssh_userauth_password(session, nil, password) == SSH_AUTH_SUCCESS.rawValue else {
            throw BenchError("auth: \(error)")
        }
        guard let channel = ssh_channel_new(session), ssh_channel_open_session(channel) == SSH_OK,
            ssh_channel_request_pty(channel) == SSH_OK, ssh_channel_request_shell(channel) == SSH_OK
        else { throw BenchError("shell: \(error)") }
        self.channel = channel
    }

    var error: String { String(cString: ssh_get_error(UnsafeMutableRawPointer(session))) }

    /// Reads until the output ends with a prompt.
    func readPrompt() throws -> String {
        var text = ""
        while !(text.hasSuffix("$ ") || text.hasSuffix(">") || text.hasSuffix("> ") || text.hasSuffix("#")) {
            let count = ssh_channel_read_timeout(channel, &buffer, UInt32(buffer.count), 0, 30_000)
            guard count > 0 else { throw BenchError("read: \(count) \(error)") }
            text += String(decoding: buffer[0..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }

    func send(_ line: String) throws {
        let bytes = Array(line.utf8)
        guard ssh_channel_write(channel, bytes, UInt32(bytes.count)) == bytes.count else { throw BenchError("write") }
    }

    deinit {
        if let channel {
            ssh_channel_close(channel)
            ssh_channel_free(channel)
        }
        ssh_disconnect(session)
        ssh_free(session)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
