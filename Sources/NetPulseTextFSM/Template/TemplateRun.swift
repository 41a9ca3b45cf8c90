/// One parse of one text: the state machine of `TextFSM.ParseText`, on the text's UTF-8 bytes.
struct TemplateRun {
    /// A Value's current content, as textfsm's `value.value`: `None`, a string, or (while a record is
    /// saved) a list.
    enum Content {
        case none
        case string(String)
        case list([TextFSMListItem])

        /// Python truthiness.
        var isSet: Bool {
            switch self {
            case .none: false
            case .string(let text): !text.isEmpty
            case .list(let items): !items.isEmpty
            }
        }
    }

    struct ValueState {
        var content = Content.none
        /// Filldown's saved value.
        var filldown: String?
        /// List's items so far.
        var items: [TextFSMListItem] = []
    }

    /// The record is not saved (`Required` without a value).
    private struct SkipRecord: Error {}

    let template: TextFSMTemplate
    private var values: [ValueState]
    private(set) var rows: [[TextFSMValue]] = []
    private var state: Int

    init(template: TextFSMTemplate) {
        self.template = template
        values = Array(repeating: ValueState(), count: template.values.count)
        state = template.startState
    }

    mutating func run(_ text: UnsafeBufferPointer<UInt8>) throws(TextFSMError) {
        let program = template.program
        let data = PCRE2MatchData(captureCount: program.maxCaptureCount)
        var stop: TextFSMRule.Target?
        var start = 0
        try program.rules.withUnsafeBufferPointer { rules throws(TextFSMError) in
            try program.assignments.withUnsafeBufferPointer { assignments throws(TextFSMError) in
                while start < text.count, stop == nil {
                    let (end, next) = Self.lineEnd(text, from: start)
                    let line = UnsafeBufferPointer(rebasing: text[start..<end])
                    stop = try check(line, program, rules, assignments, data)
                    start = next
                }
            }
        }
        if stop != .end && !template.hasEOFState {
            // The implicit EOF state records; a template's own (empty) EOF state stops that.
            appendRecord()
        }
    }

    /// The end of the line at `start` and where the next begins, for Python's `str.splitlines()`: `\n`,
    /// `\r`, `\r\n`, `\v`, `\f`, U+001C–U+001E, U+0085, U+2028 and U+2029 end lines.
    static func lineEnd(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Int) {
        var index = start
        let count = text.count
        while index < count {
            let byte = text[index]
            if byte >= 0x20 && byte != 0xC2 && byte != 0xE2 {
                index += 1
                continue
            }
            switch byte {
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E:
                return (index, index + 1)
            case 0x0D:
                return (index, index + 1 < count && text[index + 1] == 0x0A ? index + 2 : index + 1)
            case 0xC2 where index + 1 < count && text[index + 1] == 0x85:
                return (index, index + 2)
            case 0xE2 where index + 2 < count && text[index + 1] == 0x80 && (text[index + 2] & 0xFE) == 0xA8:
                return (index, index + 3)
            default:
                index += 1
            }
        }
        return (count, count)
    }

