import ArgumentParser
import Foundation
import NetPulse

extension NetPulseCommand {
    /// `netpulse run FILE`: a NetPulse batch request in, the guide's result out.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a NetPulse batch request (the JSON of the batch guide) and print the results.",
            discussion: """
                Exit status: 0 when every device succeeded, 1 when some failed, 2 when the request is invalid \
                (the message names the field).
                """
        )

        @Argument(help: "The request file, or - for standard input.")
        var file: String

        @Option(
            help:
                "json (the guide's result), table, jsonl (one device per line as it completes), or text (full output).")
        var format: OutputFormat = .json

        @Option(help: "Write each device's output to DIR/HOST.txt (configuration backups).")
        var outputDir: String?

        @Flag(help: "No progress line on standard error.")
        var quiet = false

        @Option(
            help: ArgumentHelp(
                "Environment variable holding the password for devices whose request gives none.",
                discussion: "The request's own passwords, and its credential references, take precedence."))
        var passwordEnv: String?

        @OptionGroup var connection: ConnectionOptions

        @OptionGroup var parsing: TemplateOptions

        @OptionGroup var platformFiles: PlatformOptions

        func validate() throws {
            try connection.validateLimits()
            try parsing.validate()
        }

        func run() async throws {
            LoggingSetup.bootstrap()
            let platforms = try platformFiles.registry()
            let data: Data
            do {
                data = try readFileOrStandardInput(file)
            } catch {
                printError("cannot read \(file): \(error.localizedDescription)")
                throw ExitCode(2)
            }
            var request: BatchRequest
            do {
                request = try BatchRequest(json: data)
            } catch {
                printError("invalid request: \(error)")
                throw ExitCode(2)
            }
            if let passwordEnv {
                guard let value = ProcessInfo.processInfo.environment[passwordEnv], !value.isEmpty else {
                    printError("--password-env: the environment variable \(passwordEnv) is not set or empty")
                    throw ExitCode(2)
                }
                if request.connectionArgs.password == nil { request.connectionArgs.password = Secret(value) }
            }
            let status = try await BatchRunner.run(
                request, connection: connection, format: format, quiet: quiet, parser: parsing.parser(),
                outputDirectory: outputDir, platforms: platforms)
            if status != 0 { throw ExitCode(status) }
        }
    }
}
