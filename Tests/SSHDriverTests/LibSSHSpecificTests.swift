import Foundation
import Logging
import NetPulse
import NetPulseIO
import NetPulseSSH
import SSHTestSupport
import Testing

/// What only the libssh backend does, or does differently from libssh2, against a real OpenSSH sshd.
@Suite("libssh driver specifics")
struct LibSSHSpecificTests {
    static let logger = Logger(label: "test.libssh")

    static func target(
        _ server: TestSSHD, platform: String = "linux", credentials: [Credential]? = nil,
        policy: HostKeyPolicy? = nil, legacy: Bool = false, connectTimeout: Duration = .seconds(10)
    ) -> DeviceTarget {
        DeviceTarget(
            host: server.host, port: server.port, username: TestSSHD.username,
            credentials: credentials ?? [.password(Secret(TestSSHD.password))], enableSecret: "en-secret",
            platform: platform, connectTimeout: connectTimeout, readTimeout: .seconds(10),
            hostKeyPolicy: policy ?? .strict(knownHostsFile: server.knownHostsFile), legacyAlgorithms: legacy)
    }

    static func context(_ platform: String = "linux") -> DriverContext {
        DriverContext(platform: PlatformRegistry.builtin.profile(named: platform)!, logger: logger)
    }

    static let driver = LibSSHDriver(configuration: SSHDriverConfiguration(hostKeyPolicy: .off))

    static func commands(_ lines: String...) -> ExecutionRequest {
        ExecutionRequest(operation: .commands(lines), readTimeout: .seconds(10), logger: logger)
    }

    /// Connects, runs `echo ok`, closes; returns the output or throws the connect error.
    static func login(_ target: DeviceTarget) async throws -> String {
        let session = try await driver.connect(to: target, context: context())
        do {
            let outcome = try await session.execute(commands("echo ok"))
            await session.close()
            return outcome.outputs.first?.output ?? ""
        } catch {
            await session.close()
            throw error
        }
    }

    static func expectLogin(_ target: DeviceTarget, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let output = try await login(target)
        #expect(output == "ok\n", sourceLocation: sourceLocation)
    }

    static func kind(of body: () async throws -> Void) async -> NetPulseError.Kind? {
        do {
            try await body()
            return nil
        } catch let error as NetPulseError {
            return error.kind
        } catch {
            return .driverError
        }
    }

    // MARK: Registration

    @Test("registered as libssh with the alias ssh")
    func registration() {
        var registry = DriverRegistry()
        registry.registerLibSSH(configuration: SSHDriverConfiguration(hostKeyPolicy: .off))
        #expect(registry.canonicalName("ssh") == "libssh")
        #expect(registry.driver(named: "LIBSSH") is LibSSHDriver)
        #expect(LibSSHDriver.libraryVersion.hasPrefix("0.10"))
    }

    // MARK: Exec and auth

    @Test("exec reports stdout, stderr and the exit status; non-zero exit is a command_error")
    func execSmoke() async throws {
        try await TestSSHD.with { server in
            let session = try await Self.driver.connect(to: Self.target(server), context: Self.context())
            let outcome = try await session.execute(Self.commands("echo hi; echo err >&2; exit 3", "true"))
            await session.close()
            #expect(outcome.outputs.first?.output == "hi\n")
            #expect(outcome.outputs.first?.stderr == "err\n")
            #expect(outcome.outputs.first?.exitStatus == 3)
            #expect(outcome.outputs.first?.status == .failed)
            #expect(outcome.outputs.last?.exitStatus == 0)
            #expect(outcome.outputs.last?.status == .ok)
            #expect(outcome.error?.kind == .commandError)
        }
    }

