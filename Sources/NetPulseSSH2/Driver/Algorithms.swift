internal import CLibSSH2
import NetPulse

/// The algorithm preferences set on every session before the handshake.
///
/// libssh2 1.10 offers SHA-1 key exchanges, `ssh-rsa`/`ssh-dss` host keys and CBC ciphers by
/// default; NetPulse turns them off unless a device asks for ``DeviceTarget/legacyAlgorithms``.
/// (libssh2 1.10 has no AES-GCM and no chacha20-poly1305: AES-CTR with HMAC-SHA2 is what it does.)
enum Algorithms {
    struct Preference {
        var method: Int32
        var list: String
    }

    static let modernKex = [
        "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group16-sha512",
        "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256",
    ]
    static let legacyKex = [
        "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1", "diffie-hellman-group1-sha1",
    ]
    static let modernHostKeys = [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512",
        "rsa-sha2-256",
    ]
    static let legacyHostKeys = ["ssh-rsa", "ssh-dss"]
    static let modernCiphers = ["aes128-ctr", "aes192-ctr", "aes256-ctr"]
    static let legacyCiphers = ["aes128-cbc", "aes192-cbc", "aes256-cbc", "rijndael-cbc@lysator.liu.se", "3des-cbc"]
    static let modernMACs = ["hmac-sha2-256", "hmac-sha2-512"]
    static let legacyMACs = ["hmac-sha1", "hmac-sha1-96", "hmac-md5"]

    /// The preferences for a device: modern only, or modern first and then the legacy ones.
    static func preferences(legacy: Bool) -> [Preference] {
        func list(_ modern: [String], _ old: [String]) -> String {
            (legacy ? modern + old : modern).joined(separator: ",")
        }
        let ciphers = list(modernCiphers, legacyCiphers)
        let macs = list(modernMACs, legacyMACs)
        return [
            Preference(method: LIBSSH2_METHOD_KEX, list: list(modernKex, legacyKex)),
            Preference(method: LIBSSH2_METHOD_HOSTKEY, list: list(modernHostKeys, legacyHostKeys)),
            Preference(method: LIBSSH2_METHOD_CRYPT_CS, list: ciphers),
            Preference(method: LIBSSH2_METHOD_CRYPT_SC, list: ciphers),
            Preference(method: LIBSSH2_METHOD_MAC_CS, list: macs),
            Preference(method: LIBSSH2_METHOD_MAC_SC, list: macs),
        ]
    }

    /// Sets the preferences on a session (before its handshake).
    static func apply(legacy: Bool, to session: SSH2Session) throws {
        for preference in preferences(legacy: legacy) {
            let rc = session.withRaw { libssh2_session_method_pref($0, preference.method, preference.list) }
            guard rc == 0 else {
                throw NetPulseError.driverError(
                    "libssh2 supports none of the algorithms '\(preference.list)' (method \(preference.method))")
            }
        }
    }
}
