/// Platform profiles as data: the field names of profile files (YAML or JSON), snake_case.
///
/// Decoding starts from a base profile: the one in the decoder's `userInfo` under
/// ``PlatformProfile/baseUserInfoKey`` (a file's `inherits`), else `PlatformProfile(name:)`. Every field
/// given replaces the base's; `name` is required. A text pattern is a string (found anywhere in a line;
/// a leading `^` anchors it at the line's start) or `{text, anchor: anywhere|line_start,
/// case_insensitive}`. Invalid values (an empty pattern, a prompt without terminators) are
/// `DecodingError.dataCorrupted` at their field.
extension PlatformProfile: Codable {
    /// Where a decoder finds the profile a file inherits from.
    public static let baseUserInfoKey = CodingUserInfoKey(rawValue: "netpulse.platform.base")!

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, inherits, aliases, prompt
        case promptPreamble = "prompt_preamble"
        case disablePaging = "disable_paging"
        case widenTerminal = "widen_terminal"
        case pagers
        case errorPatterns = "error_patterns"
        case configMode = "config_mode"
        case enable, save
        case lineEnding = "line_ending"
        case echoesInput = "echoes_input"
        case transport
        case legacyAlgorithms = "legacy_algorithms"
        case sensitiveLines = "sensitive_lines"
        case questions
        case questionShapes = "question_shapes"
        case abort
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try Self.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let name = try container.decode(String.self, forKey: .name)
        guard !name.isEmpty, !name.contains(where: \.isWhitespace) else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: container, debugDescription: "must be a non-empty name without spaces")
        }
        var profile = (decoder.userInfo[Self.baseUserInfoKey] as? PlatformProfile) ?? PlatformProfile(name: name)
        profile.name = name
        // A profile that inherits does not inherit its base's aliases: two platforms would answer to them.
        profile.aliases = try container.decodeIfPresent([String].self, forKey: .aliases) ?? []
        func set<T: Decodable>(_ key: CodingKeys, _ path: WritableKeyPath<PlatformProfile, T>) throws {
            if let value = try container.decodeIfPresent(T.self, forKey: key) { profile[keyPath: path] = value }
        }
        try set(.prompt, \.prompt)
        try set(.promptPreamble, \.promptPreamble)
        try set(.disablePaging, \.disablePaging)
        try set(.widenTerminal, \.widenTerminal)
        try set(.pagers, \.pagers)
        try set(.errorPatterns, \.errorPatterns)
        try set(.lineEnding, \.lineEnding)
        try set(.echoesInput, \.echoesInput)
        try set(.transport, \.transport)
        try set(.legacyAlgorithms, \.legacyAlgorithms)
        try set(.sensitiveLines, \.sensitiveLines)
        try set(.questions, \.questions)
        try set(.questionShapes, \.questionShapes)
        try set(.abort, \.abort)
        // `null` (or `none`) turns a base's mode off; absent keeps it.
        for (key, path) in [(CodingKeys.configMode, \PlatformProfile.configMode)] where container.contains(key) {
            profile[keyPath: path] =
                try container.decodeNil(forKey: key) ? nil : container.decode(ConfigMode.self, forKey: key)
        }
        if container.contains(.enable) {
            profile.enable =
                try container.decodeNil(forKey: .enable) ? nil : container.decode(EnableMode.self, forKey: .enable)
        }
        if container.contains(.save) {
            profile.save =
                try container.decodeNil(forKey: .save) ? nil : container.decode(SaveCommand.self, forKey: .save)
        }
        if profile.lineEnding.isEmpty {
            throw DecodingError.dataCorruptedError(
                forKey: .lineEnding, in: container, debugDescription: "must not be empty")
        }
        self = profile
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(aliases, forKey: .aliases)
        try container.encode(prompt, forKey: .prompt)
        try container.encode(promptPreamble, forKey: .promptPreamble)
        try container.encode(disablePaging, forKey: .disablePaging)
        try container.encode(widenTerminal, forKey: .widenTerminal)
        try container.encode(pagers, forKey: .pagers)
        try container.encode(errorPatterns, forKey: .errorPatterns)
        try container.encode(configMode, forKey: .configMode)
        try container.encode(enable, forKey: .enable)
        try container.encode(save, forKey: .save)
        try container.encode(lineEnding, forKey: .lineEnding)
        try container.encode(echoesInput, forKey: .echoesInput)
        try container.encode(transport, forKey: .transport)
        try container.encode(legacyAlgorithms, forKey: .legacyAlgorithms)
        try container.encode(sensitiveLines, forKey: .sensitiveLines)
        try container.encode(questions, forKey: .questions)
        try container.encode(questionShapes, forKey: .questionShapes)
        try container.encode(abort, forKey: .abort)
    }

    /// Throws for a key of the object being decoded that `known` does not hold: a misspelt field would
    /// otherwise be a silent default.
    static func rejectUnknownKeys(in decoder: any Decoder, known: [String]) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        for key in all.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath + [key],
                    debugDescription: "unknown field; expected one of \(known.joined(separator: ", "))"))
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension PlatformProfile.Transport: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let transport = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "must be \(Self.allCases.map(\.rawValue).joined(separator: " or ")), got '\(text)'")
        }
        self = transport
    }
}

