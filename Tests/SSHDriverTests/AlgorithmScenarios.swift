import Foundation
import NetPulse
import NetPulseSSHCore
import SSHTestSupport
import Testing

/// What netmiko reaches, NetPulse reaches by default: real OpenSSH servers configured like the
/// devices people have (an RSA-only host key, an old IOS that knows only SHA-1 and CBC).
@Suite("Driver: algorithms of real servers")
struct AlgorithmScenarios {
    @Test(
        "an sshd whose only host key is RSA: rsa-sha2-512 (libssh2 1.10: a clear error naming the libssh driver)",
        arguments: Backends.all)
    func rsaOnly(_ backend: Backend) async throws {
        let configuration = TestSSHD.Configuration(extraConfig: ["LogLevel DEBUG1"], hostKeyType: "rsa")
        try await TestSSHD.with(configuration: configuration) { server in
            #expect(server.hostPublicKey.hasPrefix("ssh-rsa "))
            let target = Fixture.target(server)
            guard backend.negotiatesRSASHA2 else {
                let error = await #expect(throws: NetPulseError.self) {
                    let session = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
                    await session.close()
                }
                #expect(error?.kind == .protocolError)
                #expect(error?.message.contains("rsa-sha2-512") == true, "\(String(describing: error))")
                #expect(error?.message.contains("\"driver\": \"libssh\"") == true, "\(String(describing: error))")
                return
            }
            let outcome = try await Fixture.withSession(Fixture.driver(backend), target) {
                try await $0.execute(Fixture.commands("echo rsa"))
            }
            #expect(outcome.outputs.first?.output == "rsa\n")
            #expect(await server.waitForLog(containing: "kex: host key algorithm: rsa-sha2-512", timeout: .seconds(10)))
        }
    }

    /// An old IOS: `ssh-rsa` host key, `diffie-hellman-group14-sha1`, CBC ciphers and HMAC-SHA1 only.
    static func oldIOS() throws -> (TestSSHD.Configuration, devicePort: Int) {
        var (configuration, port) = try DeviceShell.configuration()
        configuration.extraConfig.insert(
            contentsOf: [
                "HostKeyAlgorithms ssh-rsa", "KexAlgorithms diffie-hellman-group14-sha1",
                "Ciphers aes128-cbc,aes256-cbc,3des-cbc", "MACs hmac-sha1", "LogLevel DEBUG1",
            ], at: 0)
        configuration.hostKeyType = "rsa"
        return (configuration, port)
    }

    @Test(
        "an old IOS (ssh-rsa, diffie-hellman-group14-sha1, CBC): reached by default on a network platform",
        arguments: Backends.all)
    func oldIOSByDefault(_ backend: Backend) async throws {
        let (configuration, devicePort) = try Self.oldIOS()
        try await TestSSHD.with(configuration: configuration) { server in
            let target = Fixture.target(server, port: devicePort, platform: "cisco_ios")
            let outcome = try await Fixture.withSession(Fixture.driver(backend), target, Fixture.context(.ciscoIOS)) {
                try await $0.execute(Fixture.commands("show version"))
            }
            #expect(outcome.success)
            #expect(outcome.outputs.first?.output.contains("Cisco IOS Software") == true)
            #expect(
                await server.waitForLog(
                    containing: "kex: algorithm: diffie-hellman-group14-sha1", timeout: .seconds(10)))
            #expect(await server.waitForLog(containing: "kex: host key algorithm: ssh-rsa", timeout: .seconds(10)))
        }
    }

    @Test(
        "legacy refused by the request or by the operator: the error names what the device offered and what to change",
        arguments: Backends.all)
    func oldIOSRefused(_ backend: Backend) async throws {
        let (configuration, devicePort) = try Self.oldIOS()
        try await TestSSHD.with(configuration: configuration) { server in
            var refused = Fixture.target(server, port: devicePort, platform: "cisco_ios")
            refused.legacyAlgorithms = false
            let byRequest = await #expect(throws: NetPulseError.self) {
                let session = try await Fixture.driver(backend).connect(
                    to: refused, context: Fixture.context(.ciscoIOS))
                await session.close()
            }
            #expect(byRequest?.kind == .protocolError)
            #expect(
                byRequest?.message.contains("the device offers diffie-hellman-group14-sha1") == true,
                "\(String(describing: byRequest))")
            #expect(byRequest?.message.contains("\"legacy_algorithms\": true") == true)

            let strictOperator = backend.makeDriver(
                SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil), allowsLegacyAlgorithms: false))
            let byOperator = await #expect(throws: NetPulseError.self) {
                let session = try await strictOperator.connect(
                    to: Fixture.target(server, port: devicePort, platform: "cisco_ios"),
                    context: Fixture.context(.ciscoIOS))
                await session.close()
            }
            #expect(byOperator?.kind == .protocolError)
            #expect(byOperator?.message.contains("allowsLegacyAlgorithms") == true, "\(String(describing: byOperator))")
        }
    }
}

