/// How each command's output of a batch is turned into records: the request's `parsing`.
///
/// In JSON, as NetPulse has it:
///
/// ```json
/// {"name": "textfsm", "template": "Value VERSION (\\S+)\n\nStart\n  ^Version ${VERSION} -> Record\n"}
/// {"name": "textfsm", "template": "file:///srv/templates/version.textfsm"}
/// {"name": "textfsm", "use_ntc_template": true,
///  "ntc_template_args": {"platform": "cisco_ios", "command": "show version"}}
/// ```
///
/// The core does not parse: an ``OutputParser`` set in ``SchedulerConfiguration/parser`` does (the
/// `NetPulseParsing` module has the TextFSM one). Each accepted command's ``CommandOutput/parsed`` then
/// holds its records.
public struct ParsingSpec: Sendable, Hashable {
    /// Where the template comes from.
    public enum Template: Sendable, Hashable {
        /// The template text itself (`template` without a `file://` prefix).
        case inline(String)
        /// A template file, by absolute path (`template: "file:///path"`). Over HTTP, refused unless the
        /// operator allows the file's directory.
        case file(String)
        /// The template the parser's template folder (ntc-templates' `index`) finds for a platform and a
        /// command (`use_ntc_template: true`). `nil` platform: the device's `device_type`; `nil` command:
        /// each command as it was run.
        case index(platform: String?, command: String?)
    }

    /// The parsers a request may name.
    public static let knownNames: Set<String> = ["textfsm"]
    /// The largest template a request may carry or name, in bytes (256 KiB; ntc-templates' largest is
    /// about 20 KiB).
    public static let maxTemplateBytes = 256 << 10
    /// The longest `ntc_template_args` value, in bytes.
    static let maxArgumentBytes = 1024

    /// The parser's name (`textfsm`).
    public var name: String
    public var template: Template

    /// - Parameters:
    ///   - name: The parser's name; one of ``knownNames``.
    ///   - template: Where the template comes from.
    public init(name: String = "textfsm", template: Template) {
        self.name = name
        self.template = template
    }

    /// Checks the spec as a request gives it.
    ///
    /// - Parameter path: The JSON path of the spec (`parsing`).
    /// - Throws: ``RequestError`` naming the field at fault.
    public func validate(path: String = "parsing") throws(RequestError) {
        guard Self.knownNames.contains(name) else {
            throw RequestError(
                field: "\(path).name",
                reason:
                    "unknown parser '\(Self.quoted(name))'; expected \(Self.knownNames.sorted().joined(separator: ", "))"
            )
        }
        switch template {
        case .inline(let text):
            if text.trimmingWhitespace().isEmpty {
                throw RequestError(field: "\(path).template", reason: "is empty")
            }
            if text.utf8.count > Self.maxTemplateBytes {
                throw RequestError(
                    field: "\(path).template",
                    reason: "is \(text.utf8.count) bytes; a template may have at most \(Self.maxTemplateBytes)")
            }
        case .file(let file):
            guard file.hasPrefix("/"), !file.utf8.contains(0) else {
                throw RequestError(
                    field: "\(path).template", reason: "a file:// template needs an absolute path: file:///path/to/file"
                )
            }
        case .index(let platform, let command):
            for (name, value) in [("platform", platform), ("command", command)] {
                guard let value else { continue }
                let field = "\(path).ntc_template_args.\(name)"
                if value.trimmingWhitespace().isEmpty { throw RequestError(field: field, reason: "is empty") }
                if value.utf8.count > Self.maxArgumentBytes {
                    throw RequestError(field: field, reason: "is longer than \(Self.maxArgumentBytes) bytes")
                }
            }
        }
    }

    /// A name from a request, cut short for an error message.
    static func quoted(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "..." : text
    }
}
