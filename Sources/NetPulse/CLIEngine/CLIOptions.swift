#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How one execution drives a device's CLI beyond what its platform profile says: the `driver_args`
/// that netmiko's `send_command` and `send_config_set` take, for the built-in (CLI engine) drivers.
///
/// | `driver_args` field | Effect |
/// |---|---|
/// | `read_timeout` | seconds each wait on the device may take (the target's read timeout) |
/// | `expect_string` | a regular expression that ends each command's read instead of the prompt |
/// | `answers` | `{"question text": "answer"}`: answers typed when a line shows the text |
/// | `per_command` | `{"command": {"expect_string", "answers", "read_timeout"}}` for one command |
/// | `strip_prompt`, `strip_command` | `false` keeps the trailing prompt, the echoed command in outputs |
/// | `cmd_verify` | `false`: do not wait for the command's echo before taking a prompt |
/// | `config_mode_command` | the command that enters configuration mode instead of the profile's |
/// | `exit_config_mode` | `false`: stay in configuration mode after a push |
/// | `error_pattern` | a regular expression (or a list) that marks a rejected line, beside the profile's |
/// | `delay_factor`, `global_delay_factor`, `fast_cli` | accepted, no effect: the end of output is found by prompt |
public struct CLIOptions: Sendable, Hashable {
    /// Ends each command's read where a line matches it, instead of at the prompt (netmiko's
    /// `expect_string`); the session is then wherever the device is, typically at a question that the
    /// next command answers.
    public var expectString: LinePattern?
    /// Answers to questions, beside the profile's ``PlatformProfile/questions``; checked first.
    public var answers: [PlatformProfile.Answer]
    /// `false` keeps the prompt that ended each command's output, on a line of its own.
    public var stripPrompt: Bool
    /// `false` keeps the command's echo as the first line of its output.
    public var stripCommand: Bool
    /// `false`: a prompt ends a read even before the command's echo has been seen.
    public var verifyCommand: Bool
    /// Enters configuration mode instead of the profile's command.
    public var configModeCommand: String?
    /// `false`: a push leaves the session in configuration mode (and cannot save).
    public var exitConfigMode: Bool
    /// More texts that mark a rejected line, beside the profile's ``PlatformProfile/errorPatterns``.
    public var errorPatterns: [LinePattern]
    /// Settings for single commands, by the command's text.
    public var perCommand: [String: CommandOptions]

    /// What one command may set for itself.
    public struct CommandOptions: Sendable, Hashable {
        public var expectString: LinePattern?
        public var answers: [PlatformProfile.Answer]
        /// The deadline of each wait of this command, instead of the request's read timeout.
        public var readTimeout: Duration?

        public init(
            expectString: LinePattern? = nil, answers: [PlatformProfile.Answer] = [], readTimeout: Duration? = nil
        ) {
            self.expectString = expectString
            self.answers = answers
            self.readTimeout = readTimeout
        }
    }

    public init(
        expectString: LinePattern? = nil,
        answers: [PlatformProfile.Answer] = [],
        stripPrompt: Bool = true,
        stripCommand: Bool = true,
        verifyCommand: Bool = true,
        configModeCommand: String? = nil,
        exitConfigMode: Bool = true,
        errorPatterns: [LinePattern] = [],
        perCommand: [String: CommandOptions] = [:]
    ) {
        self.expectString = expectString
        self.answers = answers
        self.stripPrompt = stripPrompt
        self.stripCommand = stripCommand
        self.verifyCommand = verifyCommand
        self.configModeCommand = configModeCommand
        self.exitConfigMode = exitConfigMode
        self.errorPatterns = errorPatterns
        self.perCommand = perCommand
    }

    /// The `driver_args` name of the first field set to something other than its default, if any.
    public var firstSetField: String? {
        if expectString != nil { return "expect_string" }
        if !answers.isEmpty { return "answers" }
        if !perCommand.isEmpty { return "per_command" }
        if !stripPrompt { return "strip_prompt" }
        if !stripCommand { return "strip_command" }
        if !verifyCommand { return "cmd_verify" }
        if configModeCommand != nil { return "config_mode_command" }
        if !exitConfigMode { return "exit_config_mode" }
        if !errorPatterns.isEmpty { return "error_pattern" }
        return nil
    }