@Suite("Driver: known_hosts at scale")
struct KnownHostsScaleScenarios {
    @Test(
        "a 10,000-entry known_hosts, half of it hashed by ssh-keygen -H, the device's entry among the hashed",
        arguments: Backends.all)
    func tenThousandEntries(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let other = try String(contentsOfFile: server.unauthorizedKeyFile + ".pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            let plain = (0..<5_000).map { "10.\($0 / 250).\($0 % 250).1 \(other)\n" }.joined()
            // The half to hash: 4,999 other hosts and the device itself, in the middle.
            var toHash = (0..<4_999).map { "[10.200.\($0 / 250).\($0 % 250)]:2222 \(other)\n" }
            toHash.insert("[127.0.0.1]:\(server.port) \(server.hostPublicKey)\n", at: 2_500)
            let hashedFile = server.directory + "/to_hash"
            try toHash.joined().write(toFile: hashedFile, atomically: true, encoding: .utf8)
            let (status, output) = try await ChildProcess.run("/usr/bin/ssh-keygen", ["-H", "-f", hashedFile])
            #expect(status == 0, "\(output)")
            let hashed = try String(contentsOfFile: hashedFile, encoding: .utf8)
            let file = server.directory + "/big_known_hosts"
            try (plain + hashed).write(toFile: file, atomically: true, encoding: .utf8)
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 10_000)
            #expect(lines.filter { $0.hasPrefix("|1|") }.count == 5_000)
            #expect(!lines.contains { $0.contains("[127.0.0.1]:\(server.port)") })

            let driver = Fixture.driver(backend)
            let target = Fixture.target(server, policy: .strict(knownHostsFile: file))
            for round in 0..<5 {
                let outcome = try await Fixture.withSession(driver, target) {
                    try await $0.execute(Fixture.commands("echo \(round)"))
                }
                #expect(outcome.outputs.first?.output == "\(round)\n")
            }
        }
    }

    @Test("500 concurrent accept-new connects into one file leave 500 well-formed lines", arguments: Backends.all)
    func fiveHundredAcceptNew(_ backend: Backend) async throws {
        // OpenSSH's sshd listens on at most 16 sockets: 32 servers of 16 ports give 512 distinct
        // `[127.0.0.1]:port` names. Public-key logins without PAM keep sshd's share of the CPU small.
        var configuration = TestSSHD.Configuration(extraConfig: ["UsePAM no"], extraPorts: 15)
        configuration.arguments = ["-r"]
        var servers: [TestSSHD] = []
        do {
            for _ in 0..<32 { servers.append(try await TestSSHD.start(configuration: configuration)) }
            try await Self.acceptNewConcurrently(backend, servers)
        } catch {
            for server in servers { await server.stop() }
            throw error
        }
        for server in servers { await server.stop() }
    }

    static func acceptNewConcurrently(_ backend: Backend, _ servers: [TestSSHD]) async throws {
        let endpoints = Array(servers.flatMap { server in server.ports.map { (server, $0) } }.prefix(500))
        #expect(endpoints.count == 500)
        let file = Fixture.temporaryPath("accept_new_500")
        defer { unlink(file) }
        let driver = Fixture.driver(backend)
        let targets = endpoints.map { server, port in
            Fixture.target(
                server, port: port, credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)],
                policy: .acceptNew(knownHostsFile: file), connectTimeout: .seconds(120))
        }
        let failures = await Fixture.connectAll(driver, targets)
        #expect(failures.isEmpty, "\(failures.count) failed: \(failures.prefix(3))")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 500)
        let expected = Set(endpoints.map { server, port in "[127.0.0.1]:\(port) \(server.hostPublicKey)" })
        #expect(Set(lines.map(String.init)) == expected)
        // OpenSSH reads the file the same way.
        let (server, port) = endpoints[250]
        let (status, found) = try await ChildProcess.run(
            "/usr/bin/ssh-keygen", ["-F", "[127.0.0.1]:\(port)", "-f", file])
        #expect(status == 0 && found.contains(server.hostPublicKey))
    }
}
