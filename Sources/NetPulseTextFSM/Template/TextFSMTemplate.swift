/// A compiled TextFSM template (the ntc-templates kind), ready to parse any number of outputs.
///
/// Compile once and reuse: the regexes are compiled (and JIT-compiled) in `init`, and the template is
/// immutable and `Sendable`, so one instance can parse on many tasks at once. ``TemplateCache`` keeps
/// templates by file and modification time.
///
/// ```swift
/// let template = try TextFSMTemplate(source: text)
/// let records = try template.parse(output)   // [["interface": "Gi0/1", ...], ...]
/// ```
///
/// The semantics are those of Python's textfsm 2.x; the regexes are Python `re` syntax, translated for
/// PCRE2 (see `PythonRegexSyntax.swift`).
public struct TextFSMTemplate: Sendable {
    /// The Values in template order.
    public let values: [TextFSMValueDefinition]
    /// The states in template order (`End` removed, as textfsm does).
    public let states: [TextFSMState]
    /// Where the template came from, for messages.
    public let name: String?

    let startState: Int
    let hasEOFState: Bool
    let program: Program
    /// The record keys: the Value names lower-cased.
    let keys: [String]
    /// No two Values have the same lower-cased name (else records merge them as a Python dict does).
    let keysAreUnique: Bool

    /// Compiles a template.
    /// - Parameters:
    ///   - source: The template text.
    ///   - name: A name for error messages, such as the file path.
    /// - Throws: ``TextFSMError`` of kind ``TextFSMError/Kind/invalidTemplate``, naming the line.
    public init(source: String, name: String? = nil) throws(TextFSMError) {
        var reader = TemplateReader(source: source)
        do {
            try reader.read()
            program = try Program(states: reader.states, values: reader.values)
        } catch {
            throw name.map { error.in(file: $0) } ?? error
        }
        values = reader.values
        states = reader.states
        self.name = name
        startState = states.firstIndex { $0.name == "Start" } ?? 0
        hasEOFState = states.contains { $0.name == "EOF" }
        keys = values.map { $0.name.lowercased() }
        keysAreUnique = Set(keys).count == keys.count
    }

    /// The Value names as written (textfsm's `header`).
    public var header: [String] { values.map(\.name) }

    /// The names of the Values marked `Key`.
    public var keyNames: [String] { values.filter { $0.options.contains(.key) }.map(\.name) }

    /// Parses command output into records keyed by the lower-cased Value names.
    ///
    /// `List` Values with named groups give dicts (``TextFSMListItem/groups(_:)``), as textfsm does.
    /// - Throws: ``TextFSMError`` of kind ``TextFSMError/Kind/stateError`` when a rule with `Error` matches.
    public func parse(_ text: String) throws(TextFSMError) -> [TextFSMRecord] {
        try parseRows(text).map { record(from: $0) }
    }

    func record(from row: [TextFSMValue]) -> TextFSMRecord {
        let fields = zip(keys, row).map { TextFSMField(name: $0, value: $1) }
        return keysAreUnique ? TextFSMRecord(uniqueFields: fields) : TextFSMRecord(fields: fields)
    }

    /// Parses command output into rows in ``header`` order (textfsm's `ParseText`).
    public func parseRows(_ text: String) throws(TextFSMError) -> [[TextFSMValue]] {
        var run = TemplateRun(template: self)
        var text = text
        var result: Result<Void, TextFSMError> = .success(())
        text.withUTF8 { bytes in
            result = Result { () throws(TextFSMError) in try run.run(bytes) }
        }
        try result.get()
        return run.rows
    }
}
