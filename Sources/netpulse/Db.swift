import ArgumentParser
import Foundation
import Logging
import NetPulse
import NetPulsePostgres
import PostgresNIO

extension NetPulseCommand {
    /// `netpulse db`: the PostgreSQL queue's schema and batches.
    struct Db: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The PostgreSQL queue: migrate its schema, submit a batch, read a batch's result.",
            subcommands: [Migrate.self, Submit.self, Result.self]
        )

        /// `netpulse db migrate`: applies the missing schema steps.
        struct Migrate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create or upgrade the queue's tables (refuses a schema newer than this program).")

            @Option(help: "postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]")
            var database: String

            func run() async throws {
                LoggingSetup.bootstrap()
                try await withDatabase(database) { client, logger in
                    let (from, to) = try await PostgresSchema.migrate(client, logger: logger)
                    printLine(
                        from == to ? "schema is up to date (version \(to))" : "schema migrated from \(from) to \(to)")
                }
            }
        }

        /// `netpulse db submit`: queues a batch (the batch guide's JSON) for the workers.
        struct Submit: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Queue a batch request (JSON file, '-' for standard input) for the workers; prints its id.")

            @Option(help: "postgres://user[:password]@host[:port]/database")
            var database: String

            @Argument(help: "The request: a JSON file, or '-' for standard input.")
            var request: String

            @Flag(help: "Wait for the batch and print its result as JSON.")
            var wait = false

            @OptionGroup var connection: ConnectionOptions

            @OptionGroup var parsing: TemplateOptions

            func run() async throws {
                LoggingSetup.bootstrap()
                let data: Data
                do {
                    data = try readFileOrStandardInput(request)
                } catch {
                    printError("request: cannot read '\(request)': \(error.localizedDescription)")
                    throw ExitCode(2)
                }
                var configuration = connection.schedulerConfiguration(drivers: connection.drivers())
                configuration.parser = parsing.parser()
                try await withDatabase(database) { client, _ in
                    try await PostgresSchema.check(client, logger: configuration.logger)
                    let queue = PostgresQueue(client: client, configuration: configuration)
                    let batch: PostgresQueue.SubmittedBatch
                    do {
                        batch = try await queue.submit(json: data)
                    } catch let error as RequestError {
                        printError("invalid request: \(error)")
                        throw ExitCode(2)
                    }
                    printLine(batch.id)
                    if wait, let result = try await queue.result(batchID: batch.id) {
                        printLine(String(decoding: try result.jsonData(), as: UTF8.self))
                    }
                }
            }
        }

        /// `netpulse db result`: a batch's result once every job is final.
        struct Result: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Wait for a batch queued with `db submit` (or the API) and print its result as JSON.")

            @Option(help: "postgres://user[:password]@host[:port]/database")
            var database: String

            @Argument(help: "The batch id.")
            var batch: String

            func run() async throws {
                LoggingSetup.bootstrap()
                try await withDatabase(database) { client, logger in
                    try await PostgresSchema.check(client, logger: logger)
                    let configuration = SchedulerConfiguration(drivers: DriverRegistry(), logger: logger)
                    let queue = PostgresQueue(client: client, configuration: configuration)
                    guard let result = try await queue.result(batchID: batch) else {
                        printError("batch: no batch '\(batch)' (unknown, or its results were purged)")
                        throw ExitCode(1)
                    }
                    printLine(String(decoding: try result.jsonData(), as: UTF8.self))
                }
            }
        }
    }
}

/// Runs `body` with a running client of the `--database` URL; errors are printed without secrets.
func withDatabase(
    _ text: String, maxConnections: Int = 4, _ body: (PostgresClient, Logger) async throws -> Void
) async throws {
    let url: DatabaseURL
    do {
        url = try DatabaseURL(text)
    } catch {
        printError(error.message)
        throw ExitCode(2)
    }
    var logger = Logger(label: "netpulse.db")
    // postgres-nio warns when a query is queued before the pool's run() has started, which is harmless.
    logger.logLevel = .error
    let client = PostgresClient(
        configuration: url.clientConfiguration(maxConnections: maxConnections), backgroundLogger: logger)
    do {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await body(client, logger)
        }
    } catch let error as PostgresQueueError {
        printError("\(url.host):\(url.port): \(error)")
        throw ExitCode(1)
    }
}
