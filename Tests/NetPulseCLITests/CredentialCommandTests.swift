import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

/// `credential` through each built-in provider, logging in to lab devices with the `netpulse` binary.
@Suite("netpulse credentials")
struct CredentialCommandTests {
    static let password = "Lab-Pw-7731"

    func netpulse(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) async throws
        -> ChildProcess.Output
    {
        try await ChildProcess.run(NetPulseCommandTests.binary, arguments, environment: environment, input: input)
    }

    @Test("env, file (YAML) and command providers each log in to a lab device; no password in the request or output")
    func eachProviderLogsIn() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("np-cred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secrets = directory.appendingPathComponent("credentials.yaml")
        try writeTestFile(
            "core:\n  username: netops\n  password: \"\(Self.password)\"\n", to: secrets.path, mode: 0o600)
        let script = directory.appendingPathComponent("fake-pass")
        try writeTestFile(
            "#!/bin/sh\n[ \"$1\" = network/core ] || exit 4\nprintf '%s\\nusername: netops\\n' '\(Self.password)'\n",
            to: script.path, mode: 0o700)
        let configuration = directory.appendingPathComponent("providers.yaml")
        try writeTestFile(
            """
            providers:
              lab-file: {type: file, path: \(secrets.path)}
              pass: {type: command, command: ["\(script.path)", "{ref}"], timeout: 20}
            """, to: configuration.path, mode: 0o600)

        let lab = LabConfiguration(
            devices: 3, platforms: [.ciscoIOS], username: "netops", password: Secret(Self.password))
        try await withLab(lab) { lab in
            let references = [
                #"{"name": "env", "ref": "LABCRED"}"#, #"{"name": "lab-file", "ref": "core"}"#,
                #"{"name": "pass", "ref": "network/core"}"#,
            ]
            let devices = zip(lab.devices, references).map { device, credential in
                #"{"host": "\#(device.host)", "port": \#(device.port), "credential": \#(credential)}"#
            }
            let request = """
                {"driver": "netmiko", "connection_args": {"device_type": "cisco_ios"}, "command": "show version",
                 "devices": [\(devices.joined(separator: ", "))]}
                """
            #expect(!request.contains(Self.password))
            let output = try await netpulse(
                ["run", "-", "--known-hosts", lab.knownHostsFile, "--credentials", configuration.path, "--quiet"],
                input: request, environment: ["LABCRED_USERNAME": "netops", "LABCRED_PASSWORD": Self.password])
            #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
            let result = try #require(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            let results = try #require(result["results"] as? [[String: Any]])
            #expect(results.count == 3)
            for entry in results {
                #expect(entry["success"] as? Bool == true, "\(entry)")
                #expect((entry["output"] as? String)?.contains("Cisco IOS") == true)
            }
            #expect(!output.stdout.contains(Self.password) && !output.stderr.contains(Self.password))

            // A file others can read is refused before any device is touched, naming the fix.
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: secrets.path)
            let refused = try await netpulse(
                ["run", "-", "--known-hosts", lab.knownHostsFile, "--credentials", configuration.path, "--quiet"],
                input: request, environment: ["LABCRED_USERNAME": "netops", "LABCRED_PASSWORD": Self.password])
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("devices[1].credential.ref") && refused.stderr.contains("chmod 600"))
            #expect(!refused.stderr.contains(Self.password))
        }
    }

    @Test("run --password-env fills the password a request leaves out; an unset variable is an error")
    func runPasswordEnv() async throws {
        let lab = LabConfiguration(
            devices: 1, platforms: [.ciscoIOS], username: "netops", password: Secret(Self.password))
        try await withLab(lab) { lab in
            let device = try #require(lab.devices.first)
            let request = """
                {"driver": "libssh2", "connection_args": {"device_type": "cisco_ios", "username": "netops"},
                 "command": "show version", "devices": [{"host": "\(device.host)", "port": \(device.port)}]}
                """
            let output = try await netpulse(
                ["run", "-", "--known-hosts", lab.knownHostsFile, "--password-env", "MY_PW", "--quiet"],
                input: request, environment: ["MY_PW": Self.password])
            #expect(output.status == 0, "\(output.stdout)\n\(output.stderr)")
            let unset = try await netpulse(
                ["run", "-", "--known-hosts", lab.knownHostsFile, "--password-env", "NP_UNSET_VARIABLE", "--quiet"],
                input: request)
            #expect(unset.status == 2)
            #expect(unset.stderr.contains("NP_UNSET_VARIABLE"))
        }
    }
}
