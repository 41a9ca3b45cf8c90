import Foundation
import NetPulse
import SSHTestSupport
import Testing

@Suite("Driver: authentication")
struct AuthenticationScenarios {
    @Test("password login", arguments: Backends.all)
    func password(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let outcome = try await Fixture.withSession(Fixture.driver(backend), Fixture.target(server)) {
                try await $0.execute(Fixture.commands("id -un"))
            }
            #expect(outcome.success)
            #expect(outcome.outputs.first?.output == "\(TestSSHD.username)\n")
        }
    }

    @Test("keyboard-interactive login answers the password prompt", arguments: Backends.all)
    func keyboardInteractive(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let target = Fixture.target(server, credentials: [.keyboardInteractive(Secret(TestSSHD.password))])
            let outcome = try await Fixture.withSession(Fixture.driver(backend), target) {
                try await $0.execute(Fixture.commands("echo kbd"))
            }
            #expect(outcome.outputs.first?.output == "kbd\n")
            #expect(await server.waitForLog(containing: "Accepted keyboard-interactive", timeout: .seconds(10)))
        }
    }

    @Test("public-key login, with and without a passphrase", arguments: Backends.all)
    func publicKey(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let plain = Fixture.target(server, credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)])
            let first = try await Fixture.withSession(Fixture.driver(backend), plain) {
                try await $0.execute(Fixture.commands("echo key"))
            }
            #expect(first.outputs.first?.output == "key\n")
            let phrase = Fixture.target(
                server,
                credentials: [.privateKey(path: server.passphraseKeyFile, passphrase: Secret(TestSSHD.keyPassphrase))])
            let second = try await Fixture.withSession(Fixture.driver(backend), phrase) {
                try await $0.execute(Fixture.commands("echo phrase"))
            }
            #expect(second.outputs.first?.output == "phrase\n")
            #expect(await server.waitForLog(containing: "Accepted publickey", timeout: .seconds(10)))
        }
    }

    @Test(
        "a key file changed between connects is read again; a connect from anywhere reads it too",
        arguments: Backends.all)
    func keyFileChanges(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let path = Fixture.temporaryPath("key")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let good = try Data(contentsOf: URL(fileURLWithPath: server.clientKeyFile))
            let refused = try Data(contentsOf: URL(fileURLWithPath: server.unauthorizedKeyFile))
            try good.write(to: URL(fileURLWithPath: path), options: .atomic)
            let target = Fixture.target(server, credentials: [.privateKey(path: path, passphrase: nil)])
            let driver = Fixture.driver(backend)
            // Read off the loop thread the first time, from memory the second, as the scheduler connects.
            for round in 0..<2 {
                let outcome = try await Fixture.withSession(driver, target) {
                    try await $0.execute(Fixture.commands("echo \(round)"))
                }
                #expect(outcome.outputs.first?.output == "\(round)\n")
            }
            try refused.write(to: URL(fileURLWithPath: path), options: .atomic)
            let error = await #expect(throws: NetPulseError.self) {
                try await Fixture.withSession(driver, target) { _ in }
            }
            #expect(error?.kind == .authentication, "the key in memory was used after the file changed")
            try good.write(to: URL(fileURLWithPath: path), options: .atomic)
            let outcome = try await Fixture.withSession(driver, target, preferring: false) {
                try await $0.execute(Fixture.commands("echo again"))
            }
            #expect(outcome.outputs.first?.output == "again\n")
        }
    }

    @Test(
        "the first credential goes out at once: no `none` request when it is taken, the methods asked for when not",
        arguments: Backends.all)
    func firstCredentialFirst(_ backend: Backend) async throws {
        try await TestSSHD.with(configuration: .init(extraConfig: ["LogLevel DEBUG1"])) { server in
            let outcome = try await Fixture.withSession(Fixture.driver(backend), Fixture.target(server)) {
                try await $0.execute(Fixture.commands("echo in"))
            }
            #expect(outcome.outputs.first?.output == "in\n")
            #expect(await server.waitForLog(containing: "Accepted password", timeout: .seconds(10)))
            #expect(!server.logText.contains("method none"), "a `none` request went out before the password")

            // A first credential the server refuses: the methods are asked for, and the next one is tried.
            let target = Fixture.target(
                server,
                credentials: [
                    .password(Secret("not-the-password")), .privateKey(path: server.clientKeyFile, passphrase: nil),
                ])
            let second = try await Fixture.withSession(Fixture.driver(backend), target) {
                try await $0.execute(Fixture.commands("echo second"))
            }
            #expect(second.outputs.first?.output == "second\n")
            #expect(await server.waitForLog(containing: "method none", timeout: .seconds(10)))
        }
    }

    @Test(
        "a first credential of a method the server does not offer: refused, then the offered ones tried; all named",
        arguments: Backends.all)
    func firstMethodNotOffered(_ backend: Backend) async throws {
        try await TestSSHD.with(
            configuration: .init(extraConfig: ["PasswordAuthentication no", "KbdInteractiveAuthentication no"])
        ) { server in
            let target = Fixture.target(
                server,
                credentials: [
                    .password(Secret(TestSSHD.password)), .privateKey(path: server.clientKeyFile, passphrase: nil),
                ])
            let outcome = try await Fixture.withSession(Fixture.driver(backend), target) {
                try await $0.execute(Fixture.commands("echo key"))
            }
            #expect(outcome.outputs.first?.output == "key\n")

            let refused = Fixture.target(
                server,
                credentials: [
                    .password(Secret(TestSSHD.password)),
                    .privateKey(path: server.unauthorizedKeyFile, passphrase: nil),
                ])
            let error = await #expect(throws: NetPulseError.self) {
                try await Fixture.withSession(Fixture.driver(backend), refused) { _ in }
            }
            #expect(error?.kind == .authentication)
            #expect(error?.message.contains("the server offers publickey") == true, "\(String(describing: error))")
            #expect(
                error?.message.contains("tried password, publickey(\(server.unauthorizedKeyFile))") == true,
                "\(String(describing: error))")
            #expect(error?.message.contains(TestSSHD.password) == false, "the password is in the error")
        }
    }

    @Test("credentials are tried in order: a refused key, then the password", arguments: Backends.all)
    func fallsBack(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let target = Fixture.target(
                server,
                credentials: [
                    .privateKey(path: server.unauthorizedKeyFile, passphrase: nil),
                    .password(Secret(TestSSHD.password)),
                ])
            let outcome = try await Fixture.withSession(Fixture.driver(backend), target) {
                try await $0.execute(Fixture.commands("echo fallback"))
            }
            #expect(outcome.outputs.first?.output == "fallback\n")
        }
    }

    @Test("wrong password, unauthorized key, wrong passphrase: authentication errors", arguments: Backends.all)
    func rejected(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let cases: [[Credential]] = [
                [.password(Secret("not-the-password"))],
                [.privateKey(path: server.unauthorizedKeyFile, passphrase: nil)],
                [.privateKey(path: server.passphraseKeyFile, passphrase: Secret("wrong-phrase"))],
            ]
            for credentials in cases {
                let target = Fixture.target(server, credentials: credentials)
                let error = await #expect(throws: NetPulseError.self) {
                    _ = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
                }
                #expect(error?.kind == .authentication, "\(credentials): \(String(describing: error))")
                #expect(error?.message.contains("not-the-password") == false)
                #expect(error?.message.contains("wrong-phrase") == false)
            }
        }
    }
}