    @Test("each authentication method; wrong secrets are authentication errors")
    func authentication() async throws {
        try await TestSSHD.with { server in
            let password = Secret(TestSSHD.password)
            let wrong = Secret("not-the-password")
            try await Self.expectLogin(Self.target(server, credentials: [.password(password)]))
            try await Self.expectLogin(Self.target(server, credentials: [.keyboardInteractive(password)]))
            try await Self.expectLogin(
                    Self.target(server, credentials: [.privateKey(path: server.clientKeyFile, passphrase: nil)]))
            let phrase = Secret(TestSSHD.keyPassphrase)
            try await Self.expectLogin(
                    Self.target(server, credentials: [.privateKey(path: server.passphraseKeyFile, passphrase: phrase)]))
            // Credentials are tried in order: a rejected key, then a wrong password, then the right one.
            // (Not keyboard-interactive after a failed password: this sshd's PAM then fails pam_setcred and
            // drops the connection after accepting the login, whatever the client.)
            try await Self.expectLogin(
                    Self.target(
                        server,
                        credentials: [
                            .privateKey(path: server.unauthorizedKeyFile, passphrase: nil), .password(wrong),
                            .password(password),
                        ]))
            for credentials: [Credential] in [
                [.password(wrong)], [.keyboardInteractive(wrong)],
                [.privateKey(path: server.unauthorizedKeyFile, passphrase: nil)],
                [.privateKey(path: server.passphraseKeyFile, passphrase: "wrong phrase")],
            ] {
                let kind = await Self.kind { _ = try await Self.login(Self.target(server, credentials: credentials)) }
                #expect(kind == .authentication, "\(credentials)")
            }
        }
    }

    // MARK: Host keys

