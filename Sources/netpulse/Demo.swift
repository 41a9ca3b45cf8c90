import ArgumentParser
import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseLab

extension NetPulseCommand {
    /// `netpulse demo`: an embedded lab of mixed devices, a show batch, a config push, a read-back.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start an embedded lab, run show version, push a config change, read it back, print timings.",
            discussion: "Everything runs on 127.0.0.1 and is removed afterwards."
        )

        @Option(help: "Number of emulated devices (mixed platforms).")
        var devices: Int = 300

        @Option(help: "Driver: libssh2 or libssh.")
        var driver: String = DriverSetup.defaultDriver

        @Option(help: "Queue strategy: pinned (sessions reused across the three phases) or round_robin.")
        var strategy: String = "pinned"

        @Flag(help: "No progress line on standard error.")
        var quiet = false

        @Flag(help: "Log debug details to standard error.")
        var verbose = false

        func validate() throws {
            guard (1...5_000).contains(devices) else { throw ValidationError("--devices: must be 1...5000") }
            guard QueueStrategy(name: strategy) != nil else {
                throw ValidationError(
                    "--strategy: unknown queue strategy '\(strategy)'; expected pinned or round_robin")
            }
        }

        func run() async throws {
            LoggingSetup.bootstrap()
            var logger = Logger(label: "netpulse.demo")
            logger.logLevel = verbose ? .debug : .warning
            let marker = "NetPulse demo \(Int(Date().timeIntervalSince1970))"
            let clock = ContinuousClock()
            let labStart = clock.now
            let labConfiguration = LabConfiguration(devices: devices, logger: logger)
            let summary = try await withLab(labConfiguration) { lab -> DemoSummary in
                let labTime = clock.now - labStart
                printError(
                    "lab: \(lab.devices.count) devices listening on 127.0.0.1 (started in \(Self.format(labTime)))")
                let drivers = DriverSetup.registry(
                    configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile))
                )
                let limits = SchedulerConfiguration.Limits(
                    maxOpenConnections: 1_024, maxConnectsInProgress: 128, maxPinnedSessions: 1_024,
                    roundRobinLanes: 256
                )
                let configuration = SchedulerConfiguration(drivers: drivers, limits: limits, logger: logger)
                return try await withScheduler(configuration: configuration) { scheduler in
                    var summary = DemoSummary()
                    let show = try await phase("show version", lab: lab, scheduler: scheduler) { device in
                        .commands([Self.showVersion(device.platform)])
                    }
                    summary.phases.append(show)
                    let network = lab.devices.filter { $0.platform != .linux }
                    let push = try await phase("config push", lab: lab, devices: network, scheduler: scheduler) {
                        device in .config(Self.configLines(device.platform, marker: marker))
                    }
                    summary.phases.append(push)
                    var verified = 0
                    let readBack = try await phase(
                        "read back", lab: lab, devices: network, scheduler: scheduler,
                        inspect: { result in
                            if result.success && result.output.contains(marker) { verified += 1 }
                        }
                    ) { device in .commands([Self.readBack(device.platform)]) }
                    summary.phases.append(readBack)
                    summary.verified = verified
                    summary.networkDevices = network.count
                    return summary
                }
            }
            printLine(summary.table())
            if !summary.allGood { throw ExitCode(1) }
        }

        private func phase(
            _ name: String,
            lab: NetPulseLab.Lab,
            devices chosen: [LabDevice]? = nil,
            scheduler: Scheduler,
            inspect: (DeviceResult) -> Void = { _ in },
            operation: (LabDevice) -> NetPulse.DeviceOperation
        ) async throws -> DemoSummary.Phase {
            let targets = chosen ?? lab.devices
            var shared = ConnectionArgs(username: lab.devices.first?.username, timeout: .seconds(20))
            shared.password = lab.devices.first?.password
            shared.secret = lab.devices.first?.enableSecret
            let request = BatchRequest(
                driver: driver,
                devices: targets.map { device in
                    BatchRequest.Device(
                        host: device.host,
                        connection: ConnectionArgs(deviceType: device.platform.rawValue, port: device.port),
                        operation: operation(device)
                    )
                },
                connectionArgs: shared,
                operation: nil,
                options: BatchOptions(queueStrategy: QueueStrategy(name: strategy) ?? .pinned, ttl: .seconds(600))
            )
            let clock = ContinuousClock()
            let start = clock.now
            let handle = try scheduler.submit(request)
            let progress = ProgressLine(total: targets.count, quiet: quiet)
            for await result in handle.results {
                progress.record(result)
                inspect(result)
            }
            progress.finish()
            let result = await handle.result()
            let wall = clock.now - start
            for failure in result.results.filter({ !$0.success }).prefix(5) {
                printError(
                    "  \(name): \(failure.hostname):\(failure.port) failed: \(failure.error?.description ?? "?")")
            }
            return DemoSummary.Phase(name: name, result: result, wall: wall)
        }

        static func showVersion(_ platform: LabPlatform) -> String {
            switch platform {
            case .huawei, .hpComware: "display version"
            case .linux: "uname -a"
            default: "show version"
            }
        }

        static func configLines(_ platform: LabPlatform, marker: String) -> [String] {
            switch platform {
            case .ciscoIOS: ["interface GigabitEthernet0/1", " description \(marker)"]
            case .aristaEOS: ["interface Ethernet1", " description \(marker)"]
            case .juniperJunos: ["set interfaces ge-0/0/1 description \"\(marker)\""]
            case .huawei: ["interface GigabitEthernet0/0/1", " description \(marker)"]
            case .ciscoNXOS: ["interface Ethernet1/1", " description \(marker)"]
            case .hpComware: ["interface GigabitEthernet1/0/1", " description \(marker)"]
            case .linux: []
            }
        }

        static func readBack(_ platform: LabPlatform) -> String {
            switch platform {
            case .juniperJunos: "show configuration interfaces"
            case .huawei, .hpComware: "display current-configuration"
            default: "show running-config"
            }
        }

        static func format(_ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return String(format: "%.2fs", seconds)
        }
    }
}

/// What the demo prints at the end.
struct DemoSummary: Sendable {
    struct Phase: Sendable {
        var name: String
        var result: BatchResult
        var wall: Duration
    }

    var phases: [Phase] = []
    var verified = 0
    var networkDevices = 0

    var allGood: Bool { phases.allSatisfy(\.result.success) && verified == networkDevices }

    func table() -> String {
        var rows = [["PHASE", "DEVICES", "OK", "FAILED", "WALL", "P50", "P99", "REUSED"]]
        for phase in phases {
            let times = phase.result.results.map(\.executionTime).sorted()
            func percentile(_ p: Double) -> String {
                guard !times.isEmpty else { return "-" }
                return String(format: "%.0fms", times[min(times.count - 1, Int(Double(times.count) * p))] * 1000)
            }
            rows.append([
                phase.name, String(phase.result.summary.total), String(phase.result.summary.successful),
                String(phase.result.summary.failed), NetPulseCommand.Demo.format(phase.wall), percentile(0.5),
                percentile(0.99), String(phase.result.results.count { $0.sessionReused }),
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                separator: "  ")
        }
        lines.append("read back: the new description is on \(verified) of \(networkDevices) network devices")
        lines.append(allGood ? "demo: all good" : "demo: FAILURES above")
        return lines.joined(separator: "\n")
    }
}
