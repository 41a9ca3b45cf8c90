import Foundation
import Logging
import NetPulse
import NetPulsePostgres
import NetPulseTesting
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL queue's throughput with the in-memory driver (no SSH): one batch of `--jobs` devices
/// run by `--workers` worker processes (this binary in `worker` mode). Prints one JSON line.
///
///     netpulse-queue-bench run --database URL --workers 1 --jobs 20000 [--capacity 64]
///
/// Figures come from the database's own clock: `submit_to_first_ms` is the first job's `started_at`
/// minus the batch's `submitted_at`; `jobs_per_s` is jobs over (last `finished_at` - `submitted_at`);
/// `statements_per_job` counts the transactions the server committed during the run (pg_stat_database
/// `xact_commit`, heartbeats and polls included) per job; `worker_round_trips_per_job` is what the
/// workers counted themselves.
@main
struct QueueBench {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let mode = arguments.first else { usage() }
        var options: [String: String] = [:]
        var index = 1
        while index + 1 < arguments.count {
            guard arguments[index].hasPrefix("--") else { usage() }
            options[String(arguments[index].dropFirst(2))] = arguments[index + 1]
            index += 2
        }
        guard index == arguments.count, let database = options["database"] else { usage() }
        let url = try DatabaseURL(database)
        var logger = Logger(label: "queue-bench")
        logger.logLevel = .warning
        let capacity = Int(options["capacity"] ?? "64") ?? 64
        let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: 8), backgroundLogger: logger)
        var drivers = DriverRegistry()
        drivers.register(InMemoryDriver(recordsExecutions: false), as: "memory")
        let configuration = SchedulerConfiguration(drivers: drivers, logger: logger)
        let queue = PostgresQueue(client: client, configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            switch mode {
            case "worker":
                try await worker(queue, name: options["name"] ?? "bench", capacity: capacity)
            case "run":
                let workers = Int(options["workers"] ?? "1") ?? 1
                let jobs = Int(options["jobs"] ?? "10000") ?? 10_000
                guard (1...16).contains(workers), (1...1_000_000).contains(jobs) else { usage() }
                try await run(queue, database: database, workers: workers, jobs: jobs, capacity: capacity)
            default:
                usage()
            }
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(
            Data(
                """
                usage: netpulse-queue-bench run --database URL [--workers 1..16] [--jobs N] [--capacity C]
                       netpulse-queue-bench worker --database URL [--name N] [--capacity C]

                """.utf8))
        exit(2)
    }

    /// A worker process: runs until SIGTERM, then prints its counters as one JSON line.
    static func worker(_ queue: PostgresQueue, name: String, capacity: Int) async throws {
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        let (stream, input) = AsyncStream.makeStream(of: Void.self)
        source.setEventHandler { input.yield() }
        source.resume()
        var options = try PostgresWorker.Options(name: name, capacity: capacity)
        options.pollInterval = .milliseconds(500)
        let worker = PostgresWorker(queue: queue, options: options)
        // Ends with its parent: a crashed `run` leaves no worker behind.
        let parent = getppid()
        Task {
            while getppid() == parent { try? await Task.sleep(for: .milliseconds(500)) }
            input.yield()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            print("ready", terminator: "\n")
            fflush(nil)
            for await _ in stream { break }
            group.cancelAll()
            try await group.waitForAll()
        }
        let stats = worker.currentStats
        print(
            #"{"claimed": \#(stats.claimed), "written": \#(stats.written), "refused": \#(stats.refused), "round_trips": \#(stats.roundTrips)}"#
        )
        fflush(nil)
    }

    static func run(_ queue: PostgresQueue, database: String, workers: Int, jobs: Int, capacity: Int) async throws {
        let logger = queue.configuration.logger
        try await PostgresSchema.migrate(queue.client, logger: logger)
        try await queue.client.query("TRUNCATE np_batch, np_job, np_device_lease, np_worker", logger: logger)
        var children: [(Process, Pipe)] = []
        for index in 0..<workers {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = [
                "worker", "--database", database, "--name", "bench-\(index)", "--capacity", "\(capacity)",
            ]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            children.append((process, pipe))
        }
        // Every worker registered before the clock starts.
        let deadline = ContinuousClock.now + .seconds(30)
        while try await count("SELECT count(*) FROM np_worker", queue) < workers {
            guard ContinuousClock.now < deadline else { throw PostgresQueueError(.database, "workers did not start") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let commitsBefore = try await commits(queue)
        let request = try JSONSerialization.data(
            withJSONObject: [
                "driver": "memory", "command": "show version",
                "connection_args": ["device_type": "cisco_ios", "username": "bench", "password": "bench"],
                "devices": (0..<jobs).map { ["host": "d\($0)"] },
            ] as [String: Any])
        let submitStarted = ContinuousClock.now
        let batch = try await queue.submit(json: request)
        let submitTime = ContinuousClock.now - submitStarted
        guard let result = try await queue.result(batchID: batch.id, pollEvery: .milliseconds(20)) else {
            throw PostgresQueueError(.database, "the batch vanished")
        }
        guard let batchUUID = UUID(uuidString: batch.id) else { throw PostgresQueueError(.corruptRow, "batch id") }
        var figures: (Double, Double, Double) = (0, 0, 0)
        for try await row in try await queue.client.query(
            """
            SELECT (extract(epoch FROM min(j.started_at) - b.submitted_at) * 1000)::float8,
                   extract(epoch FROM max(j.finished_at) - b.submitted_at)::float8,
                   extract(epoch FROM max(j.started_at) - min(j.started_at))::float8
            FROM np_job j JOIN np_batch b ON b.id = j.batch_id WHERE b.id = \(batchUUID)
            GROUP BY b.submitted_at
            """, logger: logger
        ).decode((Double, Double, Double).self) {
            figures = row
        }
        var roundTrips = 0
        var claimed = 0
        for (process, pipe) in children {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Int]
            {
                roundTrips += object["round_trips"] ?? 0
                claimed += object["claimed"] ?? 0
            }
        }
        // After the workers exited: a backend's counters are flushed at its exit at the latest.
        let commitsAfter = try await commits(queue)
        let ok =
            result.results.count == jobs && Set(result.results.map(\.index)).count == jobs
            && result.results.allSatisfy(\.success)
        let load =
            (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print(
            """
            {"workers": \(workers), "jobs": \(jobs), "capacity": \(capacity), "all_once_and_ok": \(ok), \
            "claimed": \(claimed), "submit_ms": \(Double((submitTime / .milliseconds(1)).rounded())), \
            "submit_to_first_ms": \(round(figures.0 * 10) / 10), "seconds": \(round(figures.1 * 1000) / 1000), \
            "jobs_per_s": \(Int(Double(jobs) / max(figures.1, 0.001))), \
            "claim_span_s": \(round(figures.2 * 1000) / 1000), \
            "statements_per_job": \(round(Double(commitsAfter - commitsBefore) / Double(jobs) * 1000) / 1000), \
            "worker_round_trips_per_job": \(round(Double(roundTrips) / Double(jobs) * 1000) / 1000), \
            "loadavg": "\(load)"}
            """)
        if !ok { exit(1) }
    }

    static func count(_ sql: String, _ queue: PostgresQueue) async throws -> Int {
        var value = 0
        for try await row in try await queue.client.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) {
            value = row
        }
        return value
    }

    static func commits(_ queue: PostgresQueue) async throws -> Int {
        try await count("SELECT xact_commit::bigint FROM pg_stat_database WHERE datname = current_database()", queue)
    }
}
