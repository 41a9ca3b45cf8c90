/// How to drive one platform's CLI. Profiles are data, not subclasses.
///
/// The CLI engine (``CLIEngine``) reads everything it needs from here: the prompt's shape, the commands
/// that set the session up (paging off, a wide terminal), the pager and how to answer it, how to enter
/// and leave configuration mode (and commit, on platforms that have one), the texts that mark a rejected
/// line, privileged ("enable") mode, and how to save.
///
/// Build your own from a built-in one and register it:
/// ```swift
/// var profile = PlatformProfile.ciscoIOS
/// profile.name = "my_ios_fork"
/// profile.errorPatterns.append(.lineStart("%% Rejected"))
/// var platforms = PlatformRegistry.builtin
/// platforms.register(profile)
/// ```
public struct PlatformProfile: Sendable, Hashable {
    /// The name requests use as `device_type`.
    public var name: String
    /// Other names accepted for this platform (`juniper` for `juniper_junos`).
    public var aliases: [String]
    /// The prompt's shape.
    public var prompt: PromptPattern
    /// Lines printed right above the prompt that belong to it rather than to the output
    /// (Junos `[edit]`, `{master:0}`); removed from the end of each output.
    public var promptPreamble: [TextPattern]
    /// Commands that turn paging off, sent once after login.
    public var disablePaging: [String]
    /// Commands that widen the terminal, sent once after login.
    public var widenTerminal: [String]
    /// Pagers that may still show up, and what to type to continue; the pager text is removed from
    /// the output.
    public var pagers: [Answer]
    /// Texts that mark a line as rejected, in command and in configuration mode.
    public var errorPatterns: [TextPattern]
    /// Configuration mode, or `nil` when the platform has none (`linux`).
    public var configMode: ConfigMode?
    /// Privileged mode, or `nil` when the platform has none.
    public var enable: EnableMode?
    /// How to save the configuration, or `nil` when there is nothing to do (Junos: commit saves).
    public var save: SaveCommand?
    /// What ends a typed line.
    public var lineEnding: String
    /// Whether the device echoes typed lines (a pty does). The engine then ignores any prompt that
    /// comes before the echo of the command it sent.
    public var echoesInput: Bool
    /// How commands reach the device: a pty shell driven by the ``CLIEngine`` (network platforms), or
    /// one SSH exec channel per command, with exit status and standard error (`linux`).
    public var transport: Transport
    /// Whether a device of this platform is offered legacy SSH algorithms (SHA-1 key exchange,
    /// `ssh-rsa`, CBC ciphers) after the modern ones when its request does not say
    /// (`legacy_algorithms`): `true` for network platforms, whose old models need them.
    public var legacyAlgorithms: Bool

    /// How commands reach a device.
    public enum Transport: String, Sendable, Hashable, CaseIterable {
        /// An interactive shell on a pty, driven by prompts.
        case shell
        /// One exec channel per command.
        case exec
    }
    /// Lines that carry a secret (`username … secret …`, `snmp-server community …`): redacted in logs,
    /// error messages and the commands recorded with outputs (``redacted(_:)``).
    public var sensitiveLines: [SensitivePattern]
    /// Questions the device may ask after any command, with the answer the platform always gives
    /// (IOS `Destination filename [startup-config]?` → Enter keeps the name shown). A request adds its
    /// own (`driver_args.answers`), checked first.
    public var questions: [Answer]
    /// What marks a line as a question waiting for an answer (`[confirm]`, `(y/n)`, `[yes/no]`), near the
    /// end of the line the device leaves open (at most 8 bytes after it, trailing spaces aside): when no
    /// answer fits, the engine types ``abort`` and the command fails at once with
    /// ``NetPulseError/Kind/unexpectedPrompt`` instead of waiting for its read timeout.
    public var questionShapes: [TextPattern]
    /// What leaves an unanswered question and brings the prompt back (Ctrl-C), typed without a line ending.
    public var abort: String

    /// A text the device shows while waiting for an answer, and the answer.
    public struct Answer: Sendable, Hashable {
        /// What the device shows (`--More--`, `[Y/N]:`).
        public var pattern: TextPattern
        /// What to type.
        public var answer: String
        /// Whether the profile's line ending follows the answer (a pager takes a bare space).
        public var endsLine: Bool

        public init(_ pattern: TextPattern, answer: String, endsLine: Bool = true) {
            self.pattern = pattern
            self.answer = answer
            self.endsLine = endsLine
        }
    }

