import Foundation
import NetPulse
import SSHTestSupport
import Testing

/// `ssh_config_file` read as OpenSSH's own client reads it (`ssh -G` prints what it resolved; it connects to
/// nothing and resolves no name).
@Suite("ssh_config_file")
struct SSHConfigFileTests {
    static let config = """
        # core routers
        Host core-* !core-lab
            HostName %h.net.example
            User netops
            Port 2201
        Host core-1
            HostName 127.0.0.7
            Port 2299
        Host edge?
            HostName=127.0.0.8
            IdentityFile ~/.ssh/edge_key
        Match user nobody
            Port 9
        Host *
            User fallback
            Port 22
        """

    @Test(
        "HostName, Port, User and IdentityFile as `ssh -G` resolves them",
        arguments: ["core-1", "core-2", "edge3", "core-lab", "plain"])
    func matchesOpenSSH(_ alias: String) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("np-sshcfg-\(UUID().uuidString)")
        try Self.config.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try await ChildProcess.run("/usr/bin/ssh", ["-G", "-F", file.path, alias])
        try #require(status == 0, "\(output)")
        var openssh: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, openssh[String(parts[0])] == nil { openssh[String(parts[0])] = String(parts[1]) }
        }
        let args = ConnectionArgs(
            deviceType: "cisco_ios", password: "p", driverArgs: ["ssh_config_file": .string(file.path)])
        let target = try args.resolve(host: alias, platforms: .builtin, path: "devices[0]")
        #expect(target.host == openssh["hostname"])
        #expect(String(target.port) == openssh["port"])
        #expect(target.username == openssh["user"])
        let key = target.credentials.compactMap { credential -> String? in
            if case .privateKey(let path, _) = credential { return path }
            return nil
        }.first
        if alias.hasPrefix("edge") {
            // `ssh -G` prints the path as written; the session expands `~` when it reads the key.
            #expect(key == openssh["identityfile"])
        } else {
            #expect(key == nil)
        }
    }

    @Test("the request's own fields win; a bad ProxyJump, a bad Port and a missing file are refused naming the field")
    func precedenceAndRefusals() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("np-sshcfg-\(UUID().uuidString)")
        try """
        Host r1
          Port 2222
          User cfg
        Host j1
          ProxyJump bastion
        Host j2
          ProxyJump ops@b1:2200,[::1]:2201
        Host badjump
          ProxyJump bastion:99999
        Host bastion
          HostName 192.0.2.7
          IdentityFile /keys/jump
        Host bad
          Port 70000
        """.write(
            to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let args = ConnectionArgs(
            deviceType: "cisco_ios", port: 830, username: "mine", password: "p",
            driverArgs: ["ssh_config_file": .string(file.path)])
        let target = try args.resolve(host: "r1", platforms: .builtin, path: "d")
        #expect(target.port == 830 && target.username == "mine")
        let jump = try args.resolve(host: "j1", platforms: .builtin, path: "d").jumpHosts
        #expect(
            jump == [
                JumpHost(
                    host: "192.0.2.7", username: "mine", credentials: [.privateKey(path: "/keys/jump", passphrase: nil)]
                )
            ])
        let hops = try args.resolve(host: "j2", platforms: .builtin, path: "d").jumpHosts
        #expect(hops.map(\.description) == ["jump host ops@b1:2200", "jump host mine@[::1]:2201"])
        #expect(hops[1].credentials == [.password("p"), .keyboardInteractive("p")])
        var own = args
        own.jumpHosts = [JumpHostArgs(host: "mine.example")]
        #expect(try own.resolve(host: "j1", platforms: .builtin, path: "d").jumpHosts.map(\.host) == ["mine.example"])
        for host in ["badjump", "bad"] {
            let error = #expect(throws: RequestError.self) {
                try args.resolve(host: host, platforms: .builtin, path: "d")
            }
            #expect(error?.field == "d.ssh_config_file", "\(host)")
        }
        var missing = args
        missing.driverArgs["ssh_config_file"] = .string(file.path + ".absent")
        let error = #expect(throws: RequestError.self) {
            try missing.resolve(host: "r1", platforms: .builtin, path: "d")
        }
        #expect(error?.field == "d.ssh_config_file")
    }
}
