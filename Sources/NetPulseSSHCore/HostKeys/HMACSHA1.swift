internal import CNetPulseSSHCore

/// An HMAC-SHA1 key with its inner and outer states prepared once (libcrypto through the C seam):
/// hashed known_hosts names (`|1|salt|hash`) are HMAC-SHA1(salt, name), one salt per line.
struct HMACSHA1Key: @unchecked Sendable {  // plain bytes, never changed after init
    private var state = np_hmac_sha1_key()

    init(secret: [UInt8]) {
        secret.withUnsafeBufferPointer { np_hmac_sha1_prepare(&state, $0.baseAddress, $0.count) }
    }

    /// The 20-byte code of `message`.
    func code(for message: UnsafeBufferPointer<UInt8>, into digest: inout [UInt8]) {
        withUnsafePointer(to: state) { np_hmac_sha1($0, message.baseAddress, message.count, &digest) }
    }

    func code(for message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 20)
        message.withUnsafeBufferPointer { code(for: $0, into: &digest) }
        return digest
    }
}