    /// `_CheckLine`: the state's rules in order until one that does not `Continue`. Returns `.end` or `.eof`
    /// when the parse stops.
    private mutating func check(
        _ line: UnsafeBufferPointer<UInt8>, _ program: Program, _ rules: UnsafeBufferPointer<Program.Rule>,
        _ assignments: UnsafeBufferPointer<Program.Assignment>, _ data: borrowing PCRE2MatchData
    ) throws(TextFSMError) -> TextFSMRule.Target? {
        var position = program.stateRules[state].lowerBound
        let end = program.stateRules[state].upperBound
        while position < end {
            // The state's combined pattern from its first rule; after a `Continue`, the rules one by one.
            let index: Int
            let offset: Int
            do {
                if position == program.stateRules[state].lowerBound {
                    var found: (Int, Int)?
                    for chunk in program.chunks[state] {
                        if try chunk.code._withUnsafeGuaranteedRef({ try $0.match(line, data) }), let mark = data.mark {
                            found = (chunk.firstRule + mark, program.groupOffsets[chunk.groupOffsets + mark])
                            break
                        }
                    }
                    guard let found else { return nil }
                    (index, offset) = found
                } else {
                    var found: Int?
                    for candidate in position..<end {
                        if let code = rules[candidate].code,
                            try code._withUnsafeGuaranteedRef({ try $0.match(line, data) })
                        {
                            found = candidate
                            break
                        }
                    }
                    guard let found else { return nil }
                    index = found
                    offset = 0
                }
            } catch {
                let reason = (error as? PCRE2Error)?.message ?? "\(error)"
                throw TextFSMError(
                    kind: .matchFailed,
                    message: "the rules could not be matched on input line '\(String(decoding: line, as: UTF8.self))': "
                        + reason,
                    file: template.name, line: rules[position].line
                )
            }
            let rule = rules[index]
            for assignment in assignments[rule.assignments] {
                let text = data.range(of: assignment.group + offset).map {
                    String(decoding: UnsafeBufferPointer(rebasing: line[$0]), as: UTF8.self)
                }
                assign(text, to: assignment.value)
            }
            switch rule.recordAction {
            case .record: appendRecord()
            case .clear: clearRecord()
            case .clearAll: clearAllRecord()
            case .noRecord: break
            }
            switch rule.lineAction {
            case .error:
                let input = String(decoding: line, as: UTF8.self)
                let message =
                    if let text = template.states[rule.state].rules[rule.rule].newState {
                        "Error: \(text). Rule Line: \(rule.line). Input Line: \(input)."
                    } else {
                        "State Error raised. Rule Line: \(rule.line). Input Line: \(input)"
                    }
                throw TextFSMError(kind: .stateError, message: message, file: template.name, line: rule.line)
            case .continue:
                position = index + 1
            case .next:
                switch rule.target {
                case .stay: return nil
                case .state(let next):
                    state = next
                    return nil
                case .end, .eof:
                    return rule.target
                }
            }
        }
        return nil
    }

    // MARK: Values (TextFSMValue and its options)

    private mutating func assign(_ text: String?, to index: Int) {
        let flags = template.program.valueFlags[index]
        values[index].content = text.map(Content.string) ?? .none
        if flags.filldown {
            values[index].filldown = text
        }
        if flags.fillup, let text, !text.isEmpty {
            for row in rows.indices.reversed() {
                if case .string(let existing) = rows[row][index], existing.isEmpty {
                    rows[row][index] = .string(text)
                } else if case .list(let items) = rows[row][index], items.isEmpty {
                    rows[row][index] = .string(text)
                } else {
                    break
                }
            }
        }
        if flags.list {
            values[index].items.append(listItem(text, template.values[index]))
        }
    }

    /// What `List` appends: the string, or the dict of named groups when the Value's regex has them.
    private func listItem(_ text: String?, _ definition: TextFSMValueDefinition) -> TextFSMListItem {
        guard let text else { return .null }
        guard let nested = definition.nested, !nested.groupNames.isEmpty,
            let match = try? nested.match(text)
        else { return .string(text) }
        return .groups(nested.groupNames.map { TextFSMGroup(name: $0.name, value: match[$0.number]) })
    }

    private mutating func clearRecord() {
        for index in values.indices {
            let flags = template.program.valueFlags[index]
            values[index].content = flags.filldown ? values[index].filldown.map(Content.string) ?? .none : .none
            if flags.list && !flags.filldown {
                values[index].items.removeAll(keepingCapacity: true)
            }
        }
    }

    private mutating func clearAllRecord() {
        for index in values.indices {
            values[index] = ValueState()
        }
    }

    /// `_AppendRecord`.
    private mutating func appendRecord() {
        guard !values.isEmpty else { return }
        var row: [TextFSMValue] = []
        row.reserveCapacity(values.count)
        // A record with nothing in it is not recorded, and (as in textfsm) not cleared either.
        var empty = true
        for index in values.indices {
            do {
                try saveRecord(index)
            } catch {
                clearRecord()
                return
            }
            switch values[index].content {
            case .none:
                row.append(.string(""))
            case .string(let text):
                empty = false
                row.append(.string(text))
            case .list(let items):
                if !items.isEmpty { empty = false }
                row.append(.list(items))
            }
        }
        if empty { return }
        rows.append(row)
        clearRecord()
    }

    /// `OnSaveRecord` of `Required` and `List`, in the order written.
    private mutating func saveRecord(_ index: Int) throws(SkipRecord) {
        let flags = template.program.valueFlags[index]
        if flags.required && (flags.requiredBeforeList || !flags.list) && !values[index].content.isSet {
            throw SkipRecord()
        }
        if flags.list {
            values[index].content = .list(values[index].items)
            if flags.required && !flags.requiredBeforeList && !values[index].content.isSet { throw SkipRecord() }
        }
    }
}
