import Foundation
import Logging
import NetPulse
import NetPulseLab
import NetPulseSSH
import NetPulseSSH2
import NetPulseSSHCore
import NetPulseTesting
import NetPulseTextFSM
import SSHTestSupport
import Testing

@testable import NetPulseParsing

/// `parsing` end to end with the TextFSM parser: batches on the in-memory driver and on lab devices through
/// both SSH backends, each command's `parsed` compared with what Python's textfsm and ntc-templates give.
@Suite("Parsing: TextFSM end to end", .timeLimit(.minutes(5)))
struct ParsingEndToEndTests {
    static let logger = Logger(label: "test.parsing")
    static let password = "pw-4-parsing-only"

    /// `show version` of an emulated ISR 4331, in the lab's shape.
    static let showVersion = """
        Cisco IOS XE Software, Version 17.3.4a
        Cisco IOS Software [Amsterdam], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.3.4a, RELEASE \
        SOFTWARE (fc3)
        Technical Support: http://www.cisco.com/techsupport
        Copyright (c) 1986-2026 by Cisco Systems, Inc.

        ROM: IOS-XE ROMMON

        r1 uptime is 3 weeks, 2 days, 4 hours, 5 minutes
        Uptime for this control processor is 3 weeks, 2 days, 4 hours, 5 minutes
        System returned to ROM by reload
        System image file is "bootflash:isr4300-universalk9.17.3.4a.SPA.bin"
        Last reload reason: Reload Command

        cisco ISR4331/K9 (1RU) processor with 1795999K/6147K bytes of memory.
        Processor board ID FDO1234
        3 Gigabit Ethernet interfaces
        32768K bytes of non-volatile configuration memory.
        4194304K bytes of physical memory.

        Configuration register is 0x2102

        """

    /// Python's answer for ``showVersion``: `ntc_templates.parse.parse_output(platform="cisco_ios",
    /// command="sh ver", data=...)` with textfsm 2.1.0 and ntc-templates 9.3.0 (the versions of
    /// scripts/textfsm/requirements.txt).
    static let pythonNTCRecords = #"""
        [{"config_register": "0x2102", "hardware": ["ISR4331/K9"], "hostname": "r1", "mac_address": [],
          "release": "fc3", "reload_reason": "Reload Command", "restarted": "", "rommon": "IOS-XE",
          "running_image": "isr4300-universalk9.17.3.4a.SPA.bin", "serial": ["FDO1234"],
          "software_image": "X86_64_LINUX_IOSD-UNIVERSALK9-M", "uptime": "3 weeks, 2 days, 4 hours, 5 minutes",
          "uptime_days": "2", "uptime_hours": "4", "uptime_minutes": "5", "uptime_weeks": "3", "uptime_years": "",
          "version": "17.3.4a"}]
        """#

    /// An inline template of our own, with a `List` and a `Required` Value.
    static let inlineTemplate = #"""
        Value VERSION (\S+)
        Value List INTERFACES (\d+ \S+ \S+)
        Value Required HOSTNAME (\S+)

