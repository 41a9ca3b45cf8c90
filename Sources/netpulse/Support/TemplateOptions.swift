import ArgumentParser
import Foundation
import NetPulse
import NetPulseParsing

/// Where requests with `parsing.use_ntc_template` find their templates (`run`, `serve`).
struct TemplateOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A template folder with an ntc-templates index, for requests with parsing.use_ntc_template.",
            discussion: "Default: $NETPULSE_TEMPLATES. Without either, such requests are refused.",
            valueName: "dir"))
    var templates: String?

    /// The folder in force: the flag, else the environment.
    var templateDirectory: String? {
        if let templates, !templates.isEmpty { return templates }
        return TextFSMOutputParser.environmentTemplateDirectory
    }

    /// A folder given with the flag must hold an `index` file.
    func validate() throws {
        guard let templates else { return }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: templates, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--templates: '\(templates)' is not a directory")
        }
        guard FileManager.default.isReadableFile(atPath: templates + "/index") else {
            throw ValidationError("--templates: '\(templates)' has no readable 'index' file (ntc-templates' templates)")
        }
    }

    /// The parser of `parsing` requests.
    func parser() -> any OutputParser {
        TextFSMOutputParser(templateDirectory: templateDirectory)
    }
}
