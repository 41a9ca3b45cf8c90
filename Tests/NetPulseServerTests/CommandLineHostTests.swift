import Foundation
import SSHTestSupport
import Testing

/// `netpulse test` and `netpulse exec` with malformed hosts and ports: exit status 2 and a message
/// naming what is wrong, never a crash. Nothing is connected to (every case fails validation).
@Suite("netpulse test/exec: host validation")
struct CommandLineHostTests {
    @Test(
        "a malformed host or port is refused with exit status 2",
        arguments: [
            (["test", "127.0.0.1:70000"], "port"),
            (["test", "127.0.0.1:0"], "port"),
            (["test", "[::1]:99999"], "port"),
            (["test", "-oProxyCommand=x"], "must not start with '-'"),
            (["test", "r1\tevil"], "control character"),
            (["exec", "--host", "127.0.0.1:65536", "--command", "show version"], "port"),
            (["exec", "--host", "a b", "--command", "show version"], "whitespace"),
            (["exec", "--host=-oProxyCommand=x", "--command", "show version"], "must not start with '-'"),
        ] as [([String], String)])
    func refused(arguments: [String], message: String) async throws {
        var arguments = arguments
        if arguments[0] == "test" {
            // After `--`, a host that starts with '-' reaches the command as the positional argument.
            arguments = ["test", "--platform", "cisco_ios", "--username", "admin", "--"] + arguments.dropFirst()
        } else {
            arguments += ["--platform", "cisco_ios", "--username", "admin", "--quiet"]
        }
        let output = try await ChildProcess.run(
            ServeCommandTests.binary, arguments, environment: ["NETPULSE_PASSWORD": "x"])
        #expect(output.status == 2, "\(arguments): \(output.stderr)")
        #expect(output.stderr.contains(message), "\(output.stderr)")
    }

    @Test("a CSV inventory with a malformed host or port is refused naming its line")
    func inventory() async throws {
        let directory = try TemporaryDirectory()
        for (row, message) in [
            ("-oProxyCommand=x,22", "inventory.csv:3: host must not start with '-'"),
            ("10.0.0.1,70000", "inventory.csv:3: port must be between 1 and 65535"),
        ] {
            let path = directory.path + "/inventory.csv"
            try Data("host,port\n127.0.0.1,22\n\(row)\n".utf8).write(to: URL(fileURLWithPath: path))
            let output = try await ChildProcess.run(
                ServeCommandTests.binary,
                [
                    "exec", "--inventory", path, "--command", "show version", "--platform", "cisco_ios",
                    "--username", "admin", "--quiet",
                ],
                environment: ["NETPULSE_PASSWORD": "x"])
            #expect(output.status == 2, "\(output.stderr)")
            #expect(output.stderr.contains(message), "\(output.stderr)")
        }
    }
}
