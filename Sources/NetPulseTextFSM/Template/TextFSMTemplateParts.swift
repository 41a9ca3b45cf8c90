/// A `Value` line of a template.
public struct TextFSMValueDefinition: Sendable {
    /// The options a Value can have.
    public enum Option: String, Sendable, CaseIterable {
        /// The value is kept for the records that follow until it is set again (or `Clearall`).
        case filldown = "Filldown"
        /// Part of the record's key (used when several templates' tables are joined).
        case key = "Key"
        /// A record without this value is not recorded.
        case required = "Required"
        /// Every match is appended to a list.
        case list = "List"
        /// A match is copied up into the earlier records that have no value for it yet.
        case fillup = "Fillup"
    }

    /// The name as written; records use it lower-cased.
    public let name: String
    /// The regex as written, with its outer parentheses.
    public let regex: String
    /// The options in the order written (the order matters for `Required` with `List`).
    public let options: [Option]
    /// The template line.
    public let line: Int

    /// The regex with the outer group named, as `${NAME}` expands.
    let substitution: String
    /// For a `List` Value whose regex has more than one group: the regex, matched again on each captured
    /// string to give its named groups (textfsm's nested groups).
    let nested: PythonPattern?

    let isFilldown: Bool
    let isList: Bool
}

/// What a rule does with the input line.
public enum TextFSMLineAction: String, Sendable {
    /// Take the next line and start again at the state's first rule (the default).
    case next = "Next"
    /// Keep the line and go on with the next rule.
    case `continue` = "Continue"
    /// Stop the parse with an error.
    case error = "Error"
}

/// What a rule does with the record being built.
public enum TextFSMRecordAction: String, Sendable {
    /// Nothing (the default).
    case noRecord = "NoRecord"
    /// Append the record to the results, then clear it.
    case record = "Record"
    /// Clear the values that are not `Filldown`.
    case clear = "Clear"
    /// Clear every value, `Filldown` ones too.
    case clearAll = "Clearall"
}

/// A rule of a state: `  ^regex -> Line.Record NewState`.
public struct TextFSMRule: Sendable {
    /// The template line.
    public let line: Int
    /// The regex as written, before `${VALUE}` substitution.
    public let match: String
    /// The regex after substitution (Python syntax).
    public let regex: String
    public let lineAction: TextFSMLineAction
    public let recordAction: TextFSMRecordAction
    /// The state to go to, or for `Error` the message (as written, quotes included); nil to stay.
    public let newState: String?

    /// What the regex became for PCRE2 (named groups numbered, sets spelled out).
    public var pcre2Regex: String { pattern.pcre2Source }

    let pattern: ParsedPattern
    /// For each named group in `groupdict()` order whose name is a Value: the group and the Value's index.
    let assignments: [Assignment]
    var target: Target = .stay

    struct Assignment: Sendable {
        var group: Int
        var value: Int
    }

    enum Target: Sendable, Equatable {
        case stay
        case state(Int)
        /// `End`: stop, no implicit record.
        case end
        /// `EOF`: stop, implicit record unless the template has an `EOF` state.
        case eof
    }
}

/// A state: its name and rules.
public struct TextFSMState: Sendable {
    public let name: String
    /// The template line of the name.
    public let line: Int
    public internal(set) var rules: [TextFSMRule]
}