        Start
          ^Cisco IOS XE Software, Version ${VERSION}
          ^${HOSTNAME} uptime is
          ^${INTERFACES} interfaces -> Record
        """#

    /// Python's answer for ``inlineTemplate`` on ``showVersion``: `textfsm.TextFSM(template)
    /// .ParseTextToDicts(data)` with the keys lower-cased.
    static let pythonInlineRecords =
        #"[{"hostname": "r1", "interfaces": ["3 Gigabit Ethernet"], "version": "17.3.4a"}]"#

    static func json(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// `parsing` as the request's JSON gives it.
    static func parsing(_ json: String) throws -> ParsingSpec? {
        let request = #"{"driver": "memory", "devices": ["h"], "command": "c", "parsing": \#(json)}"#
        return try BatchRequest(json: Data(request.utf8)).parsing
    }

    /// `parsing` with an inline template, JSON-escaped as a client would send it.
    static func inlineParsing(_ template: String) throws -> ParsingSpec? {
        let data = try JSONEncoder().encode(["name": "textfsm", "template": template])
        return try parsing(String(decoding: data, as: UTF8.self))
    }

    static func inMemoryConfiguration(_ driver: InMemoryDriver, parser: TextFSMOutputParser) -> SchedulerConfiguration {
        var drivers = DriverRegistry()
        drivers.register(driver, as: "memory")
        return SchedulerConfiguration(drivers: drivers, logger: logger, parser: parser)
    }

    static func inMemoryBatch(hosts: [String], commands: [String], parsing: ParsingSpec?) -> BatchRequest {
        BatchRequest(
            driver: "memory", devices: hosts.map { BatchRequest.Device(host: $0) },
            connectionArgs: ConnectionArgs(deviceType: "cisco_ios", username: "u", password: Secret(password)),
            operation: .commands(commands), parsing: parsing)
    }

    /// Every device once, in request order.
    static func expectEveryDeviceOnce(
        _ result: BatchResult, _ count: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(result.results.map(\.index) == Array(0..<count), sourceLocation: sourceLocation)
    }

    @Test("an inline template: every device's parsed records equal Python textfsm's; compiled once")
    func inlineInMemory() async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(responses: ["show version": Self.showVersion]))
        let parser = TextFSMOutputParser(templateDirectory: nil, cache: TemplateCache())
        let hosts = (0..<50).map { "r\($0)" }
        let result = try await withScheduler(configuration: Self.inMemoryConfiguration(driver, parser: parser)) {
            try await $0.run(
                Self.inMemoryBatch(
                    hosts: hosts, commands: ["show version"], parsing: try Self.inlineParsing(Self.inlineTemplate)))
        }
        Self.expectEveryDeviceOnce(result, hosts.count)
        let expected = try Self.json(Self.pythonInlineRecords)
        for device in result.results {
            #expect(device.success, "\(String(describing: device.error))")
            #expect(device.outputs.first.flatMap(\.parsed).map(JSONValue.array) == expected)
            #expect(device.outputs.first?.output == Self.showVersion, "the raw output stays")
        }
        #expect(parser.inline.count == 1, "one template, compiled once for 50 devices")
    }

    @Test(
        "use_ntc_template: the index finds the template by device_type and command, or by ntc_template_args",
        arguments: [
            #"{"name": "textfsm", "use_ntc_template": true}"#,
            #"{"name": "textfsm", "use_ntc_template": true, "ntc_template_args": {"command": "sh ver"}}"#,
            #"{"name": "textfsm", "use_ntc_template": true, "ntc_template_args": {"platform": "cisco_ios"}}"#,
        ])
    func ntcTemplateInMemory(parsing: String) async throws {
        let driver = InMemoryDriver(fallback: ScriptedDevice(responses: ["show version": Self.showVersion]))
        let parser = TextFSMOutputParser(templateDirectory: try NTCTemplatesFixture.folder())
        let result = try await withScheduler(configuration: Self.inMemoryConfiguration(driver, parser: parser)) {
            try await $0.run(
                Self.inMemoryBatch(hosts: ["r1", "r2"], commands: ["show version"], parsing: try Self.parsing(parsing)))
        }
        Self.expectEveryDeviceOnce(result, 2)
        let expected = try Self.json(Self.pythonNTCRecords)
        for device in result.results {
            #expect(device.success, "\(String(describing: device.error))")
            #expect(device.outputs.first.flatMap(\.parsed).map(JSONValue.array) == expected)
        }
    }

    @Test(
        "a template that does not compile, an Error rule, no template: parsing_error, raw output kept, no secret",
        arguments: [
            ("Value A (\\S+\n\nStart\n  ^${A} -> Record\n", "show version", "line 1"),
            ("Value A (\\S+)\n\nStart\n  ^${A} -> Recrd\n", "show version", "line 4"),
            ("Value A (\\S+)\n\nStart\n  ^Cisco -> Error \"not this one\"\n", "show version", "not this one"),
            (
                "Value A (\\S+)\n\nStart\n  ^username -> Error\n", "show running-config | include username",
                "Input Line: username admin secret ********"
            ),
            (nil, "show nonsense", "no template"),
            // The fixture's index names every ntc template; its folder holds 67 of them, not this one.
            (nil, "show clock", "cannot read"),
        ] as [(String?, String, String)])
    func templateErrors(template: String?, command: String, message: String) async throws {
        let driver = InMemoryDriver(
            fallback: ScriptedDevice(
                responses: [
                    "show version": Self.showVersion,
                    "show running-config | include username": "username admin secret \(Self.password)\n",
                ]))
        let parser = TextFSMOutputParser(templateDirectory: try NTCTemplatesFixture.folder())
        let spec =
            try template.map { try Self.inlineParsing($0) }
            ?? Self.parsing(#"{"name": "textfsm", "use_ntc_template": true}"#)
        let result = try await withScheduler(configuration: Self.inMemoryConfiguration(driver, parser: parser)) {
            try await $0.run(Self.inMemoryBatch(hosts: ["r1", "r2", "r3"], commands: [command], parsing: spec))
        }
        Self.expectEveryDeviceOnce(result, 3)
        for device in result.results {
            #expect(!device.success)
            #expect(device.error?.kind == .parsingError)
            #expect(device.error?.message.contains(message) == true, "\(String(describing: device.error))")
            // The secret in the device's output is masked in the error, as the CLI engine masks it elsewhere.
            #expect(device.error.map { !$0.description.contains(Self.password) } == true)
            #expect(device.outputs.count == 1)
            #expect(device.outputs.first?.status == .ok)
            #expect(device.outputs.first?.output.isEmpty == false, "the raw output stays")
            #expect(device.outputs.first?.parsed == nil)
        }
        let json = String(decoding: try result.jsonData(prettyPrinted: false), as: UTF8.self)
        #expect(json.contains(#""kind":"parsing_error""#))
    }

    @Test("a file:// template is read once per version of the file; a missing or too large file is a parsing_error")
    func fileTemplates() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parsing-files-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("version.textfsm").path
        try Self.inlineTemplate.write(toFile: file, atomically: true, encoding: .utf8)
        let large = folder.appendingPathComponent("large.textfsm").path
        try String(repeating: "# comment\n", count: ParsingSpec.maxTemplateBytes / 10 + 1)
            .write(toFile: large, atomically: true, encoding: .utf8)
        let driver = InMemoryDriver(fallback: ScriptedDevice(responses: ["show version": Self.showVersion]))
        let parser = TextFSMOutputParser(templateDirectory: nil, cache: TemplateCache())
        try await withScheduler(configuration: Self.inMemoryConfiguration(driver, parser: parser)) { scheduler in
            let good = try await scheduler.run(
                Self.inMemoryBatch(
                    hosts: ["r1", "r2"], commands: ["show version"],
                    parsing: try Self.parsing(#"{"name": "textfsm", "template": "file://\#(file)"}"#)))
            let expected = try Self.json(Self.pythonInlineRecords)
            for device in good.results {
                #expect(device.outputs.first.flatMap(\.parsed).map(JSONValue.array) == expected)
            }
            for (path, message) in [(folder.path + "/missing.textfsm", "cannot read"), (large, "at most")] {
                let bad = try await scheduler.run(
                    Self.inMemoryBatch(
                        hosts: ["r1"], commands: ["show version"],
                        parsing: try Self.parsing(#"{"name": "textfsm", "template": "file://\#(path)"}"#)))
                #expect(bad.results.first?.error?.kind == .parsingError)
                #expect(bad.results.first?.error?.message.contains(message) == true, "\(bad.results)")
            }
        }
    }

    @Test("without a template folder, use_ntc_template is refused at submission (field parsing.use_ntc_template)")
    func noFolder() async throws {
        let driver = InMemoryDriver()
        let parser = TextFSMOutputParser(templateDirectory: nil)
        try await withScheduler(configuration: Self.inMemoryConfiguration(driver, parser: parser)) { scheduler in
            let request = Self.inMemoryBatch(
                hosts: ["r1"], commands: ["show version"],
                parsing: try Self.parsing(#"{"name": "textfsm", "use_ntc_template": true}"#))
            let error = #expect(throws: RequestError.self) { try scheduler.submit(request) }
            #expect(error?.field == "parsing.use_ntc_template")
        }
        #expect(driver.stats.totalConnects == 0)
    }

    @Test(
        "lab cisco_ios devices, show version, through each SSH backend: parsed on every device",
        arguments: ["libssh", "libssh2"])
    func labDevices(driverName: String) async throws {
        let configuration = LabConfiguration(
            devices: 6, platforms: [.ciscoIOS], password: Secret(Self.password), enableSecret: "en-4-parsing")
        try await withLab(configuration) { lab in
            var drivers = DriverRegistry()
            let ssh = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            drivers.registerLibSSH(configuration: ssh)
            drivers.registerLibSSH2(configuration: ssh)
            let parser = TextFSMOutputParser(templateDirectory: try NTCTemplatesFixture.folder())
            let scheduler = SchedulerConfiguration(drivers: drivers, logger: Self.logger, parser: parser)
            let devices = lab.devices.map { device in
                #"{"host": "\#(device.host)", "port": \#(device.port), "username": "\#(device.username)", "#
                    + #""password": "\#(Self.password)"}"#
            }
            // Half the devices with the ntc template, half with an inline one; pinned and round-robin.
            let ntc = #"{"name": "textfsm", "use_ntc_template": true}"#
            let inline = String(
                decoding: try JSONEncoder().encode(["name": "textfsm", "template": Self.inlineTemplate]), as: UTF8.self)
            guard case .array(let python) = try Self.json(Self.pythonNTCRecords),
                case .object(let first)? = python.first
            else {
                Issue.record("the recorded Python records are not a list of objects")
                return
            }
            let ntcKeys = Set(first.keys)
            try await withScheduler(configuration: scheduler) { scheduler in
                for (parsing, strategy) in [(ntc, "pinned"), (inline, "round_robin")] {
                    let json = #"""
                        {"driver": "\#(driverName)", "devices": [\#(devices.joined(separator: ", "))],
                         "connection_args": {"device_type": "cisco_ios", "timeout": 30, "host_key_policy": "strict",
                                             "known_hosts_file": "\#(lab.knownHostsFile)"},
                         "command": "show version", "parsing": \#(parsing),
                         "options": {"queue_strategy": "\#(strategy)"}}
                        """#
                    let request = try BatchRequest(json: Data(json.utf8))
                    let result = try await scheduler.run(request)
                    Self.expectEveryDeviceOnce(result, lab.devices.count)
                    for (device, labDevice) in zip(result.results, lab.devices) {
                        #expect(device.success, "\(labDevice): \(String(describing: device.error))")
                        let records = try #require(device.outputs.first?.parsed, "\(labDevice): \(device)")
                        #expect(records.count == 1)
                        guard case .object(let record)? = records.first else {
                            Issue.record("\(labDevice): not a record: \(records)")
                            continue
                        }
                        #expect(record["hostname"] == .string(labDevice.hostname), "\(record)")
                        guard case .string(let version)? = record["version"] else {
                            Issue.record("\(labDevice): no version in \(record)")
                            continue
                        }
                        #expect(version.hasPrefix("17."), "\(record)")
                        #expect(device.outputs.first?.output.contains("Version \(version)") == true)
                        if parsing == ntc {
                            #expect(Set(record.keys) == ntcKeys, "every Value of the ntc template")
                            guard case .array(let serials)? = record["serial"] else {
                                Issue.record("\(labDevice): no serial list in \(record)")
                                continue
                            }
                            #expect(serials.count == 1)
                        } else {
                            #expect(record["interfaces"].map { if case .array = $0 { true } else { false } } == true)
                        }
                    }
                    let text = String(decoding: try result.jsonData(prettyPrinted: false), as: UTF8.self)
                    #expect(!text.contains(Self.password))
                }
            }
        }
    }
}
