import Foundation
import NetPulse
import NetPulseTesting
import Synchronization
import Testing

/// The request's `parsing`: its JSON, its checks, and the scheduler's use of an ``OutputParser`` (a parser
/// of the test's own here; the TextFSM one is tested in NetPulseParsingTests).
@Suite("Parsing: the request field and the scheduler's parser")
struct ParsingRequestTests {
    static func request(parsing: String) -> String {
        #"{"driver": "memory", "devices": ["r1"], "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p"}, "#
            + #""command": "show version", "parsing": \#(parsing)}"#
    }

    static func decode(_ json: String) throws(RequestError) -> BatchRequest {
        try BatchRequest(json: Data(json.utf8))
    }

    /// The error decoding `json` gives (a recorded issue when it decodes).
    static func decodeError(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> RequestError? {
        #expect(throws: RequestError.self, sourceLocation: sourceLocation) { try decode(json) }
    }

    @Test("the forms NetPulse accepts: inline text, file:// path, use_ntc_template with and without arguments")
    func validForms() throws {
        let inline = try Self.decode(
            Self.request(parsing: #"{"name": "textfsm", "template": "Value A (\\S+)\n\nStart\n  ^${A} -> Record\n"}"#))
        #expect(inline.parsing == ParsingSpec(template: .inline("Value A (\\S+)\n\nStart\n  ^${A} -> Record\n")))

        let file = try Self.decode(Self.request(parsing: #"{"name": "textfsm", "template": "file:///srv/t.textfsm"}"#))
        #expect(file.parsing?.template == .file("/srv/t.textfsm"))
        let localhost = try Self.decode(
            Self.request(parsing: #"{"name": "textfsm", "template": "file://localhost/srv/t.textfsm"}"#))
        #expect(localhost.parsing?.template == .file("/srv/t.textfsm"))

        let index = try Self.decode(Self.request(parsing: #"{"name": "textfsm", "use_ntc_template": true}"#))
        #expect(index.parsing?.template == .index(platform: nil, command: nil))
        let withArgs = try Self.decode(
            Self.request(
                parsing: #"""
                    {"name": "textfsm", "use_ntc_template": true,
                     "ntc_template_args": {"platform": "cisco_ios", "command": "sh ver"}}
                    """#))
        #expect(withArgs.parsing?.template == .index(platform: "cisco_ios", command: "sh ver"))
        let onlyPlatform = try Self.decode(
            Self.request(
                parsing: #"{"name": "textfsm", "use_ntc_template": true, "ntc_template_args": {"platform": "x"}}"#))
        #expect(onlyPlatform.parsing?.template == .index(platform: "x", command: nil))
        // `use_ntc_template: false` next to a template is the template; null counts as absent.
        let explicitFalse = try Self.decode(
            Self.request(parsing: #"{"name": "textfsm", "template": "Value A (x)", "use_ntc_template": false}"#))
        #expect(explicitFalse.parsing?.template == .inline("Value A (x)"))
        #expect(try Self.decode(Self.request(parsing: "null")).parsing == nil)
        #expect(try Self.decode(#"{"driver": "memory", "devices": ["r1"], "command": "c"}"#).parsing == nil)
        #expect(try withArgs.validated().count == 1)
    }

    @Test(
        "each bad form names its field",
        arguments: [
            (#""textfsm""#, "parsing", "must be an object"),
            (#"{"template": "Value A (x)"}"#, "parsing.name", "is required"),
            (#"{"name": "ttp", "template": "Value A (x)"}"#, "parsing.name", "unknown parser 'ttp'"),
            (#"{"name": 3, "template": "Value A (x)"}"#, "parsing.name", "must be a string"),
            (#"{"name": "textfsm"}"#, "parsing.template", "is required"),
            (#"{"name": "textfsm", "template": ""}"#, "parsing.template", "is empty"),
            (#"{"name": "textfsm", "template": "  \n "}"#, "parsing.template", "is empty"),
            (#"{"name": "textfsm", "template": ["Value A (x)"]}"#, "parsing.template", "must be a string"),
            (#"{"name": "textfsm", "template": "file://relative/t.textfsm"}"#, "parsing.template", "absolute path"),
            (#"{"name": "textfsm", "template": "https://example.invalid/t"}"#, "parsing.template", "not fetched"),
            (#"{"name": "textfsm", "template": "ftp://example.invalid/t"}"#, "parsing.template", "not fetched"),
            (
                #"{"name": "textfsm", "template": "Value A (x)", "use_ntc_template": true}"#, "parsing.template",
                "not both"
            ),
            (#"{"name": "textfsm", "use_ntc_template": "yes"}"#, "parsing.use_ntc_template", "true or false"),
            (#"{"name": "textfsm", "use_ntc_template": false}"#, "parsing.template", "is required"),
            (
                #"{"name": "textfsm", "template": "Value A (x)", "ntc_template_args": {"platform": "x"}}"#,
                "parsing.ntc_template_args", "only with use_ntc_template"
            ),
            (
                #"{"name": "textfsm", "use_ntc_template": true, "ntc_template_args": ["x"]}"#,
                "parsing.ntc_template_args", "must be an object"
            ),
            (
                #"{"name": "textfsm", "use_ntc_template": true, "ntc_template_args": {"platform": 1}}"#,
                "parsing.ntc_template_args.platform", "must be a string"
            ),
            (
                #"{"name": "textfsm", "use_ntc_template": true, "ntc_template_args": {"command": ""}}"#,
                "parsing.ntc_template_args.command", "is empty"
            ),
            (
                #"{"name": "textfsm", "use_ntc_template": true, "ntc_template_args": {"os": "ios"}}"#,
                "parsing.ntc_template_args.os", "unknown field"
            ),
            (#"{"name": "textfsm", "template": "Value A (x)", "context": {}}"#, "parsing.context", "unknown field"),
        ])
    func badForms(parsing: String, field: String, reason: String) {
        let error = Self.decodeError(Self.request(parsing: parsing))
        #expect(error?.field == field, "\(String(describing: error))")
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("parsing in options or on a device is refused with its path; a too large template names its size")
    func misplacedAndTooLarge() {
        let inOptions = Self.decodeError(
            #"{"driver": "m", "devices": ["r1"], "command": "c", "options": {"parsing": {}}}"#)
        #expect(inOptions?.field == "options.parsing")
        #expect(inOptions?.reason.contains("top level") == true)
        let onDevice = Self.decodeError(
            #"{"driver": "m", "devices": [{"host": "r1", "parsing": {}}], "command": "c"}"#)
        #expect(onDevice?.field == "devices[0].parsing")
        let size = ParsingSpec.maxTemplateBytes + 1
        let large = Self.decodeError(
            Self.request(parsing: #"{"name": "textfsm", "template": "\#(String(repeating: "x", count: size))"}"#))
        #expect(large?.field == "parsing.template")
        #expect(large?.reason.contains("\(size) bytes") == true, "\(String(describing: large))")
        // At the limit it is accepted.
        let atLimit = String(repeating: "x", count: ParsingSpec.maxTemplateBytes)
        #expect(
            (try? Self.decode(Self.request(parsing: #"{"name": "textfsm", "template": "\#(atLimit)"}"#))) != nil)
    }

    @Test("parsing applies to commands: a config batch, or a device's own config, is refused")
    func configRefused() throws {
        let batch = try Self.decode(
            #"{"driver": "m", "devices": ["r1"], "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p"}, "#
                + #""config": "hostname x", "parsing": {"name": "textfsm", "use_ntc_template": true}}"#)
        #expect(throws: RequestError(field: "parsing", reason: "parses command output; this batch pushes config")) {
            try batch.validated()
        }
        let device = try Self.decode(
            #"{"driver": "m", "devices": ["r1", {"host": "r2", "config": "x"}], "command": "c", "#
                + #""connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p"}, "#
                + #""parsing": {"name": "textfsm", "use_ntc_template": true}}"#)
        let error = #expect(throws: RequestError.self) { try device.validated() }
        #expect(error?.field == "devices[1].config")
        // A Swift-built spec gets the same checks as a decoded one.
        var built = BatchRequest(
            driver: "m", devices: [.init(host: "r1")],
            connectionArgs: ConnectionArgs(deviceType: "cisco_ios", username: "u", password: "p"),
            operation: .commands(["c"]))
        #expect(try built.validated().count == 1)
        built.parsing = ParsingSpec(name: "ttp", template: .inline("Value A (x)"))
        #expect((#expect(throws: RequestError.self) { try built.validated() })?.field == "parsing.name")
        built.parsing = ParsingSpec(template: .file("relative.textfsm"))
        #expect((#expect(throws: RequestError.self) { try built.validated() })?.field == "parsing.template")
    }

    /// Records every call; answers `show version` with one record, fails `show fail`.
    struct RecordingParser: OutputParser {
        let calls = CallLog()
        var refuseIndex = false

        func validate(_ spec: ParsingSpec) throws(RequestError) {
            if refuseIndex, case .index = spec.template {
                throw RequestError(field: "parsing.use_ntc_template", reason: "no template folder")
            }
        }

        func parse(_ output: String, spec: ParsingSpec, platform: String, command: String) throws(NetPulseError)
            -> [JSONValue]
        {
            calls.append("\(platform)|\(command)")
            if command == "show fail" {
                throw .parsingError("template line 3: no match for secret admin-pw-s3cret in '\(output)'")
            }
            return [.object(["output": .string(output), "command": .string(command)])]
        }
    }

    final class CallLog: Sendable {
        private let entries = Mutex<[String]>([])
        func append(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    static func configuration(_ driver: InMemoryDriver, parser: (any OutputParser)?) -> SchedulerConfiguration {
        var registry = DriverRegistry()
        registry.register(driver, as: "memory")
        return SchedulerConfiguration(drivers: registry, parser: parser)
    }

    static func batch(_ commands: [String], hosts: [String] = ["r1", "r2"]) -> BatchRequest {
        BatchRequest(
            driver: "memory",
            devices: hosts.map { BatchRequest.Device(host: $0) },
            connectionArgs: ConnectionArgs(deviceType: "cisco_ios", username: "u", password: "admin-pw-s3cret"),
            operation: .commands(commands),
            parsing: ParsingSpec(template: .index(platform: nil, command: nil)))
    }

    @Test("each accepted command's output gets parsed; failed commands are not parsed")
    func parsedOutputs() async throws {
        let driver = InMemoryDriver(
            fallback: ScriptedDevice(responses: ["show version": "IOS 17"], rejectedLines: ["show bad": "% Invalid"]))
        let parser = RecordingParser()
        let result = try await withScheduler(configuration: Self.configuration(driver, parser: parser)) { scheduler in
            try await scheduler.run(Self.batch(["show version", "show bad", "show clock"]))
        }
        #expect(result.results.count == 2)
        for device in result.results {
            #expect(device.outputs.map(\.command) == ["show version", "show bad", "show clock"])
            #expect(
                device.outputs[0].parsed == [
                    .object(["output": .string("IOS 17"), "command": .string("show version")])
                ])
            #expect(device.outputs[1].parsed == nil, "a rejected command is not parsed")
            #expect(device.outputs[2].parsed?.count == 1)
            #expect(device.error?.kind == .commandError, "the command's error stays the device's error")
        }
        #expect(parser.calls.all.sorted() == ["cisco_ios|show clock", "cisco_ios|show version"].flatMap { [$0, $0] })
        // The JSON result carries `parsed` under each output.
        let json = String(decoding: try result.jsonData(prettyPrinted: false), as: UTF8.self)
        #expect(json.contains(#""parsed":[{"command":"show version","output":"IOS 17"}]"#), "\(json)")
    }

    @Test("a parse failure is the device's typed parsing_error, with the raw output kept and no secret")
    func parseFailure() async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(responses: ["show version": "IOS 17"]))
        let result = try await withScheduler(
            configuration: Self.configuration(driver, parser: RecordingParser())
        ) { scheduler in
            try await scheduler.run(Self.batch(["show version", "show fail"], hosts: ["r1"]))
        }
        let device = try #require(result.results.first)
        #expect(!device.success)
        #expect(device.error?.kind == .parsingError)
        #expect(device.error?.message.contains("'show fail'") == true, "\(String(describing: device.error))")
        #expect(device.outputs[0].parsed?.count == 1, "what could be parsed is kept")
        #expect(device.outputs[1].output == "output of show fail", "the raw output stays")
        #expect(device.outputs[1].parsed == nil)
        // The parser's message quoted a secret-bearing phrase: the platform's sensitive lines mask it.
        let json = String(decoding: try result.jsonData(prettyPrinted: false), as: UTF8.self)
        #expect(!json.contains("admin-pw-s3cret"), "\(json)")
        #expect(!(device.error?.description.contains("admin-pw-s3cret") ?? true))
    }

    @Test("without a parser, or with a spec the parser refuses, the batch is refused naming the field")
    func noParser() async throws {
        let driver = InMemoryDriver()
        try await withScheduler(configuration: Self.configuration(driver, parser: nil)) { scheduler in
            let error = #expect(throws: RequestError.self) { try scheduler.submit(Self.batch(["show version"])) }
            #expect(error?.field == "parsing")
            #expect(error?.reason.contains("no output parser") == true)
            // Without parsing, nothing changes.
            var plain = Self.batch(["show version"])
            plain.parsing = nil
            let result = try await scheduler.run(plain)
            #expect(result.success)
            #expect(result.results.allSatisfy { $0.outputs.allSatisfy { $0.parsed == nil } })
            #expect(!String(decoding: try result.jsonData(prettyPrinted: false), as: UTF8.self).contains("parsed"))
        }
        var refusing = RecordingParser()
        refusing.refuseIndex = true
        try await withScheduler(configuration: Self.configuration(driver, parser: refusing)) { scheduler in
            let error = #expect(throws: RequestError.self) { try scheduler.submit(Self.batch(["show version"])) }
            #expect(error == RequestError(field: "parsing.use_ntc_template", reason: "no template folder"))
        }
        #expect(driver.stats.totalConnects == 2, "refused batches never connected")
    }
}
