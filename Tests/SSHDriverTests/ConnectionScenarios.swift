import Foundation
import NetPulse
import NetPulseSSHCore
import SSHTestSupport
import Testing

@Suite("Driver: connecting")
struct ConnectionScenarios {
    @Test("nothing listening: connection_refused", arguments: Backends.all)
    func refused(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let port = try TestSSHD.freePort()
            let target = Fixture.target(server, port: port)
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
            }
            #expect(error?.kind == .connectionRefused)
        }
    }

    @Test("a listener that never accepts, its queue full: timeout within the connect timeout", arguments: Backends.all)
    func connectTimeout(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let (listener, port) = try Listener.open(backlog: 0)
            defer { close(listener) }
            // Fill the accept queue: once it is full, further SYNs are dropped.
            var filled: [Int32] = []
            defer {
                for fd in filled {
                    ReadinessLoop.shared.forget(fd: fd)
                    close(fd)
                }
            }
            for _ in 0..<8 {
                guard
                    let fd = try? await TCPConnector.connect(
                        host: "127.0.0.1", port: port, deadline: .now + .milliseconds(200))
                else { break }
                filled.append(fd)
            }
            let target = Fixture.target(server, port: port, connectTimeout: .milliseconds(500))
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
            }
            #expect(error?.kind == .timeout)
            #expect(clock.now - start < .seconds(5))
        }
    }

    @Test("a server that accepts but never speaks SSH: timeout", arguments: Backends.all)
    func silentServer(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let (listener, port) = try Listener.open(backlog: 16)
            defer { close(listener) }
            let target = Fixture.target(server, port: port, connectTimeout: .milliseconds(400))
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await Fixture.driver(backend).connect(to: target, context: Fixture.context())
            }
            #expect(error?.kind == .timeout)
        }
    }

    @Test("legacy algorithms are off by default and opt-in", arguments: Backends.all)
    func legacyAlgorithms(_ backend: Backend) async throws {
        // A server that offers only a SHA-1 key exchange and CBC ciphers, like an old device.
        let configuration = TestSSHD.Configuration(extraConfig: [
            "KexAlgorithms diffie-hellman-group14-sha1", "Ciphers aes128-cbc",
        ])
        try await TestSSHD.with(configuration: configuration) { server in
            let error = await #expect(throws: NetPulseError.self) {
                _ = try await Fixture.driver(backend).connect(to: Fixture.target(server), context: Fixture.context())
            }
            #expect(error?.kind == .protocolError)
            var legacy = Fixture.target(server)
            legacy.legacyAlgorithms = true
            let outcome = try await Fixture.withSession(Fixture.driver(backend), legacy) {
                try await $0.execute(Fixture.commands("echo old"))
            }
            #expect(outcome.outputs.first?.output == "old\n")
        }
    }
}

/// A plain TCP listener on loopback that never accepts.
enum Listener {
    static func open(backlog: Int32) throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSSHD.Failure(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            close(fd)
            throw TestSSHD.Failure(description: "cannot listen on loopback")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

@Suite("Driver: keepalive and cancellation")
struct KeepaliveScenarios {
    @Test("an idle session sends keepalives at its interval and stays alive", arguments: Backends.all)
    func keepalive(_ backend: Backend) async throws {
        try await TestSSHD.with(configuration: TestSSHD.Configuration(extraConfig: ["LogLevel DEBUG1"])) { server in
            let driver = Fixture.driver(backend, keepalive: .seconds(1))
            try await Fixture.withSession(driver, Fixture.target(server)) { session in
                let seen = await server.waitForLog(
                    containing: "server_input_global_request: rtype keepalive@", timeout: .seconds(10))
                #expect(seen, "\(server.logText.split(separator: "\n").suffix(15).joined(separator: "\n"))")
                #expect(await session.isAlive())
                let outcome = try await session.execute(Fixture.commands("echo after"))
                #expect(outcome.outputs.first?.output == "after\n")
            }
        }
    }

    @Test("cancelling a connect that waits on a silent server ends it promptly", arguments: Backends.all)
    func cancelConnect(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let (listener, port) = try Listener.open(backlog: 16)
            defer { close(listener) }
            let target = Fixture.target(server, port: port, connectTimeout: .seconds(60))
            let driver = Fixture.driver(backend)
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await driver.connect(to: target, context: Fixture.context()) }
            task.cancel()
            let result = await task.result
            #expect(throws: (any Error).self) { _ = try result.get() }
            #expect(clock.now - start < .seconds(10))
        }
    }
}
