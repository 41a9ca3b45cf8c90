internal import CLibSSH
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A device's host key owned by the seam, with its public forms.
///
/// Confined to the event-loop thread. The key handle is handed to an `ssh_bind`, which then owns it.
final class HostKey {
    private(set) var handle: OpaquePointer?
    /// `ssh-ed25519 AAAA...`, `ssh-rsa AAAA...` or `ecdsa-sha2-nistp256 AAAA...`
    let publicLine: String
    /// `SHA256:...`
    let fingerprint: String

    /// Takes ownership of `key` and reads its public forms.
    init(owning key: OpaquePointer) throws(LabError) {
        var base64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &base64) == SSH_OK, let base64 else {
            ssh_key_free(key)
            throw LabError(reason: "cannot export a host public key")
        }
        let type = ssh_key_type_to_char(ssh_key_type(key)).map { String(cString: $0) } ?? "ssh-ed25519"
        publicLine = type + " " + String(cString: base64)
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

/// Where a lab's host keys come from: ed25519 and ECDSA keys made per device (cheap), RSA keys from a
/// pool that is generated once per process (about 0.2 s a key) and optionally kept in a cache folder.
///
/// Confined to the event-loop thread; the process-wide pool holds only key text.
final class HostKeySource {
    /// Generated RSA pool keys as OpenSSH private-key text, by slot, for the life of the process.
    private static let pool = Mutex<[Int: String]>([:])

    private let poolSize: Int
    private let cacheFolder: String?
    /// The pool keys this lab has imported, by slot: each device gets a duplicate (a reference, cheap).
    private var imported: [Int: OpaquePointer] = [:]

    init(poolSize: Int, cacheFolder: String?) {
        self.poolSize = poolSize
        self.cacheFolder = cacheFolder
    }

    deinit {
        for key in imported.values { ssh_key_free(key) }
    }

    /// Makes sure the RSA pool keys of these device indices exist, generating the missing ones in parallel.
    func prepareRSA(forDevices indices: [Int]) throws(LabError) {
        let slots = Set(indices.map { $0 % poolSize }).sorted()
        var missing: [Int] = []
        for slot in slots where Self.pool.withLock({ $0[slot] }) == nil {
            if let folder = cacheFolder,
                let text = try? String(contentsOfFile: Self.cachePath(folder, slot), encoding: .utf8)
            {
                Self.pool.withLock { $0[slot] = text }
            } else {
                missing.append(slot)
            }
        }
        guard !missing.isEmpty else { return }
        if let folder = cacheFolder {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw LabError(
                    field: "keyCacheFolder", reason: "cannot create \(folder): \(error.localizedDescription)")
            }
        }
        let generated = Mutex<[Int: String]>([:])
        let slotsToMake = missing
        DispatchQueue.concurrentPerform(iterations: slotsToMake.count) { number in
            var key: OpaquePointer?
            guard ssh_pki_generate(SSH_KEYTYPE_RSA, 2048, &key) == SSH_OK, let key else { return }
            defer { ssh_key_free(key) }
            var text: UnsafeMutablePointer<CChar>?
            guard ssh_pki_export_privkey_base64(key, nil, nil, nil, &text) == SSH_OK, let text else { return }
            let string = String(cString: text)
            ssh_string_free_char(text)
            generated.withLock { $0[slotsToMake[number]] = string }
        }
        let made = generated.withLock { $0 }
        guard made.count == missing.count else { throw LabError(reason: "cannot generate an RSA host key") }
        for (slot, text) in made {
            Self.pool.withLock { $0[slot] = text }
            if let folder = cacheFolder {
                let path = Self.cachePath(folder, slot)
                guard
                    FileManager.default.createFile(
                        atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
                else {
                    throw LabError(field: "keyCacheFolder", reason: "cannot write \(path)")
                }
            }
        }
    }

    private static func cachePath(_ folder: String, _ slot: Int) -> String {
        folder + "/rsa-2048-\(slot).key"
    }

    /// The host key of device `index`: loaded from `path` when that file exists, else made (ed25519,
    /// ECDSA) or taken from the pool (RSA), and saved at `path` when given.
    func key(type: LabHostKeyType, index: Int, path: String?) throws(LabError) -> HostKey {
        var key: OpaquePointer?
        if let path, access(path, R_OK) == 0 {
            guard ssh_pki_import_privkey_file(path, nil, nil, nil, &key) == SSH_OK, let loaded = key else {
                throw LabError(field: "folder", reason: "cannot read host key \(path)")
            }
            let loadedType = LabHostKeyType(libSSHType: ssh_key_type(loaded))
            guard loadedType == type else {
                ssh_key_free(loaded)
                throw LabError(
                    field: "folder",
                    reason: "host key \(path) is \(loadedType.map(\.rawValue) ?? "of another type"), device \(index) "
                        + "needs \(type)")
            }
            return try HostKey(owning: loaded)
        }
        switch type {
        case .ed25519:
            guard ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) == SSH_OK, key != nil else {
                throw LabError(reason: "cannot generate an ed25519 host key")
            }
        case .ecdsa:
            guard ssh_pki_generate(SSH_KEYTYPE_ECDSA_P256, 256, &key) == SSH_OK, key != nil else {
                throw LabError(reason: "cannot generate an ECDSA P-256 host key")
            }
        case .rsa:
            key = try pooledRSA(slot: index % poolSize)
        }
        guard let key else { throw LabError(reason: "no host key for device \(index)") }
        if let path {
            guard ssh_pki_export_privkey_file(key, nil, nil, nil, path) == SSH_OK else {
                ssh_key_free(key)
                throw LabError(field: "folder", reason: "cannot write host key \(path)")
            }
        }
        return try HostKey(owning: key)
    }

    private func pooledRSA(slot: Int) throws(LabError) -> OpaquePointer {
        if imported[slot] == nil {
            if Self.pool.withLock({ $0[slot] }) == nil { try prepareRSA(forDevices: [slot]) }
            guard let text = Self.pool.withLock({ $0[slot] }) else { throw LabError(reason: "no RSA pool key \(slot)") }
            var key: OpaquePointer?
            guard ssh_pki_import_privkey_base64(text, nil, nil, nil, &key) == SSH_OK, let key else {
                throw LabError(reason: "cannot read RSA pool key \(slot)")
            }
            imported[slot] = key
        }
        guard let original = imported[slot], let copy = ssh_key_dup(original) else {
            throw LabError(reason: "cannot copy RSA pool key \(slot)")
        }
        return copy
    }
}

extension LabHostKeyType {
    /// The lab's name for a libssh key type; `nil` for a type the lab does not make.
    init?(libSSHType: ssh_keytypes_e) {
        switch libSSHType {
        case SSH_KEYTYPE_ED25519: self = .ed25519
        case SSH_KEYTYPE_RSA: self = .rsa
        case SSH_KEYTYPE_ECDSA_P256: self = .ecdsa
        default: return nil
        }
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
