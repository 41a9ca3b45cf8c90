import Foundation
import SSHTestSupport
import Synchronization
import Testing

@testable import NetPulse

/// Counts lookups, to show a reference is looked up once per request.
private final class CountingProvider: CredentialProvider {
    let calls = Mutex(0)
    func fields(for reference: String) async throws(CredentialError) -> [String: Secret] {
        calls.withLock { $0 += 1 }
        return ["username": "netops", "pw": "Counted-Pw-1"]
    }
}

@Suite("Credential providers")
struct CredentialProviderTests {
    static let password = "Sup3r-Secret-Pw"

    /// A private temporary directory, removed afterwards.
    func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("np-cred-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory)
    }

    @Test("env: a prefix's variables become fields; an unknown prefix or a bad one is refused by name")
    func environment() async throws {
        let provider = EnvironmentCredentialProvider(environment: [
            "LAB_USERNAME": "netops", "LAB_PASSWORD": Self.password, "OTHER_PASSWORD": "x",
        ])
        let fields = try await provider.fields(for: "LAB")
        #expect(fields["username"]?.revealed == "netops")
        #expect(fields["password"]?.revealed == Self.password)
        #expect(fields.count == 2)
        let missing = await #expect(throws: CredentialError.self) { try await provider.fields(for: "NOPE") }
        #expect(missing?.kind == .notFound)
        let bad = await #expect(throws: CredentialError.self) { try await provider.fields(for: "LAB/../X") }
        #expect(bad?.kind == .invalidReference)
    }

