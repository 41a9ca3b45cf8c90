import ArgumentParser
import Foundation
import NetPulse
import NetPulseRendering

extension NetPulseCommand {
    /// `netpulse render`: a config template (Jinja2's common subset) with a JSON context, printed.
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "Render a config template (Jinja2's common subset, on Stencil) with a JSON object as context.",
            discussion: """
                The context is a JSON object: --context FILE (or - for standard input), or inline with --args. \
                Exit status: 0 rendered; 2 an unreadable file, a context that is not a JSON object, or a template \
                that uses what the subset lacks (the message names it and its line); 64 bad arguments.
                """
        )

        @Argument(help: "The template file.")
        var template: String

        @Option(help: "A JSON file with the context object, or - for standard input.")
        var context: String?

        @Option(help: "The context object as inline JSON.")
        var args: String?

        func run() throws {
            guard context == nil || args == nil else { throw ValidationError("give --context or --args, not both") }
            guard let data = FileManager.default.contents(atPath: template),
                let text = String(data: data, encoding: .utf8)
            else {
                printError("netpulse render: cannot read \(template) as UTF-8 text")
                throw ExitCode(2)
            }
            var values: [String: JSONValue] = [:]
            if context != nil || args != nil {
                let source =
                    context.flatMap { try? readFileOrStandardInput($0) } ?? args.map { Data($0.utf8) } ?? Data()
                guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: source) else {
                    printError("netpulse render: the context is not a JSON object")
                    throw ExitCode(2)
                }
                values = object
            }
            do {
                FileHandle.standardOutput.write(Data(try ConfigTemplate(text).render(values).utf8))
            } catch {
                printError("netpulse render: \(template): \(error)")
                throw ExitCode(2)
            }
        }
    }
}
