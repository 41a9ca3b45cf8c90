import Foundation
import NetPulse
import NetPulseLab
import SSHTestSupport
import Testing

/// Typed into an interactive `ssh -tt` shell: disable paging, change config, show it, save, leave.
let routerScripts: [(LabPlatform, String, [String])] = [
    (
        .ciscoIOS,
        "terminal length 0\nenable\nenable\nconfigure terminal\nhostname CORE9\ninterface Gi0/1\n"
            + "description set by openssh\nvlan 42\nname SALES\nend\nshow running-config\nshow foo\n"
            + "write memory\nexit\n",
        [
            "CORE9(config)#", "hostname CORE9", " description set by openssh", "vlan 42\r\n name SALES",
            "% Invalid input detected at '^' marker.", "[OK]",
        ]
    ),
    (
        .aristaEOS,
        "terminal length 0\nenable\nenable\nconfigure terminal\nhostname leaf9\ninterface Ethernet2\n"
            + "description set by openssh\nend\nshow running-config\nwrite memory\nexit\n",
        ["leaf9(config-if-Et2)#", "hostname leaf9", "   description set by openssh", "Copy completed successfully."]
    ),
    (
        .juniperJunos,
        "set cli screen-length 0\nconfigure\nset system host-name edge9\nset vlans SALES vlan-id 42\ncommit\n"
            + "exit configuration-mode\nshow configuration\nexit\n",
        ["commit complete", "admin@edge9> ", "host-name edge9;", "vlan-id 42;"]
    ),
    (
        .huawei,
        "screen-length 0 temporary\nsystem-view\nsysname AGG9\ninterface GigabitEthernet0/0/1\n"
            + "description set by openssh\nreturn\ndisplay current-configuration\nsave\ny\nquit\n",
        [
            "[AGG9-GigabitEthernet0/0/1]", " sysname AGG9", " description set by openssh",
            "Save the configuration successfully.",
        ]
    ),
]