    /// What applies to one command: its own settings first, then the execution's.
    func forCommand(_ line: String) -> CommandOptions {
        let own = perCommand[line]
        return CommandOptions(
            expectString: own?.expectString ?? expectString,
            answers: (own?.answers ?? []) + answers,
            readTimeout: own?.readTimeout)
    }
}

/// A regular expression looked for in one line of output (`expect_string`, `error_pattern`), in the
/// syntax of Swift's `Regex` (which reads Python's `re` patterns as netmiko users write them).
public struct LinePattern: @unchecked Sendable, Hashable, CustomStringConvertible {
    // `Regex` is an immutable value; it is only ever read, so sharing it across tasks is safe.
    private let regex: Regex<AnyRegexOutput>
    /// The expression as given.
    public let source: String

    /// Compiles `source`.
    ///
    /// - Throws: The compiler's error when `source` is not a valid expression.
    public init(_ source: String) throws {
        self.regex = try Regex(source)
        self.source = source
    }

    /// Whether the expression matches somewhere in `line`.
    public func matches(_ line: some StringProtocol) -> Bool {
        ((try? regex.firstMatch(in: String(line))) ?? nil) != nil
    }

    public var description: String { source }
    public static func == (lhs: LinePattern, rhs: LinePattern) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}

extension CLIOptions {
    /// `driver_args` fields the CLI engine reads.
    public static let engineFields: Set<String> = [
        "read_timeout", "expect_string", "answers", "per_command", "strip_prompt", "strip_command", "cmd_verify",
        "config_mode_command", "exit_config_mode", "error_pattern",
    ]
    /// `driver_args` fields accepted and documented as having no effect: NetPulse finds the end of output by
    /// prompt, never by timing.
    public static let timingFields: Set<String> = ["delay_factor", "global_delay_factor", "fast_cli"]

    /// Reads the CLI engine's fields of a device's `driver_args`.
    ///
    /// - Parameters:
    ///   - driverArgs: The device's `driver_args` (with the netmiko pass-through fields kept there).
    ///   - path: The JSON path of the object, for errors (`driver_args`, `devices[2].driver_args`).
    ///   - accepted: Other fields that are fine there (the netmiko connection pass-throughs); any other
    ///     field is refused when `refuseUnknown` is set.
    ///   - refuseUnknown: Whether the driver is one of the built-in ones, which read nothing else.
    /// - Returns: The options, and `read_timeout` when given.
    /// - Throws: ``RequestError`` naming the field at fault.
    public static func parse(
        _ driverArgs: [String: JSONValue], path: String, accepted: Set<String>, refuseUnknown: Bool
    ) throws(RequestError) -> Parsed {
        var options = CLIOptions()
        var readTimeout: Duration?
        for key in driverArgs.keys.sorted() {
            let value = driverArgs[key] ?? .null
            let field = "\(path).\(key)"
            if value == .null { continue }
            switch key {
            case "read_timeout": readTimeout = try seconds(value, field: field)
            case "expect_string": options.expectString = try pattern(value, field: field)
            case "answers": options.answers = try answers(value, field: field)
            case "strip_prompt": options.stripPrompt = try bool(value, field: field)
            case "strip_command": options.stripCommand = try bool(value, field: field)
            case "cmd_verify": options.verifyCommand = try bool(value, field: field)
            case "exit_config_mode": options.exitConfigMode = try bool(value, field: field)
            case "config_mode_command": options.configModeCommand = try line(value, field: field)
            case "error_pattern":
                if case .array(let items) = value {
                    for (index, item) in items.enumerated() {
                        options.errorPatterns.append(try pattern(item, field: "\(field)[\(index)]"))
                    }
                } else {
                    options.errorPatterns = [try pattern(value, field: field)]
                }
            case "per_command":
                guard case .object(let commands) = value else {
                    throw RequestError(
                        field: field, reason: "must be an object of command → settings, got \(value.typeName)")
                }
                for (command, settings) in commands {
                    options.perCommand[command] = try commandOptions(settings, field: "\(field).\(command)")
                }
            case "delay_factor", "global_delay_factor":
                guard case .number(let number) = value, number >= 0, number.isFinite else {
                    throw RequestError(field: field, reason: "must be a number ≥ 0, got \(value.typeName)")
                }
            case "fast_cli":
                _ = try bool(value, field: field)
            default:
                if refuseUnknown && !accepted.contains(key) {
                    throw RequestError(
                        field: field,
                        reason: "is not a field the built-in drivers read; they take "
                            + (engineFields.union(timingFields)).sorted().joined(separator: ", "))
                }
            }
        }
        return Parsed(options: options, readTimeout: readTimeout)
    }

