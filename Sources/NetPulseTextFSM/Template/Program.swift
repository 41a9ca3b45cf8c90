/// The template as the parse loop reads it: flat tables of trivial values, so that walking the rules copies
/// no reference-counted values (copying `TextFSMRule`s cost more than matching them).
struct Program: Sendable {
    struct Rule: Sendable {
        /// Owned by `codes`; unmanaged so that copying and using a rule does not retain it.
        let code: Unmanaged<PCRE2Code>
        let assignments: Range<Int>
        let line: Int
        let lineAction: TextFSMLineAction
        let recordAction: TextFSMRecordAction
        let target: TextFSMRule.Target
        /// The state and the rule's place in it, for the `Error` message.
        let state: Int
        let rule: Int
    }

    struct Assignment: Sendable {
        let group: Int
        let value: Int
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
    let valueFlags: [ValueFlags]
    /// Keeps the compiled patterns alive for `Rule.code`.
    private let codes: [PCRE2Code]

    init(states: [TextFSMState], values: [TextFSMValueDefinition]) {
        var rules: [Rule] = []
        var stateRules: [Range<Int>] = []
        var assignments: [Assignment] = []
        var codes: [PCRE2Code] = []
        for (stateIndex, state) in states.enumerated() {
            let first = rules.count
            for (ruleIndex, rule) in state.rules.enumerated() {
                let start = assignments.count
                assignments += rule.assignments.map { Assignment(group: $0.group, value: $0.value) }
                codes.append(rule.pattern.code)
                rules.append(
                    Rule(
                        code: Unmanaged.passUnretained(rule.pattern.code), assignments: start..<assignments.count,
                        line: rule.line,
                        lineAction: rule.lineAction, recordAction: rule.recordAction, target: rule.target,
                        state: stateIndex, rule: ruleIndex
                    )
                )
            }
            stateRules.append(first..<rules.count)
        }
        self.rules = rules
        self.stateRules = stateRules
        self.assignments = assignments
        self.codes = codes
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
