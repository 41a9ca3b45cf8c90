import Foundation
import NetPulse
import SSHTestSupport
import Testing

@Suite("Driver: host keys")
struct HostKeyScenarios {
    @Test(
        "a known_hosts with another key for the host: host_key_mismatch naming the fingerprint", arguments: Backends.all
    )
    func mismatch(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let other = try String(contentsOfFile: server.unauthorizedKeyFile + ".pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            let file = Fixture.temporaryPath("known_hosts")
            defer { unlink(file) }
            try "[127.0.0.1]:\(server.port) \(other)\n".write(toFile: file, atomically: true, encoding: .utf8)
            let expected = try await Fixture.fingerprint(of: server)
            for policy in [HostKeyPolicy.strict(knownHostsFile: file), .acceptNew(knownHostsFile: file)] {
                let target = Fixture.target(server, policy: policy)
                let error = await #expect(throws: NetPulseError.self) {
                    _ = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
                }
                #expect(error?.kind == .hostKeyMismatch)
                #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
            }
            // accept-new never replaces a changed key.
            #expect(try String(contentsOfFile: file, encoding: .utf8) == "[127.0.0.1]:\(server.port) \(other)\n")
        }
    }

    @Test("an unknown host under strict: host_key_unknown", arguments: Backends.all)
    func unknownStrict(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let file = Fixture.temporaryPath("known_hosts")
            defer { unlink(file) }
            try "# nothing yet\n".write(toFile: file, atomically: true, encoding: .utf8)
            let target = Fixture.target(server, policy: .strict(knownHostsFile: file))
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
            }
            #expect(error?.kind == .hostKeyUnknown)
            #expect(error?.message.contains(try await Fixture.fingerprint(of: server)) == true)
        }
    }

    @Test("accept-new records the key; a strict connect then passes", arguments: Backends.all)
    func acceptNew(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let file = Fixture.temporaryPath("known_hosts")
            defer { unlink(file) }
            let first = Fixture.target(server, policy: .acceptNew(knownHostsFile: file))
            _ = try await Fixture.withSession(Fixture.driver(backend), first) {
                try await $0.execute(Fixture.commands("true"))
            }
            let recorded = try String(contentsOfFile: file, encoding: .utf8)
            #expect(recorded == "[127.0.0.1]:\(server.port) \(server.hostPublicKey)\n")
            // OpenSSH itself accepts the recorded line for the host.
            let (status, found) = try await ChildProcess.run(
                "/usr/bin/ssh-keygen", ["-F", "[127.0.0.1]:\(server.port)", "-f", file])
            #expect(status == 0 && found.contains(server.hostPublicKey))
            let second = Fixture.target(server, policy: .strict(knownHostsFile: file))
            let outcome = try await Fixture.withSession(Fixture.driver(backend), second) {
                try await $0.execute(Fixture.commands("echo strict"))
            }
            #expect(outcome.outputs.first?.output == "strict\n")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == recorded)
        }
    }

    @Test("policy off connects whatever the key", arguments: Backends.all)
    func off(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let target = Fixture.target(server, policy: .off)
            let outcome = try await Fixture.withSession(Fixture.driver(backend), target) {
                try await $0.execute(Fixture.commands("echo off"))
            }
            #expect(outcome.outputs.first?.output == "off\n")
        }
    }
}

@Suite("Driver: known_hosts variants")
struct KnownHostsVariantScenarios {
    /// A known_hosts line `[127.0.0.1]:PORT <algorithm> <base64>` for a freshly made key.
    static func otherKeyLine(_ server: TestSSHD, type: String) async throws -> String {
        let keyFile = server.directory + "/other_\(type)_\(UInt32.random(in: 0...UInt32.max))"
        let (status, output) = try await ChildProcess.run(
            "/usr/bin/ssh-keygen", ["-q", "-t", type, "-N", "", "-f", keyFile])
        guard status == 0 else { throw TestSSHD.Failure(description: "ssh-keygen failed: \(output)") }
        let key = try String(contentsOfFile: keyFile + ".pub", encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        return "[127.0.0.1]:\(server.port) \(key)\n"
    }

    @Test("hashed known_hosts entries (ssh-keygen -H) are understood", arguments: Backends.all)
    func hashed(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let file = server.directory + "/hashed_known_hosts"
            try String(contentsOfFile: server.knownHostsFile, encoding: .utf8)
                .write(toFile: file, atomically: true, encoding: .utf8)
            let (status, output) = try await ChildProcess.run("/usr/bin/ssh-keygen", ["-H", "-f", file])
            #expect(status == 0, "\(output)")
            #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("|1|"))
            let target = Fixture.target(server, policy: .strict(knownHostsFile: file))
            let outcome = try await Fixture.withSession(Fixture.driver(backend), target) {
                try await $0.execute(Fixture.commands("echo hashed"))
            }
            #expect(outcome.outputs.first?.output == "hashed\n")
        }
    }