@Suite("Lab devices with OpenSSH's ssh client")
struct OpenSSHTests {
    @Test func execOnLinuxWithPasswordStdoutStderrAndStatus() async throws {
        try await withLab(LabConfiguration(devices: 2, platforms: [.linux])) { lab in
            let device = lab.devices[1]
            let auth = OpenSSHClient.password()
            let uname = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: auth, password: "admin", command: "uname -a")
            #expect(uname.status == 0)
            #expect(uname.stdout.hasPrefix("Linux host2 "))
            let failing = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: auth, password: "admin", command: "echo oops >&2; exit 3")
            #expect(failing.status == 3)
            #expect(failing.stderr.contains("oops"))
            #expect(failing.stdout.isEmpty)
            let bulk = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: auth, password: "admin", command: "seq 200000")
            #expect(bulk.status == 0)
            let lines = bulk.stdout.split(separator: "\n")
            #expect(lines.count == 200_000)
            #expect(lines.last == "200000")
            let statistics = lab.statistics()
            #expect(statistics.logins == 3)
            #expect(statistics.commands == 3)
        }
    }

    @Test func publicKeyAuthenticationAcceptsOnlyListedKeys() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let allowed = try await makeClientKey(in: folder, name: "allowed")
        let other = try await makeClientKey(in: folder, name: "other")
        try (allowed.publicLine + "\n").write(toFile: folder + "/authorized_keys", atomically: true, encoding: .utf8)
        let configuration = LabConfiguration(
            devices: 1, platforms: [.linux], authorizedKeysFile: folder + "/authorized_keys")
        try await withLab(configuration) { lab in
            let device = lab.devices[0]
            let ok = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: OpenSSHClient.key(allowed.privateKey), password: nil,
                command: "hostname")
            #expect(ok.status == 0)
            #expect(ok.stdout == "host1\n")
            let refused = try await OpenSSHClient.exec(
                device, knownHosts: lab.knownHostsFile, auth: OpenSSHClient.key(other.privateKey), password: nil,
                command: "hostname")
            #expect(refused.status == 255)
            #expect(refused.stderr.contains("Permission denied"))
        }
    }

    @Test func eachDeviceHasItsOwnHostKeyAndStrictCheckingHolds() async throws {
        try await withLab(LabConfiguration(devices: 2, platforms: [.linux])) { lab in
            #expect(lab.devices[0].hostKey != lab.devices[1].hostKey)
            let known = try String(contentsOfFile: lab.knownHostsFile, encoding: .utf8)
            #expect(known.contains("[127.0.0.1]:\(lab.devices[1].port) ssh-ed25519 AAAA"))
            // A known_hosts that gives device 1's port the key of device 0: ssh must refuse.
            let wrong = lab.folder + "/wrong_known_hosts"
            try "[127.0.0.1]:\(lab.devices[1].port) \(lab.devices[0].hostKey)\n"
                .write(toFile: wrong, atomically: true, encoding: .utf8)
            let result = try await OpenSSHClient.exec(
                lab.devices[1], knownHosts: wrong, auth: OpenSSHClient.password(), password: "admin",
                command: "hostname")
            #expect(result.status == 255)
            #expect(result.stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"))
            // The fingerprint the lab reports is the one ssh-keygen computes.
            let keygen = try await ChildProcess.run(
                "/usr/bin/ssh-keygen", ["-l", "-f", lab.knownHostsFile], environment: [:])
            try #require(keygen.status == 0)
            let listingFile = lab.folder + "/fingerprints.txt"
            try keygen.stdout.write(toFile: listingFile, atomically: true, encoding: .utf8)
            let listing = try String(contentsOfFile: listingFile, encoding: .utf8)
            for device in lab.devices { #expect(listing.contains(device.hostKeyFingerprint)) }
        }
    }

    @Test func hostKeysPersistInTheLabFolder() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try await withLab(LabConfiguration(devices: 3, folder: folder)) { lab in lab.devices.map(\.hostKey)
        }
        let second = try await withLab(LabConfiguration(devices: 3, folder: folder)) { lab in lab.devices.map(\.hostKey)
        }
        #expect(first == second)
        #expect(Set(first).count == 3)
    }

    @Test(arguments: 0..<4)
    func interactiveShellOnRouterPlatforms(_ script: Int) async throws {
        let (platform, typed, expected) = routerScripts[script]
        try await withLab(LabConfiguration(devices: 1, platforms: [platform])) { lab in
            // Keyboard-interactive for IOS, password for the others.
            let auth = OpenSSHClient.password(platform == .ciscoIOS ? "keyboard-interactive" : "password")
            let client = try OpenSSHClient(
                ["-tt"] + OpenSSHClient.options(for: lab.devices[0], knownHosts: lab.knownHostsFile, auth: auth),
                password: "admin")
            // Type only once the first prompt is there, as a person (or a driver) would.
            #expect(await client.wait(upTo: .seconds(10)) { $0.hasSuffix(">") || $0.hasSuffix("> ") })
            client.send(typed)
            let status = await client.exitStatus(within: .seconds(15))
            #expect(status == 0, "ssh did not end cleanly: \(client.errorOutput)")
            let output = client.output
            for text in expected { #expect(output.contains(text), "missing \(text.debugDescription)") }
            #expect(!output.contains("--More--") && !output.contains("---(more)---"))
        }
    }

    @Test func targetsForDriversCarryTheLabDevice() async throws {
        try await withLab(LabConfiguration(devices: 2, platforms: [.aristaEOS])) { lab in
            let device = lab.devices[1]
            let target = device.target(
                hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile), readTimeout: .seconds(30),
                connectTimeout: .seconds(30))
            #expect(target.host == "127.0.0.1")
            #expect(target.port == device.port)
            #expect(target.platform == "arista_eos")
            #expect(target.enableSecret == device.enableSecret)
            #expect(target.credentials == [.password(device.password)])
            // The inventory is a valid NetPulse request naming every device.
            let request = try BatchRequest(json: Data(lab.inventoryJSON.utf8))
            #expect(request.devices.count == 2)
            #expect(request.devices[1].connection.port == device.port)
            #expect(request.connectionArgs.knownHostsFile == lab.knownHostsFile)
        }
    }
}
