/// The table `CliTable.ParseCmd` builds from one or more templates, as `parse_output` returns it.
enum CliTableJoin {
    /// A table: column names and rows of cells.
    struct Table {
        var header: [String]
        var rows: [[TextFSMValue]]

        /// `TextTable.Append` keeps list entries as `str(entry)`.
        init(template: TextFSMTemplate, text: String) throws(TextFSMError) {
            header = template.header
            rows = try template.parseRows(text).map { row in
                row.map { value in
                    guard case .list(let items) = value else { return value }
                    return .list(items.map { .string(PythonRepr.str($0)) })
                }
            }
        }
    }

    static func records(_ text: String, templates: [TextFSMTemplate]) throws(TextFSMError) -> [TextFSMRecord] {
        guard let first = templates.first else { return [] }
        var table = try Table(template: first, text: text)
        var keys = first.keyNames
        for template in templates.dropFirst() {
            let other = try Table(template: template, text: text)
            if keys.isEmpty { keys = template.keyNames }
            try extend(&table, with: other, keys: keys, template: template)
        }
        let names = table.header.map { $0.lowercased() }
        return table.rows.map { row in
            TextFSMRecord(fields: zip(names, row).map { TextFSMField(name: $0, value: $1) })
        }
    }

    /// `TextTable.extend`: the other table's new columns, filled from the row with equal keys (or, without
    /// keys, from the row in the same place).
    static func extend(_ table: inout Table, with other: Table, keys: [String], template: TextFSMTemplate)
        throws(TextFSMError)
    {
        for key in keys where !table.header.contains(key) {
            throw TextFSMError(
                kind: .invalidTemplate,
                message: "Key '\(key)' of \(template.name ?? "a later template") is not a column of the first template",
                file: template.name
            )
        }
        let added = other.header.enumerated().filter { !table.header.contains($0.element) }
        guard !added.isEmpty else { return }
        table.header += added.map(\.element)
        for row in table.rows.indices {
            table.rows[row] += Array(repeating: TextFSMValue.string(""), count: added.count)
        }
        if keys.isEmpty {
            for (row, otherRow) in zip(table.rows.indices, other.rows) {
                for (offset, column) in added.enumerated() {
                    table.rows[row][table.header.count - added.count + offset] = otherRow[column.offset]
                }
            }
            return
        }
        let keyColumns = keys.map { key in
            (table.header.firstIndex(of: key) ?? 0, other.header.firstIndex(of: key))
        }
        for row in table.rows.indices {
            let match = other.rows.first { otherRow in
                keyColumns.allSatisfy { mine, theirs in
                    guard let theirs else { return false }
                    return table.rows[row][mine] == otherRow[theirs]
                }
            }
            guard let match else { continue }
            for (offset, column) in added.enumerated() {
                table.rows[row][table.header.count - added.count + offset] = match[column.offset]
            }
        }
    }
}
