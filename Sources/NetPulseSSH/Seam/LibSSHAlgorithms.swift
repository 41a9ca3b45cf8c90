/// Algorithm lists handed to libssh when a target opts into legacy algorithms: the modern defaults of
/// libssh 0.10.6 first (so a modern server still negotiates them), then the old ones old devices need.
enum LibSSHAlgorithms {
    static let modernKeyExchange = [
        "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
        "ecdh-sha2-nistp521", "diffie-hellman-group18-sha512", "diffie-hellman-group16-sha512",
        "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256",
    ]
    static let oldKeyExchange = [
        "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1", "diffie-hellman-group1-sha1",
    ]
    static let modernHostKeys = [
        "ssh-ed25519", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256", "rsa-sha2-512",
        "rsa-sha2-256",
    ]
    static let oldHostKeys = ["ssh-rsa"]
    static let modernCiphers = [
        "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr",
        "aes192-ctr", "aes128-ctr",
    ]
    static let oldCiphers = ["aes256-cbc", "aes192-cbc", "aes128-cbc", "3des-cbc"]
    static let modernMACs = [
        "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
    ]
    static let oldMACs = ["hmac-sha1-etm@openssh.com", "hmac-sha1"]

    static var legacyKeyExchange: String { (modernKeyExchange + oldKeyExchange).joined(separator: ",") }
    static var legacyHostKeys: String { (modernHostKeys + oldHostKeys).joined(separator: ",") }
    static var legacyCiphers: String { (modernCiphers + oldCiphers).joined(separator: ",") }
    static var legacyMACs: String { (modernMACs + oldMACs).joined(separator: ",") }
}
