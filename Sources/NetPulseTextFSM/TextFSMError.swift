/// What went wrong with a template, an index, or a parse.
///
/// Switch on ``kind``; show ``description`` to a person: it names the file and the line.
public struct TextFSMError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kinds of error, extensible without breaking callers that switch with a `default`.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidTemplate = "invalid_template"
            case stateError = "state_error"
            case invalidIndex = "invalid_index"
            case noTemplate = "no_template"
            case unreadableFile = "unreadable_file"
            case matchFailed = "match_failed"
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The template is not valid TextFSM; ``TextFSMError/line`` is the template line.
        public static let invalidTemplate = Kind(.invalidTemplate)
        /// The input reached a rule whose action is `Error` (textfsm's `TextFSMError`).
        public static let stateError = Kind(.stateError)
        /// The CliTable index file is not valid; ``TextFSMError/line`` is the index line.
        public static let invalidIndex = Kind(.invalidIndex)
        /// No row of the index matches the platform and command.
        public static let noTemplate = Kind(.noTemplate)
        /// A template or index file could not be read.
        public static let unreadableFile = Kind(.unreadableFile)
        /// The regex engine gave up on a line (a PCRE2 resource limit), where Python would keep going.
        public static let matchFailed = Kind(.matchFailed)

        /// The snake-case name, as in JSON.
        public var description: String { base.rawValue }
    }

    public let kind: Kind
    /// What happened, in words.
    public let message: String
    /// The file the error is about, when it came from a file.
    public let file: String?
    /// The 1-based line of the template or index the error is about.
    public let line: Int?

    public init(kind: Kind, message: String, file: String? = nil, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
        self.line = line
    }

    /// `file, line N: message`, leaving out what is not known.
    public var description: String {
        var place: [String] = []
        if let file { place.append(file) }
        if let line { place.append("line \(line)") }
        return place.isEmpty ? message : place.joined(separator: ", ") + ": " + message
    }

    func `in`(file: String) -> TextFSMError {
        TextFSMError(kind: kind, message: message, file: file, line: line)
    }
}
