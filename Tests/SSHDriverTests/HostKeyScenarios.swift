import Foundation
import NetPulse
import SSHTestSupport
import Testing

@Suite("Driver: host keys")
struct HostKeyScenarios {
    @Test("a known_hosts with another key for the host: host_key_mismatch naming the fingerprint", arguments: Backends.all)
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
            _ = try await Fixture.withSession(Fixture.driver(backend), first) { try await $0.execute(Fixture.commands("true")) }
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