extension TextPattern: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case text, anchor
        case caseInsensitive = "case_insensitive"
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) {
            let anchored = text.hasPrefix("^") && text.count > 1
            guard !text.isEmpty else {
                throw DecodingError.dataCorruptedError(in: single, debugDescription: "a text pattern must not be empty")
            }
            self.init(anchored ? String(text.dropFirst()) : text, anchor: anchored ? .lineStart : .anywhere)
            return
        }
        try PlatformProfile.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .text)
        guard !text.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .text, in: container, debugDescription: "must not be empty")
        }
        let anchor: Anchor
        switch try container.decodeIfPresent(String.self, forKey: .anchor) ?? "anywhere" {
        case "anywhere": anchor = .anywhere
        case "line_start": anchor = .lineStart
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .anchor, in: container, debugDescription: "must be anywhere or line_start")
        }
        self.init(
            text, anchor: anchor,
            caseInsensitive: try container.decodeIfPresent(Bool.self, forKey: .caseInsensitive) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        if !caseInsensitive && !(anchor == .anywhere && text.hasPrefix("^")) {
            var single = encoder.singleValueContainer()
            try single.encode(anchor == .lineStart ? "^" + text : text)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(text, forKey: .text)
        try container.encode(anchor == .lineStart ? "line_start" : "anywhere", forKey: .anchor)
        try container.encode(caseInsensitive, forKey: .caseInsensitive)
    }
}

extension PlatformProfile.Answer: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case pattern, answer
        case endsLine = "ends_line"
    }

    public init(from decoder: any Decoder) throws {
        try PlatformProfile.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try container.decode(TextPattern.self, forKey: .pattern),
            answer: try container.decode(String.self, forKey: .answer),
            endsLine: try container.decodeIfPresent(Bool.self, forKey: .endsLine) ?? true)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pattern, forKey: .pattern)
        try container.encode(answer, forKey: .answer)
        try container.encode(endsLine, forKey: .endsLine)
    }
}

extension PlatformProfile.ConfigMode: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case enter, exit, commit, discard
        case exitQuestions = "exit_questions"
        case commitSaves = "commit_saves"
    }

    public init(from decoder: any Decoder) throws {
        try PlatformProfile.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            enter: try container.decode(String.self, forKey: .enter),
            exit: try container.decode(String.self, forKey: .exit),
            commit: try container.decodeIfPresent(String.self, forKey: .commit),
            discard: try container.decodeIfPresent(String.self, forKey: .discard),
            exitQuestions: try container.decodeIfPresent([PlatformProfile.Answer].self, forKey: .exitQuestions) ?? [],
            commitSaves: try container.decodeIfPresent(Bool.self, forKey: .commitSaves) ?? true)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(enter, forKey: .enter)
        try container.encode(exit, forKey: .exit)
        try container.encodeIfPresent(commit, forKey: .commit)
        try container.encodeIfPresent(discard, forKey: .discard)
        try container.encode(exitQuestions, forKey: .exitQuestions)
        try container.encode(commitSaves, forKey: .commitSaves)
    }
}

