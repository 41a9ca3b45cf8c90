internal import CLibSSH2
import Glibc
import NetPulse

/// Logs in with the target's credentials, tried in order: password, keyboard-interactive (answering
/// password prompts), private key file with optional passphrase.
enum Authenticator {
    static func authenticate(
        _ session: SSH2Session,
        user: String,
        credentials: [Credential],
        deadline: ContinuousClock.Instant
    ) async throws {
        let peer = session.peer
        // The methods the server offers; NULL with no error means "none" already succeeded.
        var offered: [String] = []
        try await session.call("asking \(peer) for its authentication methods", deadline: deadline) { raw in
            if let list = np_ssh2_userauth_list(raw, user) {
                offered = String(cString: list).split(separator: ",").map(String.init)
                return 0
            }
            if libssh2_userauth_authenticated(raw) != 0 { return 0 }
            return Int(libssh2_session_last_errno(raw))
        }
        if session.withRaw({ libssh2_userauth_authenticated($0) != 0 }) == true { return }

        var tried: [String] = []
        for credential in credentials {
            let method: String
            switch credential {
            case .password: method = "password"
            case .keyboardInteractive: method = "keyboard-interactive"
            case .privateKey: method = "publickey"
            }
            guard offered.contains(method) else { continue }
            tried.append(credential.description)
            do {
                try await attempt(credential, session: session, user: user, deadline: deadline)
                return
            } catch let error as NetPulseError where error.kind == .authentication {
                // Rejected: try the next credential. A key file that cannot be used says why.
                if case .privateKey = credential, !error.message.contains("error -18"),
                    !error.message.contains("error -19")
                {
                    tried[tried.count - 1] += " (\(error.message))"
                }
                continue
            }
        }
        let triedText = tried.isEmpty ? "no credential matches" : "tried \(tried.joined(separator: ", "))"
        throw NetPulseError.authentication(
            "\(peer) did not accept user '\(user)': \(triedText); the server offers \(offered.joined(separator: ","))")
    }

    private static func attempt(
        _ credential: Credential,
        session: SSH2Session,
        user: String,
        deadline: ContinuousClock.Instant
    ) async throws {
        let peer = session.peer
        switch credential {
        case .password(let secret):
            let password = secret.revealed
            try await session.call("password authentication on \(peer)", deadline: deadline) {
                Int(np_ssh2_userauth_password($0, user, password))
            }
        case .keyboardInteractive(let secret):
            // The callback (C) reads the password from the session's context; the copy is wiped after.
            let bytes = Array(secret.revealed.utf8CString)
            let storage = UnsafeMutableBufferPointer<CChar>.allocate(capacity: bytes.count)
            _ = storage.initialize(from: bytes)
            session.setKeyboardInteractivePassword(storage)
            defer {
                session.setKeyboardInteractivePassword(nil)
                storage.update(repeating: 0)
                storage.deallocate()
            }
            try await session.call("keyboard-interactive authentication on \(peer)", deadline: deadline) {
                Int(np_ssh2_userauth_kbdint($0, user))
            }
        case .privateKey(let path, let passphrase):
            guard access(path, R_OK) == 0 else {
                throw NetPulseError.authentication("the private key file \(path) cannot be read")
            }
            let phrase = passphrase?.revealed
            try await session.call("public key authentication on \(peer) with \(path)", deadline: deadline) {
                Int(np_ssh2_userauth_publickey_file($0, user, path, phrase))
            }
        }
    }
}
