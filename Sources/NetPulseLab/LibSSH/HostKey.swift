internal import CLibSSH

#if canImport(Glibc)
    import Glibc
#endif

/// An ed25519 host key owned by the seam, with its public forms.
///
/// Confined to the event-loop thread. The key handle is handed to an `ssh_bind`, which then owns it.
final class HostKey {
    private(set) var handle: OpaquePointer?
    /// `ssh-ed25519 AAAA...`
    let publicLine: String
    /// `SHA256:...`
    let fingerprint: String

    /// Loads the key at `path`, or generates one (and saves it there when `path` is given).
    init(path: String?) throws(LabError) {
        var key: OpaquePointer?
        if let path, access(path, R_OK) == 0 {
            guard ssh_pki_import_privkey_file(path, nil, nil, nil, &key) == SSH_OK, key != nil else {
                throw LabError(field: "folder", reason: "cannot read host key \(path)")
            }
        } else {
            guard ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) == SSH_OK, key != nil else {
                throw LabError(reason: "cannot generate an ed25519 host key")
            }
            if let path {
                guard ssh_pki_export_privkey_file(key, nil, nil, nil, path) == SSH_OK else {
                    ssh_key_free(key)
                    throw LabError(field: "folder", reason: "cannot write host key \(path)")
                }
            }
        }
        var base64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &base64) == SSH_OK, let base64 else {
            ssh_key_free(key)
            throw LabError(reason: "cannot export a host public key")
        }
        publicLine = "ssh-ed25519 " + String(cString: base64)
        ssh_string_free_char(base64)
        var hash: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK, hash != nil else {
            ssh_key_free(key)
            throw LabError(reason: "cannot hash a host public key")
        }
        let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length)
        fingerprint = text.map { String(cString: $0) } ?? ""
        ssh_string_free_char(text)
        ssh_clean_pubkey_hash(&hash)
        handle = key
    }

    /// Gives the key to `bind`, which frees it.
    func give(to bind: OpaquePointer) throws(LabError) {
        guard ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, UnsafeRawPointer(handle)) == SSH_OK else {
            throw LabError(reason: "libssh refused the host key")
        }
        handle = nil
    }

    deinit {
        if let handle { ssh_key_free(handle) }
    }
}

/// Public keys accepted for publickey authentication, parsed from `authorized_keys` lines.
final class AuthorizedKeys {
    private(set) var keys: [OpaquePointer] = []

    init(lines: [String]) throws(LabError) {
        for (number, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ")
            guard fields.count >= 2 else {
                throw LabError(field: "authorizedKeys[\(number)]", reason: "expected '<type> <base64> [comment]'")
            }
            let type = ssh_key_type_from_name(String(fields[0]))
            var key: OpaquePointer?
            guard type != SSH_KEYTYPE_UNKNOWN, ssh_pki_import_pubkey_base64(String(fields[1]), type, &key) == SSH_OK,
                let key
            else {
                throw LabError(field: "authorizedKeys[\(number)]", reason: "not a public key this lab can read")
            }
            keys.append(key)
        }
    }

    func contains(_ key: OpaquePointer?) -> Bool {
        guard let key else { return false }
        return keys.contains { ssh_key_cmp($0, key, SSH_KEY_CMP_PUBLIC) == 0 }
    }

    deinit {
        for key in keys { ssh_key_free(key) }
    }
}