    /// What ``parse(_:path:accepted:refuseUnknown:)`` reads.
    public struct Parsed: Sendable {
        public var options: CLIOptions
        /// `read_timeout`, which becomes the device's read timeout.
        public var readTimeout: Duration?
    }

    private static func commandOptions(_ value: JSONValue, field: String) throws(RequestError) -> CommandOptions {
        guard case .object(let object) = value else {
            throw RequestError(field: field, reason: "must be an object, got \(value.typeName)")
        }
        var options = CommandOptions()
        for key in object.keys.sorted() {
            let value = object[key] ?? .null
            if value == .null { continue }
            switch key {
            case "expect_string": options.expectString = try pattern(value, field: "\(field).\(key)")
            case "answers": options.answers = try answers(value, field: "\(field).\(key)")
            case "read_timeout": options.readTimeout = try seconds(value, field: "\(field).\(key)")
            default:
                throw RequestError(
                    field: "\(field).\(key)", reason: "unknown; a command takes expect_string, answers, read_timeout")
            }
        }
        return options
    }

    private static func answers(_ value: JSONValue, field: String) throws(RequestError) -> [PlatformProfile.Answer] {
        guard case .object(let object) = value else {
            throw RequestError(
                field: field, reason: "must be an object of question text → answer, got \(value.typeName)")
        }
        var answers: [PlatformProfile.Answer] = []
        for question in object.keys.sorted() {
            guard !question.isEmpty else { throw RequestError(field: field, reason: "holds an empty question text") }
            guard case .string(let answer) = object[question] else {
                throw RequestError(field: "\(field).\(question)", reason: "must be a string (\"\" types Enter)")
            }
            guard !answer.contains(where: { $0 == "\n" || $0 == "\r" }) else {
                throw RequestError(field: "\(field).\(question)", reason: "must not hold a line break")
            }
            answers.append(PlatformProfile.Answer(TextPattern(question), answer: answer))
        }
        return answers
    }

    private static func pattern(_ value: JSONValue, field: String) throws(RequestError) -> LinePattern {
        guard case .string(let text) = value, !text.isEmpty else {
            throw RequestError(field: field, reason: "must be a non-empty regular expression, got \(value.typeName)")
        }
        do {
            return try LinePattern(text)
        } catch {
            throw RequestError(field: field, reason: "is not a valid regular expression: \(error)")
        }
    }

    private static func bool(_ value: JSONValue, field: String) throws(RequestError) -> Bool {
        guard case .bool(let flag) = value else {
            throw RequestError(field: field, reason: "must be true or false, got \(value.typeName)")
        }
        return flag
    }

    private static func line(_ value: JSONValue, field: String) throws(RequestError) -> String {
        guard case .string(let text) = value, !text.isEmpty,
            !text.contains(where: { $0 == "\n" || $0 == "\r" })
        else {
            throw RequestError(field: field, reason: "must be a non-empty command on one line")
        }
        return text
    }

    private static func seconds(_ value: JSONValue, field: String) throws(RequestError) -> Duration {
        guard case .number(let number) = value, number.isFinite, number > 0, number <= 86_400 else {
            throw RequestError(field: field, reason: "must be a number of seconds between 0 and 86400 (exclusive of 0)")
        }
        return .milliseconds(max(1, Int64((number * 1000).rounded())))
    }
}
