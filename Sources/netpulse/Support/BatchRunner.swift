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
        names: [Int: String] = [:],
        outputDirectory: String? = nil,
        platforms: PlatformRegistry = .builtin
    ) async throws -> Int32 {
        let drivers = connection.drivers()
        var request = request
        do {
            let providers = try connection.credentialProviders(forServer: false)
            request = try await request.resolvingCredentials(with: providers)
        } catch {
            printError("invalid request: \(error)")
            return 2
        }
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
                if format == .jsonl { printLine(ResultPrinter.jsonLine(result, name: names[result.index])) }
            }
            progress.finish()
            let final = await handle.result()
            switch format {
            case .json: printLine(ResultPrinter.json(final, names: names))
            case .table: printLine(ResultPrinter.table(final))
            case .text: printLine(ResultPrinter.text(final, names: names, colour: ResultPrinter.colourOutput))
            case .jsonl: break
            }
            if let outputDirectory {
                do {
                    let count = try ResultPrinter.writeFiles(final, names: names, directory: outputDirectory)
                    if !quiet { printError("wrote \(count) file(s) to \(outputDirectory)") }
                } catch {
                    printError("--output-dir \(outputDirectory): \(error.localizedDescription)")
                    return 2
                }
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

/// The bytes of a file argument, or of standard input when it is `-` (`run`, `parse`, `render`, `db submit`).
func readFileOrStandardInput(_ path: String) throws -> Data {
    if path == "-" { return try FileHandle.standardInput.readToEnd() ?? Data() }
    return try Data(contentsOf: URL(fileURLWithPath: path))
}
