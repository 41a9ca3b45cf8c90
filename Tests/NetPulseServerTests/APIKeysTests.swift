import Foundation
import NetPulse
import NetPulseServer
import Testing

/// Key matching and loading, without a server.
@Suite("API keys")
struct APIKeysTests {
    let write = "write-key-0123456789abcdef"
    let read = "read-key-0123456789abcdef"

    func keys() throws -> APIKeys {
        try APIKeys([
            APIKeys.Key(Secret(write), scope: .write, origin: "a"),
            APIKeys.Key(Secret(read), scope: .read, origin: "b"),
        ])
    }

    @Test("exact matches only, with their scope")
    func matching() throws {
        let keys = try keys()
        #expect(keys.scope(of: write) == .write)
        #expect(keys.scope(of: read) == .read)
        for other in [
            "", String(write.dropLast()), write + "f", "x" + write, write.uppercased(),
            String(repeating: "k", count: 300), write + String(repeating: "\u{0}", count: 3),
        ] {
            #expect(keys.scope(of: other) == nil, "\(other)")
        }
        #expect(APIKeys().scope(of: write) == nil)
    }

    @Test("environment and file: scopes, comments, and errors that name the place, never the key")
    func loading() throws {
        var keys = APIKeys()
        try keys.add(environmentValue: "\(write), \(read)", name: "NETPULSE_API_KEYS")
        #expect(keys.keys.count == 2)
        #expect(keys.scope(of: read) == .write)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("np-keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "# keys\n\nfile-key-0123456789abcdef read\nother-key-0123456789abcdef write\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        var fromFile = APIKeys()
        try fromFile.add(file: file)
        #expect(fromFile.scope(of: "file-key-0123456789abcdef") == .read)
        #expect(fromFile.scope(of: "other-key-0123456789abcdef") == .write)

        try "good-key-0123456789abcdef admin\n".write(toFile: file, atomically: true, encoding: .utf8)
        var bad = APIKeys()
        let error = try #require(throws: APIKeyError.self) { try bad.add(file: file) }
        #expect(error.origin == "\(file):1")
        #expect(!error.description.contains("good-key"))

        let short = try #require(throws: APIKeyError.self) {
            var keys = APIKeys()
            try keys.add(environmentValue: "tiny", name: "KEYS")
        }
        #expect(short.origin == "KEYS #1")
        #expect(!short.description.contains("tiny"))
        #expect(!keys.description.contains(write))
    }
}
