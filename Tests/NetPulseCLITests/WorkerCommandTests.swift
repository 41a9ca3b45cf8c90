import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

/// `netpulse db` and `netpulse worker` as separate processes on the throw-away PostgreSQL of
/// scripts/pg/start.sh (NETPULSE_TEST_DATABASE_URL), against lab devices.
@Suite("netpulse worker and db on PostgreSQL")
struct WorkerCommandTests {
    @Test("a batch submitted by one process runs on two worker processes and is read back by a third")
    func twoWorkers() async throws {
        guard let server = ProcessInfo.processInfo.environment["NETPULSE_TEST_DATABASE_URL"] else {
            Issue.record(
                """
                PostgreSQL is not available: NETPULSE_TEST_DATABASE_URL is not set. Run the tests through \
                `bash scripts/pg/with-postgres.sh swift test ...` (make test does).
                """)
            return
        }
        let name = "np_cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let created = try await ChildProcess.run("/usr/bin/psql", [server, "-c", "CREATE DATABASE \(name)"])
        try #require(created.status == 0, "\(created.output)")
        let slash = try #require(server.lastIndex(of: "/"))
        let database = String(server[..<slash]) + "/" + name + "?sslmode=disable"
        let binary = NetPulseCommandTests.binary
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        try await withLab(NetPulseCommandTests.labConfiguration(devices: 6)) { lab in
            let migrated = try await ChildProcess.run(
                binary, ["db", "migrate", "--database", database], environment: [:])
            #expect(migrated.status == 0, "\(migrated.stderr)")
            #expect(migrated.stdout.contains("schema migrated from 0 to 3"))
            let again = try await ChildProcess.run(
                binary, ["db", "migrate", "--database", database], environment: [:])
            #expect(again.stdout.contains("up to date"))

            var workers: [(ChildProcess, String)] = []
            for index in 0..<2 {
                let log = folder.appendingPathComponent("w\(index).out").path
                let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                defer { close(fd) }
                let worker = try ChildProcess.spawn(
                    binary,
                    [
                        "worker", "--database", database, "--name", "w\(index)", "--max-connections", "4",
                        "--known-hosts", lab.knownHostsFile,
                    ], stdout: fd, stderr: fd)
                workers.append((worker, log))
            }
            let devices = lab.devices.map { #"{"host": "\#($0.host)", "port": \#($0.port)}"# }
            let request = """
                {"driver": "libssh2", "command": "show version", "devices": [\(devices.joined(separator: ","))],
                 "connection_args": {"device_type": "cisco_ios", "username": "admin", "password": "admin123"}}
                """
            let submitted = try await ChildProcess.run(
                binary, ["db", "submit", "--database", database, "-", "--known-hosts", lab.knownHostsFile],
                input: request)
            #expect(submitted.status == 0, "\(submitted.stderr)")
            let batch = submitted.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let read = try await ChildProcess.run(
                binary, ["db", "result", "--database", database, batch], environment: [:])
            #expect(read.status == 0, "\(read.stderr)")
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any], "\(read.stdout)")
            let results = try #require(result["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["index"] as? Int } == Array(0..<6))
            #expect(results.allSatisfy { $0["success"] as? Bool == true }, "\(results)")
            #expect(!read.stdout.contains("admin123"))
            let unknown = try await ChildProcess.run(
                binary, ["db", "result", "--database", database, "00000000-0000-0000-0000-000000000000"],
                environment: [:])
            #expect(unknown.status == 1)

            for (worker, log) in workers {
                worker.signal(SIGTERM)
                #expect(await worker.wait() == 0)
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(text.contains("started") && text.contains("stopped"), "\(text)")
                #expect(!text.contains("admin123"))
            }
        }
        _ = try await ChildProcess.run("/usr/bin/psql", [server, "-c", "DROP DATABASE \(name) WITH (FORCE)"])
    }

    @Test("a bad --database URL is refused naming the option")
    func badDatabase() async throws {
        let output = try await ChildProcess.run(
            NetPulseCommandTests.binary, ["db", "migrate", "--database", "mysql://user@127.0.0.1/db"],
            environment: [:])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--database"))
    }
}
