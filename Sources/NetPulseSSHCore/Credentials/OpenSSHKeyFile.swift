import Foundation

/// Private key files in OpenSSH's own format (`-----BEGIN OPENSSH PRIVATE KEY-----`, "openssh-key-v1").
public enum OpenSSHKeyFile {
    /// The key types whose public half ``publicKeyLine(ofUnencrypted:)`` gives.
    static let knownTypes: Set<String> = [
        "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    ]

    /// The public key of an unencrypted private key in OpenSSH's format, as a public key file's line
    /// (`ssh-ed25519 AAAA…`), read from the part of the file that is never encrypted: no private key is
    /// parsed and no cryptography runs.
    ///
    /// The libssh2 backend hands it to libssh2 with the private key, which then skips deriving the public
    /// key through OpenSSL's decoders (about 4 million instructions per login for an OpenSSH-format key,
    /// which OpenSSL first tries, and fails, to read as PEM).
    ///
    /// - Parameter text: The private key file's contents.
    /// - Returns: `nil` for anything else: a PEM file, an encrypted key (its passphrase is checked when the
    ///   library derives the public key, which must keep happening), a key type outside ``knownTypes``, or
    ///   a malformed file.
    public static func publicKeyLine(ofUnencrypted text: String) -> String? {
        // Bytes, not Characters: grapheme-level filtering cost about 1.4 million instructions per login.
        let bytes = Array(text.utf8)
        let begin = Array("-----BEGIN OPENSSH PRIVATE KEY-----".utf8)
        let end = Array("-----END OPENSSH PRIVATE KEY-----".utf8)
        guard let start = Self.index(of: begin, in: bytes, from: 0),
            let stop = Self.index(of: end, in: bytes, from: start + begin.count)
        else { return nil }
        let body = bytes[(start + begin.count)..<stop].filter { $0 > 0x20 }
        guard let data = Data(base64Encoded: Data(body)) else { return nil }
        var reader = Reader(bytes: Array(data))
        guard reader.take(Array("openssh-key-v1\0".utf8)),
            let cipher = reader.string(), cipher.elementsEqual("none".utf8),
            let kdf = reader.string(), kdf.elementsEqual("none".utf8),
            reader.string() != nil,  // KDF options: empty without a KDF
            reader.uint32() == 1,
            let blob = reader.string()
        else { return nil }
        let key = Array(blob)
        guard let type = SSHHostKey.leadingString(of: key), knownTypes.contains(type) else { return nil }
        return "\(type) \(Data(key).base64EncodedString())"
    }

    /// Where `needle` first occurs in `bytes` at or after `from`.
    static func index(of needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard needle.count <= bytes.count, from <= bytes.count - needle.count else { return nil }
        for start in from...(bytes.count - needle.count) where bytes[start] == needle[0] {
            if bytes[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }

    /// Reads SSH wire types (RFC 4251 §5), bounds-checked.
    struct Reader {
        var bytes: [UInt8]
        var offset = 0

        mutating func take(_ expected: [UInt8]) -> Bool {
            guard bytes.count - offset >= expected.count,
                bytes[offset..<(offset + expected.count)].elementsEqual(expected)
            else { return false }
            offset += expected.count
            return true
        }

        mutating func uint32() -> UInt32? {
            guard bytes.count - offset >= 4 else { return nil }
            let value = bytes[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            offset += 4
            return value
        }

        mutating func string() -> ArraySlice<UInt8>? {
            guard let length = uint32(), Int(length) <= bytes.count - offset else { return nil }
            defer { offset += Int(length) }
            return bytes[offset..<(offset + Int(length))]
        }
    }
}
