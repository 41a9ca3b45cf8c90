import Foundation
import NetPulse
import Testing

@testable import NetPulseSSHCore

@Suite("Key file cache: read once, read again when the file changes")
struct KeyFileCacheTests {
    @Test("a file read is kept while it does not change; a rewrite or an append is read again")
    func reloads() throws {
        let cache = KeyFileCache()
        let path = try temporaryFile("first key\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(cache.cached(path) == nil, "nothing is in memory before a read")
        #expect(try cache.read(path)?.revealed == "first key\n")
        #expect(cache.cached(path)?.revealed == "first key\n")

        // Replaced by another file of the same size (a new inode).
        try "other key\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(cache.cached(path) == nil, "a replaced file was answered from memory")
        #expect(try cache.read(path)?.revealed == "other key\n")

        // Appended to in place (the same inode, another size).
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("more\n".utf8))
        try handle.close()
        #expect(cache.cached(path) == nil, "an appended file was answered from memory")
        #expect(try cache.read(path)?.revealed == "other key\nmore\n")
        #expect(cache.cached(path)?.revealed == "other key\nmore\n")

        try FileManager.default.removeItem(atPath: path)
        #expect(cache.cached(path) == nil, "a removed file was answered from memory")
        #expect(try cache.read(path) == nil)
    }

    @Test("what is not a regular file within the size limit is refused, naming key_file")
    func refusesOddFiles() throws {
        let cache = KeyFileCache()
        let fifo = try temporaryFile()
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { try? FileManager.default.removeItem(atPath: fifo) }
        let big = try temporaryFile(String(repeating: "k", count: SSHDriverConfiguration.maxKeyFileBytes + 1))
        defer { try? FileManager.default.removeItem(atPath: big) }
        for path in [fifo, "/dev/zero", FileManager.default.temporaryDirectory.path, big] {
            let error = #expect(throws: NetPulseError.self) { try cache.read(path) }
            #expect(error?.kind == .invalidRequest)
            #expect(error?.message.contains("key_file '\(path)'") == true, "\(String(describing: error))")
            #expect(cache.cached(path) == nil)
        }
    }

    @Test("at most `capacity` files are kept")
    func bounded() throws {
        let cache = KeyFileCache()
        let paths = try (0...KeyFileCache.capacity).map { try temporaryFile("key \($0)\n") }
        defer { for path in paths { try? FileManager.default.removeItem(atPath: path) } }
        for path in paths { _ = try cache.read(path) }
        #expect(cache.count <= KeyFileCache.capacity)
        #expect(cache.cached(paths[paths.count - 1])?.revealed == "key \(KeyFileCache.capacity)\n")
    }
}
