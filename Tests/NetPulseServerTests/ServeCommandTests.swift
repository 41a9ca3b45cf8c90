import Dispatch
import Foundation
import SSHTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `netpulse serve` as a subprocess: refusals, then a run ended by SIGTERM.
@Suite("netpulse serve")
struct ServeCommandTests {
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var directory = URL(fileURLWithPath: exe).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("netpulse").path
    }

    @Test(
        "refuses to start without keys, open off loopback, or with a weak key; the message says why",
        arguments: [
            ([], [:], "no API key"),
            (["--open", "--bind", "0.0.0.0"], [:], "loopback"),
            ([], ["NETPULSE_API_KEYS": "short"], "at least 16"),
            (["--allow-targets", "10.0.0.0/40"], ["NETPULSE_API_KEYS": "0123456789abcdef0123"], "allow-targets"),
            (
                ["--tls-certificate", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"],
                ["NETPULSE_API_KEYS": "0123456789abcdef0123"], "tls.certificate_file"
            ),
            (
                ["--allow-request-files", "relative/dir"], ["NETPULSE_API_KEYS": "0123456789abcdef0123"],
                "allowed_file_directories"
            ),
        ] as [([String], [String: String], String)])
    func refusals(arguments: [String], environment: [String: String], message: String) async throws {
        var environment = environment
        if environment["NETPULSE_API_KEYS"] == nil { environment["NETPULSE_API_KEYS"] = "" }
        let output = try await ChildProcess.run(
            Self.binary, ["serve", "--port", "0"] + arguments, environment: environment)
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stderr.contains(message), "\(output.stderr)")
        #expect(!output.stderr.contains("short"))
    }

    @Test("serves until SIGTERM, then stops cleanly (exit 0)")
    func runAndStop() async throws {
        let key = "serve-test-key-0123456789"
        guard let (child, port) = try await Self.serve([], key: key) else { return }
        let client = HTTPClient(base: "http://127.0.0.1:\(port)", key: key)
        #expect(try await client.get("/health").status == 200)
        #expect(try await client.get("/jobs", key: .some(nil)).status == 401)
        #expect(try await client.get("/jobs").status == 200)
        child.signal(SIGTERM)
        #expect(await child.wait() == 0)
    }

    /// Starts `netpulse serve --port 0` with `arguments` and the API key `key`, and reads the port from its
    /// first line; `nil` (with the issue recorded, the child killed) when that line is not the expected one.
    static func serve(
        _ arguments: [String], key: String, stderr: Int32? = nil, binary: String = Self.binary
    ) async throws -> (ChildProcess, Int)? {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let child = try ChildProcess.spawn(
            binary, ["serve", "--port", "0", "--api-keys-env", "NETPULSE_SERVE_TEST_KEYS"] + arguments, stdout: fds[1],
            stderr: stderr,
            environment: ["NETPULSE_SERVE_TEST_KEYS": key])
        close(fds[1])
        defer { close(fds[0]) }
        // The first line says where it listens (read on a Dispatch thread; ends at EOF too).
        let readFD = fds[0]
        let line = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                var byte: UInt8 = 0
                while read(readFD, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
        guard let range = line.range(of: "listening on http://127.0.0.1:"), let port = Int(line[range.upperBound...])
        else {
            child.signal(SIGKILL)
            _ = await child.wait()
            Issue.record("unexpected first line: \(line)")
            return nil
        }
        return (child, port)
    }
}
