/// Turns command output into records, for batches whose request has `parsing` (``ParsingSpec``).
///
/// Set one in ``SchedulerConfiguration/parser``. The scheduler calls it on the job's own task, after the
/// device answered and outside the scheduler's lock; many jobs call it at once. The core links no
/// parser: `NetPulseParsing`'s `TextFSMOutputParser` runs TextFSM templates (ntc-templates) on PCRE2.
///
/// ```swift
/// struct UppercaseParser: OutputParser {
///     func parse(_ output: String, spec: ParsingSpec, platform: String, command: String)
///         throws(NetPulseError) -> [JSONValue]
///     {
///         [.object(["text": .string(output.uppercased())])]
///     }
/// }
/// ```
public protocol OutputParser: Sendable {
    /// Checks a batch's spec when the batch is submitted, for what the parser alone knows (for example
    /// that it has a template folder). The default accepts every spec.
    ///
    /// - Throws: ``RequestError`` naming the field (`parsing.use_ntc_template`): the batch is refused.
    func validate(_ spec: ParsingSpec) throws(RequestError)

    /// The records of one command's output.
    ///
    /// - Parameters:
    ///   - output: What the command printed.
    ///   - spec: The batch's `parsing`.
    ///   - platform: The device's `device_type` (`cisco_ios`).
    ///   - command: The command as it was run.
    /// - Returns: One JSON object per record.
    /// - Throws: ``NetPulseError``, usually of kind ``NetPulseError/Kind/parsingError``: the device's result
    ///   fails with it and keeps its raw output.
    func parse(_ output: String, spec: ParsingSpec, platform: String, command: String) throws(NetPulseError)
        -> [JSONValue]
}

extension OutputParser {
    public func validate(_ spec: ParsingSpec) throws(RequestError) {}
}

extension ExecutionOutcome {
    /// Gives each accepted command's output its ``CommandOutput/parsed`` records. Failed and skipped
    /// commands are not parsed. A command that cannot be parsed keeps its raw output, and the first such
    /// failure becomes the outcome's error unless it already has one.
    ///
    /// - Parameters:
    ///   - parser: The parser.
    ///   - spec: The batch's `parsing`.
    ///   - platform: The device's `device_type`.
    ///   - redact: Masks secrets in an error message (the platform's sensitive lines).
    mutating func parse(
        with parser: any OutputParser, spec: ParsingSpec, platform: String, redact: (String) -> String
    ) {
        var first: (command: String, error: NetPulseError)?
        var failures = 0
        for index in outputs.indices where outputs[index].status == .ok {
            do {
                outputs[index].parsed = try parser.parse(
                    outputs[index].output, spec: spec, platform: platform, command: outputs[index].command)
            } catch {
                failures += 1
                if first == nil { first = (command: outputs[index].command, error: error) }
            }
        }
        guard let first, error == nil else { return }
        let more = failures > 1 ? " (and \(failures - 1) more command(s))" : ""
        error = NetPulseError(
            first.error.kind, redact("parsing the output of '\(first.command)': \(first.error.message)") + more)
    }
}
