internal import CNetPulseSSHCore
import Foundation
public import NetPulse

/// A server's public host key as the wire carries it (the SSH blob), whatever library received it.
public struct SSHHostKey: Sendable, Hashable, CustomStringConvertible {
    /// The key blob: what known_hosts holds in base64.
    public let blob: [UInt8]
    /// The key type named inside the blob (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...).
    public let type: String

    /// - Throws: `protocol_error` when the blob does not start with a key type.
    public init(blob: [UInt8]) throws(NetPulseError) {
        guard let type = Self.leadingString(of: blob) else {
            throw NetPulseError.protocolError("the server's host key is malformed (\(blob.count) bytes)")
        }
        self.blob = blob
        self.type = type
    }

    /// The first SSH string of a blob (its key type), or `nil` when there is none.
    static func leadingString(of blob: [UInt8]) -> String? {
        guard blob.count >= 4 else { return nil }
        let length = Int(blob[0]) << 24 | Int(blob[1]) << 16 | Int(blob[2]) << 8 | Int(blob[3])
        guard length > 0, length <= 64, blob.count >= 4 + length else { return nil }
        let name = blob[4..<(4 + length)]
        guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        return String(decoding: name, as: UTF8.self)
    }

    /// The blob in base64, as known_hosts writes it.
    public var base64: String { Data(blob).base64EncodedString() }

    /// The SHA-256 fingerprint as OpenSSH prints it: `SHA256:` and unpadded base64.
    public var fingerprint: String {
        var digest = [UInt8](repeating: 0, count: 32)
        blob.withUnsafeBufferPointer { np_sha256($0.baseAddress, $0.count, &digest) }
        let text = Data(digest).base64EncodedString()
        return "SHA256:" + text.prefix { $0 != "=" }
    }

    /// `type fingerprint`, for messages.
    public var description: String { "\(type) \(fingerprint)" }
}
