/// A CliTable index (ntc-templates' `index` file): which template(s) parse which command on which platform.
///
/// The file is CSV with a header line (`Template, Hostname, Platform, Command`); every column but
/// `Template` is a Python regex matched at the start of the attribute (`re.match`), and `[[...]]` in
/// `Command` makes a completion (`sh[[ow]]` matches `sh`, `sho` and `show`). `Template` may join several
/// templates with `:`; their tables are joined on the first template's `Key` Values, as textfsm's
/// `CliTable.ParseCmd` does. The first row that matches wins.
public struct TemplateIndex: Sendable {
    /// One row of the index.
    public struct Row: Sendable {
        /// The template file names, relative to the index's directory.
        public let templates: [String]
        /// The columns as written (after `[[...]]` completion for `Command`).
        public let columns: [String: String]
        /// The line of the index file.
        public let line: Int
        let patterns: [String: PythonPattern]
    }

    /// The folder of the index and its templates.
    public let directory: String
    /// The index's column names in order.
    public let header: [String]
    public let rows: [Row]

    /// Reads the index file `file` in `directory` (ntc-templates: `index`).
    /// - Throws: ``TextFSMError`` of kind ``TextFSMError/Kind/unreadableFile`` or
    ///   ``TextFSMError/Kind/invalidIndex`` (naming the line).
    public init(directory: String, file: String = "index") throws(TextFSMError) {
        let path = TemplateFiles.join(directory, file)
        try self.init(source: TemplateFiles.read(path), directory: directory, name: path)
    }

    /// An index from its text; template names are resolved against `directory`.
    public init(source: String, directory: String, name: String? = nil) throws(TextFSMError) {
        self.directory = directory
        func invalid(_ message: String, _ line: Int?) -> TextFSMError {
            TextFSMError(kind: .invalidIndex, message: message, file: name, line: line)
        }
        let lines = TemplateReader.lines(of: source)
        var lineIndex = 0
        var header: [String] = []
        // texttable.CsvToTable: the first line that is not empty once a '#' comment is cut off.
        while lineIndex < lines.count, header.isEmpty {
            let text = lines[lineIndex].split(separator: "#", omittingEmptySubsequences: false).first.map(String.init)
            let content = TemplateReader.strip(text ?? "")
            lineIndex += 1
            guard !content.isEmpty else { continue }
            header = content.split(separator: ",", omittingEmptySubsequences: false).map {
                TemplateReader.strip(String($0))
            }
            var seen: Set<String> = []
            for entry in header where !seen.insert(entry).inserted {
                throw invalid("Duplicate header entry '\(entry)'.", lineIndex)
            }
        }
        guard !header.isEmpty else { throw invalid("The index has no header line.", nil) }
        guard header.contains("Template") else { throw invalid("Index file does not have 'Template' column.", nil) }
        self.header = header

        var rows: [Row] = []
        while lineIndex < lines.count {
            let number = lineIndex + 1
            let line = lines[lineIndex]
            lineIndex += 1
            // A comment only when '#' is the first character; rows of the wrong width are dropped, as in
            // textfsm (blank lines among them).
            if line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
                TemplateReader.strip(String($0))
            }
            guard fields.count == header.count else { continue }
            var columns: [String: String] = [:]
            var patterns: [String: PythonPattern] = [:]
            for (column, field) in zip(header, fields) {
                let value = column == "Command" ? Self.completion(field) : field
                columns[column] = value
                guard column != "Template", !value.isEmpty else { continue }
                do {
                    patterns[column] = try PythonPattern(value)
                } catch {
                    throw invalid("\(column) '\(value)' is not a valid regular expression: \(error.message)", number)
                }
            }
            let templates = (columns["Template"] ?? "").split(separator: ":", omittingEmptySubsequences: false)
                .map(String.init)
            rows.append(Row(templates: templates, columns: columns, line: number, patterns: patterns))
        }
        self.rows = rows
    }

    /// `sh[[ow]]` → `sh(o(w)?)?`: each `[[word]]` becomes optional nested groups (clitable's `_Completion`).
    static func completion(_ command: String) -> String {
        let scalars = Array(command.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if index + 1 < scalars.count, scalars[index] == "[", scalars[index + 1] == "[" {
                // `\[\[.+?\]\]`: the shortest word (one scalar at least, no newline) followed by `]]`.
                var end = index + 3
                var found: Int?
                while end + 1 < scalars.count, scalars[end - 1] != "\n" {
                    if scalars[end] == "]" && scalars[end + 1] == "]" {
                        found = end
                        break
                    }
                    end += 1
                }
                if let found {
                    let word = scalars[(index + 2)..<found]
                    out.append("(")
                    for (position, scalar) in word.enumerated() {
                        if position > 0 { out.append("(") }
                        out.append(scalar)
                    }
                    for _ in word { out.append(contentsOf: ")?".unicodeScalars) }
                    index = found + 2
                    continue
                }
            }
            out.append(scalars[index])
            index += 1
        }
        return String(out)
    }

    /// The first row whose every regex column matches its attribute (`IndexTable.GetRowMatch`); attributes
    /// the index has no column for, and empty columns, are not checked.
    public func row(matching attributes: [String: String]) -> Row? {
        rows.first { row in
            attributes.allSatisfy { column, value in
                guard let pattern = row.patterns[column] else { return true }
                return (try? pattern.match(value)).flatMap { $0 } != nil
            }
        }
    }

    /// The template file names for a platform and a command, nil when no row matches.
    public func templateNames(platform: String, command: String) -> [String]? {
        row(matching: ["Platform": platform, "Command": command])?.templates
    }

    /// The compiled templates for a platform and a command, from `cache`.
    /// - Throws: ``TextFSMError/Kind/noTemplate`` when no row matches; template errors as they come.
    public func templates(platform: String, command: String, cache: TemplateCache = .shared)
        throws(TextFSMError) -> [TextFSMTemplate]
    {
        try templates(for: row(platform: platform, command: command), cache: cache)
    }

    /// Parses `text` as ntc-templates' `parse_output(platform:command:data:)` does: the row's templates,
    /// their tables joined on `Key` Values, keys lower-cased, list entries as Python's `str()` of them.
    public func parse(_ text: String, platform: String, command: String, cache: TemplateCache = .shared)
        throws(TextFSMError) -> [TextFSMRecord]
    {
        let templates = try templates(for: row(platform: platform, command: command), cache: cache)
        return try CliTableJoin.records(text, templates: templates)
    }

    private func row(platform: String, command: String) throws(TextFSMError) -> Row {
        guard let row = row(matching: ["Platform": platform, "Command": command]) else {
            throw TextFSMError(
                kind: .noTemplate,
                message: "no template in \(TemplateFiles.join(directory, "index")) for platform '\(platform)' "
                    + "and command '\(command)'"
            )
        }
        return row
    }

    private func templates(for row: Row, cache: TemplateCache) throws(TextFSMError) -> [TextFSMTemplate] {
        var templates: [TextFSMTemplate] = []
        for name in row.templates {
            templates.append(try cache.template(atPath: TemplateFiles.join(directory, name)))
        }
        return templates
    }
}
