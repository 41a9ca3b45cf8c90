import Foundation
import Logging
import NetPulse
import Synchronization
import Testing

@testable import NetPulseSSHCore

/// A fake host key blob of `type` (the store compares blobs; it never verifies signatures).
func fakeKey(_ type: String = "ssh-ed25519", seed: UInt8 = 1) throws -> SSHHostKey {
    let name = Array(type.utf8)
    var blob: [UInt8] = [0, 0, 0, UInt8(name.count)] + name + [0, 0, 0, 32]
    blob += (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 7 &+ Int(seed) &* 31) }
    return try SSHHostKey(blob: blob)
}

func line(_ names: String, _ key: SSHHostKey, marker: String? = nil) -> String {
    [marker, names, key.type, key.base64].compactMap { $0 }.joined(separator: " ")
}

/// `|1|salt|hash` for `name`, computed as OpenSSH does.
func hashedName(_ name: String, salt: [UInt8]) -> String {
    let code = HMACSHA1Key(secret: salt).code(for: Array(name.utf8))
    return "|1|\(Data(salt).base64EncodedString())|\(Data(code).base64EncodedString())"
}

func temporaryFile(_ text: String? = nil) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("np-kh-\(UUID().uuidString)").path
    if let text { try text.write(toFile: path, atomically: true, encoding: .utf8) }
    return path
}

