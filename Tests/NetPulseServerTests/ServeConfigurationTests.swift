import Foundation
import NetPulse
import SSHTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `netpulse serve --config FILE`, `--print-config` and `--log-format json`, as a subprocess.
@Suite("netpulse serve: configuration file and JSON logs")
struct ServeConfigurationTests {
    static let key = "config-test-key-0123456789"

    /// Writes `yaml` to a temporary file and returns its path.
    static func file(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("np-serve-\(UUID().uuidString).yaml")
            .path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("--print-config: the file's values, flags over the file, defaults elsewhere, inline keys masked")
    func printConfig() async throws {
        let path = try Self.file(
            """
            max_wait: 7
            max_jobs_listed: 25
            liveness_interval: 12.5
            session_idle_timeout: 90
            default_result_ttl: 120
            max_concurrent_tests: 3
            round_robin_lanes: 64
            allow_request_files: [/srv/templates]
            api_keys: ["\(Self.key) read"]
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try await ChildProcess.run(
            ServeCommandTests.binary, ["serve", "--config", path, "--max-wait=9", "--print-config"], environment: [:])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = Set(output.stdout.split(separator: "\n").map(String.init))
        for expected in [
            "max_wait: 9", "max_jobs_listed: 25", "liveness_interval: 12.5", "session_idle_timeout: 90.0",
            "default_result_ttl: 120", "max_concurrent_tests: 3", "round_robin_lanes: 64",
            #"allow_request_files: ["/srv/templates"]"#,
            #"api_keys: ["\#(Secret.mask) read"]"#, "max_devices: 5000", #"bind: "127.0.0.1""#,
        ] {
            #expect(lines.contains(expected), "\(expected) not in:\n\(output.stdout)")
        }
        #expect(!output.stdout.contains(Self.key))
        #expect(!output.stderr.contains(Self.key))
    }

    @Test("--print-config: database, no_worker and dead_after from the file, the URL's password masked")
    func printDatabaseConfig() async throws {
        let password = "pg-pw-\(Self.key)"
        let path = try Self.file(
            """
            database: "postgres://np:\(password)@127.0.0.1:5432/netpulse?sslmode=disable"
            no_worker: true
            dead_after: 4
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try await ChildProcess.run(
            ServeCommandTests.binary, ["serve", "--config", path, "--print-config"], environment: [:])
        #expect(output.status == 0, "\(output.stderr)")
        let lines = Set(output.stdout.split(separator: "\n").map(String.init))
        for expected in [
            #"database: "postgres://np:\#(Secret.mask)@127.0.0.1:5432/netpulse?sslmode=disable""#, "no_worker: true",
            "dead_after: 4.0",
        ] {
            #expect(lines.contains(expected), "\(expected) not in:\n\(output.stdout)")
        }
        #expect(!output.stdout.contains(password) && !output.stderr.contains(password))
        // --no-worker needs a database.
        let refused = try await ChildProcess.run(
            ServeCommandTests.binary, ["serve", "--no-worker", "--print-config"], environment: [:])
        #expect(refused.status != 0 && refused.stderr.contains("--no-worker: only with --database"))
    }

    @Test(
        "unknown keys and bad values: exit 2 with the key named, the value never shown",
        arguments: [
            ("max_wiat: 5", "max_wiat: unknown key; did you mean max_wait?"),
            (#"max_wait: "soon""#, "max_wait: must be an integer, got a string"),
            ("max_wait: -1", "max_wait: must be between 0 and 86400, got -1"),
            ("liveness_interval: 0", "liveness_interval: must be in (0"),
            ("host_key_policy: lax", "host_key_policy: must be one of strict, accept-new, off"),
            (#"open: "yes-\#(ServeConfigurationTests.key)""#, "open: must be true or false, got a string"),
            ("- just\n- a list", "must be a mapping of settings"),
            ("max_wait: [", "malformed YAML: 2:1"),
            (#"api_keys: ["short"]"#, "api_keys[0]"),
            ("round_robin_lanes: 0", "round_robin_lanes: must be between 1 and 1000000, got 0"),
            ("round_robin_lanes: 600", "--round-robin-lanes: must be between 1 and --max-connections (512), got 600"),
        ])
    func refusals(yaml: String, message: String) async throws {
        let path = try Self.file(yaml)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try await ChildProcess.run(
            ServeCommandTests.binary, ["serve", "--port", "0", "--open", "--config", path],
            environment: ["NETPULSE_API_KEYS": ""])
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stderr.contains(message), "\(output.stderr)")
        #expect(!output.stderr.contains(Self.key))
    }

    @Test("a file-only limit reaches the server (max_jobs_listed), and --log-format json logs JSON lines")
    func servesWithFileAndJSONLogs() async throws {
        let path = try Self.file("max_jobs_listed: 5\nverbose: true\nlog_format: json\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let logPath = path + ".log"
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(logFD >= 0)
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        guard let (child, port) = try await ServeCommandTests.serve(["--config", path], key: Self.key, stderr: logFD)
        else {
            close(logFD)
            return
        }
        close(logFD)
        let client = HTTPClient(base: "http://127.0.0.1:\(port)", key: Self.key)
        let refused = try await client.get("/jobs?limit=6")
        #expect(refused.status == 422, "\(refused.text)")
        #expect(refused.text.contains("between 1 and 5"), "\(refused.text)")
        #expect(try await client.get("/jobs?limit=5").status == 200)
        child.signal(SIGTERM)
        #expect(await child.wait() == 0)

        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(!lines.isEmpty, "no log lines")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String, "\(line)")
            #expect(object?["message"] is String, "\(line)")
            #expect(object?["time"] is String, "\(line)")
        }
        #expect(!log.contains(Self.key))
    }
}
