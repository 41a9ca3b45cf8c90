import ArgumentParser
import Logging
import NetPulse
import NetPulseSSHCore
import NetPulseSSH
import NetPulseSSH2

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// `netpulse-bench`: one macro scenario of Benchmarks/README.md against a running `netpulse lab`
/// (another process), printing one JSON object of figures. Benchmarks/run-all.sh runs every scenario
/// with both drivers, and the Python peers on the same lab devices.
@main
struct NetPulseBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "netpulse-bench",
        abstract: "Run one benchmark scenario against a running NetPulseLab and print its figures as JSON."
    )

    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case fresh, pinned, push, held, faulty
    }

    @Option(help: "Scenario: fresh, pinned, push, held or faulty.")
    var scenario: Scenario

    @Option(help: "Driver: libssh or libssh2.")
    var driver: String

    @Option(help: "The lab's inventory file (written by `netpulse lab --inventory`).")
    var inventory: String

    @Option(help: "The lab's fault sidecar (`<inventory>.faults.json`), for the faulty scenario.")
    var faults: String?

    @Option(help: "PID of the lab process, whose CPU time is read before and after.")
    var labPID: Int?

    @Option(help: "Devices to use (the first N of the inventory).")
    var devices: Int

    @Option(help: "Commands per device (pinned scenario), run as that many batches in sequence.")
    var commands: Int = 20

    @Option(help: "Configuration lines per device (push scenario).")
    var lines: Int = 50

    @Option(help: "Jobs run at once (round-robin lanes, pinned sessions busy at once).")
    var concurrency: Int = 100

    @Option(help: "Connects in progress at once.")
    var connects: Int = 64

    @Option(help: "Connect timeout in seconds.")
    var connectTimeout: Double = 10

    @Option(help: "Read timeout in seconds (each wait for output).")
    var readTimeout: Double = 10

    @Option(help: "Readiness-loop threads (default: the process-wide loop's, one per two cores).")
    var ioThreads: Int?

    @Option(
        help: ArgumentHelp(
            "The readiness loop's batching window in microseconds, 0 for none (default: the loop's, 400 µs "
                + "from 16 waits on a thread).", valueName: "µs"))
    var batchingWindowUs: Int?

    func validate() throws {
        guard ["libssh", "libssh2"].contains(driver) else {
            throw ValidationError("--driver: must be libssh or libssh2, got '\(driver)'")
        }
        guard devices >= 1 else { throw ValidationError("--devices: must be at least 1, got \(devices)") }
        guard commands >= 2 else { throw ValidationError("--commands: must be at least 2, got \(commands)") }
        guard lines >= 2, lines % 2 == 0 else { throw ValidationError("--lines: must be even and >= 2") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency: must be at least 1") }
        guard connects >= 1 else { throw ValidationError("--connects: must be at least 1") }
        if let ioThreads, !(1...64).contains(ioThreads) {
            throw ValidationError("--io-threads: must be between 1 and 64, got \(ioThreads)")
        }
        _ = try batching()
        guard connectTimeout > 0, readTimeout > 0 else {
            throw ValidationError("--connect-timeout/--read-timeout: must be positive")
        }
        if scenario == .faulty && faults == nil {
            throw ValidationError("--faults: required by the faulty scenario")
        }
    }

    /// The batching `--batching-window-us` asks for: the loop's standard without it, none at 0.
    func batching() throws -> ReadinessLoop.Batching {
        guard let micros = batchingWindowUs else { return .standard }
        if micros == 0 { return .off }
        do {
            return try ReadinessLoop.Batching(
                window: .microseconds(micros), minimumWaiters: ReadinessLoop.Batching.standard.minimumWaiters)
        } catch {
            throw ValidationError("--batching-window-us: \(error.message)")
        }
    }

    func run() async throws {
        _ = FileLimits.raiseOpenFileLimit()
        let fleet = try loadFleet()
        var logger = Logger(label: "netpulse.bench")
        logger.logLevel = .error
        var sshConfiguration = SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: fleet.knownHostsFile))
        if ioThreads != nil || batchingWindowUs != nil {
            let threads =
                ioThreads ?? ReadinessLoop.defaultThreadCount(cores: ProcessInfo.processInfo.activeProcessorCount)
            sshConfiguration.loop = ReadinessLoop(threads: threads, batching: try batching())
        }
        var drivers = DriverRegistry()
        if driver == "libssh" {
            drivers.register(LibSSHDriver(configuration: sshConfiguration), as: "bench")
        } else {
            drivers.register(LibSSH2Driver(configuration: sshConfiguration), as: "bench")
        }
        let held = scenario == .held
        let limits = SchedulerConfiguration.Limits(
            maxOpenConnections: max(devices, concurrency) + 16,
            maxConnectsInProgress: connects,
            maxPinnedSessions: held ? devices : max(devices, concurrency),
            roundRobinLanes: concurrency,
            idleTimeout: .seconds(3_600),
            livenessInterval: .seconds(3_600)
        )
        let configuration = SchedulerConfiguration(drivers: drivers, limits: limits, logger: logger)
        // The figures go out before the scheduler closes its sessions; a second line says how long
        // closing them took (the harness waits a bounded time for it).
        let closing = try await withScheduler(configuration: configuration) { scheduler in
            let figures = try await runScenario(scheduler, fleet: fleet)
            try emit(figures)
            return ContinuousClock.now
        }
        try emit(["shutdown_s": .number((ContinuousClock.now - closing).seconds)])
    }

    func emit(_ figures: [String: JSONValue]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(JSONValue.object(figures))
        print(String(decoding: data, as: UTF8.self))
        fflush(nil)
    }

    // MARK: Fleet

    struct Fleet {
        var base: BatchRequest
        var knownHostsFile: String
        var platform: String
    }

    func loadFleet() throws -> Fleet {
        guard let data = FileManager.default.contents(atPath: inventory) else {
            throw ValidationError("--inventory: cannot read '\(inventory)'")
        }
        // The inventory has no operation: add a placeholder so it decodes as a request.
        guard case .object(var root) = try JSONDecoder().decode(JSONValue.self, from: data) else {
            throw ValidationError("--inventory: '\(inventory)' is not a JSON object")
        }
        root["command"] = .string("show version")
        var request = try BatchRequest(jsonValue: .object(root))
        guard request.devices.count >= devices else {
            throw ValidationError("--devices: the inventory has \(request.devices.count) devices, asked for \(devices)")
        }
        request.devices = Array(request.devices.prefix(devices))
        request.driver = "bench"
        request.connectionArgs.connectTimeout = .milliseconds(Int(connectTimeout * 1000))
        request.connectionArgs.readTimeout = .milliseconds(Int(readTimeout * 1000))
        guard let knownHosts = request.connectionArgs.knownHostsFile else {
            throw ValidationError("--inventory: no connection_args.known_hosts_file")
        }
        let platforms = Set(
            request.devices.compactMap { $0.connection.deviceType ?? request.connectionArgs.deviceType })
        guard platforms.count == 1, let platform = platforms.first else {
            throw ValidationError("--inventory: the devices used must share one device_type, got \(platforms.sorted())")
        }
        return Fleet(base: request, knownHostsFile: knownHosts, platform: platform)
    }

    /// Commands that every emulated device of the platform answers.
    func commandList(platform: String) -> [String] {
        platform == "linux"
            ? ["uname -a", "hostname", "uptime", "whoami", "cat /etc/hostname"]
            : ["show version", "show clock", "show ip interface brief", "show vlan brief", "show interfaces"]
    }

    func firstCommand(platform: String) -> String { platform == "linux" ? "uname -a" : "show version" }

    // MARK: Scenarios

    func runScenario(_ scheduler: Scheduler, fleet: Fleet) async throws -> [String: JSONValue] {
        var figures: [String: JSONValue] = [
            "client": .string("netpulse-\(driver)"), "scenario": .string(scenario.rawValue),
            "mode": .string(fleet.platform == "linux" ? "exec" : "cli"), "platform": .string(fleet.platform),
            "devices": .number(Double(devices)), "concurrency": .number(Double(concurrency)),
        ]
        let peakBefore = ProcessFigures.peakResidentKiB()
        let region = Region(labPID: labPID)
        var latencies: [Double] = []
        var operations = devices
        var ok = 0
        var failed = 0
        var accounted = true
        var notes: [String] = []
        var errorKinds: [String: Int] = [:]
        var errorSamples: [String: String] = [:]

        func tally(_ results: [DeviceResult]) {
            for case let error? in results.map(\.error) {
                errorKinds[error.kind.rawValue, default: 0] += 1
                if errorSamples[error.kind.rawValue] == nil { errorSamples[error.kind.rawValue] = error.message }
            }
        }

        func count(_ result: BatchResult, expected: Int) {
            tally(result.results)
            latencies += result.results.map(\.executionTime)
            ok += result.summary.successful
            failed += result.summary.failed
            let indices = Set(result.results.map(\.index))
            if result.results.count != expected || indices.count != expected { accounted = false }
        }

        switch scenario {
        case .fresh:
            var request = fleet.base
            request.operation = .commands([firstCommand(platform: fleet.platform)])
            request.options = BatchOptions(queueStrategy: .roundRobin)
            count(try await scheduler.run(request), expected: devices)

        case .pinned:
            let list = commandList(platform: fleet.platform)
            var steadyCPU = 0.0
            var steadyWall = 0.0
            var failedIndices: [Int] = []
            for round in 0..<commands {
                var request = fleet.base
                request.operation = .commands([list[round % list.count]])
                request.options = BatchOptions(queueStrategy: .pinned)
                let roundRegion = Region(labPID: nil)
                let result = try await scheduler.run(request)
                let roundFigures = roundRegion.end()
                if round > 0 {
                    steadyCPU += roundFigures.cpu
                    steadyWall += roundFigures.wall
                    if result.results.contains(where: { $0.success && !$0.sessionReused }) {
                        notes.append("round \(round): a session was not reused")
                    }
                }
                count(result, expected: devices)
                failedIndices += result.results.filter { !$0.success }.map(\.index)
            }
            operations = devices * commands
            // Counted per device, like the peers: a device is ok when every one of its commands was.
            failed = Set(failedIndices).count
            ok = devices - failed
            let reusedCommands = Double(devices * (commands - 1))
            figures["steady_cpu_per_op_us"] = .number(steadyCPU / reusedCommands * 1e6)
            figures["steady_wall_s"] = .number(steadyWall)

        case .push:
            var lines: [String] = []
            for vlan in 0..<(self.lines / 2) {
                lines += ["vlan \(1000 + vlan)", "name BENCH\(vlan)"]
            }
            var push = fleet.base
            push.operation = .config(lines)
            push.options = BatchOptions(queueStrategy: .pinned)
            let pushed = try await scheduler.run(push)
            var readBack = fleet.base
            readBack.operation = .commands(["show running-config"])
            readBack.options = BatchOptions(queueStrategy: .pinned)
            let read = try await scheduler.run(readBack)
            tally(pushed.results)
            tally(read.results)
            // One latency per device: its push plus its read-back.
            let pushTimes = Dictionary(uniqueKeysWithValues: pushed.results.map { ($0.index, $0.executionTime) })
            latencies = read.results.map { $0.executionTime + (pushTimes[$0.index] ?? 0) }
            let last = "name BENCH\(self.lines / 2 - 1)"
            let confirmed = read.results.filter { $0.success && $0.output.contains(last) }.count
            ok = zip(pushed.results, read.results).filter { $0.success && $1.success && $1.output.contains(last) }.count
            failed = devices - ok
            accounted = pushed.results.count == devices && read.results.count == devices
            operations = devices * self.lines
            figures["read_back_confirmed"] = .number(Double(confirmed))

        case .held:
            let residentBefore = ProcessFigures.residentKiB()
            var request = fleet.base
            request.operation = .commands([firstCommand(platform: fleet.platform)])
            request.options = BatchOptions(queueStrategy: .pinned)
            count(try await scheduler.run(request), expected: devices)
            let open = scheduler.stats.openConnections
            let residentAfter = ProcessFigures.residentKiB()
            figures["held_sessions"] = .number(Double(open))
            figures["rss_before_kib"] = .number(Double(residentBefore))
            figures["rss_after_kib"] = .number(Double(residentAfter))
            figures["mem_per_session_kib"] = .number(Double(residentAfter - residentBefore) / Double(max(open, 1)))
            if open != devices { notes.append("\(open) sessions open of \(devices)") }

        case .faulty:
            let faulty = try faultyDevices(fleet)
            var request = fleet.base
            request.operation = .commands([firstCommand(platform: fleet.platform)])
            request.options = BatchOptions(queueStrategy: .roundRobin)
            let result = try await scheduler.run(request)
            count(result, expected: devices)
            var healthyFailed = 0
            var faultyOK = 0
            for device in result.results {
                let isFaulty = faulty.contains(device.port)
                if !isFaulty && !device.success { healthyFailed += 1 }
                if isFaulty && device.success { faultyOK += 1 }
                if !device.success && device.error == nil { accounted = false }
            }
            figures["faulty_devices"] = .number(Double(faulty.count))
            figures["healthy_failed"] = .number(Double(healthyFailed))
            figures["faulty_succeeded"] = .number(Double(faultyOK))
        }

        let end = region.end()
        figures["wall_s"] = .number(end.wall)
        figures["cpu_s"] = .number(end.cpu)
        figures["lab_cpu_s"] = end.labCPU.map(JSONValue.number) ?? .null
        figures["peak_rss_kib"] = .number(Double(max(ProcessFigures.peakResidentKiB(), peakBefore)))
        figures["operations"] = .number(Double(operations))
        figures["cpu_per_op_us"] = .number(end.cpu / Double(operations) * 1e6)
        figures["cpu_per_device_ms"] = .number(end.cpu / Double(devices) * 1e3)
        figures["lat_p50_s"] = .number(quantile(latencies, 0.5))
        figures["lat_p99_s"] = .number(quantile(latencies, 0.99))
        figures["ok"] = .number(Double(ok))
        figures["failed"] = .number(Double(failed))
        figures["accounted"] = .bool(accounted)
        figures["notes"] = .string(notes.joined(separator: "; "))
        figures["error_kinds"] = .object(errorKinds.mapValues { .number(Double($0)) })
        figures["error_samples"] = .object(errorSamples.mapValues { .string($0) })
        return figures
    }

    /// Ports of the devices of this run that the lab gave a fault.
    func faultyDevices(_ fleet: Fleet) throws -> Set<Int> {
        guard let path = faults, let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--faults: cannot read '\(faults ?? "")'")
        }
        guard case .array(let entries) = try JSONDecoder().decode(JSONValue.self, from: data) else {
            throw ValidationError("--faults: '\(path)' is not a JSON array")
        }
        let used = Set(fleet.base.devices.compactMap(\.connection.port))
        var ports = Set<Int>()
        for case .object(let entry) in entries {
            if case .number(let port)? = entry["port"], used.contains(Int(port)) { ports.insert(Int(port)) }
        }
        return ports
    }
}