@Suite("HMAC-SHA1 (RFC 2202 test cases)")
struct HMACSHA1Tests {
    static let cases: [([UInt8], [UInt8], String)] = [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        (
            [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3"
        ),
        (Array(1...25), [UInt8](repeating: 0xcd, count: 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        (
            [UInt8](repeating: 0x0c, count: 20), Array("Test With Truncation".utf8),
            "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"
        ),
        (
            [UInt8](repeating: 0xaa, count: 80), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        ),
        (
            [UInt8](repeating: 0xaa, count: 80),
            Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
            "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"
        ),
    ]

    @Test("RFC 2202 vectors", arguments: 0..<7)
    func vector(_ index: Int) {
        let (key, data, expected) = Self.cases[index]
        let code = HMACSHA1Key(secret: key).code(for: data)
        #expect(code.map { String(format: "%02x", $0) }.joined() == expected)
        // The prepared key gives the same code every time.
        #expect(HMACSHA1Key(secret: key).code(for: data) == code)
    }

    @Test("SHA-256 fingerprints print as OpenSSH does")
    func fingerprint() throws {
        let key = try fakeKey()
        #expect(key.fingerprint.hasPrefix("SHA256:"))
        #expect(!key.fingerprint.contains("="))
        #expect(key.fingerprint.count == 7 + 43)
        #expect(key.type == "ssh-ed25519")
        #expect(throws: NetPulseError.self) { _ = try SSHHostKey(blob: [0, 0, 0, 99, 1]) }
    }
}

@Suite("OpenSSH host patterns")
struct HostPatternTests {
    @Test(
        "patterns, negation and lists",
        arguments: [
            ("*.example.com", "r1.example.com", true), ("*.example.com", "example.com", false),
            ("r?.example.com", "r1.example.com", true), ("r?.example.com", "r10.example.com", false),
            ("!bad.example.com,*.example.com", "bad.example.com", false),
            ("!bad.example.com,*.example.com", "good.example.com", true),
            ("!bad.example.com", "good.example.com", false),
            ("10.0.0.*", "10.0.0.7", true), ("[10.0.0.*]:2222", "[10.0.0.7]:2222", true),
            ("[10.0.0.*]:2222", "10.0.0.7", false), ("*", "anything", true),
            ("R1.EXAMPLE.COM,x", "r1.example.com", true),
            ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false),
        ])
    func matches(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(HostPattern.listMatches(Array(pattern.utf8), name: Array(name.utf8)) == expected)
    }

    @Test("the known_hosts name: host on port 22, [host]:port otherwise, lowercased")
    func names() {
        #expect(HostPattern.knownHostsName(host: "R1.Example.com", port: 22) == "r1.example.com")
        #expect(HostPattern.knownHostsName(host: "10.0.0.1", port: 2222) == "[10.0.0.1]:2222")
        #expect(HostPattern.knownHostsName(host: "::1", port: 2222) == "[::1]:2222")
        #expect(HostPattern.knownHostsName(host: "[::1]", port: 22) == "::1")
    }
}

@Suite("known_hosts store")
struct KnownHostsStoreTests {
    let key: SSHHostKey
    let other: SSHHostKey
    let ecdsa: SSHHostKey

    init() throws {
        key = try fakeKey(seed: 1)
        other = try fakeKey(seed: 2)
        ecdsa = try fakeKey("ecdsa-sha2-nistp256", seed: 3)
    }

    func verdict(_ text: String, host: String, port: Int, key: SSHHostKey? = nil) throws -> KnownHostsVerdict {
        let path = try temporaryFile(text)
        defer { unlink(path) }
        return try KnownHostsStore().verdict(for: key ?? self.key, host: host, port: port, file: path)
    }

    @Test("plain names, ports, several keys per host, other types")
    func plain() throws {
        #expect(try verdict(line("r1", key), host: "r1", port: 22) == .match)
        #expect(try verdict(line("R1", key), host: "r1", port: 22) == .match)
        #expect(try verdict(line("r0,r1,r2", key), host: "r1", port: 22) == .match)
        #expect(try verdict(line("[r1]:2222", key), host: "r1", port: 2222) == .match)
        // No port fallback: a plain entry never vouches for another port, nor the reverse.
        #expect(try verdict(line("r1", key), host: "r1", port: 2222) == .notFound)
        #expect(try verdict(line("[r1]:2222", key), host: "r1", port: 22) == .notFound)
        #expect(try verdict(line("r1", other), host: "r1", port: 22) == .mismatch)
        #expect(try verdict(line("r1", other) + "\n" + line("r1", key), host: "r1", port: 22) == .match)
        #expect(try verdict(line("r1", ecdsa), host: "r1", port: 22) == .otherType)
        #expect(try verdict("# comment\n\ngarbage line\n" + line("r1", key), host: "r1", port: 22) == .match)
    }

    @Test("hashed names (|1|salt|hash), mixed with plain lines")
    func hashed() throws {
        let salt: [UInt8] = Array(0..<20)
        let text = line(hashedName("[10.1.2.3]:2222", salt: salt), key) + "\n" + line("r9", other)
        #expect(try verdict(text, host: "10.1.2.3", port: 2222) == .match)
        #expect(try verdict(text, host: "10.1.2.3", port: 22) == .notFound)
        #expect(try verdict(text, host: "10.1.2.4", port: 2222) == .notFound)
        #expect(try verdict(line(hashedName("r1", salt: salt), other), host: "r1", port: 22) == .mismatch)
    }

    @Test("patterns, @revoked and @cert-authority")
    func markers() throws {
        #expect(try verdict(line("*.lab,!r2.lab", key), host: "r1.lab", port: 22) == .match)
        #expect(try verdict(line("*.lab,!r2.lab", key), host: "r2.lab", port: 22) == .notFound)
        #expect(
            try verdict(line("*", key, marker: "@revoked") + "\n" + line("r1", key), host: "r1", port: 22) == .revoked)
        #expect(
            try verdict(line("*.lab", key, marker: "@cert-authority"), host: "r1.lab", port: 22)
                == .certificateAuthorityOnly)
        #expect(
            try verdict(
                line("*.lab", other, marker: "@cert-authority") + "\n" + line("r1.lab", key), host: "r1.lab", port: 22)
                == .match)
    }

    @Test("a changed file is read again; an unchanged one is not")
    func reload() throws {
        let path = try temporaryFile(line("r1", key) + "\n")
        defer { unlink(path) }
        let store = KnownHostsStore()
        #expect(try store.verdict(for: key, host: "r2", port: 22, file: path) == .notFound)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data((line("r2", key) + "\n").utf8))
        try handle.close()
        #expect(try store.verdict(for: key, host: "r2", port: 22, file: path) == .match)
        // Replaced by another file of the same size: still noticed (inode, times).
        try (line("r3", key) + "\n" + line("r2", other) + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try store.verdict(for: key, host: "r2", port: 22, file: path) == .mismatch)
    }

    @Test("the version in memory answers on the loop thread only while the file is unchanged and the scan short")
    func fromMemory() throws {
        let path = try temporaryFile(line("r1", key) + "\n" + line("r2", other) + "\n")
        defer { unlink(path) }
        let store = KnownHostsStore()
        // Not parsed yet: only `verdict` (off the loop thread) may read the file.
        #expect(store.verdictFromMemory(for: key, host: "r1", port: 22, file: path) == nil)
        #expect(try store.verdict(for: key, host: "r1", port: 22, file: path) == .match)
        #expect(store.verdictFromMemory(for: key, host: "r1", port: 22, file: path) == .match)
        #expect(store.verdictFromMemory(for: key, host: "r2", port: 22, file: path) == .mismatch)
        #expect(store.verdictFromMemory(for: key, host: "r3", port: 22, file: path) == .notFound)
        // Changed: nil until `verdict` has read it again.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data((line("r3", key) + "\n").utf8))
        try handle.close()
        #expect(store.verdictFromMemory(for: key, host: "r3", port: 22, file: path) == nil)
        #expect(try store.verdict(for: key, host: "r3", port: 22, file: path) == .match)
        #expect(store.verdictFromMemory(for: key, host: "r3", port: 22, file: path) == .match)

        // Many hashed names: a host not looked up before costs an HMAC per name, so it is not answered
        // from memory; once `verdict` looked it up, it is.
        let salt: [UInt8] = Array(0..<20)
        let many = (0...KnownHostsFile.memoryScanLimit).map { line(hashedName("h\($0)", salt: salt), key) }
        let hashedPath = try temporaryFile(many.joined(separator: "\n") + "\n")
        defer { unlink(hashedPath) }
        #expect(try store.verdict(for: key, host: "h1", port: 22, file: hashedPath) == .match)
        #expect(store.verdictFromMemory(for: key, host: "h1", port: 22, file: hashedPath) == .match)
        #expect(store.verdictFromMemory(for: key, host: "h2", port: 22, file: hashedPath) == nil)
    }

    @Test("validating from memory decides as validate does, and leaves recording a new host to it")
    func validatorFromMemory() throws {
        let path = try temporaryFile(line("r1", key) + "\n" + line("r2", other) + "\n")
        defer { unlink(path) }
        let store = KnownHostsStore()
        let logger = Logger(label: "test")
        let strict = KnownHostsValidator(policy: .strict(knownHostsFile: path), store: store)
        let acceptNew = KnownHostsValidator(policy: .acceptNew(knownHostsFile: path), store: store)
        #expect(try strict.validateFromMemory(key, host: "r1", port: 22, logger: logger) == false)  // not parsed
        try strict.validate(key, host: "r1", port: 22, logger: logger)
        #expect(try strict.validateFromMemory(key, host: "r1", port: 22, logger: logger))
        #expect(try acceptNew.validateFromMemory(key, host: "r1", port: 22, logger: logger))
        for validator in [strict, acceptNew] {
            let error = #expect(throws: NetPulseError.self) {
                try validator.validateFromMemory(key, host: "r2", port: 22, logger: logger)
            }
            #expect(error?.kind == .hostKeyMismatch)
        }
        let unknown = #expect(throws: NetPulseError.self) {
            try strict.validateFromMemory(key, host: "r9", port: 22, logger: logger)
        }
        #expect(unknown?.kind == .hostKeyUnknown)
        // accept-new must write the new host: only `validate` does, off the loop thread.
        #expect(try acceptNew.validateFromMemory(key, host: "r9", port: 22, logger: logger) == false)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("r9") == false)
    }

    @Test("only regular files within the size limit are read: a FIFO, /dev/zero, a folder fail at once")
    func notRegular() throws {
        let fifo = try temporaryFile()
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        for path in [fifo, "/dev/zero", FileManager.default.temporaryDirectory.path] {
            let error = #expect(throws: NetPulseError.self) {
                _ = try KnownHostsStore().verdict(for: key, host: "r1", port: 22, file: path)
            }
            #expect(error?.kind == .invalidRequest)
            #expect(error?.message.contains("known_hosts_file") == true)
        }
        let big = try temporaryFile(String(repeating: "# padding line\n", count: 100))
        defer { unlink(big) }
        let error = #expect(throws: NetPulseError.self) {
            _ = try KnownHostsStore(maxFileSize: 1000).verdict(for: key, host: "r1", port: 22, file: big)
        }
        #expect(error?.message.contains("limit") == true)
        // accept-new refuses them too, and never creates anything in their place.
        let logger = Logger(label: "test")
        #expect(throws: NetPulseError.self) {
            try KnownHostsValidator(policy: .acceptNew(knownHostsFile: fifo)).validate(
                key, host: "r1", port: 22, logger: logger)
        }
    }

    @Test("accept-new records a plain line; names with control characters, NUL or whitespace are refused")
    func recording() throws {
        let path = try temporaryFile("# start")  // no final newline: the record starts on its own line
        defer { unlink(path) }
        let validator = KnownHostsValidator(policy: .acceptNew(knownHostsFile: path), store: KnownHostsStore())
        let logger = Logger(label: "test")
        try validator.validate(key, host: "10.0.0.1", port: 2222, logger: logger)
        try validator.validate(key, host: "10.0.0.1", port: 2222, logger: logger)
        let expected = "# start\n[10.0.0.1]:2222 ssh-ed25519 \(key.base64)\n"
        #expect(try String(contentsOfFile: path, encoding: .utf8) == expected)
        for bad in ["evil\nr1 ssh-ed25519 AAAA", "nul\u{0}host", "a b", "tab\there", "bell\u{7}", "*.x", "a,b", "!x"] {
            let error = #expect(throws: NetPulseError.self) {
                try validator.validate(key, host: bad, port: 22, logger: logger)
            }
            #expect(error?.kind == .invalidRequest, "\(bad.debugDescription)")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == expected)
        // A changed key is never replaced.
        #expect(throws: NetPulseError.self) {
            try validator.validate(other, host: "10.0.0.1", port: 2222, logger: logger)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == expected)
    }

    @Test("concurrent accept-new: 300 hosts give 300 well-formed lines; 50 racing on one host give one")
    func concurrentRecording() async throws {
        let path = try temporaryFile()
        defer { unlink(path) }
        let store = KnownHostsStore()
        let key = self.key
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<300 {
                group.addTask {
                    _ = try? store.verdictRecordingNew(
                        for: key, host: "10.9.\(index / 250).\(index % 250)", port: 22, file: path)
                }
            }
            for _ in 0..<50 {
                group.addTask { _ = try? store.verdictRecordingNew(for: key, host: "same", port: 2200, file: path) }
            }
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        let records = lines.dropLast()
        #expect(records.count == 301)
        #expect(Set(records).count == 301)
        #expect(records.allSatisfy { $0.split(separator: " ").count == 3 && $0.hasSuffix(key.base64) })
        #expect(records.filter { $0.hasPrefix("[same]:2200 ") }.count == 1)
    }
}

