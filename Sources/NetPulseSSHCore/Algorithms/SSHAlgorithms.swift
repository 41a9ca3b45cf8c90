/// Lists of SSH algorithm names, by what they negotiate, in order of preference.
public struct SSHAlgorithms: Sendable, Hashable {
    public var keyExchange: [String]
    public var hostKeys: [String]
    public var ciphers: [String]
    public var macs: [String]

    public init(keyExchange: [String], hostKeys: [String], ciphers: [String], macs: [String]) {
        self.keyExchange = keyExchange
        self.hostKeys = hostKeys
        self.ciphers = ciphers
        self.macs = macs
    }

    /// What NetPulse offers first, to every device: no SHA-1, no CBC.
    public static let modern = SSHAlgorithms(
        keyExchange: [
            "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ecdh-sha2-nistp384",
            "ecdh-sha2-nistp521", "diffie-hellman-group18-sha512", "diffie-hellman-group16-sha512",
            "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256",
        ],
        hostKeys: [
            "ssh-ed25519", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256", "rsa-sha2-512",
            "rsa-sha2-256",
        ],
        ciphers: [
            "chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr",
            "aes192-ctr", "aes128-ctr",
        ],
        macs: ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512"]
    )

    /// What old devices need (netmiko reaches them through paramiko's defaults), offered after the
    /// modern ones when a device's platform or request allows it.
    public static let legacy = SSHAlgorithms(
        keyExchange: [
            "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1", "diffie-hellman-group1-sha1",
        ],
        hostKeys: ["ssh-rsa", "ssh-dss"],
        ciphers: ["aes256-cbc", "aes192-cbc", "aes128-cbc", "3des-cbc"],
        macs: ["hmac-sha1-etm@openssh.com", "hmac-sha1"]
    )

    /// These lists followed by `other`'s names not already in them.
    public func followed(by other: SSHAlgorithms) -> SSHAlgorithms {
        func join(_ a: [String], _ b: [String]) -> [String] { a + b.filter { !a.contains($0) } }
        return SSHAlgorithms(
            keyExchange: join(keyExchange, other.keyExchange), hostKeys: join(hostKeys, other.hostKeys),
            ciphers: join(ciphers, other.ciphers), macs: join(macs, other.macs))
    }

    /// These lists keeping only the names `library` supports.
    public func supported(by library: SSHAlgorithms) -> SSHAlgorithms {
        SSHAlgorithms(
            keyExchange: keyExchange.filter(library.keyExchange.contains),
            hostKeys: hostKeys.filter(library.hostKeys.contains), ciphers: ciphers.filter(library.ciphers.contains),
            macs: macs.filter(library.macs.contains))
    }

    /// These lists keeping only the names `keep` accepts.
    public func filtered(_ keep: (String) -> Bool) -> SSHAlgorithms {
        SSHAlgorithms(
            keyExchange: keyExchange.filter(keep), hostKeys: hostKeys.filter(keep), ciphers: ciphers.filter(keep),
            macs: macs.filter(keep))
    }

    /// The categories as (name, list) pairs, for messages.
    public var categories: [(name: String, list: [String])] {
        [("key exchange", keyExchange), ("host key", hostKeys), ("cipher", ciphers), ("MAC", macs)]
    }
}
