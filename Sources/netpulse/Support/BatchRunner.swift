import ArgumentParser
import Foundation
import NetPulse

/// Runs a batch request and prints its results: shared by `run` and `exec`.
enum BatchRunner {
    /// Exit status: 0 when every device succeeded, 1 when some failed, 2 for an invalid request.
    static func run(
        _ request: BatchRequest,
        connection: ConnectionOptions,
        format: OutputFormat,
        quiet: Bool,
        parser: (any OutputParser)? = nil,
        platforms: PlatformRegistry = .builtin
    ) async throws -> Int32 {
        let drivers = connection.drivers()
        do {
            _ = try request.validated(drivers: drivers, platforms: platforms)
        } catch {
            printError("invalid request: \(error)")
            return 2
        }
        if connection.hostKeyPolicy == .off {
            printError("warning: host-key checking is off; devices are not authenticated")
        }
        var configuration = connection.schedulerConfiguration(drivers: drivers)
        configuration.parser = parser
        configuration.platforms = platforms
        return try await withScheduler(configuration: configuration) { scheduler in
            let handle: BatchHandle
            do {
                handle = try scheduler.submit(request)
            } catch {
                printError("invalid request: \(error)")
                return 2
            }
            let progress = ProgressLine(total: handle.jobIDs.count, quiet: quiet || format == .jsonl && isatty(1) == 1)
            for await result in handle.results {
                progress.record(result)
                if format == .jsonl { printLine(ResultPrinter.jsonLine(result)) }
            }
            progress.finish()
            let final = await handle.result()
            switch format {
            case .json: printLine(ResultPrinter.json(final))
            case .table: printLine(ResultPrinter.table(final))
            case .jsonl: break
            }
            return final.success ? 0 : 1
        }
    }
}

func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
