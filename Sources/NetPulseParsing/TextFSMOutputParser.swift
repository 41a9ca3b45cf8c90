import Foundation
public import NetPulse
public import NetPulseTextFSM

/// The `textfsm` parser of the `parsing` field: NetPulseTextFSM (textfsm 2.x semantics on PCRE2) behind
/// the core's ``OutputParser``.
///
/// - An inline template is compiled once per process (kept by its text) and reused by every device.
/// - A `file://` template and the templates of the folder's index go through a `TemplateCache`: compiled
///   once per version of the file.
/// - `use_ntc_template` looks up ``templateDirectory``'s ntc-templates `index` by platform (default: the
///   device's `device_type`) and command (default: the command run), as ntc-templates' `parse_output`.
///
/// Records are keyed by the template's Value names in lower case; a `List` Value is a JSON array.
///
/// ```swift
/// let configuration = SchedulerConfiguration(
///     drivers: drivers, parser: TextFSMOutputParser(templateDirectory: "/srv/ntc-templates/templates"))
/// ```
public struct TextFSMOutputParser: OutputParser {
    /// The template folder with its `index` (ntc-templates' `templates`), for `use_ntc_template`; `nil`
    /// refuses such requests.
    public let templateDirectory: String?
    /// The largest template file read for `file://`, in bytes.
    public let maxTemplateBytes: Int
    let cache: TemplateCache
    let inline: InlineTemplates

    /// - Parameters:
    ///   - templateDirectory: The folder with an ntc-templates `index`, for `use_ntc_template`.
    ///   - cache: Where file templates and the index are kept once compiled (default: the shared cache).
    ///   - maxTemplateBytes: The largest `file://` template (default ``ParsingSpec/maxTemplateBytes``).
    public init(
        templateDirectory: String?,
        cache: TemplateCache = .shared,
        maxTemplateBytes: Int = ParsingSpec.maxTemplateBytes
    ) {
        self.templateDirectory = templateDirectory.flatMap { $0.isEmpty ? nil : $0 }
        self.cache = cache
        self.maxTemplateBytes = maxTemplateBytes
        self.inline = InlineTemplates()
    }

    /// The template folder named by `NETPULSE_TEMPLATES`, if set and not empty.
    public static var environmentTemplateDirectory: String? {
        guard let value = ProcessInfo.processInfo.environment["NETPULSE_TEMPLATES"], !value.isEmpty else {
            return nil
        }
        return value
    }

    public func validate(_ spec: ParsingSpec) throws(RequestError) {
        guard spec.name == "textfsm" else {
            throw RequestError(field: "parsing.name", reason: "this server parses with textfsm only")
        }
        if case .index = spec.template, templateDirectory == nil {
            throw RequestError(
                field: "parsing.use_ntc_template",
                reason: "no template folder is configured here (NETPULSE_TEMPLATES, --templates); give the "
                    + "template instead")
        }
    }

    public func parse(_ output: String, spec: ParsingSpec, platform: String, command: String) throws(NetPulseError)
        -> [JSONValue]
    {
        let records: [TextFSMRecord]
        do {
            switch spec.template {
            case .inline(let text):
                records = try inline.template(text).parse(output)
            case .file(let path):
                try checkFile(path)
                records = try cache.template(atPath: path).parse(output)
            case .index(let platformArgument, let commandArgument):
                guard let templateDirectory else {
                    throw NetPulseError.parsingError("no template folder is configured for use_ntc_template")
                }
                let index = try cache.index(directory: templateDirectory)
                records = try index.parse(
                    output, platform: platformArgument ?? platform, command: commandArgument ?? command, cache: cache)
            }
        } catch let error as TextFSMError {
            throw .parsingError(error.description)
        } catch let error as NetPulseError {
            throw error
        } catch {
            throw .parsingError(String(describing: error))
        }
        return records.map(Self.object)
    }

    /// Refuses a template file that is not a regular file (a FIFO or a device would never end) or is larger
    /// than ``maxTemplateBytes``, before reading it.
    private func checkFile(_ path: String) throws(NetPulseError) {
        // A file that cannot be looked at is reported by the cache when it tries to read it.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) else { return }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw .parsingError("\(path) is not a regular file")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        if size > maxTemplateBytes {
            throw .parsingError("\(path) is \(size) bytes; a template may have at most \(maxTemplateBytes)")
        }
    }

    /// A record as a JSON object.
    static func object(_ record: TextFSMRecord) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for field in record.fields {
            switch field.value {
            case .string(let text):
                object[field.name] = .string(text)
            case .list(let items):
                object[field.name] = .array(items.map(Self.value))
            }
        }
        return .object(object)
    }

    static func value(_ item: TextFSMListItem) -> JSONValue {
        switch item {
        case .string(let text): .string(text)
        case .null: .null
        case .groups(let groups):
            .object(
                Dictionary(groups.map { ($0.name, $0.value.map(JSONValue.string) ?? .null) }, uniquingKeysWith: { $1 }))
        }
    }
}
