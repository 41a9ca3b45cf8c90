import Foundation
import NetPulse
import SSHTestSupport
import Testing

@testable import NetPulseSSHCore

@Suite("OpenSSH private key files: the public key from the clear part")
struct OpenSSHKeyFileTests {
    /// A key made by ssh-keygen in a fresh folder: its private file and its public line (type and base64).
    func makeKey(_ arguments: [String]) async throws -> (privateKey: String, publicLine: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("np-keyfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("key").path
        let result = try await ChildProcess.run(
            "/usr/bin/ssh-keygen", ["-q", "-C", "comment", "-f", path] + arguments, environment: [:])
        try #require(result.status == 0, "ssh-keygen failed: \(result.stderr)")
        let privateKey = try String(contentsOfFile: path, encoding: .utf8)
        let publicFields = try String(contentsOfFile: path + ".pub", encoding: .utf8).split(separator: " ")
        return (privateKey, "\(publicFields[0]) \(publicFields[1])")
    }

    @Test("unencrypted ed25519, ECDSA and RSA keys: the line ssh-keygen wrote in the .pub file")
    func unencrypted() async throws {
        for arguments in [["-t", "ed25519"], ["-t", "ecdsa", "-b", "384"], ["-t", "rsa", "-b", "2048"]] {
            let key = try await makeKey(arguments + ["-N", ""])
            #expect(OpenSSHKeyFile.publicKeyLine(ofUnencrypted: key.privateKey) == key.publicLine, "\(arguments)")
        }
    }

    @Test("encrypted keys, PEM files and malformed text give nil")
    func others() async throws {
        let encrypted = try await makeKey(["-t", "ed25519", "-N", "a passphrase"])
        #expect(OpenSSHKeyFile.publicKeyLine(ofUnencrypted: encrypted.privateKey) == nil)
        let pem = try await makeKey(["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", ""])
        #expect(pem.privateKey.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        #expect(OpenSSHKeyFile.publicKeyLine(ofUnencrypted: pem.privateKey) == nil)
        let good = try await makeKey(["-t", "ed25519", "-N", ""]).privateKey
        let lines = good.split(separator: "\n")
        let truncated = ([lines[0], lines[1], lines[lines.count - 1]]).joined(separator: "\n")
        #expect(OpenSSHKeyFile.publicKeyLine(ofUnencrypted: truncated) == nil)
        #expect(OpenSSHKeyFile.publicKeyLine(ofUnencrypted: "") == nil)
        let garbage = "-----BEGIN OPENSSH PRIVATE KEY-----\n!!!\n-----END OPENSSH PRIVATE KEY-----"
        #expect(OpenSSHKeyFile.publicKeyLine(ofUnencrypted: garbage) == nil)
    }
}