    /// How to enter and leave configuration mode.
    public struct ConfigMode: Sendable, Hashable {
        /// Enters configuration mode (`configure terminal`).
        public var enter: String
        /// Leaves it (`end`, `return`, `exit configuration-mode`).
        public var exit: String
        /// Applies the candidate configuration before leaving (`commit` on Junos), or `nil`.
        public var commit: String?
        /// Throws the candidate configuration away when a push stops on error (`rollback 0`), or `nil`.
        public var discard: String?
        /// Questions the device may ask on the way out, with their answers.
        public var exitQuestions: [Answer]
        /// Whether ``commit`` also saves the configuration for the next boot (Junos: yes; VyOS: no). A push
        /// with `save` on a platform whose commit does not save and that has no save command is refused.
        public var commitSaves: Bool

        /// An empty ``enter`` or ``exit`` sends nothing: platforms whose configuration lines are typed at
        /// the ordinary prompt (FortiOS, RouterOS) have no mode to enter.
        public init(
            enter: String,
            exit: String,
            commit: String? = nil,
            discard: String? = nil,
            exitQuestions: [Answer] = [],
            commitSaves: Bool = true
        ) {
            self.commitSaves = commitSaves
            self.enter = enter
            self.exit = exit
            self.commit = commit
            self.discard = discard
            self.exitQuestions = exitQuestions
        }
    }

    /// Privileged mode: how to get there and how to tell that the session is there.
    public struct EnableMode: Sendable, Hashable {
        /// The command (`enable`).
        public var command: String
        /// The device's request for the enable secret (`Password:`).
        public var passwordPrompt: TextPattern
        /// Prompt terminators that mean "privileged" (`#`).
        public var privilegedTerminators: String
        /// Whether configuration mode needs privileged mode; requests that leave `enable` unset then
        /// enable before a push.
        public var requiredForConfig: Bool

        public init(
            command: String = "enable",
            passwordPrompt: TextPattern = TextPattern("password:", caseInsensitive: true),
            privilegedTerminators: String = "#",
            requiredForConfig: Bool = true
        ) {
            self.command = command
            self.passwordPrompt = passwordPrompt
            self.privilegedTerminators = privilegedTerminators
            self.requiredForConfig = requiredForConfig
        }
    }

    /// How to save the running configuration, sent after leaving configuration mode.
    public struct SaveCommand: Sendable, Hashable {
        /// The command (`write memory`, `save`).
        public var command: String
        /// Confirmations it may ask for, with their answers (`[Y/N]:` -> `y`).
        public var confirmations: [Answer]

        public init(_ command: String, confirmations: [Answer] = []) {
            self.command = command
            self.confirmations = confirmations
        }
    }

    /// Creates a profile. With only a name, the profile has a generic prompt shape (`name>`, `name#`,
    /// `<name>`, `[name]`, `user@host:~$`), no setup commands, no configuration mode and no enable.
    public init(
        name: String,
        aliases: [String] = [],
        prompt: PromptPattern = .generic,
        promptPreamble: [TextPattern] = [],
        disablePaging: [String] = [],
        widenTerminal: [String] = [],
        pagers: [Answer] = [],
        errorPatterns: [TextPattern] = [],
        configMode: ConfigMode? = nil,
        enable: EnableMode? = nil,
        save: SaveCommand? = nil,
        lineEnding: String = "\n",
        echoesInput: Bool = true,
        transport: Transport = .shell,
        legacyAlgorithms: Bool = true,
        sensitiveLines: [SensitivePattern] = SensitivePattern.common,
        questions: [Answer] = [],
        questionShapes: [TextPattern] = PlatformProfile.commonQuestionShapes,
        abort: String = "\u{3}"
    ) {
        self.questions = questions
        self.questionShapes = questionShapes
        self.abort = abort
        self.name = name
        self.aliases = aliases
        self.prompt = prompt
        self.promptPreamble = promptPreamble
        self.disablePaging = disablePaging
        self.widenTerminal = widenTerminal
        self.pagers = pagers
        self.errorPatterns = errorPatterns
        self.configMode = configMode
        self.enable = enable
        self.save = save
        self.lineEnding = lineEnding
        self.echoesInput = echoesInput
        self.transport = transport
        self.legacyAlgorithms = legacyAlgorithms
        self.sensitiveLines = sensitiveLines
    }
}

extension PlatformProfile {
    /// The shapes of the questions network devices ask: `[confirm]`, `(y/n)`, `[y/n]`, `[yes/no]`,
    /// `(yes/no)`, and a default in brackets before a question mark (`[startup-config]?`).
    public static let commonQuestionShapes: [TextPattern] = [
        TextPattern("[confirm]"),
        TextPattern("(y/n)", caseInsensitive: true),
        TextPattern("[y/n]", caseInsensitive: true),
        TextPattern("[yes/no]", caseInsensitive: true),
        TextPattern("(yes/no)", caseInsensitive: true),
        TextPattern("]?"),
    ]
}

extension PromptPattern {
    /// A permissive shape for profiles that give none.
    public static let generic = PromptPattern(
        openers: "<[", nameCharacters: "._-@", mode: .free, terminators: ">#$%]")
}
