import Foundation
import NetPulse
import NetPulseRendering

/// NetPulse's `rendering` over HTTP: `{"name": "jinja2", "template": "<text or file:// path>", "args": {...}}`
/// with `command` or `config` given as an object, the template's context. A device whose own `command` or
/// `config` is an object renders with that context over the batch's (per-device contexts). The rendered
/// text replaces the objects before the request is read, so the rest of the API sees plain lines.
///
/// A `file://` template must lie in a folder the operator allows (``RequestPolicy``), as `parsing`'s.
enum RequestRendering {
    static func apply(_ value: inout JSONValue, policy: RequestPolicy) throws(APIError) {
        guard case .object(var root) = value, let spec = root.removeValue(forKey: "rendering") else { return }
        if spec == .null {
            value = .object(root)
            return
        }
        guard case .object(let fields) = spec else { throw .invalid(field: "rendering", "must be an object") }
        if let unknown = fields.keys.filter({ !["name", "template", "args"].contains($0) }).sorted().first {
            throw .invalid(field: "rendering.\(unknown)", "unknown field; rendering has name, template and args")
        }
        guard case .string("jinja2")? = fields["name"] else {
            throw .invalid(field: "rendering.name", "must be \"jinja2\" (Jinja2's common subset, on Stencil)")
        }
        let template = ConfigTemplate(try text(fields["template"], policy: policy))
        var base: [String: JSONValue] = [:]
        switch fields["args"] {
        case nil, .null?: break
        case .object(let args)?: base = args
        default: throw .invalid(field: "rendering.args", "must be an object")
        }
        let key = root["config"] != nil && root["config"] != .null ? "config" : "command"
        if case .object(let context)? = root[key] {
            root[key] = .string(try render(template, base.merging(context) { _, own in own }, field: key))
        } else if root[key] != nil, root[key] != .null {
            throw .invalid(field: key, "with rendering, give the template's context as an object")
        }
        if case .array(var devices)? = root["devices"] {
            for (index, device) in devices.enumerated() {
                guard case .object(var fields) = device, case .object(let context)? = fields[key] else { continue }
                let field = "devices[\(index)].\(key)"
                fields[key] = .string(try render(template, base.merging(context) { _, own in own }, field: field))
                devices[index] = .object(fields)
            }
            root["devices"] = .array(devices)
        }
        value = .object(root)
    }

    private static func render(
        _ template: ConfigTemplate, _ context: [String: JSONValue], field: String
    ) throws(APIError) -> String {
        do {
            return try template.render(context)
        } catch {
            throw .invalid(field: "rendering.template", "\(error) (rendering \(field))")
        }
    }

    /// The template's text: inline, or a `file://` path in an allowed folder.
    private static func text(_ value: JSONValue?, policy: RequestPolicy) throws(APIError) -> String {
        guard case .string(let text)? = value, !text.isEmpty else {
            throw .invalid(field: "rendering.template", "is required: the template text or a file:// path")
        }
        guard text.hasPrefix("file://") else { return text }
        let path = String(text.dropFirst("file://".count))
        do {
            try policy.checkFile(path, field: "rendering.template")
        } catch {
            throw .forbidden(field: error.field, error.reason)
        }
        guard let data = FileManager.default.contents(atPath: path), let contents = String(data: data, encoding: .utf8)
        else {
            throw .invalid(field: "rendering.template", "cannot read the template file as UTF-8 text")
        }
        return contents
    }
}
