import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseLab
import NetPulseObservability
import NetPulseSSH
import NetPulseServer
import SSHTestSupport
import Testing

/// A NetPulse server on a free loopback port, in-process, with the libssh driver pointed at a lab.
enum ServerFixture {
    static let key = "test-key-0123456789abcdef"
    static let readKey = "read-key-0123456789abcdef"
    /// A second write key: another tenant.
    static let otherKey = "other-key-0123456789abcdef"
    /// The guide's password, and an enable secret of our own (both must never come back).
    static let password = "admin123"
    static let enableSecret = "en-s3cret-x9q"

    static func labConfiguration(
        devices: Int, platforms: [LabPlatform] = [.ciscoIOS], faults: [Int: LabFault] = [:]
    ) -> LabConfiguration {
        LabConfiguration(
            devices: devices, platforms: platforms, username: "admin", password: Secret(password),
            enableSecret: Secret(enableSecret), faults: faults)
    }

    static func keys() throws -> APIKeys {
        try APIKeys([
            APIKeys.Key(Secret(key), scope: .write, origin: "test"),
            APIKeys.Key(Secret(readKey), scope: .read, origin: "test read-only"),
            APIKeys.Key(Secret(otherKey), scope: .write, origin: "test other tenant"),
        ])
    }

    /// Runs `body` with a server whose scheduler connects to the lab's devices (host keys checked
    /// against the lab's known_hosts).
    static func withServer<Result: Sendable>(
        lab: Lab,
        api: @Sendable (inout NetPulseAPIConfiguration) -> Void = { _ in },
        limits: SchedulerConfiguration.Limits = .init(),
        clock: (any SchedulerClock)? = nil,
        logs: LogCapture? = nil,
        idleTimeout: Duration? = .seconds(60),
        tls: NetPulseServerConfiguration.TLSFiles? = nil,
        parser: (any OutputParser)? = nil,
        metrics: PrometheusEndpoint? = nil,
        _ body: @Sendable (HTTPClient, RunningNetPulseServer) async throws -> Result
    ) async throws -> Result {
        var apiConfiguration = NetPulseAPIConfiguration(apiKeys: try keys())
        api(&apiConfiguration)
        var drivers = DriverRegistry()
        drivers.registerLibSSH(
            configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile)))
        drivers.alias(["netmiko"], to: "libssh")
        var scheduler = SchedulerConfiguration(drivers: drivers, limits: limits, parser: parser)
        if let clock { scheduler.clock = clock }
        var configuration = NetPulseServerConfiguration(
            host: "127.0.0.1", port: 0, api: apiConfiguration, idleTimeout: idleTimeout, tls: tls)
        configuration.metrics = metrics
        if let logs {
            scheduler.logger = logs.logger("scheduler")
            configuration.logger = logs.logger("server")
            configuration.api.logger = logs.logger("api")
        }
        return try await NetPulseAPIServer.withServer(configuration: configuration, scheduler: scheduler) { server in
            try await body(HTTPClient(base: "http://127.0.0.1:\(server.port)", key: key), server)
        }
    }

    static let commandExample = GuideExamples.batchCommand
    static let configExample = GuideExamples.batchConfig

    /// A lab device as the guide's device entry, with the lab's enable secret (an emulated IOS
    /// logs users in at `>`, and config mode needs enable).
    static func device(_ device: LabDevice, password: String = password) -> String {
        #"{"host": "\#(device.host)", "port": \#(device.port), "username": "admin", "password": "\#(password)", "#
            + #""secret": "\#(enableSecret)"}"#
    }

    /// The guide's example with its two devices replaced by the given lab devices.
    static func guideRequest(_ example: String, devices: [LabDevice]) -> String {
        let original = """
                {"host": "192.168.1.1", "username": "admin", "password": "admin123"},
                {"host": "192.168.1.2", "username": "admin", "password": "admin123"}
            """
        precondition(example.contains(original))
        return example.replacingOccurrences(
            of: original, with: devices.map { device($0) }.joined(separator: ",\n"))
    }

    /// A pinned `show version` batch on the given devices.
    static func showVersion(_ devices: [LabDevice], options: String = #""queue_strategy": "pinned""#) -> String {
        """
        {"driver": "netmiko", "devices": [\(devices.map { device($0) }.joined(separator: ", "))],
         "connection_args": {"device_type": "cisco_ios", "timeout": 30},
         "command": "show version", "options": {\(options)}}
        """
    }
}

extension HTTPClient.Reply {
    /// The batch id of a 201 submission reply.
    func batchID(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(status == 201, "\(text)", sourceLocation: sourceLocation)
        return try #require(try json()["batch_id"] as? String, "\(text)", sourceLocation: sourceLocation)
    }
}

extension HTTPClient {
    /// `GET /batches/{id}?wait=` until the batch is complete; each call waits on the server for the
    /// batch's results (no sleeping here), at most `rounds` calls.
    func waitForBatch(_ id: String, wait: Int = 20, rounds: Int = 3) async throws -> [String: Any] {
        for _ in 0..<rounds {
            let reply = try await get("/batches/\(id)?wait=\(wait)")
            #expect(reply.status == 200, "\(reply.text)")
            let view = try reply.json()
            if view["complete"] as? Bool == true { return view }
        }
        Issue.record("batch \(id) did not complete within \(rounds) waits of \(wait) s")
        return try await get("/batches/\(id)").json()
    }
}