    @Test("file: JSON read when private; group- or world-readable refused with chmod advice, no value quoted")
    func file() async throws {
        try await withDirectory { directory in
            let url = directory.appendingPathComponent("creds.json")
            try writeTestFile(
                #"{"core": {"username": "netops", "password": "\#(Self.password)"}}"#, to: url.path, mode: 0o600)
            let provider = FileCredentialProvider(path: url.path)
            let fields = try await provider.fields(for: "core")
            #expect(fields["password"]?.revealed == Self.password)
            let missing = await #expect(throws: CredentialError.self) { try await provider.fields(for: "edge") }
            #expect(missing?.kind == .notFound)

            for mode in [0o644, 0o640, 0o604] {
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
                let error = await #expect(throws: CredentialError.self) { try await provider.fields(for: "core") }
                #expect(error?.kind == .unusableStore)
                #expect(error?.message.contains("chmod 600") == true, "\(String(describing: error))")
                #expect(error.map { "\($0)".contains(Self.password) } == false)
            }
        }
    }

    @Test("file: YAML needs a decoder; malformed content is reported without quoting it")
    func fileFormats() async throws {
        try await withDirectory { directory in
            let url = directory.appendingPathComponent("creds.yaml")
            try writeTestFile("core:\n  password: \(Self.password)\n", to: url.path, mode: 0o600)
            let error = await #expect(throws: CredentialError.self) {
                try await FileCredentialProvider(path: url.path).fields(for: "core")
            }
            #expect(error?.message.contains("YAML") == true)
            try writeTestFile("{\"core\": {\"password\": \"\(Self.password)\"", to: url.path, mode: 0o600)
            let malformed = await #expect(throws: CredentialError.self) {
                try await FileCredentialProvider(path: url.path).fields(for: "core")
            }
            #expect(malformed.map { "\($0)".contains(Self.password) } == false)
        }
    }

    @Test("command: pass's layout and Vault's JSON; failure and timeout are typed and never quote output")
    func command() async throws {
        try await withDirectory { directory in
            let script = directory.appendingPathComponent("fake-pass")
            try writeTestFile(
                """
                #!/bin/sh
                case "$1" in
                  net/core) printf '%s\\nusername: netops\\n' '\(Self.password)' ;;
                  vault) printf '{"data": {"data": {"password": "%s"}}}' '\(Self.password)' ;;
                  fail) echo '\(Self.password)'; exit 3 ;;
                  *) exit 1 ;;
                esac
                """, to: script.path, mode: 0o700)
            let provider = CommandCredentialProvider(arguments: [script.path, "{ref}"], timeout: .seconds(20))
            let pass = try await provider.fields(for: "net/core")
            #expect(pass["password"]?.revealed == Self.password)
            #expect(pass["username"]?.revealed == "netops")
            let vault = try await provider.fields(for: "vault")
            #expect(vault["password"]?.revealed == Self.password)
            let failed = await #expect(throws: CredentialError.self) { try await provider.fields(for: "fail") }
            #expect(failed?.kind == .commandFailed)
            #expect(failed?.message.contains("status 3") == true)
            #expect(failed.map { "\($0)".contains(Self.password) } == false)
            let option = await #expect(throws: CredentialError.self) { try await provider.fields(for: "-rf") }
            #expect(option?.kind == .invalidReference)

            let slow = CommandCredentialProvider(arguments: ["/bin/sleep", "30"], timeout: .milliseconds(300))
            let timedOut = await #expect(throws: CredentialError.self) { try await slow.fields(for: "x") }
            #expect(timedOut?.kind == .timedOut)
            let missing = CommandCredentialProvider(arguments: [directory.appendingPathComponent("nope").path])
            let notStarted = await #expect(throws: CredentialError.self) { try await missing.fields(for: "x") }
            #expect(notStarted?.message.contains("cannot start") == true)
        }
    }

    @Test("a request: one lookup per distinct reference, fields mapped, device fields win, no secret in errors")
    func resolveRequest() async throws {
        let counting = CountingProvider()
        var providers = CredentialProviders()
        providers.register("vault", counting, allowedReferences: ["net/*"])
        let json = #"""
            {"driver": "libssh2", "command": "show version",
             "connection_args": {"device_type": "cisco_ios"},
             "credential": {"name": "vault", "ref": "net/core", "field_mapping": {"password": "pw"}},
             "devices": ["10.0.0.1", "10.0.0.2", {"host": "10.0.0.3", "username": "own",
                 "credential": {"name": "vault", "ref": "net/core", "field_mapping": {"password": "pw"}}}]}
            """#
        let request = try BatchRequest(json: Data(json.utf8))
        let unresolved = #expect(throws: RequestError.self) { try request.validated() }
        #expect(unresolved?.field == "devices[0].credential")

        let resolved = try await request.resolvingCredentials(with: providers)
        let specs = try resolved.validated()
        #expect(counting.calls.withLock { $0 } == 1)
        #expect(specs.map(\.target.username) == ["netops", "netops", "netops"])
        #expect(specs.allSatisfy { $0.target.credentials.contains(.password("Counted-Pw-1")) })

        var denied = request
        denied.connectionArgs.credential = CredentialReference(provider: "vault", reference: "prod/core")
        let refused = await #expect(throws: RequestError.self) {
            try await denied.resolvingCredentials(with: providers)
        }
        #expect(refused?.field == "credential.ref")
        denied.connectionArgs.credential = CredentialReference(provider: "env", reference: "LAB")
        let unknown = await #expect(throws: RequestError.self) {
            try await denied.resolvingCredentials(with: providers)
        }
        #expect(unknown?.field == "credential.name")
        denied.connectionArgs.credential = CredentialReference(
            provider: "vault", reference: "net/x", fieldMapping: ["password": "missing"])
        let unmapped = await #expect(throws: RequestError.self) {
            try await denied.resolvingCredentials(with: providers)
        }
        #expect(unmapped?.field == "credential.field_mapping.password")
        #expect(unmapped.map { "\($0)".contains("Counted-Pw-1") } == false)
    }

    @Test("credential JSON: null is absent; unknown fields and mappings are refused by name")
    func json() throws {
        let base = #"{"driver": "libssh2", "command": "x", "devices": ["h"], "credential": "#
        #expect(try BatchRequest(json: Data((base + "null}").utf8)).connectionArgs.credential == nil)
        let cases: [(String, String)] = [
            (#"{"ref": "a"}"#, "credential.name"),
            (#"{"name": "env"}"#, "credential.ref"),
            (#"{"name": "env", "ref": "a", "field_mapping": {"host": "h"}}"#, "credential.field_mapping.host"),
            (#"{"name": "env", "ref": "a", "mount": "kv"}"#, "credential.mount"),
        ]
        for (value, field) in cases {
            let error = #expect(throws: RequestError.self) { try BatchRequest(json: Data((base + value + "}").utf8)) }
            #expect(error?.field == field, "\(value)")
        }
    }

    @Test("operator configuration: types, allowed refs required for HTTP, bad fields named")
    func configuration() throws {
        let tree: JSONValue = .object([
            "providers": .object([
                "lab": .object(["type": .string("env"), "allowed_refs": .array([.string("LAB")])]),
                "pass": .object([
                    "type": .string("command"),
                    "command": .array([.string("pass"), .string("show"), .string("{ref}")]),
                    "timeout": .number(5),
                ]),
            ])
        ])
        let cli = try CredentialProviders(configuration: tree, requireAllowList: false)
        #expect(cli.names == ["lab", "pass"])
        let http = #expect(throws: CredentialError.self) {
            try CredentialProviders(configuration: tree, requireAllowList: true)
        }
        #expect(http?.message.contains("providers.pass.allowed_refs") == true, "\(String(describing: http))")
        let bad: JSONValue = .object(["providers": .object(["x": .object(["type": .string("ldap")])])])
        let error = #expect(throws: CredentialError.self) {
            try CredentialProviders(configuration: bad, requireAllowList: false)
        }
        #expect(error?.message.contains("providers.x.type") == true)
        #expect(CredentialProviders.allows(["net/*"], "net/core/a"))
        #expect(!CredentialProviders.allows(["net/*"], "prod/net/a"))
        #expect(!CredentialProviders.allows([], "a"))
    }
}