extension PlatformProfile.EnableMode: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case command
        case passwordPrompt = "password_prompt"
        case privilegedTerminators = "privileged_terminators"
        case requiredForConfig = "required_for_config"
    }

    public init(from decoder: any Decoder) throws {
        try PlatformProfile.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = PlatformProfile.EnableMode()
        self.init(
            command: try container.decodeIfPresent(String.self, forKey: .command) ?? defaults.command,
            passwordPrompt: try container.decodeIfPresent(TextPattern.self, forKey: .passwordPrompt)
                ?? defaults.passwordPrompt,
            privilegedTerminators: try container.decodeIfPresent(String.self, forKey: .privilegedTerminators)
                ?? defaults.privilegedTerminators,
            requiredForConfig: try container.decodeIfPresent(Bool.self, forKey: .requiredForConfig)
                ?? defaults.requiredForConfig)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(command, forKey: .command)
        try container.encode(passwordPrompt, forKey: .passwordPrompt)
        try container.encode(privilegedTerminators, forKey: .privilegedTerminators)
        try container.encode(requiredForConfig, forKey: .requiredForConfig)
    }
}

extension PlatformProfile.SaveCommand: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case command, confirmations
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let command = try? single.decode(String.self) {
            self.init(command)
            return
        }
        try PlatformProfile.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try container.decode(String.self, forKey: .command),
            confirmations: try container.decodeIfPresent([PlatformProfile.Answer].self, forKey: .confirmations) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(command, forKey: .command)
        try container.encode(confirmations, forKey: .confirmations)
    }
}

extension SensitivePattern: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case line, keyword
    }

    public init(from decoder: any Decoder) throws {
        try PlatformProfile.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let keyword = try container.decode(String.self, forKey: .keyword)
        guard !keyword.isEmpty else {
            throw DecodingError.dataCorruptedError(
                forKey: .keyword, in: container, debugDescription: "must not be empty")
        }
        self.init(line: try container.decodeIfPresent(TextPattern.self, forKey: .line), keyword: keyword)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(line, forKey: .line)
        try container.encode(keyword, forKey: .keyword)
    }
}

extension PromptPattern: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case openers
        case requiresOpener = "requires_opener"
        case flags
        case nameCharacters = "name_characters"
        case mode
        case terminators
        case maxLength = "max_length"
    }

    /// `mode` is `none`, `free`, or two characters that enclose the mode part (`()` for Cisco).
    public init(from decoder: any Decoder) throws {
        try PlatformProfile.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let terminators = try container.decode(String.self, forKey: .terminators)
        guard !terminators.isEmpty, terminators.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .terminators, in: container,
                debugDescription: "must hold at least one printable ASCII character")
        }
        let mode: Mode
        switch try container.decodeIfPresent(String.self, forKey: .mode) ?? "none" {
        case "none": mode = .none
        case "free": mode = .free
        case let pair where pair.count == 2:
            mode = .enclosed(open: pair[pair.startIndex], close: pair[pair.index(after: pair.startIndex)])
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .mode, in: container,
                debugDescription: "must be none, free, or two enclosing characters like ()")
        }
        let maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength) ?? 160
        guard (1...4096).contains(maxLength) else {
            throw DecodingError.dataCorruptedError(
                forKey: .maxLength, in: container, debugDescription: "must be between 1 and 4096")
        }
        self.init(
            openers: try container.decodeIfPresent(String.self, forKey: .openers) ?? "",
            requiresOpener: try container.decodeIfPresent(Bool.self, forKey: .requiresOpener) ?? false,
            flags: try container.decodeIfPresent(String.self, forKey: .flags) ?? "",
            nameCharacters: try container.decodeIfPresent(String.self, forKey: .nameCharacters) ?? "._-",
            mode: mode, terminators: terminators, maxLength: maxLength)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(openers, forKey: .openers)
        try container.encode(requiresOpener, forKey: .requiresOpener)
        try container.encode(flags, forKey: .flags)
        try container.encode(nameCharacters, forKey: .nameCharacters)
        switch mode {
        case .none: try container.encode("none", forKey: .mode)
        case .free: try container.encode("free", forKey: .mode)
        case .enclosed(let open, let close): try container.encode(String([open, close]), forKey: .mode)
        }
        try container.encode(terminators, forKey: .terminators)
        try container.encode(maxLength, forKey: .maxLength)
    }
}