    @Test("host keys: mismatch names the fingerprint, unknown under strict, accept-new records then matches")
    func hostKeys() async throws {
        try await TestSSHD.with { server in
            let other = try String(contentsOfFile: server.unauthorizedKeyFile + ".pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            let wrongFile = server.directory + "/wrong_known_hosts"
            try "[127.0.0.1]:\(server.port) \(other)\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
            do {
                _ = try await Self.login(Self.target(server, policy: .strict(knownHostsFile: wrongFile)))
                Issue.record("connected despite a changed host key")
            } catch let error as NetPulseError {
                #expect(error.kind == .hostKeyMismatch)
                #expect(error.message.contains("SHA256:"))
            }
            // accept-new refuses a changed key too.
            let changed = await Self.kind {
                _ = try await Self.login(Self.target(server, policy: .acceptNew(knownHostsFile: wrongFile)))
            }
            #expect(changed == .hostKeyMismatch)

            let fresh = server.directory + "/fresh_known_hosts"
            let unknown = await Self.kind {
                _ = try await Self.login(Self.target(server, policy: .strict(knownHostsFile: fresh)))
            }
            #expect(unknown == .hostKeyUnknown)
            try await Self.expectLogin(Self.target(server, policy: .acceptNew(knownHostsFile: fresh)))
            let recorded = try String(contentsOfFile: fresh, encoding: .utf8)
            #expect(recorded.contains(server.hostPublicKey.split(separator: " ")[1]))
            try await Self.expectLogin(Self.target(server, policy: .strict(knownHostsFile: fresh)))
            try await Self.expectLogin(Self.target(server, policy: .off))
        }
    }

    // MARK: Connection failures

    @Test("refused connection and a listener that never answers")
    func connectionFailures() async throws {
        try await TestSSHD.with { server in
            var refused = Self.target(server)
            refused.port = try TestSSHD.freePort()
            let refusedKind = await Self.kind { _ = try await Self.login(refused) }
            #expect(refusedKind == .connectionRefused)

            let listener = try SilentListener()
            defer { listener.close() }
            var silent = Self.target(server, connectTimeout: .milliseconds(300))
            silent.port = listener.port
            let start = ContinuousClock.now
            let silentKind = await Self.kind { _ = try await Self.login(silent) }
            #expect(silentKind == .timeout)
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }

    // MARK: Algorithms (where libssh and libssh2 differ)

    @Test(
        "libssh negotiates chacha20-poly1305 and AES-GCM (libssh2 1.10 has neither)",
        arguments: ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"])
    func modernCiphers(cipher: String) async throws {
        try await TestSSHD.with(configuration: .init(extraConfig: ["Ciphers \(cipher)"])) { server in
            try await Self.expectLogin(Self.target(server))
        }
    }

    @Test("legacy algorithms are off by default and work when the target opts in")
    func legacyAlgorithms() async throws {
        let config = ["KexAlgorithms diffie-hellman-group14-sha1", "Ciphers aes128-cbc", "MACs hmac-sha1"]
        try await TestSSHD.with(configuration: .init(extraConfig: config)) { server in
            do {
                _ = try await Self.login(Self.target(server))
                Issue.record("connected with legacy algorithms off")
            } catch let error as NetPulseError {
                #expect(error.kind == .protocolError, "\(error)")
            }
            try await Self.expectLogin(Self.target(server, legacy: true))
        }
    }

    // MARK: Socket ownership

    @Test("every socket is closed exactly once, also when libssh closed it itself after a failure")
    func socketsClosedAfterFailures() async throws {
        // The legacy-only server makes the key exchange fail by default: libssh then closes the socket
        // itself; a successful session leaves it to the driver; an auth failure too.
        let config = ["KexAlgorithms diffie-hellman-group14-sha1,curve25519-sha256"]
        try await TestSSHD.with(configuration: .init(extraConfig: config)) { server in
            for round in 0..<10 {
                try await Self.expectLogin(Self.target(server))
                let kind = await Self.kind {
                    _ = try await Self.login(
                        Self.target(server, credentials: [.privateKey(path: server.unauthorizedKeyFile, passphrase: nil)]))
                }
                #expect(kind == .authentication, "round \(round)")
            }
            #expect(SocketTable.openSockets(toPort: server.port) == 0)
        }
        try await TestSSHD.with(configuration: .init(extraConfig: ["KexAlgorithms diffie-hellman-group14-sha1"])) {
            server in
            for _ in 0..<10 {
                let kind = await Self.kind { _ = try await Self.login(Self.target(server)) }
                #expect(kind == .protocolError)
            }
            #expect(SocketTable.openSockets(toPort: server.port) == 0)
        }
    }

    // MARK: Liveness

    @Test("a connection dropped mid-command: connection_lost, then isAlive false", arguments: ["linux", "cisco_ios"])
    func droppedMidCommand(platform: String) async throws {
        let script = try DeviceScript()
        defer { script.remove() }
        let extra = platform == "linux" ? [] : [script.forceCommand]
        try await TestSSHD.with(configuration: .init(extraConfig: extra)) { server in
            let session = try await Self.driver.connect(
                to: Self.target(server, platform: platform), context: Self.context(platform))
            #expect(await session.isAlive())
            // The command kills the sshd process serving this connection; the driver waits for the drop.
            let command = platform == "linux" ? "echo partial; kill -9 $PPID" : "crash"
            let kind = await Self.kind { _ = try await session.execute(Self.commands(command)) }
            #expect(kind == .connectionLost)
            #expect(await session.isAlive() == false)
            let after = await Self.kind { _ = try await session.execute(Self.commands("echo x")) }
            #expect(after == .connectionLost || after == .sessionUnavailable)
            await session.close()
            #expect(SocketTable.openSockets(toPort: server.port) == 0)
        }
    }

    // MARK: Shell

    @Test("pty shell through the CLI engine: paging off, enable, config mode, a rejected line")
    func deviceShell() async throws {
        let script = try DeviceScript()
        defer { script.remove() }
        try await TestSSHD.with(configuration: .init(extraConfig: [script.forceCommand])) { server in
            let session = try await Self.driver.connect(
                to: Self.target(server, platform: "cisco_ios"), context: Self.context("cisco_ios"))
            let shown = try await session.execute(Self.commands("show version", "show nothing"))
            #expect(shown.outputs.first?.output.contains("line 12 of the version output") == true)
            #expect(shown.outputs.first?.output.contains("More") == false)
            #expect(shown.outputs.last?.status == .failed)
            #expect(shown.error?.kind == .commandError)
            let pushed = try await session.execute(
                ExecutionRequest(
                    operation: .config(["interface Gi0/1", "description up"]), readTimeout: .seconds(10),
                    logger: Self.logger))
            #expect(pushed.success, "\(pushed)")
            #expect(await session.isAlive())
            await session.close()
        }
    }
}

/// This process's TCP sockets, from /proc: immune to descriptors that tests running in parallel open.
enum SocketTable {
    /// How many sockets this process holds whose peer is 127.0.0.1:`port`.
    static func openSockets(toPort port: Int) -> Int {
        var inodes: Set<String> = []
        for fd in FileLimits.openDescriptors() {
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
                link.hasPrefix("socket:[")
            else { continue }
            inodes.insert(String(link.dropFirst(8).dropLast()))
        }
        let suffix = ":" + String(format: "%04X", port)
        var count = 0
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9 else { continue }
                if fields[2].hasSuffix(suffix) && inodes.contains(String(fields[9])) { count += 1 }
            }
        }
        return count
    }
}

/// Processes by parent, from /proc.
enum ProcessTable {
    static func children(of parent: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { name -> pid_t? in
            guard let pid = pid_t(name),
                let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }
}

/// A TCP listener that accepts connections in the kernel backlog but never speaks.
struct SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw NetPulseError.driverError("cannot listen on loopback") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}

