import Foundation
import NetPulse
import SSHTestSupport
import Testing

@testable import NetPulseSSHCore

/// Two real OpenSSH servers in a network namespace the test creates: the device's sshd listens only on
/// the namespace's loopback, so this process cannot reach it; the bastion's sshd, in the same namespace,
/// is reachable from here through a byte bridge on this namespace's loopback (same port). The device is
/// therefore reachable only through the bastion.
struct JumpLab {
    let namespace: String
    let bastion: TestSSHD
    let device: TestSSHD
    /// One known_hosts file with both servers' keys.
    let knownHostsFile: String

    static let bridgeScript = #"""
        import ctypes, os, socket, sys, threading
        port, ns = int(sys.argv[1]), sys.argv[2]
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(os.open("/var/run/netns/" + ns, os.O_RDONLY), 0x40000000) != 0:
            sys.exit("setns failed")
        print("ready", flush=True)
        def copy(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        while True:
            conn, _ = listener.accept()
            try:
                upstream = socket.create_connection(("127.0.0.1", port))
            except OSError:
                conn.close()
                continue
            threading.Thread(target=copy, args=(conn, upstream), daemon=True).start()
            threading.Thread(target=copy, args=(upstream, conn), daemon=True).start()
        """#

    static func with<T>(deviceExtraPorts: Int = 0, _ body: (JumpLab) async throws -> T) async throws -> T {
        let namespace = "npjump\(UInt32.random(in: 0...UInt32.max))"
        try await Self.run("/usr/sbin/ip", ["netns", "add", namespace])
        defer {
            let remove = try? Process.run(URL(fileURLWithPath: "/usr/sbin/ip"), arguments: ["netns", "del", namespace])
            remove?.waitUntilExit()
        }
        try await Self.run("/usr/sbin/ip", ["netns", "exec", namespace, "/usr/sbin/ip", "link", "set", "lo", "up"])
        let launcher = ["/usr/sbin/ip", "netns", "exec", namespace]
        var bastionConfiguration = TestSSHD.Configuration(extraConfig: ["AllowTcpForwarding yes"])
        bastionConfiguration.launcher = launcher
        var deviceConfiguration = TestSSHD.Configuration(extraPorts: deviceExtraPorts)
        deviceConfiguration.launcher = launcher
        return try await TestSSHD.with(configuration: bastionConfiguration) { bastion in
            try await TestSSHD.with(configuration: deviceConfiguration) { device in
                let script = Fixture.temporaryPath("bridge.py")
                try bridgeScript.write(toFile: script, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: script) }
                var pipeFDs: [Int32] = [0, 0]
                guard pipe(&pipeFDs) == 0 else { throw TestSSHD.Failure(description: "pipe() failed") }
                let bridge = try ChildProcess.spawn(
                    "/usr/bin/python3", [script, String(bastion.port), namespace], stdout: pipeFDs[1])
                close(pipeFDs[1])
                defer { close(pipeFDs[0]) }
                // The bridge says "ready" once it listens; a bridge that dies ends the pipe (end of file).
                let ready = await withCheckedContinuation { continuation in
                    let fd = pipeFDs[0]
                    Thread.detachNewThread {
                        var bytes = [UInt8](repeating: 0, count: 64)
                        let count = read(fd, &bytes, bytes.count)
                        continuation.resume(
                            returning: count > 0
                                && String(decoding: bytes[..<count], as: UTF8.self)
                                    .contains("ready")
                        )
                    }
                }
                let knownHosts = Fixture.temporaryPath("jump-known-hosts")
                defer { try? FileManager.default.removeItem(atPath: knownHosts) }
                do {
                    guard ready else { throw TestSSHD.Failure(description: "the namespace bridge did not start") }
                    let text =
                        try String(contentsOfFile: bastion.knownHostsFile, encoding: .utf8)
                        + String(contentsOfFile: device.knownHostsFile, encoding: .utf8)
                    try text.write(toFile: knownHosts, atomically: true, encoding: .utf8)
                    let result = try await body(
                        JumpLab(namespace: namespace, bastion: bastion, device: device, knownHostsFile: knownHosts))
                    bridge.signal(SIGKILL)
                    _ = await bridge.wait()
                    return result
                } catch {
                    bridge.signal(SIGKILL)
                    _ = await bridge.wait()
                    throw error
                }
            }
        }
    }

    static func run(_ tool: String, _ arguments: [String]) async throws {
        let (status, output) = try await ChildProcess.run(tool, arguments)
        guard status == 0 else { throw TestSSHD.Failure(description: "\(tool) \(arguments) failed: \(output)") }
    }

    var jumpHost: JumpHostArgs {
        JumpHostArgs(host: "127.0.0.1", port: bastion.port, password: Secret(TestSSHD.password))
    }

    /// Connection fields for the device on `port` behind the bastion.
    func args(port: Int, jumpHost: JumpHostArgs? = nil) -> ConnectionArgs {
        var args = ConnectionArgs(
            deviceType: "linux", port: port, username: TestSSHD.username, password: Secret(TestSSHD.password),
            connectTimeout: .seconds(20), readTimeout: .seconds(20), hostKeyMode: .strict,
            knownHostsFile: knownHostsFile)
        args.jumpHosts = [jumpHost ?? self.jumpHost]
        return args
    }

    /// sshd's logins so far.
    static func logins(_ server: TestSSHD) -> Int {
        server.logText.components(separatedBy: "Accepted ").count - 1
    }
}

@Suite("Driver: jump hosts (two OpenSSH servers, the device reachable only through the bastion)")
struct JumpHostScenarios {
    @Test("two devices behind one bastion answer over one bastion login", arguments: Backends.all)
    func twoDevicesOneLogin(_ backend: Backend) async throws {
        try await JumpLab.with(deviceExtraPorts: 1) { lab in
            let configuration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            let driver = backend.makeDriver(configuration)
            // Not reachable from here: the device listens in the namespace only.
            let direct = await #expect(throws: NetPulseError.self) {
                _ = try await driver.connect(
                    to: try lab.args(port: lab.device.port).resolve(host: "127.0.0.1", platforms: .builtin, path: "d")
                        .withoutJumpHosts(),
                    context: Fixture.context())
            }
            #expect(direct?.kind == .connectionRefused, "\(String(describing: direct))")
            let targets = try lab.device.ports.map {
                try lab.args(port: $0).resolve(host: "127.0.0.1", platforms: .builtin, path: "d")
            }
            let sessions = try await withThrowingTaskGroup(of: (any DriverSession).self) { group in
                for target in targets {
                    group.addTask { try await driver.connect(to: target, context: Fixture.context()) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(sessions.count == 2)
            #expect(await configuration.bastions.count == 1)
            for session in sessions {
                let outcome = try await session.execute(Fixture.commands("echo behind-the-bastion"))
                #expect(outcome.outputs.first?.output.contains("behind-the-bastion") == true)
            }
            #expect(JumpLab.logins(lab.bastion) == 1, "\(lab.bastion.logText)")
            #expect(JumpLab.logins(lab.device) == 2)
            // One device closes while the other keeps the bastion: its goodbye reaches its sshd through the
            // bastion, and the other device still answers.
            await sessions[0].close()
            if backend.name == "libssh2" {
                // libssh 0.10 driven non-blocking keeps its DISCONNECT in its own buffer when it closes (its
                // direct sessions too: sshd logs no goodbye from it), so only libssh2's goodbye can be seen.
                #expect(await lab.device.waitForLog(containing: "Received disconnect", timeout: .seconds(20)))
            }
            #expect(await configuration.bastions.count == 1)
            let still = try await sessions[1].execute(Fixture.commands("echo still-here"))
            #expect(still.outputs.first?.output.contains("still-here") == true)
            // Other credentials for the same bastion never share its session: a second login.
            var keyHop = lab.jumpHost
            keyHop.password = nil
            keyHop.keyFile = lab.bastion.clientKeyFile
            let byKey = try await driver.connect(
                to: try lab.args(port: lab.device.port, jumpHost: keyHop)
                    .resolve(host: "127.0.0.1", platforms: .builtin, path: "d"),
                context: Fixture.context())
            #expect(await configuration.bastions.count == 2)
            #expect(JumpLab.logins(lab.bastion) == 2)
            await byKey.close()
            await sessions[1].close()
            #expect(await configuration.bastions.count == 0)
            // The bastion's session went with its last device: no socket to it is left.
            #expect(Fixture.socketsConnected(toPort: lab.bastion.port).isEmpty)
        }
    }

    @Test("ssh_config ProxyJump reaches the device; the bastion's key is checked like any", arguments: Backends.all)
    func sshConfigProxyJump(_ backend: Backend) async throws {
        try await JumpLab.with { lab in
            let file = Fixture.temporaryPath("ssh_config")
            try """
            Host bastion
              HostName 127.0.0.1
              Port \(lab.bastion.port)
            Host device
              HostName 127.0.0.1
              Port \(lab.device.port)
              ProxyJump bastion
            """.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            var args = lab.args(port: lab.device.port)
            args.port = nil
            args.jumpHosts = nil
            args.driverArgs["ssh_config_file"] = .string(file)
            let target = try args.resolve(host: "device", platforms: .builtin, path: "devices[0]")
            #expect(target.jumpHosts.map(\.port) == [lab.bastion.port])
            let driver = backend.makeDriver(SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil)))
            let outcome = try await Fixture.withSession(driver, target, Fixture.context()) { session in
                try await session.execute(Fixture.commands("echo via-proxyjump"))
            }
            #expect(outcome.outputs.first?.output.contains("via-proxyjump") == true)

            // A bastion whose key is not in the known_hosts file is refused, and the error names it.
            let empty = Fixture.temporaryPath("empty-known-hosts")
            try "".write(toFile: empty, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: empty) }
            var unknown = target
            unknown.jumpHosts[0].hostKeyPolicy = .strict(knownHostsFile: empty)
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await driver.connect(to: unknown, context: Fixture.context())
            }
            #expect(error?.kind == .hostKeyUnknown, "\(String(describing: error))")
            #expect(error?.message.contains("jump host") == true, "\(String(describing: error))")
        }
    }

    @Test(
        "a JSON batch with jump_host runs on both devices behind the bastion, each accounted for once",
        arguments: Backends.all)
    func batchThroughScheduler(_ backend: Backend) async throws {
        try await JumpLab.with(deviceExtraPorts: 1) { lab in
            let devices = lab.device.ports.map { #"{"host": "127.0.0.1", "port": \#($0), "command": "echo via-json"}"# }
            let request = #"""
                {"driver": "\#(backend.name)", "devices": [\#(devices.joined(separator: ", "))],
                 "connection_args": {"device_type": "linux", "username": "\#(TestSSHD.username)",
                   "password": "\#(TestSSHD.password)", "host_key_policy": "strict",
                   "known_hosts_file": "\#(lab.knownHostsFile)",
                   "jump_host": {"host": "127.0.0.1", "port": \#(lab.bastion.port)}}}
                """#
            let batch = try BatchRequest(json: Data(request.utf8))
            var drivers = DriverRegistry()
            drivers.register(
                backend.makeDriver(SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil))),
                as: backend.name)
            let result = try await withScheduler(configuration: SchedulerConfiguration(drivers: drivers)) {
                try await $0.run(batch)
            }
            #expect(result.results.count == 2)
            #expect(Set(result.results.map(\.port)) == Set(lab.device.ports))
            for device in result.results {
                #expect(device.success, "\(String(describing: device.error))")
                #expect(device.output.contains("via-json"))
            }
            #expect(JumpLab.logins(lab.bastion) == 1, "\(lab.bastion.logText)")
        }
    }

    @Test("two hops: the second bastion is reached through the first", arguments: Backends.all)
    func twoHops(_ backend: Backend) async throws {
        try await JumpLab.with { lab in
            // The bastion's sshd twice: first through the bridge, then, from inside the namespace, itself
            // (the same address there). Two chains, two logins; the device through the second.
            var args = lab.args(port: lab.device.port)
            args.jumpHosts = [lab.jumpHost, lab.jumpHost]
            let target = try args.resolve(host: "127.0.0.1", platforms: .builtin, path: "d")
            #expect(target.jumpHosts.count == 2)
            let configuration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
            let outcome = try await Fixture.withSession(backend.makeDriver(configuration), target) { session in
                #expect(await configuration.bastions.count == 2)
                return try await session.execute(Fixture.commands("echo two-hops"))
            }
            #expect(outcome.outputs.first?.output.contains("two-hops") == true)
            #expect(JumpLab.logins(lab.bastion) == 2)
            #expect(JumpLab.logins(lab.device) == 1)
            #expect(await configuration.bastions.count == 0)
        }
    }

    @Test("a bastion that refuses the login is an authentication error naming the bastion", arguments: Backends.all)
    func bastionRefusesLogin(_ backend: Backend) async throws {
        try await JumpLab.with { lab in
            var hop = lab.jumpHost
            hop.password = "not-the-password"
            let target = try lab.args(port: lab.device.port, jumpHost: hop)
                .resolve(host: "127.0.0.1", platforms: .builtin, path: "d")
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await backend.makeDriver(SSHDriverConfiguration(hostKeyPolicy: .off))
                    .connect(to: target, context: Fixture.context())
            }
            #expect(error?.kind == .authentication, "\(String(describing: error))")
            #expect(
                error?.message.contains("jump host \(TestSSHD.username)@127.0.0.1:\(lab.bastion.port)") == true,
                "\(String(describing: error))")
            #expect(!(error?.message.contains("not-the-password") ?? true))
            #expect(JumpLab.logins(lab.device) == 0)
        }
    }

    @Test("a device the bastion cannot reach is connection_refused through the jump", arguments: Backends.all)
    func deviceRefusedThroughJump(_ backend: Backend) async throws {
        try await JumpLab.with { lab in
            let closed = try TestSSHD.freePort()
            let target = try lab.args(port: closed).resolve(host: "127.0.0.1", platforms: .builtin, path: "d")
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await backend.makeDriver(SSHDriverConfiguration(hostKeyPolicy: .off))
                    .connect(to: target, context: Fixture.context())
            }
            #expect(error?.kind == .connectionRefused, "\(String(describing: error))")
            #expect(error?.message.contains("through jump host") == true, "\(String(describing: error))")
            #expect(error?.message.contains("127.0.0.1:\(closed)") == true, "\(String(describing: error))")
        }
    }

    @Test("jump_host in JSON: one object or a list; bad fields are named")
    func json() throws {
        let request = #"""
            {"driver": "libssh", "devices": [{"host": "10.0.0.1", "command": "show version"}],
             "connection_args": {"device_type": "cisco_ios", "username": "u", "password": "p",
               "jump_host": [{"host": "b1.example", "username": "jump", "key_file": "/k"},
                             {"host": "b2.example", "port": 2222}]}}
            """#
        let parsed = try BatchRequest(json: Data(request.utf8))
        let hops = try #require(parsed.connectionArgs.jumpHosts)
        #expect(hops.map(\.host) == ["b1.example", "b2.example"])
        #expect(hops[1].port == 2222)
        let target = try parsed.connectionArgs.resolve(host: "10.0.0.1", platforms: .builtin, path: "devices[0]")
        #expect(target.jumpHosts[0].credentials == [.privateKey(path: "/k", passphrase: nil)])
        #expect(target.jumpHosts[1].username == "u")
        #expect(target.jumpHosts[1].credentials == target.credentials)
        #expect(target.description.contains("via jump@b1.example:22 via u@b2.example:2222"))
        for (body, field) in [
            (#"{"host": "b", "port": "x"}"#, "connection_args.jump_host.port"),
            (#"{"port": 22}"#, "connection_args.jump_host.host"),
            (#"[{"host": "b"}, {"host": "c", "pasword": "x"}]"#, "connection_args.jump_host[1].pasword"),
            (#""b""#, "connection_args.jump_host"),
        ] {
            let devices = #"[{"host": "h", "command": "c"}]"#
            let text = #"{"driver": "libssh", "devices": \#(devices), "connection_args": {"jump_host": \#(body)}}"#
            let error = #expect(throws: RequestError.self) { try BatchRequest(json: Data(text.utf8)) }
            #expect(error?.field == field, "\(body): \(String(describing: error))")
        }
    }
}

extension DeviceTarget {
    func withoutJumpHosts() -> DeviceTarget {
        var copy = self
        copy.jumpHosts = []
        return copy
    }
}
