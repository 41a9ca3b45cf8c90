public import Foundation
public import Logging
public import NetPulse

/// What a client may see from a device with a given fault.
public struct LabExpectedOutcome: Sendable, Hashable, CustomStringConvertible {
    /// Whether the device may still answer successfully (it is slow, or its garbage passes as output).
    public var mayComplete: Bool
    /// The typed errors it may give instead; empty when it must complete.
    public var errors: Set<NetPulseError.Kind>

    public init(mayComplete: Bool, errors: Set<NetPulseError.Kind>) {
        self.mayComplete = mayComplete
        self.errors = errors
    }

    /// Whether a device result fits.
    public func accepts(_ result: DeviceResult) -> Bool {
        if result.success { return mayComplete }
        guard let error = result.error else { return false }
        return errors.contains(error.kind)
    }

    public var description: String {
        ((mayComplete ? ["success"] : []) + errors.map(\.rawValue).sorted()).joined(separator: " or ")
    }
}

extension LabFault.Kind {
    /// What a client sees from a device with this fault when it runs a command of two lines of output or
    /// more (so that mid-command faults trigger), with read timeouts longer than the injected delays.
    ///
    /// - Parameter overExec: Whether the command runs on an exec channel (`linux`) rather than in a shell.
    /// - Returns: The accepted outcomes.
    public func expectedOutcome(overExec: Bool) -> LabExpectedOutcome {
        switch self {
        case .latency, .slowOutput: LabExpectedOutcome(mayComplete: true, errors: [])
        case .refuse: LabExpectedOutcome(mayComplete: false, errors: [.connectionRefused])
        case .wrongCredentials: LabExpectedOutcome(mayComplete: false, errors: [.authentication])
        case .hangBeforePrompt, .hangMidCommand: LabExpectedOutcome(mayComplete: false, errors: [.timeout])
        case .dropMidOutput: LabExpectedOutcome(mayComplete: false, errors: [.connectionLost])
        case .garbage:
            // In a shell there is no prompt to find; over exec the garbage is the command's output.
            LabExpectedOutcome(mayComplete: overExec, errors: [.unexpectedOutput, .timeout])
        }
    }
}

/// Checks one batch result against a lab fleet: every device accounted for exactly once, every healthy
/// device successful, every faulty one with an outcome its fault allows.
public struct LabFleetCheck: Sendable {
    /// The fault kind of each device port (`nil`: healthy).
    public var faults: [Int: LabFault.Kind?]
    /// Whether the commands run on exec channels.
    public var overExec: Bool

    /// - Parameters:
    ///   - faults: The fault kind by device port, `nil` for healthy devices; one entry per device in the batch.
    ///   - overExec: Whether the commands run on exec channels (`linux`).
    public init(faults: [Int: LabFault.Kind?], overExec: Bool) {
        self.faults = faults
        self.overExec = overExec
    }

    /// The check for these lab devices.
    public init(devices: [LabDevice], overExec: Bool) {
        var faults: [Int: LabFault.Kind?] = [:]
        for device in devices { faults[device.port] = .some(device.fault?.kind) }
        self.init(faults: faults, overExec: overExec)
    }

    /// What one run showed.
    public struct Report: Sendable, CustomStringConvertible {
        public var healthyOK = 0
        public var healthyFailed = 0
        public var faultyAsExpected = 0
        public var faultyUnexpected = 0
        /// Devices of the fleet without a result, and results counted twice or for unknown ports.
        public var unaccounted = 0
        /// Error kinds seen, with counts.
        public var errorKinds: [NetPulseError.Kind: Int] = [:]
        /// One line per device that did not behave as expected (at most 20).
        public var problems: [String] = []

        /// Nothing unexpected.
        public var isClean: Bool { healthyFailed == 0 && faultyUnexpected == 0 && unaccounted == 0 }

