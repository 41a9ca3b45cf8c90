import ArgumentParser
import Foundation
import Logging
import NetPulse
import NetPulsePostgres
import PostgresNIO

extension NetPulseCommand {
    /// `netpulse worker`: runs jobs of the PostgreSQL queue.
    struct Worker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run jobs queued in PostgreSQL (by `netpulse serve --database` or `netpulse db submit`).",
            discussion: """
                Any number of workers, on one machine or many, share the queue. Prints 'worker NAME started' \
                once it takes jobs; stops on SIGINT or SIGTERM after its running jobs finish (their results are \
                written). A worker killed outright is found dead after --dead-after seconds: its running show \
                jobs run again elsewhere, its running config jobs end failed with worker_lost.
                """
        )

        @Option(help: "postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]")
        var database: String

        @Option(help: "The name GET /workers shows (default: HOSTNAME-PID).")
        var name: String?

        @Option(help: "Seconds without a heartbeat after which a worker is dead and its jobs are taken back.")
        var deadAfter: Double = 10

        @OptionGroup var connection: ConnectionOptions

        @OptionGroup var parsing: TemplateOptions

        func validate() throws {
            try connection.validateLimits()
            try parsing.validate()
            guard (1...10_000).contains(connection.maxConnections) else {
                throw ValidationError("--max-connections: must be between 1 and 10000")
            }
            guard deadAfter >= 2 && deadAfter <= 3600 else {
                throw ValidationError("--dead-after: must be between 2 and 3600 seconds")
            }
        }

        func run() async throws {
            LoggingSetup.bootstrap()
            var configuration = connection.schedulerConfiguration(drivers: connection.drivers())
            configuration.parser = parsing.parser()
            let info = ProcessInfo.processInfo
            let name = self.name ?? "\(info.hostName)-\(info.processIdentifier)"
            var options: PostgresWorker.Options
            do {
                // --max-connections (of the connection options) is the worker's connections at once.
                options = try PostgresWorker.Options(
                    name: name, capacity: connection.maxConnections, roundRobinLanes: connection.roundRobinLanes)
            } catch {
                printError(error.message)
                throw ExitCode(2)
            }
            options.deadAfter = .milliseconds(Int64(deadAfter * 1000))
            options.lease = options.deadAfter
            let settings = options
            let signals = SignalWaiter()
            try await withDatabase(database, maxConnections: 8) { client, logger in
                try await PostgresSchema.check(client, logger: logger)
                let worker = PostgresWorker(
                    queue: PostgresQueue(client: client, configuration: configuration), options: settings)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await worker.run() }
                    printLine("worker \(name) started")
                    group.addTask {
                        _ = await signals.wait()
                        throw CancellationError()
                    }
                    do {
                        try await group.next()
                    } catch is CancellationError {}
                    group.cancelAll()
                    while !group.isEmpty {
                        do { try await group.next() } catch is CancellationError {}
                    }
                }
                printLine("worker \(name) stopped")
            }
        }
    }
}
