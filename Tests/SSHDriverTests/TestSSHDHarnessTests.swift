import Foundation
import SSHTestSupport
import Testing

/// The test sshd's own start-up, which every server scenario relies on.
@Suite("Test sshd: start-up")
struct TestSSHDHarnessTests {
    @Test("a port that another socket holds fails the start as port-taken, not as a start-up timeout")
    func portTaken() async throws {
        let (listener, held) = try Listener.open(backlog: 1)
        defer { close(listener) }
        // A short start deadline: a missed "Address already in use" would end as a timeout instead.
        var configuration = TestSSHD.Configuration(extraConfig: ["Port \(held)"])
        configuration.startTimeout = .seconds(20)
        let failure = await #expect(throws: TestSSHD.Failure.self) {
            let server = try await TestSSHD.start(configuration: configuration)
            await server.stop()
        }
        #expect(failure?.isPortTaken == true)
        #expect(failure?.description.contains("port \(held)") == true)
    }

    @Test("a server that starts lists every port it listens on, and each accepts a connection")
    func extraPortsListen() async throws {
        var configuration = TestSSHD.Configuration()
        configuration.extraPorts = 2
        try await TestSSHD.with(configuration: configuration) { server in
            #expect(server.ports.count == 3)
            #expect(Set(server.ports).count == 3)
            for port in server.ports {
                // ssh-keyscan prints the key it was shown (and exits 0 even when it could not connect).
                let (_, output) = try await ChildProcess.run(
                    "/usr/bin/ssh-keyscan", ["-T", "5", "-p", "\(port)", server.host])
                #expect(output.contains(server.hostPublicKey), "ssh-keyscan on port \(port)")
            }
        }
    }
}