        public var description: String {
            let kinds = errorKinds.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }
            return "healthy ok \(healthyOK), healthy failed \(healthyFailed), faulty as expected \(faultyAsExpected), "
                + "faulty unexpected \(faultyUnexpected), unaccounted \(unaccounted); errors [\(kinds.joined(separator: ", "))]"
        }
    }

    /// Checks the results of one batch.
    public func check(_ results: [DeviceResult]) -> Report {
        var report = Report()
        var seen: Set<Int> = []
        func note(_ text: String) {
            if report.problems.count < 20 { report.problems.append(text) }
        }
        for result in results {
            if let error = result.error { report.errorKinds[error.kind, default: 0] += 1 }
            guard let fault = faults[result.port], seen.insert(result.port).inserted else {
                report.unaccounted += 1
                note("port \(result.port): unknown or counted twice")
                continue
            }
            switch fault {
            case nil:
                if result.success {
                    report.healthyOK += 1
                } else {
                    report.healthyFailed += 1
                    note("port \(result.port) (healthy): \(result.error.map(String.init(describing:)) ?? "failed")")
                }
            case let kind?:
                let expected = kind.expectedOutcome(overExec: overExec)
                if expected.accepts(result) {
                    report.faultyAsExpected += 1
                } else {
                    report.faultyUnexpected += 1
                    let got = result.success ? "success" : result.error.map(String.init(describing:)) ?? "no error"
                    note("port \(result.port) (\(kind)): expected \(expected), got \(got)")
                }
            }
        }
        let missing = faults.count - seen.count
        if missing > 0 {
            report.unaccounted += missing
            note("\(missing) devices without a result")
        }
        return report
    }
}

extension LabFleetCheck {
    /// The check for a lab started as a separate `netpulse lab` process: its inventory (every device,
    /// by port) and its `.faults.json` sidecar.
    ///
    /// - Parameters:
    ///   - inventory: The inventory file's contents.
    ///   - faults: The sidecar's contents.
    ///   - overExec: Whether the commands run on exec channels (`linux`).
    /// - Throws: ``LabError`` naming the file that does not read.
    public init(inventory: Data, faults: Data, overExec: Bool) throws(LabError) {
        let request: BatchRequest
        do {
            var root = try JSONDecoder().decode(JSONValue.self, from: inventory)
            if case .object(var fields) = root {
                fields["command"] = .string("true")
                root = .object(fields)
            }
            request = try BatchRequest(jsonValue: root)
        } catch {
            throw LabError(field: "inventory", reason: "not a lab inventory: \(error)")
        }
        var byPort: [Int: LabFault.Kind?] = [:]
        for device in request.devices {
            guard let port = device.connection.port else {
                throw LabError(field: "inventory", reason: "device \(device.host) has no port")
            }
            byPort[port] = .some(nil)
        }
        guard case .array(let entries)? = try? JSONDecoder().decode(JSONValue.self, from: faults) else {
            throw LabError(field: "faults", reason: "not a JSON array")
        }
        for case .object(let entry) in entries {
            guard case .number(let port)? = entry["port"], case .string(let name)? = entry["fault"],
                let kind = LabFault.Kind(rawValue: name)
            else { throw LabError(field: "faults", reason: "an entry without port or known fault") }
            byPort[Int(port)] = .some(kind)
        }
        self.init(faults: byPort, overExec: overExec)
    }

    /// Runs `request` `rounds` times through `driver`, every device at once (one round-robin lane per
    /// device), and checks each result.
    ///
    /// - Parameters:
    ///   - request: The batch (devices, operation, timeouts); its driver and queue strategy are set here.
    ///   - driver: The driver.
    ///   - rounds: How many times.
    ///   - connectsInProgress: Handshakes in progress at once.
    ///   - logger: The scheduler's logger.
    ///   - progress: Called after each round with its number, report and wall time.
    /// - Returns: One report per round.
    public func run(
        _ request: BatchRequest, driver: any Driver, rounds: Int, connectsInProgress: Int = 64,
        logger: Logger, progress: (Int, Report, Duration) -> Void = { _, _, _ in }
    ) async throws -> [Report] {
        var drivers = DriverRegistry()
        drivers.register(driver, as: "lab-fleet")
        var batch = request
        batch.driver = "lab-fleet"
        batch.options.queueStrategy = .roundRobin
        let count = batch.devices.count
        let limits = SchedulerConfiguration.Limits(
            maxOpenConnections: count + 16, maxConnectsInProgress: connectsInProgress, maxPinnedSessions: 1,
            roundRobinLanes: count)
        let configuration = SchedulerConfiguration(drivers: drivers, limits: limits, logger: logger)
        return try await withScheduler(configuration: configuration) { scheduler in
            var reports: [Report] = []
            for round in 0..<rounds {
                let started = ContinuousClock.now
                let result = try await scheduler.run(batch)
                let report = check(result.results)
                progress(round + 1, report, ContinuousClock.now - started)
                reports.append(report)
            }
            return reports
        }
    }
}