    @Test("a recorded key of another type for the host is a mismatch, not an unknown host", arguments: Backends.all)
    func otherKeyType(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let line = try await Self.otherKeyLine(server, type: "ecdsa")
            let file = server.directory + "/ecdsa_known_hosts"
            try line.write(toFile: file, atomically: true, encoding: .utf8)
            for policy in [HostKeyPolicy.strict(knownHostsFile: file), .acceptNew(knownHostsFile: file)] {
                let error = await #expect(throws: NetPulseError.self) {
                    _ = try await Fixture.driver(backend).connect(
                        to: Fixture.target(server, policy: policy), context: Fixture.context())
                }
                #expect(error?.kind == .hostKeyMismatch, "\(policy): \(String(describing: error))")
            }
            // accept-new did not append anything.
            #expect(try String(contentsOfFile: file, encoding: .utf8) == line)
        }
    }

    @Test("lines the library cannot parse do not hide the host's entry", arguments: Backends.all)
    func unparsableLines(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let file = server.directory + "/messy_known_hosts"
            let messy =
                "this line is not a known_hosts entry\n"
                + "other.example sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA==\n"
                + (try String(contentsOfFile: server.knownHostsFile, encoding: .utf8))
            try messy.write(toFile: file, atomically: true, encoding: .utf8)
            let target = Fixture.target(server, policy: .strict(knownHostsFile: file))
            let outcome = try await Fixture.withSession(Fixture.driver(backend), target) {
                try await $0.execute(Fixture.commands("echo messy"))
            }
            #expect(outcome.outputs.first?.output == "messy\n")
        }
    }

    @Test("a key marked @revoked is refused under strict and accept-new", arguments: Backends.all)
    func revoked(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let file = server.directory + "/revoked_known_hosts"
            let known = try String(contentsOfFile: server.knownHostsFile, encoding: .utf8)
            try ("@revoked * \(server.hostPublicKey)\n" + known).write(toFile: file, atomically: true, encoding: .utf8)
            for policy in [HostKeyPolicy.strict(knownHostsFile: file), .acceptNew(knownHostsFile: file)] {
                let error = await #expect(throws: NetPulseError.self) {
                    _ = try await Fixture.driver(backend).connect(
                        to: Fixture.target(server, policy: policy), context: Fixture.context())
                }
                #expect(error?.kind == .hostKeyMismatch, "\(policy): \(String(describing: error))")
                #expect(error?.message.contains("revoked") == true)
            }
        }
    }
}

@Suite("Driver: known_hosts matching and recording")
struct KnownHostsMatchingScenarios {
    @Test("a plain host entry never vouches for another port (no fallback, as in OpenSSH)", arguments: Backends.all)
    func noPortFallback(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let file = server.directory + "/portless_known_hosts"
            try "127.0.0.1 \(server.hostPublicKey)\n".write(toFile: file, atomically: true, encoding: .utf8)
            let error = await #expect(throws: NetPulseError.self) {
                let session = try await Fixture.driver(backend).connect(
                    to: Fixture.target(server, policy: .strict(knownHostsFile: file)), context: Fixture.context())
                await session.close()
            }
            #expect(error?.kind == .hostKeyUnknown, "\(String(describing: error))")
        }
    }

    @Test("50 concurrent accept-new connects to one host record it exactly once", arguments: Backends.all)
    func acceptNewOnceUnderConcurrency(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let file = server.directory + "/concurrent_known_hosts"
            let driver = Fixture.driver(backend)
            let target = Fixture.target(
                server, credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)],
                policy: .acceptNew(knownHostsFile: file), connectTimeout: .seconds(60))
            let failures = await Fixture.connectAll(driver, Array(repeating: target, count: 50))
            #expect(failures.isEmpty, "\(failures.prefix(3))")
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            #expect(lines == ["[127.0.0.1]:\(server.port) \(server.hostPublicKey)"])
        }
    }
}
