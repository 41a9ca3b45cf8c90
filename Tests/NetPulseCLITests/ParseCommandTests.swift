import Foundation
import SSHTestSupport
import Testing

/// `netpulse parse` run as a subprocess on a small template folder of its own.
@Suite("netpulse parse")
struct ParseCommandTests {
    static let template = """
        Value Required INTERFACE (\\S+)
        Value STATUS (up|down)
        Value List ADDRESSES (\\d+\\.\\d+\\.\\d+\\.\\d+)

        Start
          ^\\S+ is -> Continue.Record
          ^${INTERFACE} is ${STATUS}
          ^\\s+address ${ADDRESSES}
          ^! -> Error "unexpected bang"
        """

    static let output = "Gi0/1 is up\n  address 192.0.2.1\n  address 192.0.2.2\nGi0/2 is down\n"

    static var expected: [[String: Any]] {
        [
            ["interface": "Gi0/1", "status": "up", "addresses": ["192.0.2.1", "192.0.2.2"]],
            ["interface": "Gi0/2", "status": "down", "addresses": [String]()],
        ]
    }

    /// A folder with the template, an ntc-style index and the output.
    func withFolder(_ body: (URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("np-parse-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.template.write(
            to: folder.appendingPathComponent("acme_show_interfaces.textfsm"), atomically: true, encoding: .utf8)
        try "Value A (x\n\nStart\n  ^${A}\n".write(
            to: folder.appendingPathComponent("acme_show_broken.textfsm"), atomically: true, encoding: .utf8)
        let index = """
            # comment
            Template, Hostname, Platform, Command

            acme_show_interfaces.textfsm, .*, acme_os, sh[[ow]] int[[erfaces]]
            acme_show_broken.textfsm, .*, acme_os, sh[[ow]] bro[[ken]]
            """
        try index.write(to: folder.appendingPathComponent("index"), atomically: true, encoding: .utf8)
        try Self.output.write(to: folder.appendingPathComponent("output.txt"), atomically: true, encoding: .utf8)
        try await body(folder)
    }

    func netpulse(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) async throws
        -> ChildProcess.Output
    {
        try await ChildProcess.run(
            NetPulseCommandTests.binary, ["parse"] + arguments, environment: environment, input: input)
    }

    func records(_ text: String) throws -> [[String: Any]] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "\(text)")
    }

    func expectExpected(_ text: String) throws {
        let parsed = try records(text)
        #expect(parsed.count == 2)
        for (ours, expected) in zip(parsed, Self.expected) {
            #expect(NSDictionary(dictionary: ours).isEqual(to: expected), "\(ours)")
        }
        // Keys in template order, as the template declares them.
        let first = try #require(text.range(of: "\"interface\""))
        let second = try #require(text.range(of: "\"status\""))
        #expect(first.lowerBound < second.lowerBound)
    }

    @Test("--template FILE on a file, and on standard input")
    func templateFile() async throws {
        try await withFolder { folder in
            let template = folder.appendingPathComponent("acme_show_interfaces.textfsm").path
            let fromFile = try await netpulse([
                "--template", template, folder.appendingPathComponent("output.txt").path,
            ])
            #expect(fromFile.status == 0, "\(fromFile.stderr)")
            try expectExpected(fromFile.stdout)
            let fromStdin = try await netpulse(["--template", template, "-", "--compact"], input: Self.output)
            #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
            #expect(fromStdin.stdout.split(separator: "\n").count == 1)
            try expectExpected(fromStdin.stdout)
        }
    }

    @Test("--templates DIR --platform --command finds the template through the index, abbreviations too")
    func index() async throws {
        try await withFolder { folder in
            let output = folder.appendingPathComponent("output.txt").path
            let full = try await netpulse([
                "--templates", folder.path, "--platform", "acme_os", "--command", "show interfaces", output,
            ])
            #expect(full.status == 0, "\(full.stderr)")
            try expectExpected(full.stdout)
            let short = try await netpulse(
                ["--platform", "acme_os", "--command", "sh int", output],
                environment: ["NETPULSE_TEMPLATES": folder.path]
            )
            #expect(short.status == 0, "\(short.stderr)")
            try expectExpected(short.stdout)
        }
    }

    @Test("no template for the platform and command: exit 2 with a clear message")
    func noTemplate() async throws {
        try await withFolder { folder in
            let result = try await netpulse(
                [
                    "--templates", folder.path, "--platform", "acme_os", "--command", "show version", "-",
                ], input: Self.output)
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("no template"), "\(result.stderr)")
            #expect(result.stderr.contains("acme_os") && result.stderr.contains("show version"), "\(result.stderr)")
        }
    }

    @Test("a bad template: exit 2, the message names the file and the line")
    func badTemplate() async throws {
        try await withFolder { folder in
            let broken = folder.appendingPathComponent("acme_show_broken.textfsm").path
            let direct = try await netpulse(["--template", broken, "-"], input: "x\n")
            #expect(direct.status == 2)
            #expect(direct.stderr.contains("acme_show_broken.textfsm, line 1:"), "\(direct.stderr)")
            let viaIndex = try await netpulse(
                ["--templates", folder.path, "--platform", "acme_os", "--command", "show broken", "-"], input: "x\n"
            )
            #expect(viaIndex.status == 2)
            #expect(viaIndex.stderr.contains("line 1:"), "\(viaIndex.stderr)")
        }
    }

    @Test("the output reaches an Error rule: exit 1 with textfsm's message")
    func errorRule() async throws {
        try await withFolder { folder in
            let template = folder.appendingPathComponent("acme_show_interfaces.textfsm").path
            let result = try await netpulse(["--template", template, "-"], input: "Gi0/1 is up\n!\n")
            #expect(result.status == 1)
            #expect(
                result.stderr.contains("Error: \"unexpected bang\". Rule Line: 9. Input Line: !."), "\(result.stderr)")
        }
    }

    @Test("no template folder and no --template: a usage error, nothing parsed")
    func missingFolder() async throws {
        let result = try await netpulse(
            ["--platform", "cisco_ios", "--command", "show version", "-"], input: "x\n",
            environment: ["NETPULSE_TEMPLATES": ""]
        )
        #expect(result.status != 0 && result.status != 1)
        #expect(result.stderr.contains("NETPULSE_TEMPLATES"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