@Suite("Server offer probe")
struct ServerOfferTests {
    @Test("a KEXINIT is parsed into the server's lists")
    func parse() {
        func nameList(_ names: String) -> [UInt8] {
            let bytes = Array(names.utf8)
            return [0, 0, 0, UInt8(bytes.count)] + bytes
        }
        var payload: [UInt8] = [20] + [UInt8](repeating: 9, count: 16)
        for list in [
            "diffie-hellman-group14-sha1", "ssh-rsa", "aes128-cbc", "aes128-cbc", "hmac-sha1", "hmac-sha1", "none",
            "none",
            "", "",
        ] {
            payload += nameList(list)
        }
        payload += [0, 0, 0, 0, 0]
        let padding = 4
        let length = payload.count + padding + 1
        var bytes = Array("banner line\r\nSSH-2.0-Old_IOS\r\n".utf8)
        bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        bytes += [UInt8(padding)] + payload + [UInt8](repeating: 0, count: padding)
        let offer = SSHServerOffer.parse(bytes)
        #expect(offer?.version == "SSH-2.0-Old_IOS")
        #expect(offer?.algorithms.keyExchange == ["diffie-hellman-group14-sha1"])
        #expect(offer?.algorithms.hostKeys == ["ssh-rsa"])
        #expect(offer?.algorithms.ciphers == ["aes128-cbc"])
        #expect(offer?.algorithms.macs == ["hmac-sha1"])
        #expect(SSHServerOffer.parse(Array(bytes.prefix(bytes.count - 40))) == nil)
    }
}
