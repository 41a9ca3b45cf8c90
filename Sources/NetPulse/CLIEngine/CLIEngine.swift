public import Logging

/// Drives a device's interactive CLI over a ``ShellChannel``: finds the prompt, turns paging off, runs
/// commands and pushes configuration, and knows the end of each output by the prompt, never by waiting
/// for silence.
///
/// An SSH backend opens a pty shell channel, wraps it as a ``ShellChannel``, and then:
/// ```swift
/// let engine = CLIEngine(channel: channel, profile: context.platform, enableSecret: target.enableSecret,
///                        logger: context.logger)
/// try await engine.start(deadline: .now + readTimeout)   // once, after login
/// let outcome = try await engine.execute(request)         // for each job
/// ```
///
/// The engine is an actor: its state (the partial line, the learned prompt) lives across awaits on the
/// channel, and the actor keeps it consistent without locks. Because an actor is reentrant, it also
/// refuses a second ``execute(_:)`` while one is running (``NetPulseError/Kind/driverError``): one
/// channel carries one conversation.
///
/// What it does with each output: strips the echoed command and the trailing prompt (and, for Junos,
/// the `[edit]` line above it), normalises `\r\n` to `\n`, drops ANSI escapes, answers and removes any
/// pager, trims blank lines at both ends, and keeps lines in the middle that only look like a prompt.
/// Only a prompt at the very end of the data received, with nothing after it, ends an output; after
/// the base prompt is learned (`R1`), a prompt must carry it, except in configuration mode, where a
/// new hostname is followed. A prompt that comes before the echo of the command sent (left over from
/// the line endings used to confirm the prompt at start) is skipped.
///
/// Limits: a line of output that is exactly the device's prompt and happens to be the last bytes of
/// a read cannot be told from the real prompt, and ends the output there (as in every prompt-driven
/// tool); likewise a line of output that ends with a question's shape (`… [confirm]`) and happens to end a
/// read is taken for an unanswered question. Lines that open a multi-line input (Cisco `banner motd ^C`)
/// time out.
///
/// Questions: a line the device leaves open that matches an answer (the step's own, the request's
/// `driver_args.answers`, the profile's ``PlatformProfile/questions``) gets it typed. One that has the shape
/// of a question (``PlatformProfile/questionShapes``) but no answer is aborted with the profile's
/// ``PlatformProfile/abort`` and, once the prompt is back, the command fails with
/// ``NetPulseError/Kind/unexpectedPrompt`` naming the question (the later commands are `.skipped`); the
/// session stays usable. With an `expect_string` (``CLIOptions/expectString``), a line matching it ends the
/// read instead of the prompt.
///
/// After a timeout, a lost connection or a cancellation, the engine no longer knows where the device
/// is in the conversation: every later ``execute(_:)`` throws ``NetPulseError/Kind/sessionUnavailable``
/// without sending anything, so the caller opens a new session.
public actor CLIEngine {
    private let channel: any ShellChannel
    /// The platform profile the engine follows.
    public nonisolated let profile: PlatformProfile
    private let enableSecret: Secret?
    private let logger: Logger
    private let lineEnding: [UInt8]
    private let secretBytes: [UInt8]

    private var terminal = TerminalText()
    /// The last raw bytes received, for timeout messages.
    private var recent: [UInt8] = []
    /// Older bytes of ``recent``'s first line were dropped.
    private var recentStartsMidLine = false
    /// The enable secret was typed on this session (a device could echo it).
    private var typedSecret = false
    private var base: [UInt8]?
    private var currentPrompt = ""
    private var currentTerminator: UInt8 = 0
    private var started = false
    private var busy = false
    /// Set when the conversation is out of step.
    private var failure: NetPulseError?
    /// The running execution's answers (`driver_args.answers`), checked before the profile's.
    private var requestAnswers: [PlatformProfile.Answer] = []
    /// The running execution's extra error patterns (`driver_args.error_pattern`).
    private var extraErrors: [LinePattern] = []
    /// The actor whose serial executor this engine runs on (see `init`).
    private nonisolated let executorOwner: any Actor

    /// The engine's executor: the one of `executorOwner`.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executorOwner.unownedExecutor }

    /// How far from the end of an open line a question's shape may be (`(y/n)?  [n] `): further, the line
    /// is output that happens to hold the shape, not a question.
    static let questionSlack = 8

    /// How many raw bytes a timeout message shows.
    static let recentWindow = 200

    /// Creates an engine over an open shell channel. Nothing is sent before ``start(deadline:)``.
    ///
    /// - Parameters:
    ///   - channel: The device's shell; the engine is its only user from now on.
    ///   - profile: How the device's CLI behaves.
    ///   - enableSecret: The secret for privileged mode, if any. It is typed only at the device's
    ///     password prompt and masked in every message.
    ///   - logger: Where the engine logs (debug level: commands sent, prompts found; never secrets).
    ///   - executorOwner: An actor whose executor the engine shares, typically the backend's session
    ///     actor that its channel calls: each read and write then runs without switching executors.
    ///     `nil`: the engine has its own.
    public init(
        channel: any ShellChannel, profile: PlatformProfile, enableSecret: Secret?, logger: Logger,
        executorOwner: (any Actor)? = nil
    ) {
        self.executorOwner = executorOwner ?? EngineExecutorOwner()
        self.channel = channel
        self.profile = profile
        self.enableSecret = enableSecret
        self.logger = logger
        self.lineEnding = Array(profile.lineEnding.utf8)
        self.secretBytes = enableSecret.map { Array($0.revealed.utf8) } ?? []
        terminal.limit = ExecutionRequest.defaultMaxOutputBytes
    }

    /// The base prompt (hostname part) learned after login and followed through hostname changes,
    /// such as `R1` or `admin@mx1`; `nil` before ``start(deadline:)``.
    public var basePrompt: String? { base.map { String(decoding: $0, as: UTF8.self) } }

    /// The last prompt seen, such as `R1#` or `R1(config)#`.
    public var prompt: String { currentPrompt }

    /// Whether the last prompt shows privileged mode (always `false` for platforms without enable).
    public var isPrivileged: Bool {
        guard let enable = profile.enable else { return false }
        return enable.privilegedTerminators.utf8.contains(currentTerminator)
    }

    // MARK: - Start

    /// Gets the session ready: skips any banner or MOTD, finds and confirms the prompt, learns the base
    /// prompt, and sends the profile's setup commands (paging off, wide terminal).
    ///
    /// A setup command the device rejects is logged and skipped (a pager is still answered if it shows).
    ///
    /// - Parameter deadline: When the whole start must be done.
    /// - Throws: ``NetPulseError/Kind/timeout`` (with what was awaited and the last bytes seen),
    ///   ``NetPulseError/Kind/connectionLost``, `CancellationError`.
    public func start(deadline: ContinuousClock.Instant) async throws {
        guard !started, failure == nil else {
            throw NetPulseError.driverError("CLIEngine.start(deadline:) called twice")
        }
        do {
            let budget = ContinuousClock.now.duration(to: deadline)
            let wait = Wait(what: "the first prompt after login", deadline: deadline, budget: budget)
            var found = try await waitForPrompt(wait, echo: .none)
            var candidate = found.prompt
            _ = takeOutput(found)
            // A banner line may end a chunk and look like a prompt: confirm with a fresh one.
            for attempt in 1...4 {
                try await send([], deadline: deadline, what: "a line ending to confirm the prompt")
                let confirm = Wait(what: "the prompt again after a line ending", deadline: deadline, budget: budget)
                found = try await waitForPrompt(confirm, echo: .anyLine)
                _ = takeOutput(found)
                if found.prompt == candidate { break }
                logger.debug("prompt changed while confirming", metadata: ["attempt": "\(attempt)"])
                candidate = found.prompt
            }
            base = found.name
            logger.debug("prompt found", metadata: ["prompt": "\(currentPrompt)", "base": "\(basePrompt ?? "")"])
            for command in profile.disablePaging + profile.widenTerminal {
                let result = try await run(command, deadline: deadline, budget: budget, rename: false)
                if let message = result.error {
                    logger.warning(
                        "setup command rejected", metadata: ["command": "\(command)", "answer": "\(message)"])
                }
            }
            started = true
        } catch {
            failure = NetPulseError(wrapping: error)
            throw error
        }
    }

    /// Whether the engine has started and no failure has put it out of step with the device.
    public var isUsable: Bool { started && failure == nil }

    /// Checks that the device still answers: sends a line ending and waits for the prompt.
    ///
    /// For a backend's `DriverSession.isAlive()`. A failure puts the engine out of step, like any failed
    /// wait.
    ///
    /// - Parameter deadline: When to give up.
    /// - Returns: `true` when the prompt came back in time.
    public func ping(deadline: ContinuousClock.Instant) async -> Bool {
        guard isUsable, !busy else { return false }
        busy = true
        defer { busy = false }
        do {
            _ = try await run("", deadline: deadline, budget: ContinuousClock.now.duration(to: deadline), rename: false)
            return true
        } catch {
            failure = NetPulseError(wrapping: error)
            return false
        }
    }

    // MARK: - Execute

    /// Runs commands or pushes configuration, and reports each line's output.
    ///
    /// - Commands run one after another in the current mode; a command the device answers with one of
    ///   the profile's error patterns is reported `.failed`, and the others still run.
    /// - Configuration: enable if needed, enter configuration mode, send each line and check its answer
    ///   against the error patterns; with `stopOnError`, the lines after a rejected one are `.skipped`
    ///   and, where the platform has a candidate configuration (Junos), it is discarded instead of
    ///   committed. Then commit (Junos), leave configuration mode, and save only if `save` was asked and
    ///   every line succeeded.
    /// - Enable: `request.enable` `true` enables first; `nil` enables for configuration when the profile
    ///   requires it, and for commands when an enable secret was given. Platforms without privileged
    ///   mode ignore it.
    ///
    /// - Parameter request: What to run, and the read timeout for each wait.
    /// - Returns: One output per line, skipped lines included; ``ExecutionOutcome/error`` (kind
    ///   ``NetPulseError/Kind/commandError``) names the first rejected line and the device's message.
    /// - Throws: ``NetPulseError/Kind/timeout``, ``NetPulseError/Kind/connectionLost``,
    ///   ``NetPulseError/Kind/authentication`` (enable secret missing or rejected),
    ///   ``NetPulseError/Kind/unsupported`` (configuration on a platform without it, or `save` on a
    ///   platform with neither a save command nor a commit), ``NetPulseError/Kind/unexpectedOutput``
    ///   (the device keeps asking for the enable secret),
    ///   ``NetPulseError/Kind/invalidRequest`` (a line holding a line break),
    ///   ``NetPulseError/Kind/sessionUnavailable`` (an earlier failure left the session out of step),
    ///   `CancellationError`.
    public func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
        if let failure {
            throw NetPulseError.sessionUnavailable(
                "the CLI session is out of step after an earlier failure (\(failure.kind)); open a new one")
        }
        guard started else { throw NetPulseError.driverError("CLIEngine.execute called before start(deadline:)") }
        guard !busy else { throw NetPulseError.driverError("CLIEngine is already running an execution") }
        let field = request.operation.isConfig ? "config" : "command"
        for (index, line) in request.operation.lines.enumerated()
        where line.utf8.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            throw NetPulseError(
                .invalidRequest, "\(field) line \(index + 1) contains a line break; give each line separately")
        }
        busy = true
        terminal.limit = request.maxOutputBytes
        requestAnswers = request.cli.answers
        extraErrors = request.cli.errorPatterns
        defer {
            busy = false
            terminal.limit = ExecutionRequest.defaultMaxOutputBytes
            requestAnswers = []
            extraErrors = []
        }
        do {
            switch request.operation {
            case .commands(let lines): return try await runCommands(lines, request)
            case .config(let lines): return try await runConfig(lines, request)
            }
        } catch let error as NetPulseError where error.kind == .authentication || error.kind == .unsupported {
            throw error  // the device is back at a prompt: the session is still usable
        } catch {
            failure = NetPulseError(wrapping: error)
            throw error
        }
    }

    private func runCommands(_ lines: [String], _ request: ExecutionRequest) async throws -> ExecutionOutcome {
        if request.enable ?? (enableSecret != nil) { try await enablePrivileged(request) }
        var outputs: [CommandOutput] = []
        var rejected: [(line: String, message: String)] = []
        var unanswered: NetPulseError?
        for line in lines {
            let shown = profile.redacted(line)
            if unanswered != nil {
                outputs.append(CommandOutput(command: shown, output: "", status: .skipped))
                continue
            }
            let options = request.cli.forCommand(line)
            let result = try await run(
                line, readTimeout: options.readTimeout ?? request.readTimeout, rename: false,
                answers: options.answers, expect: options.expectString, verify: request.cli.verifyCommand, shown: shown)
            var output = result.output
            if !request.cli.stripCommand { output = output.isEmpty ? shown : shown + "\n" + output }
            if !request.cli.stripPrompt && options.expectString == nil && result.question == nil {
                output = output.isEmpty ? currentPrompt : output + "\n" + currentPrompt
            }
            if let question = result.question {
                unanswered = unansweredError(question, after: shown)
                outputs.append(CommandOutput(command: shown, output: output, status: .failed))
            } else if let message = result.error {
                rejected.append((line, message))
                outputs.append(CommandOutput(command: shown, output: output, status: .failed))
            } else {
                outputs.append(CommandOutput(command: shown, output: output))
            }
        }
        return ExecutionOutcome(outputs: outputs, error: unanswered ?? rejection(rejected, of: "command"))
    }

    private func unansweredError(_ question: String, after shown: String) -> NetPulseError {
        .unexpectedPrompt(
            "`\(shown)` asked \"\(Self.escaped(profile.redacted(question)))\" and no answer was given (driver_args.answers, "
                + "per_command or the platform profile's questions); it was aborted and the session is back at "
                + "`\(currentPrompt)`")
    }

    /// Fails a step of the engine's own (entering or leaving configuration mode, commit, save) that the
    /// device answered with a question nobody answered.
    private func checkAnswered(_ result: LineResult, _ command: String) throws {
        if let question = result.question { throw unansweredError(question, after: command) }
    }

    private func runConfig(_ lines: [String], _ request: ExecutionRequest) async throws -> ExecutionOutcome {
        guard let mode = profile.configMode else {
            throw NetPulseError.unsupported(
                "platform \(profile.name) has no configuration mode; send the lines as commands")
        }
        if request.save && profile.save == nil && (mode.commit == nil || !mode.commitSaves) {
            throw NetPulseError.unsupported("platform \(profile.name) has no save command; push without save")
        }
        if request.save && !request.cli.exitConfigMode {
            throw NetPulseError.unsupported(
                "save needs the push to leave configuration mode; drop driver_args.exit_config_mode: false or save")
        }
        if request.enable ?? (profile.enable?.requiredForConfig ?? false) { try await enablePrivileged(request) }
        let timeout = request.readTimeout
        let enter = request.cli.configModeCommand ?? mode.enter
        let entered = enter.isEmpty ? LineResult(output: "") : try await run(enter, readTimeout: timeout, rename: false)
        try checkAnswered(entered, enter)
        if let message = entered.error {
            return ExecutionOutcome(
                outputs: lines.map { CommandOutput(command: profile.redacted($0), output: "", status: .skipped) },
                error: .commandError("could not enter configuration mode with `\(enter)`: \(message)"))
        }
        var outputs: [CommandOutput] = []
        var rejected: [(line: String, message: String)] = []
        var unanswered: NetPulseError?
        for line in lines {
            if request.stopOnError && !rejected.isEmpty {
                outputs.append(CommandOutput(command: profile.redacted(line), output: "", status: .skipped))
                continue
            }
            let options = request.cli.forCommand(line)
            // The record of a push shows its lines and the device's answers with their secrets masked.
            let shown = profile.redacted(line)
            let result = try await run(
                line, readTimeout: options.readTimeout ?? timeout, rename: true, answers: options.answers,
                expect: options.expectString, verify: request.cli.verifyCommand, shown: shown)
            if let question = result.question {
                // As a rejected line: the lines after it are skipped on stop_on_error, nothing is committed.
                let error = unansweredError(question, after: shown)
                unanswered = unanswered ?? error
                rejected.append((line, error.message))
                outputs.append(CommandOutput(command: shown, output: profile.redacted(result.output), status: .failed))
            } else if let message = result.error {
                rejected.append((line, message))
                outputs.append(CommandOutput(command: shown, output: profile.redacted(result.output), status: .failed))
                request.logger.debug("config line rejected", metadata: ["line": "\(shown)"])
            } else {
                outputs.append(CommandOutput(command: shown, output: profile.redacted(result.output)))
            }
        }
        var error = unanswered ?? rejection(rejected, of: "config")
        var committed = true
        if let commit = mode.commit, !lines.isEmpty {
            if rejected.isEmpty || !request.stopOnError {
                let result = try await run(commit, readTimeout: timeout, rename: true)
                try checkAnswered(result, commit)
                if let message = result.error {
                    committed = false
                    error = error ?? .commandError("`\(commit)` failed: \(message)")
                }
            } else {
                committed = false
            }
            if !committed, let discard = mode.discard {
                try checkAnswered(try await run(discard, readTimeout: timeout, rename: true), discard)
            }
        }
        guard request.cli.exitConfigMode else { return ExecutionOutcome(outputs: outputs, error: error) }
        if !mode.exit.isEmpty {
            try checkAnswered(
                try await run(mode.exit, readTimeout: timeout, rename: true, answers: mode.exitQuestions), mode.exit)
        }
        if request.save, rejected.isEmpty, committed, let save = profile.save {
            let result = try await run(save.command, readTimeout: timeout, rename: false, answers: save.confirmations)
            try checkAnswered(result, save.command)
            if let message = result.error {
                error = .commandError("saving with `\(save.command)` failed: \(message)")
            }
        }
        return ExecutionOutcome(outputs: outputs, error: error)
    }

    private func rejection(_ rejected: [(line: String, message: String)], of kind: String) -> NetPulseError? {
        guard let first = rejected.first else { return nil }
        let more = rejected.count > 1 ? " (and \(rejected.count - 1) more \(kind) lines rejected)" : ""
        return .commandError(
            "\(kind) line `\(profile.redacted(first.line))` rejected: \(profile.redacted(first.message))\(more)")
    }

    /// Enters privileged mode unless already there.
    private func enablePrivileged(_ request: ExecutionRequest) async throws {
        guard let enable = profile.enable, !isPrivileged else { return }
        let budget = request.readTimeout
        let deadline = ContinuousClock.now + budget
        try await send(Array(enable.command.utf8), deadline: deadline, what: "`\(enable.command)`")
        let wait = Wait(
            what: "the enable password prompt or the prompt after `\(enable.command)`", deadline: deadline,
            budget: budget)
        var secretSent = false
        var missingSecret = false
        var extraAnswers = 0
        while true {
            let stop = try await waitFor(
                wait, echo: .command(Array(enable.command.utf8)), questions: [enable.passwordPrompt], rename: false)
            switch stop {
            case .unanswered, .expected:
                continue  // not asked for: never returned
            case .question:
                terminal.answeredCurrentLine = true
                if !secretSent, let enableSecret, !enableSecret.isEmpty {
                    secretSent = true
                    request.logger.debug("sending enable secret", metadata: ["secret": "\(Secret.mask)"])
                    typedSecret = true
                    try await send(secretBytes, deadline: deadline, what: "the enable secret")
                } else {
                    // Asked again (wrong secret) or no secret to give: empty answers until the prompt returns.
                    missingSecret = missingSecret || !secretSent
                    secretSent = true
                    extraAnswers += 1
                    guard extraAnswers <= 5 else {
                        throw NetPulseError.unexpectedOutput(
                            "the device keeps asking for the enable secret; last bytes received: \(recentText())")
                    }
                    try await send([], deadline: deadline, what: "an empty answer to the password prompt")
                }
            case .prompt(let found):
                let answer = takeOutput(found).output
                if isPrivileged { return }
                let said = answer.isEmpty ? "" : ": \(profile.redacted(mask(answer)))"
                if missingSecret {
                    throw NetPulseError.authentication(
                        "the device asked for an enable secret and none was given (connection_args.secret)\(said)")
                }
                throw NetPulseError.authentication(
                    "`\(enable.command)` failed, the device stayed at `\(currentPrompt)`\(said)")
            }
        }
    }

    // MARK: - One line

    private struct LineResult {
        var output: String
        /// The device's message, when the output matched an error pattern.
        var error: String?
        /// The question the device asked and nobody answered; the engine aborted it and is back at a prompt.
        var question: String?
    }

    private func run(
        _ line: String, readTimeout: Duration, rename: Bool, answers: [PlatformProfile.Answer] = [],
        expect: LinePattern? = nil, verify: Bool = true, shown: String? = nil
    ) async throws -> LineResult {
        try await run(
            line, deadline: .now + readTimeout, budget: readTimeout, rename: rename, answers: answers, expect: expect,
            verify: verify, shown: shown)
    }

    /// Sends one line and reads up to the next prompt (or up to `expect`), answering questions on the way:
    /// `answers`, then the request's, then the profile's. A question none of them answers is aborted.
    private func run(
        _ line: String, deadline: ContinuousClock.Instant, budget: Duration, rename: Bool,
        answers: [PlatformProfile.Answer] = [], expect: LinePattern? = nil, verify: Bool = true, shown: String? = nil
    ) async throws -> LineResult {
        let answers = answers + requestAnswers + profile.questions
        let bytes = Array(line.utf8)
        // What messages show of the line: a sensitive one (`username x secret …`) with its secret masked
        // (the caller may have masked it already).
        let shown = shown ?? profile.redacted(line)
        logger.debug("sending", metadata: ["line": "\(shown)"])
        try await send(bytes, deadline: deadline, what: "`\(shown)`")
        let awaited = expect.map { "a line matching expect_string `\($0.source)` after `\(shown)`" }
        let wait = Wait(what: awaited ?? "the prompt after `\(shown)`", deadline: deadline, budget: budget)
        let echo: Echo = bytes.isEmpty ? .anyLine : verify ? .command(bytes) : .unverified(bytes)
        while true {
            let stop = try await waitFor(
                wait, echo: echo, questions: answers.map(\.pattern), rename: rename, detect: true, expect: expect)
            var result: LineResult
            switch stop {
            case .expected(let start):
                result = takeOutput(
                    Found(prompt: currentPrompt, name: base ?? [], terminator: currentTerminator, outputStart: start))
            case .unanswered(let question):
                result = try await abortQuestion(question, echo: echo, after: shown, budget: budget)
                result.question = question
            case .prompt(let found):
                result = takeOutput(found)
            case .question(let index):
                terminal.answeredCurrentLine = true
                let answer = answers[index]
                try await send(
                    Array(answer.answer.utf8), lineEnding: answer.endsLine, deadline: deadline,
                    what: "the answer to a question after `\(shown)`")
                continue
            }
            // The device may quote the secret of a sensitive line back (in an error, say): mask it there.
            if let secret = profile.secretPart(of: line) {
                let mask = Array(Secret.mask.utf8)
                let needle = Array(secret.utf8)
                result.output = String(
                    decoding: Self.replacing(needle, in: Array(result.output.utf8), with: mask), as: UTF8.self)
                result.error = result.error.map {
                    String(decoding: Self.replacing(needle, in: Array($0.utf8), with: mask), as: UTF8.self)
                }
            }
            return result
        }
    }

    // MARK: - Reading

    private struct Wait {
        var what: String
        var deadline: ContinuousClock.Instant
        var budget: Duration
    }

    /// What must come before the prompt that ends a wait.
    private enum Echo {
        /// Nothing: any prompt ends the wait.
        case none
        /// At least one line break (after sending an empty line).
        case anyLine
        /// The echo of this command; prompts before it (left over from earlier line endings) are skipped.
        case command([UInt8])
        /// The echo of this command is removed when it comes first, but not waited for (`cmd_verify: false`).
        case unverified([UInt8])
    }

    private struct Found {
        var prompt: String
        var name: [UInt8]
        var terminator: UInt8
        var outputStart: Int
    }

    private enum Stop {
        case prompt(Found)
        case question(Int)
        /// A question that none of `questions` answers, with its text.
        case unanswered(String)
        /// A line matched the expected pattern; the output starts here.
        case expected(Int)
    }

    private func waitForPrompt(_ wait: Wait, echo: Echo) async throws -> Found {
        while true {
            switch try await waitFor(wait, echo: echo, questions: [], rename: true) {
            case .prompt(let found): return found
            case .question, .unanswered, .expected: continue  // not asked for: never returned
            }
        }
    }

    /// Types the profile's abort at an unanswered question and waits for the prompt to come back.
    ///
    /// - Throws: ``NetPulseError/Kind/unexpectedPrompt`` when the prompt does not come back within the read
    ///   timeout (the session is then out of step), and the errors of any wait.
    private func abortQuestion(
        _ question: String, echo: Echo, after shown: String, budget: Duration
    ) async throws -> LineResult {
        logger.debug("aborting an unanswered question", metadata: ["line": "\(shown)", "question": "\(question)"])
        let deadline = ContinuousClock.now + budget
        let wait = Wait(what: "the prompt after aborting a question", deadline: deadline, budget: budget)
        do {
            try await send(Array(profile.abort.utf8), lineEnding: false, deadline: deadline, what: "the abort key")
            let found = try await waitForPrompt(wait, echo: echo)
            return takeOutput(found)
        } catch let error as NetPulseError where error.kind == .timeout {
            throw NetPulseError.unexpectedPrompt(
                "`\(shown)` asked \"\(Self.escaped(question))\" and no answer was given; the prompt did not come "
                    + "back after the abort key (\(error.message))")
        }
    }

    /// Reads chunks until the current line is a prompt (after the echo), or shows one of `questions`.
    /// Pagers are answered and removed on the way. With `detect`, a line shaped like a question that none
    /// of `questions` answers ends the wait; with `expect`, a line matching it ends the wait, and a prompt
    /// does not.
    private func waitFor(
        _ wait: Wait, echo: Echo, questions: [TextPattern], rename: Bool, detect: Bool = false,
        expect: LinePattern? = nil
    ) async throws -> Stop {
        var scanned = 0
        while true {
            try Task.checkCancellation()
            let chunk: [UInt8]?
            do {
                chunk = try await channel.read(deadline: wait.deadline)
            } catch let error as NetPulseError where error.kind == .connectionLost {
                throw NetPulseError.connectionLost(
                    "\(error.message) (while waiting for \(wait.what); last bytes received: \(recentText()))")
            }
            guard let chunk else {
                let waited = Self.describe(wait.budget)
                throw NetPulseError.timeout(
                    "timed out after \(waited) waiting for \(wait.what); last bytes received: \(recentText())")
            }
            remember(chunk)
            terminal.feed(chunk)
            if terminal.overflowed {
                throw NetPulseError.unexpectedOutput(
                    "more than \(terminal.limit) bytes of output while waiting for \(wait.what) (max_output_bytes)")
            }
            if let expect, let start = outputStart(after: echo) {
                if let stop = expected(expect, from: max(start, scanned), start: start) { return stop }
                scanned = terminal.output.count
            }
            let stop = try await inspectLine(
                wait, echo: echo, questions: questions, rename: rename, detect: detect, promptEnds: expect == nil)
            if let stop { return stop }
        }
    }

    /// Looks for `pattern` in the completed lines from `offset` and in the current line; on a match, the
    /// current line joins the output.
    private func expected(_ pattern: LinePattern, from offset: Int, start: Int) -> Stop? {
        var found = false
        terminal.output.withUnsafeBufferPointer { output in
            var lineStart = offset
            while lineStart < output.count, !found {
                var end = lineStart
                while output[end] != UInt8(ascii: "\n") { end += 1 }
                found = pattern.matches(String(decoding: output[lineStart..<end], as: UTF8.self))
                lineStart = end + 1
            }
        }
        if !found { found = pattern.matches(String(decoding: terminal.line, as: UTF8.self)) }
        guard found else { return nil }
        terminal.completeLine()
        return .expected(start)
    }

    /// Looks at the current line only: a pager, a question, or a prompt.
    private func inspectLine(
        _ wait: Wait, echo: Echo, questions: [TextPattern], rename: Bool, detect: Bool = false,
        promptEnds: Bool = true
    ) async throws -> Stop? {
        let line = terminal.line
        // A `\r` after the line means more came after it: it is neither a prompt nor a question.
        if line.isEmpty || line.count > 512 || terminal.endsWithCarriageReturn { return nil }
        for pager in profile.pagers where pager.pattern.matches(line[...]) {
            terminal.clearLine()
            logger.trace("answering pager")
            try await send(
                Array(pager.answer.utf8), lineEnding: pager.endsLine, deadline: wait.deadline, what: "a pager answer")
            return nil
        }
        if !terminal.answeredCurrentLine {
            for (index, question) in questions.enumerated() where question.matches(line[...]) {
                return .question(index)
            }
        }
        let match = matchPrompt(line, rename: rename)
        if detect, match == nil, !terminal.answeredCurrentLine,
            profile.questionShapes.contains(where: { $0.endsLine(line[...], slack: Self.questionSlack) })
        {
            return .unanswered(Self.trimmed(String(decoding: line, as: UTF8.self)))
        }
        guard promptEnds, let match else { return nil }
        guard let start = outputStart(after: echo) else { return nil }
        return .prompt(
            Found(
                prompt: String(decoding: line[0..<match.end], as: UTF8.self),
                name: Array(line[match.name]),
                terminator: match.terminator,
                outputStart: start))
    }

    private func matchPrompt(_ line: [UInt8], rename: Bool) -> PromptPattern.RawMatch? {
        line.withUnsafeBufferPointer { buffer in
            if let base {
                if let match = profile.prompt.match(buffer, base: base[...]) { return match }
                return rename ? profile.prompt.match(buffer, base: nil) : nil
            }
            return profile.prompt.match(buffer, base: nil)
        }
    }

    /// Where the output of the command starts in the completed lines, or `nil` when the prompt on the
    /// current line came before the echo (a prompt left over from an earlier line ending).
    private func outputStart(after echo: Echo) -> Int? {
        switch echo {
        case .none:
            return 0
        case .anyLine:
            return terminal.completedLines > 0 ? terminal.output.count : nil
        case .unverified(let command):
            let first = terminal.output.firstIndex(of: UInt8(ascii: "\n")) ?? 0
            let line = terminal.output[..<first]
            let echoed =
                terminal.completedLines > 0 && line.count >= command.count
                && line.suffix(command.count).elementsEqual(command)
            return echoed ? first + 1 : 0
        case .command(let command):
            guard profile.echoesInput else { return 0 }
            return terminal.output.withUnsafeBufferPointer { output -> Int? in
                var start = 0
                while start < output.count {
                    var end = start
                    while output[end] != UInt8(ascii: "\n") { end += 1 }
                    var last = end
                    while last > start, output[last - 1] == UInt8(ascii: " ") { last -= 1 }
                    let line = UnsafeBufferPointer(rebasing: output[start..<last])
                    if line.isEmpty || isPromptLine(line)
                        || profile.promptPreamble.contains(where: { $0.matches(line) })
                    {
                        start = end + 1
                        continue
                    }
                    if line.count >= command.count, line.suffix(command.count).elementsEqual(command) {
                        return end + 1
                    }
                    return 0  // no echo where it should be: keep everything as output
                }
                return nil
            }
        }
    }

    private func isPromptLine(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if let base, profile.prompt.match(line, base: base[...]) != nil { return true }
        return profile.prompt.match(line, base: nil) != nil
    }

    /// Takes the output of a finished wait and resets for the next one.
    private func takeOutput(_ found: Found) -> LineResult {
        currentPrompt = found.prompt
        currentTerminator = found.terminator
        if let base, base != found.name {
            logger.debug(
                "base prompt changed",
                metadata: ["from": "\(String(decoding: base, as: UTF8.self))", "to": "\(found.prompt)"])
            self.base = found.name
        }
        let result = terminal.output.withUnsafeBufferPointer { output -> LineResult in
            var lines: [Range<Int>] = []
            var start = min(found.outputStart, output.count)
            while start < output.count {
                var end = start
                while output[end] != UInt8(ascii: "\n") { end += 1 }
                lines.append(start..<end)
                start = end + 1
            }
            // Blank lines and the prompt's preamble (Junos `[edit]`) at the end; blank lines at the start.
            while let last = lines.last {
                let line = UnsafeBufferPointer(rebasing: output[last])
                if Self.isBlank(line) || profile.promptPreamble.contains(where: { $0.matches(line) }) {
                    lines.removeLast()
                } else {
                    break
                }
            }
            var first = 0
            while first < lines.count, Self.isBlank(UnsafeBufferPointer(rebasing: output[lines[first]])) { first += 1 }
            guard first < lines.count else { return LineResult(output: "", error: nil) }
            var error: String?
            if !profile.errorPatterns.isEmpty || !extraErrors.isEmpty {
                for range in lines[first...] {
                    let line = UnsafeBufferPointer(rebasing: output[range])
                    if profile.errorPatterns.contains(where: { $0.matches(line) })
                        || (!extraErrors.isEmpty
                            && extraErrors.contains { $0.matches(String(decoding: line, as: UTF8.self)) })
                    {
                        error = Self.trimmed(String(decoding: line, as: UTF8.self))
                        break
                    }
                }
            }
            let text = String(
                decoding: output[lines[first].lowerBound..<lines[lines.count - 1].upperBound], as: UTF8.self)
            return LineResult(output: text, error: error)
        }
        terminal.clearLine()
        terminal.resetOutput()
        return result
    }

    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    }

    private static func trimmed(_ text: String) -> String {
        var text = Substring(text)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }

    // MARK: - Writing

    private func send(
        _ bytes: [UInt8], lineEnding: Bool = true, deadline: ContinuousClock.Instant, what: String
    ) async throws {
        try Task.checkCancellation()
        do {
            try await channel.write(lineEnding ? bytes + self.lineEnding : bytes, deadline: deadline)
        } catch let error as NetPulseError where error.kind == .connectionLost || error.kind == .timeout {
            throw NetPulseError(error.kind, "\(error.message) (while sending \(what))")
        }
    }

    // MARK: - Messages

    private func remember(_ chunk: [UInt8]) {
        recent.append(contentsOf: chunk)
        let keep = Self.recentWindow + secretBytes.count + Self.recentSlack
        guard recent.count > 4 * keep else { return }
        // Cut at a line start when one is near, so that a sensitive line keeps the words that mark it.
        var cut = recent.count - keep
        if let newline = recent[(cut - Self.recentSlack)..<cut].lastIndex(of: UInt8(ascii: "\n")) {
            cut = newline + 1
        }
        recentStartsMidLine = recent[cut - 1] != UInt8(ascii: "\n")
        recent.removeFirst(cut)
    }

    /// Bytes kept beyond the window, so that the lines shown can be checked from their start.
    static let recentSlack = 512

    /// The last bytes received, quoted and escaped, with the enable secret and sensitive lines masked.
    ///
    /// Masking is done on everything kept, before the window is cut: a secret that straddles the window's
    /// edge is masked whole, and a part of it at either end of what is kept (its tail where older bytes
    /// were dropped, its head where the data stops) is masked too. A first line whose start was dropped
    /// is not shown, since what marked it as sensitive may be gone.
    private func recentText() -> String {
        var bytes = recent[...]
        var cutInLine = false
        if recentStartsMidLine {
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                bytes = bytes[(newline + 1)...]
            } else {
                cutInLine = true
            }
        }
        var window = Array(bytes)
        let mask = Array(Secret.mask.utf8)
        if !secretBytes.isEmpty {
            window = Self.replacing(secretBytes, in: window, with: mask)
            // A part of the secret cut off: its tail where older bytes were dropped, its head where the data
            // stops (only once the engine has typed it, so that a device could have echoed it).
            if cutInLine, let tail = Self.overlap(of: secretBytes, atStartOf: window) {
                window.replaceSubrange(0..<tail, with: mask)
            }
            if typedSecret, let head = Self.overlap(of: secretBytes, atEndOf: window) {
                window.replaceSubrange((window.count - head)..., with: mask)
            }
        }
        window = profile.redacted(window)
        let shown = window.suffix(Self.recentWindow)
        if shown.isEmpty { return "nothing" }
        return "\"" + Self.escaped(String(decoding: shown, as: UTF8.self)) + "\""
    }

    /// The length of the longest proper suffix of `secret` that `bytes` starts with.
    static func overlap(of secret: [UInt8], atStartOf bytes: [UInt8]) -> Int? {
        for length in stride(from: min(secret.count - 1, bytes.count), through: 1, by: -1)
        where bytes.prefix(length).elementsEqual(secret.suffix(length)) {
            return length
        }
        return nil
    }

    /// The length of the longest proper prefix of `secret` that `bytes` ends with.
    static func overlap(of secret: [UInt8], atEndOf bytes: [UInt8]) -> Int? {
        for length in stride(from: min(secret.count - 1, bytes.count), through: 1, by: -1)
        where bytes.suffix(length).elementsEqual(secret.prefix(length)) {
            return length
        }
        return nil
    }

    private func mask(_ text: String) -> String {
        guard !secretBytes.isEmpty else { return text }
        return String(
            decoding: Self.replacing(secretBytes, in: Array(text.utf8), with: Array(Secret.mask.utf8)), as: UTF8.self)
    }

    static func replacing(_ needle: [UInt8], in haystack: [UInt8], with replacement: [UInt8]) -> [UInt8] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return haystack }
        var result: [UInt8] = []
        result.reserveCapacity(haystack.count)
        var index = 0
        while index < haystack.count {
            if index + needle.count <= haystack.count, haystack[index..<(index + needle.count)].elementsEqual(needle) {
                result.append(contentsOf: replacement)
                index += needle.count
            } else {
                result.append(haystack[index])
                index += 1
            }
        }
        return result
    }

    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": result += "\\r"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u{" + hex + "}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(milliseconds) ms"
    }
}

/// The owner of a CLI engine's executor when no other actor lends it one.
private actor EngineExecutorOwner {}
