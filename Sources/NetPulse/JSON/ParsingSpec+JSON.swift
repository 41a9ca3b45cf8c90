extension ParsingSpec {
    /// Reads `parsing` as NetPulse has it: `name` and `template` (text or `file://` path), or `name`,
    /// `use_ntc_template: true` and optionally `ntc_template_args` (`platform`, `command`).
    ///
    /// - Parameters:
    ///   - value: The JSON value of the field.
    ///   - path: Its JSON path (`parsing`).
    /// - Throws: ``RequestError`` naming the field at fault.
    init(jsonValue value: JSONValue, path: String) throws(RequestError) {
        var reader = try JSONObjectReader(value, path: path)
        guard let name = try reader.string("name") else {
            throw RequestError(field: reader.field("name"), reason: "is required: the parser, textfsm")
        }
        guard Self.knownNames.contains(name) else {
            throw RequestError(
                field: reader.field("name"),
                reason:
                    "unknown parser '\(Self.quoted(name))'; expected \(Self.knownNames.sorted().joined(separator: ", "))"
            )
        }
        let text = try reader.string("template")
        let useIndex = try reader.bool("use_ntc_template") ?? false
        var platform: String?
        var command: String?
        if let args = reader.value("ntc_template_args") {
            let field = reader.field("ntc_template_args")
            guard useIndex else {
                throw RequestError(field: field, reason: "applies only with use_ntc_template: true")
            }
            var argsReader = try JSONObjectReader(args, path: field)
            platform = try argsReader.string("platform")
            command = try argsReader.string("command")
            try argsReader.rejectUnknown(hint: "ntc_template_args are platform and command")
        }
        try reader.rejectUnknown(hint: "parsing fields are name, template, use_ntc_template, ntc_template_args")

        let template: Template
        switch (text, useIndex) {
        case (.some, true):
            throw RequestError(
                field: reader.field("template"), reason: "give either template or use_ntc_template: true, not both")
        case (nil, true):
            template = .index(platform: platform, command: command)
        case (nil, false):
            throw RequestError(
                field: reader.field("template"),
                reason: "is required: the template text, a file:// path, or use_ntc_template: true")
        case (let text?, false):
            template = try Self.template(text, field: reader.field("template"))
        }
        self.init(name: name, template: template)
        try validate(path: path)
    }

    /// `template`'s text: a `file://` URL names a file (`file:///path` or `file://localhost/path`), any other
    /// URL is refused (templates are not fetched), everything else is the template itself.
    static func template(_ text: String, field: String) throws(RequestError) -> Template {
        let scheme = Self.urlScheme(text)
        switch scheme?.lowercased() {
        case nil:
            return .inline(text)
        case "file"?:
            var rest = text.dropFirst("file://".count)
            if rest.lowercased().hasPrefix("localhost/") { rest = rest.dropFirst("localhost".count) }
            return .file(String(rest))
        case let other?:
            throw RequestError(
                field: field,
                reason: "templates are not fetched from URLs ('\(Self.quoted(other))://'); give the template text "
                    + "or a file:// path")
        }
    }

    /// The scheme of a one-line `scheme://...` text (RFC 3986: a letter, then letters, digits, `+`, `-`,
    /// `.`), or `nil` for anything else (template text has several lines).
    static func urlScheme(_ text: String) -> String? {
        guard !text.contains(where: \.isNewline), let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://")
        else { return nil }
        let name = text[..<colon]
        let scheme = name.unicodeScalars
        func isLetter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
        guard let first = scheme.first, isLetter(first),
            scheme.allSatisfy({ isLetter($0) || ("0"..."9").contains($0) || $0 == "+" || $0 == "-" || $0 == "." })
        else { return nil }
        return String(name)
    }
}
