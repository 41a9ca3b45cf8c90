import Foundation
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseLab
import NetPulseSSH
import NetPulseSSH2
import Testing

/// Every device of a fleet at once through both drivers, exec (`linux`) and CLI (`cisco_ios`): no healthy
/// session lost, and every faulty device with the typed error its fault gives. The same check at 3,000
/// devices, five rounds, is `netpulse-lab-bench fleet` (Benchmarks/lab-fleet.sh). One at a time: four fleets
/// at once in a debug build on two cores turn healthy devices into timeouts.
@Suite("Fleet: every device at once", .serialized)
struct FleetTests {
    static let size = 300

    static func driver(_ name: String, knownHosts: String) -> any Driver {
        let configuration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: knownHosts))
        return name == "libssh"
            ? LibSSHDriver(configuration: configuration) : LibSSH2Driver(configuration: configuration)
    }

    /// A command of several lines, so that mid-command faults trigger.
    static func command(overExec: Bool) -> String { overExec ? "cat /etc/os-release" : "show version" }

    @Test(arguments: ["libssh", "libssh2"], [true, false])
    func healthyFleet(driver: String, overExec: Bool) async throws {
        try await run(driver: driver, overExec: overExec, faultRate: 0)
    }

    @Test(arguments: ["libssh", "libssh2"], [true, false])
    func tenPercentFaulty(driver: String, overExec: Bool) async throws {
        try await run(driver: driver, overExec: overExec, faultRate: 0.1)
    }

    func run(driver name: String, overExec: Bool, faultRate: Double) async throws {
        _ = FileLimits.raiseOpenFileLimit()
        let configuration = LabConfiguration(
            devices: Self.size, platforms: [overExec ? .linux : .ciscoIOS], seed: 42, faultRate: faultRate)
        try await withLab(configuration) { lab in
            var request = try BatchRequest(json: Data(lab.inventoryJSON.utf8))
            request.operation = .commands([Self.command(overExec: overExec)])
            // Long enough for a loaded machine; a hung device costs the read timeout.
            request.connectionArgs.connectTimeout = .seconds(60)
            request.connectionArgs.readTimeout = .seconds(faultRate > 0 ? 10 : 60)
            var logger = Logger(label: "test.lab.fleet")
            logger.logLevel = .error
            let check = LabFleetCheck(devices: lab.devices, overExec: overExec)
            let reports = try await check.run(
                request, driver: Self.driver(name, knownHosts: lab.knownHostsFile), rounds: 1, logger: logger)
            let report = try #require(reports.first)
            #expect(report.isClean, "\(name) \(overExec ? "exec" : "cli"): \(report) \(report.problems)")
            #expect(report.healthyOK == Self.size - lab.faultyDevices.count)
            #expect(report.faultyAsExpected == lab.faultyDevices.count)
            if faultRate > 0 { #expect(lab.faultyDevices.count == 30) }
        }
    }
}
