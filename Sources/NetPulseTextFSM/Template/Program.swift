/// The template as the parse loop reads it.
///
/// Each state's rules are compiled into one PCRE2 pattern, `(?:(*MARK:0)rule0|(*MARK:1)rule1|...)`:
/// PCRE2 tries the alternatives in order, so the first that matches is the first rule that matches, and
/// its mark names it. One match call per line instead of one per rule tried (the calls cost a fifth of
/// the parse). After a `Continue` rule the search goes on from the next rule, one rule at a time: the rules
/// after a state's first `Continue` are also compiled on their own (cheaper than a combined pattern for
/// each place a `Continue` can leave off; JIT compiling is most of a template's compile time).
///
/// The tables hold trivial values only, so walking them copies nothing reference-counted.
struct Program: Sendable {
    struct Rule: Sendable {
        /// The rule's assignments in `assignments`, with the rule's own group numbers (an entry adds the
        /// rule's offset from `groupOffsets`).
        let assignments: Range<Int>
        let line: Int
        let lineAction: TextFSMLineAction
        let recordAction: TextFSMRecordAction
        let target: TextFSMRule.Target
        /// The state and the rule's place in it.
        let state: Int
        let rule: Int
        /// The rule alone, for the search after a `Continue`; owned by `codes`.
        let code: Unmanaged<PCRE2Code>?
    }

    struct Assignment: Sendable {
        let group: Int
        let value: Int
    }

    /// Consecutive rules of a state as one pattern. A state is one chunk unless its pattern would exceed
    /// PCRE2's size limit (64 KiB compiled; some `show vlan` templates do): then it is split in halves until
    /// each part compiles, and the parts are tried in order.
    struct Chunk: Sendable {
        /// Owned by `codes`; unmanaged so that using a chunk does not retain it.
        let code: Unmanaged<PCRE2Code>
        let firstRule: Int
        /// Where the rules' group offsets start in `groupOffsets`.
        let groupOffsets: Int
    }

    /// What the options of a Value do, read once.
    struct ValueFlags: Sendable {
        let filldown: Bool
        let fillup: Bool
        let list: Bool
        let required: Bool
        /// `Required` is written before `List`, so it tests the last string rather than the list.
        let requiredBeforeList: Bool
    }

    let rules: [Rule]
    /// Each state's rules in `rules`.
    let stateRules: [Range<Int>]
    let assignments: [Assignment]
    /// Each state's chunks; none for a state without rules.
    let chunks: [[Chunk]]
    let groupOffsets: [Int]
    let valueFlags: [ValueFlags]
    /// Groups of the largest entry.
    let maxCaptureCount: Int
    /// Keeps the compiled patterns alive for `Entry.code`.
    private let codes: [PCRE2Code]

    init(states: [TextFSMState], values: [TextFSMValueDefinition]) throws(TextFSMError) {
        var rules: [Rule] = []
        var stateRules: [Range<Int>] = []
        var assignments: [Assignment] = []
        var chunks: [[Chunk]] = []
        var groupOffsets: [Int] = []
        var codes: [PCRE2Code] = []
        var maxCaptureCount = 0
        for (stateIndex, state) in states.enumerated() {
            let first = rules.count
            let firstContinue = state.rules.firstIndex { $0.lineAction == .continue } ?? state.rules.count
            for (ruleIndex, rule) in state.rules.enumerated() {
                let start = assignments.count
                assignments += rule.assignments.map { Assignment(group: $0.group, value: $0.value) }
                var code: PCRE2Code?
                if ruleIndex > firstContinue {
                    do {
                        code = try rule.pattern.compile()
                    } catch {
                        throw TextFSMError(
                            kind: .invalidTemplate,
                            message: "Invalid regular expression: '\(rule.regex)': \(error.message).", line: rule.line
                        )
                    }
                }
                code.map { codes.append($0) }
                rules.append(
                    Rule(
                        assignments: start..<assignments.count, line: rule.line, lineAction: rule.lineAction,
                        recordAction: rule.recordAction, target: rule.target, state: stateIndex, rule: ruleIndex,
                        code: code.map { Unmanaged.passUnretained($0) }
                    )
                )
            }
            stateRules.append(first..<rules.count)
            var stateChunks: [Chunk] = []
            var pending = state.rules.isEmpty ? [] : [0..<state.rules.count]
            while let range = pending.first {
                pending.removeFirst()
                let offsetsStart = groupOffsets.count
                var source = "(*LF)(?:"
                var offsets: [Int] = []
                var offset = 0
                for index in range {
                    offsets.append(offset)
                    if index > range.lowerBound { source += "|" }
                    let rule = state.rules[index]
                    source += "(*MARK:\(index - range.lowerBound))" + rule.pattern.pcre2Branch(groupOffset: offset)
                    offset += rule.pattern.captureCount
                }
                source += ")"
                do {
                    let code = try PCRE2Code(source)
                    codes.append(code)
                    groupOffsets += offsets
                    maxCaptureCount = max(maxCaptureCount, code.captureCount)
                    stateChunks.append(
                        Chunk(
                            code: Unmanaged.passUnretained(code), firstRule: first + range.lowerBound,
                            groupOffsets: offsetsStart)
                    )
                } catch {
                    guard range.count > 1 else {
                        let rule = state.rules[range.lowerBound]
                        throw TextFSMError(
                            kind: .invalidTemplate,
                            message:
                                "Invalid regular expression: '\(rule.regex)': PCRE2 cannot compile it: "
                                + "\(error.message).",
                            line: rule.line
                        )
                    }
                    let middle = range.lowerBound + range.count / 2
                    pending.insert(contentsOf: [range.lowerBound..<middle, middle..<range.upperBound], at: 0)
                }
            }
            chunks.append(stateChunks)
        }
        self.rules = rules
        self.stateRules = stateRules
        self.assignments = assignments
        self.chunks = chunks
        self.groupOffsets = groupOffsets
        self.codes = codes
        self.maxCaptureCount = maxCaptureCount
        valueFlags = values.map { value in
            let required = value.options.firstIndex(of: .required)
            let list = value.options.firstIndex(of: .list)
            return ValueFlags(
                filldown: value.isFilldown, fillup: value.options.contains(.fillup), list: list != nil,
                required: required != nil, requiredBeforeList: required.map { $0 < (list ?? Int.max) } ?? false
            )
        }
    }
}
