import Foundation
import NetPulse
import NetPulseSSHCore
import SSHTestSupport
import Testing

@Suite("Driver: session lifecycle (liveness, close, deadlines)")
struct SessionLifecycleScenarios {
    @Test(
        "close() while an execution waits on the device: both end promptly, no use after free", arguments: Backends.all)
    func closeDuringExecution(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            let session = try await Fixture.driver(backend).connect(
                to: Fixture.target(server), context: Fixture.context())
            let marker = "/tmp/np-close-\(UUID().uuidString)"
            defer { unlink(marker) }
            let command = "touch \(marker); cat"
            let running = Task { try await session.execute(Fixture.commands(command, readTimeout: .seconds(60))) }
            // The command runs (its marker exists): the execution now waits on the device.
            let deadline = ContinuousClock.now + .seconds(10)
            while !FileManager.default.fileExists(atPath: marker) && ContinuousClock.now < deadline {
                await Task.yield()
            }
            #expect(FileManager.default.fileExists(atPath: marker))
            let closed: Void? = await outcome(of: Task { await session.close() }, within: .seconds(10))
            #expect(closed != nil, "close() did not return")
            let ended = await outcome(of: running, within: .seconds(10))
            #expect(ended != nil, "the execution did not end after close()")
            #expect(throws: (any Error).self) { _ = try ended?.get() }
        }
    }

    @Test("isAlive() makes a round trip: a device that stopped answering is not alive", arguments: Backends.all)
    func isAliveRoundTrip(_ backend: Backend) async throws {
        try await DeviceShell.with { server, devicePort in
            for (platform, port) in [(PlatformProfile.linux, server.port), (.ciscoIOS, devicePort)] {
                let target = Fixture.target(server, port: port, platform: platform.name)
                // The round trip's deadline (the liveness timeout) is short so that the test ends soon.
                let driver = backend.makeDriver(
                    SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: nil), livenessTimeout: .seconds(2)))
                let session = try await driver.connect(to: target, context: Fixture.context(platform))
                #expect(await session.isAlive(), "\(platform.name)")
                // The device's processes stop: TCP stays up, nothing answers.
                #expect(server.signalSessions(SIGSTOP) > 0)
                let alive = await outcome(of: Task { await session.isAlive() }, within: .seconds(15))
                server.signalSessions(SIGCONT)
                #expect(alive == false, "\(platform.name): a silent device was reported alive")
                await session.close()
            }
        }
    }

    @Test("close() never waits for a device that does not answer: shell and exec sessions", arguments: Backends.all)
    func closeDoesNotWait(_ backend: Backend) async throws {
        try await DeviceShell.with { server, devicePort in
            for (platform, port) in [(PlatformProfile.ciscoIOS, devicePort), (.linux, server.port)] {
                // Every deadline the session knows is a minute: a close() that waited for the device in any
                // way (its CLOSE, a flush, an EOF) would last that long, far past the 10 s allowed below.
                let target = Fixture.target(
                    server, port: port, platform: platform.name, connectTimeout: .seconds(60),
                    readTimeout: .seconds(60))
                let session = try await Fixture.driver(backend).connect(to: target, context: Fixture.context(platform))
                // The device's processes stop: nothing will ever answer our CLOSE.
                #expect(server.signalSessions(SIGSTOP) > 0)
                let closed: Void? = await outcome(of: Task { await session.close() }, within: .seconds(10))
                server.signalSessions(SIGCONT)
                #expect(closed != nil, "\(platform.name): close() waited for a device that does not answer")
            }
        }
    }

    @Test("an exec command that keeps trickling output ends at its deadline", arguments: Backends.all)
    func execOverallDeadline(_ backend: Backend) async throws {
        try await TestSSHD.with { server in
            try await Fixture.withSession(Fixture.driver(backend), Fixture.target(server)) { session in
                let trickle = "while :; do echo tick; sleep 0.2; done"
                let running = Task { try await session.execute(Fixture.commands(trickle, readTimeout: .seconds(1))) }
                let ended = await outcome(of: running, within: .seconds(15))
                #expect(ended != nil, "a command that never stops printing ran past its deadline")
                if case .failure(let error as NetPulseError)? = ended {
                    #expect(error.kind == .timeout)
                } else {
                    Issue.record("expected a timeout, got \(String(describing: ended))")
                }
                running.cancel()
            }
        }
    }
}
