import ArgumentParser
import Foundation
import Logging
import NetPulse
import NetPulseServer
import NetPulseTesting
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `netpulse-api-bench`: load figures of the HTTP API against the in-memory driver.
///
/// - `memory`: starts the API as a child process (`serve`), submits batches over HTTP, waits for every
///   result, then for `result_ttl`, and reports the server's resident memory before, at the peak and
///   after the purge (read from /proc).
/// - `jobs`: retains a number of jobs in one process, then times `GET /jobs` pages over HTTP.
@main
struct APIBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netpulse-api-bench",
        abstract: "Load figures of the NetPulse HTTP API against the in-memory driver.",
        subcommands: [Serve.self, Memory.self, Jobs.self])

    static let key = "api-bench-key-0123456789abcdef"

    /// The in-memory driver as the API's only driver (`netmiko`): every host answers at once.
    static func scheduler(maxQueuedJobs: Int) -> SchedulerConfiguration {
        var drivers = DriverRegistry()
        drivers.register(InMemoryDriver(recordsExecutions: false), as: "memory", aliases: ["netmiko"])
        var logger = Logger(label: "api-bench")
        logger.logLevel = .error
        var limits = SchedulerConfiguration.Limits()
        limits.maxQueuedJobs = maxQueuedJobs
        return SchedulerConfiguration(drivers: drivers, limits: limits, logger: logger)
    }

    static func apiConfiguration() throws -> NetPulseAPIConfiguration {
        var logger = Logger(label: "api-bench")
        logger.logLevel = .error
        return NetPulseAPIConfiguration(
            apiKeys: APIKeys([try APIKeys.Key(Secret(key), origin: "bench")]), maxJobsListed: 1_000, rateLimit: nil,
            logger: logger)
    }

    /// A batch of `devices` in-memory devices.
    static func batch(_ number: Int, devices: Int, resultTTL: Int, strategy: String = "round_robin") -> [UInt8] {
        let hosts = (0..<devices).map { #"{"host": "dev-\#(number % 100)-\#($0)"}"# }.joined(separator: ", ")
        return Array(
            """
            {"driver": "netmiko", "devices": [\(hosts)],
             "connection_args": {"device_type": "cisco_ios", "username": "bench", "password": "bench-pw"},
             "command": "show version", "options": {"queue_strategy": "\(strategy)", "result_ttl": \(resultTTL)}}
            """.utf8)
    }

    static func residentKB(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Runs `work` on `count` threads of their own and waits for all of them.
    static func onThreads(_ count: Int, _ work: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                work(index)
                group.leave()
            }
        }
        group.wait()
    }

    /// `serve`: the API on a free loopback port with the in-memory driver; prints `port N`, runs until
    /// SIGTERM or SIGINT.
    struct Serve: AsyncParsableCommand {
        @Option(help: "Most queued jobs.")
        var maxQueuedJobs: Int = 1_000_000

        func run() async throws {
            var logger = Logger(label: "api-bench")
            logger.logLevel = .error
            let configuration = NetPulseServerConfiguration(
                host: "127.0.0.1", port: 0, api: try APIBench.apiConfiguration(), logger: logger)
            try await NetPulseAPIServer.run(
                configuration: configuration, scheduler: APIBench.scheduler(maxQueuedJobs: maxQueuedJobs)
            ) { server in
                FileHandle.standardOutput.write(Data("port \(server.port)\n".utf8))
            }
        }
    }

    /// `memory`: resident memory of the server before, during and after a load and its purge.
    struct Memory: ParsableCommand {
        @Option(help: "Batches to submit per round.")
        var batches: Int = 10_000

        @Option(help: "Devices per batch.")
        var devices: Int = 10

        @Option(help: "Connections submitting at once.")
        var connections: Int = 8

        @Option(help: "result_ttl of every batch, in seconds (the API accepts 60 to 604800, as NetPulse does).")
        var resultTTL: Int = 60

        @Option(help: "Batches of a first round whose purge sets the starting value (thread pools, arenas).")
        var warmup: Int = 200

        @Option(help: "Rounds of --batches, each followed by its purge.")
        var rounds: Int = 2

        func validate() throws {
            guard batches >= 1, devices >= 1, connections >= 1, warmup >= 0, rounds >= 1 else {
                throw ValidationError("--batches, --devices, --connections and --rounds must be at least 1")
            }
            guard (60...604_800).contains(resultTTL) else {
                throw ValidationError("--result-ttl must be between 60 and 604800 seconds (the API refuses others)")
            }
        }

        func run() throws {
            let server = try ChildServer()
            defer { server.stop() }
            let launched = APIBench.residentKB(pid: server.pid) ?? 0
            print("load average: \(APIBench.loadAverage())")
            print("server pid \(server.pid), port \(server.port), resident at launch: \(launched) kB")
            var start = launched
            if warmup > 0 {
                _ = try round(server, batches: warmup)
                start = try purge(server, label: "after a warm-up of \(warmup) batches and its purge")
            }
            var after = start
            for number in 1...rounds {
                let (seconds, peak) = try round(server, batches: batches)
                print(
                    "round \(number): \(batches) batches of \(devices) devices over \(connections) connections in "
                        + String(
                            format: "%.1f s (%.0f batches/s, %.0f jobs/s)", seconds, Double(batches) / seconds,
                            Double(batches * devices) / seconds)
                        + ", resident peak seen \(peak) kB")
                after = try purge(server, label: "round \(number): after result_ttl")
            }
            let ratio = Double(after) / Double(max(start, 1))
            print(
                "resident after the last purge: \(after) kB = \(String(format: "%.1f", ratio * 100)) % of the "
                    + "starting value \(start) kB (\(ratio <= 1.10 ? "within" : "NOT within") 10 %); at launch \(launched) kB"
            )
            print("load average: \(APIBench.loadAverage())")
            if ratio > 1.10 { throw ExitCode(1) }
        }

        /// Submits `batches` batches and waits for each connection's last one; returns the seconds taken and
        /// the highest resident memory seen.
        func round(_ server: ChildServer, batches: Int) throws -> (Double, Int) {
            let devices = self.devices
            let connections = self.connections
            let resultTTL = self.resultTTL
            let pid = server.pid
            let port = server.port
            let began = ContinuousClock.now
            let failures = Mutex<[String]>([])
            let peak = Mutex(0)
            APIBench.onThreads(connections) { worker in
                do {
                    let connection = try HTTPConnection(port: port)
                    var last = ""
                    for number in stride(from: worker, to: batches, by: connections) {
                        let reply = try connection.send(
                            "POST", "/device/bulk", key: APIBench.key,
                            body: APIBench.batch(number, devices: devices, resultTTL: resultTTL))
                        guard reply.status == 201 else {
                            failures.withLock {
                                $0.append("batch \(number): \(reply.status) \(reply.text.prefix(200))")
                            }
                            continue
                        }
                        if let range = reply.text.range(of: #""batch_id":""#) {
                            last = String(reply.text[range.upperBound...].prefix(36))
                        }
                        if number % 500 < connections, let resident = APIBench.residentKB(pid: pid) {
                            peak.withLock { $0 = max($0, resident) }
                        }
                    }
                    // Wait, on the server, for this connection's last batch.
                    if !last.isEmpty { _ = try connection.send("GET", "/batches/\(last)?wait=60", key: APIBench.key) }
                } catch {
                    failures.withLock { $0.append("connection \(worker): \(error)") }
                }
            }
            let seconds = APIBench.seconds(ContinuousClock.now - began)
            let problems = failures.withLock { $0 }
            for problem in problems.prefix(10) { print("failure: \(problem)") }
            if !problems.isEmpty { throw ExitCode(1) }
            let resident = APIBench.residentKB(pid: pid) ?? 0
            return (seconds, max(resident, peak.withLock { $0 }))
        }

        /// Waits until the scheduler holds no batch (every result past result_ttl and purged; polled, with a
        /// deadline) and then for the server's next memory release, and returns the resident memory.
        func purge(_ server: ChildServer, label: String) throws -> Int {
            // A connection per request: the server closes connections idle for longer than a purge takes.
            func health() throws -> String {
                try HTTPConnection(port: server.port).send("GET", "/health", key: APIBench.key).text
            }
            /// Polls `/health` once a second until `done` holds, for at most `limit` seconds.
            func poll(_ what: String, within limit: Int, _ done: (String) -> Bool) throws {
                let deadline = ContinuousClock.now + .seconds(limit)
                var last = try health()
                while !done(last) {
                    guard ContinuousClock.now < deadline else {
                        print("\(label): \(what) \(limit) s after the round: \(last)")
                        throw ExitCode(1)
                    }
                    Thread.sleep(forTimeInterval: 1)
                    last = try health()
                }
            }
            // Each connection waited for its own last batch; jobs of other batches may still run.
            try poll("jobs still queued or running", within: 60) {
                $0.contains(#""queued_jobs":0"#) && $0.contains(#""running_jobs":0"#)
            }
            try poll("batches still kept", within: resultTTL + 60) { $0.contains(#""batches":0"#) }
            // The server gives freed memory back every 10 s (its memory release interval): one full interval.
            Thread.sleep(forTimeInterval: 11)
            let resident = APIBench.residentKB(pid: server.pid) ?? 0
            print("\(label): resident \(resident) kB")
            return resident
        }
    }

    /// This executable's `serve` in a child process, stopped with SIGTERM.
    final class ChildServer {
        let pid: pid_t
        let port: Int

        init() throws {
            let executable = CommandLine.arguments[0]
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw ExitCode(1) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            var pid: pid_t = 0
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), strdup("serve"), nil]
            defer { for pointer in argv { free(pointer) } }
            guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else {
                print("cannot start the server")
                throw ExitCode(1)
            }
            close(fds[1])
            // The server's first line: `port N`.
            var line: [UInt8] = []
            var byte: UInt8 = 0
            while read(fds[0], &byte, 1) == 1, byte != 10 { line.append(byte) }
            close(fds[0])
            self.pid = pid
            guard let port = Int(String(decoding: line, as: UTF8.self).dropFirst(5)) else {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                print("unexpected first line from the server: \(String(decoding: line, as: UTF8.self))")
                throw ExitCode(1)
            }
            self.port = port
        }

        func stop() {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// `jobs`: `GET /jobs` latency with many retained jobs.
    struct Jobs: AsyncParsableCommand {
        @Option(help: "Jobs to retain (batches of 10 devices).")
        var jobs: Int = 1_000_000

        @Option(help: "Requests timed per kind of page.")
        var requests: Int = 50

        func validate() throws {
            guard jobs >= 10 else { throw ValidationError("--jobs: at least 10") }
            guard requests >= 1 else { throw ValidationError("--requests: at least 1") }
        }

        func run() async throws {
            let batches = jobs / 10
            var configuration = NetPulseServerConfiguration(
                host: "127.0.0.1", port: 0, api: try APIBench.apiConfiguration())
            configuration.idleTimeout = .seconds(600)
            let requests = self.requests
            try await NetPulseAPIServer.withServer(
                configuration: configuration, scheduler: APIBench.scheduler(maxQueuedJobs: jobs)
            ) { server in
                print("load average: \(APIBench.loadAverage())")
                let clock = ContinuousClock()
                let began = clock.now
                var handles: [BatchHandle] = []
                for number in 0..<batches {
                    let request = try BatchRequest(
                        json: Data(APIBench.batch(number, devices: 10, resultTTL: 86_400)))
                    handles.append(try server.scheduler.submit(request))
                }
                for handle in handles { _ = await handle.result() }
                handles.removeAll()
                let filled = clock.now - began
                print(
                    "retained \(server.scheduler.stats.batches * 10) jobs (\(batches) batches) in "
                        + String(format: "%.1f s", APIBench.seconds(filled)))
                if let resident = APIBench.residentKB(pid: getpid()) { print("resident: \(resident) kB") }
                let port = server.port
                let kinds: [(String, String)] = [
                    ("first page, limit=1000", "/jobs?limit=1000"),
                    ("page from the middle, limit=1000", "/jobs?limit=1000&cursor=\(batches / 2)-0"),
                    ("limit=100", "/jobs?limit=100"),
                    ("status=failed (matches none: one scan budget)", "/jobs?status=failed&limit=1000"),
                    ("host=dev-7-3 (one host)", "/jobs?host=dev-7-3&limit=100"),
                ]
                let results = Mutex<[String]>([])
                APIBench.onThreads(1) { _ in
                    do {
                        let connection = try HTTPConnection(port: port)
                        for (name, path) in kinds {
                            var times: [Double] = []
                            var bytes = 0
                            for _ in 0..<requests {
                                let start = ContinuousClock.now
                                let reply = try connection.send("GET", path, key: APIBench.key)
                                times.append(APIBench.seconds(ContinuousClock.now - start) * 1000)
                                bytes = reply.body.count
                                guard reply.status == 200 else { throw HTTPConnection.Failure(description: reply.text) }
                            }
                            times.sort()
                            let p50 = times[times.count / 2]
                            let p99 = times[min(times.count - 1, times.count * 99 / 100)]
                            results.withLock {
                                $0.append(
                                    "GET \(name): p50 \(String(format: "%.2f", p50)) ms, p99 "
                                        + "\(String(format: "%.2f", p99)) ms, max \(String(format: "%.2f", times.last ?? 0)) ms, "
                                        + "\(bytes) bytes")
                            }
                        }
                    } catch {
                        results.withLock { $0.append("failure: \(error)") }
                    }
                }
                for line in results.withLock({ $0 }) { print(line) }
                print("load average: \(APIBench.loadAverage())")
            }
        }
    }
}
