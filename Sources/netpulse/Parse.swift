import ArgumentParser
import Foundation
import NetPulseTextFSM

extension NetPulseCommand {
    /// `netpulse parse`: command output to records with a TextFSM template, as ntc-templates' `parse_output`.
    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "parse",
            abstract: "Parse command output with a TextFSM template (ntc-templates) and print the records as JSON.",
            discussion: """
                Either name the template (--template FILE.textfsm), or let the index of a template folder find it \
                from --platform and --command (the folder is --templates, else $NETPULSE_TEMPLATES). Records are \
                keyed by the template's Value names in lower case.
                Exit status: 0 parsed; 1 the output reached an Error rule of the template; 2 an unreadable file, an \
                invalid template or index (the message names the line), or no template for the platform and command; \
                64 bad arguments.
                """
        )

        @Argument(help: "The command output: a file, or - for standard input.")
        var file: String

        @Option(help: "A TextFSM template file.")
        var template: String?

        @Option(help: "A template folder with an ntc-templates index (default: $NETPULSE_TEMPLATES).")
        var templates: String?

        @Option(help: "The platform (device_type), to look up in the index.")
        var platform: String?

        @Option(help: "The command that gave the output, to look up in the index (abbreviations allowed).")
        var command: String?

        @Flag(help: "Print the JSON on one line.")
        var compact = false

        func run() throws {
            let records: [TextFSMRecord]
            do {
                let text = try readInput()
                if let template {
                    guard platform == nil, command == nil else {
                        throw ValidationError("--template takes no --platform or --command")
                    }
                    records = try TemplateCache.shared.template(atPath: template).parse(text)
                } else {
                    guard let platform, let command else {
                        throw ValidationError("give --template FILE, or --platform and --command to look up the index")
                    }
                    guard let folder = templates ?? ProcessInfo.processInfo.environment["NETPULSE_TEMPLATES"],
                        !folder.isEmpty
                    else {
                        throw ValidationError("no template folder: pass --templates DIR or set NETPULSE_TEMPLATES")
                    }
                    let index = try TemplateCache.shared.index(directory: folder)
                    records = try index.parse(text, platform: platform, command: command)
                }
            } catch let error as TextFSMError {
                printError("netpulse parse: \(error)")
                throw ExitCode(error.kind == .stateError ? 1 : 2)
            }
            printLine(TextFSMJSON.array(records, indent: compact ? nil : 2))
        }

        /// The output to parse; bytes that are not UTF-8 become U+FFFD, with a warning.
        private func readInput() throws(TextFSMError) -> String {
            guard let data = try? readFileOrStandardInput(file) else {
                throw TextFSMError(kind: .unreadableFile, message: "cannot read \(file)", file: file)
            }
            if let text = String(data: data, encoding: .utf8) { return text }
            printError(
                "netpulse parse: warning: \(file == "-" ? "standard input" : file) is not valid UTF-8; "
                    + "invalid bytes were replaced by U+FFFD")
            return String(decoding: data, as: UTF8.self)
        }
    }
}
