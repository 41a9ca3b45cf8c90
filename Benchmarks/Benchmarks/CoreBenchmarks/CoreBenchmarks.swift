import Benchmark
import Logging
import NetPulse
import NetPulseTesting

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Inputs built once, outside the measured regions.
enum Fixtures {
    static let deviceCount = 10_000

    /// A 10,000-device request in the batch guide's JSON (shared `connection_args`, per-device
    /// overrides on every tenth device, a command list).
    static let requestJSON: Data = {
        var devices: [String] = []
        devices.reserveCapacity(deviceCount)
        for index in 0..<deviceCount {
            let host = "10.\(index >> 16).\((index >> 8) & 255).\(index & 255)"
            if index % 10 == 0 {
                devices.append(
                    #"{"host": "\#(host)", "port": 2222, "username": "ops", "password": "pw\#(index)", "#
                        + #""device_type": "arista_eos"}"#
                )
            } else {
                devices.append(#"{"host": "\#(host)", "username": "admin", "password": "admin"}"#)
            }
        }
        let text = """
            {"driver": "netmiko",
             "devices": [\(devices.joined(separator: ",\n"))],
             "connection_args": {"device_type": "cisco_ios", "timeout": 30, "port": 22, "secret": "enable"},
             "command": ["show version", "show ip interface brief"],
             "options": {"queue_strategy": "pinned", "ttl": 300}}
            """
        return Data(text.utf8)
    }()

    /// The result of such a batch: 10,000 device results with a short output each, one in twenty failed.
    static let result: BatchResult = {
        let output = "Cisco IOS XE Software, Version 17.9.4a\nuptime is 4 weeks, 2 days\n"
        let results = (0..<deviceCount).map { index in
            let host = "10.\(index >> 16).\((index >> 8) & 255).\(index & 255)"
            if index % 20 == 0 {
                return DeviceResult(
                    hostname: host, username: "admin", index: index, jobID: "job-\(index)", success: false,
                    error: .timeout("no prompt within 30 s"), executionTime: 30)
            }
            return DeviceResult(
                hostname: host, username: "admin", index: index, jobID: "job-\(index)", success: true,
                output: output, outputs: [CommandOutput(command: "show version", output: output)],
                executionTime: 0.8)
        }
        return BatchResult(batchID: "bench", results: results)
    }()

    static let resultJSON: Data = try! result.jsonData(prettyPrinted: false)

    /// A scheduler on the in-memory driver (zero latency, no execution records).
    static func schedulerConfiguration() -> SchedulerConfiguration {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        var drivers = DriverRegistry()
        drivers.register(InMemoryDriver(recordsExecutions: false), as: "memory")
        let limits = SchedulerConfiguration.Limits(maxOpenConnections: 1_200, maxPinnedSessions: 1_000)
        return SchedulerConfiguration(drivers: drivers, limits: limits, logger: logger)
    }

    static func memoryRequest(devices: Int, strategy: QueueStrategy) -> BatchRequest {
        BatchRequest(
            driver: "memory",
            devices: (0..<devices).map { BatchRequest.Device(host: "10.\($0 >> 16).\(($0 >> 8) & 255).\($0 & 255)") },
            connectionArgs: ConnectionArgs(deviceType: "cisco_ios", username: "admin", password: "pw"),
            operation: .commands(["show version"]),
            options: BatchOptions(queueStrategy: strategy))
    }
}

let benchmarks: @Sendable () -> Void = {
    let jsonMetrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident]

    Benchmark(
        "JSON decode, 10,000-device request",
        configuration: .init(metrics: jsonMetrics, maxDuration: .seconds(10), maxIterations: 30)
    ) { benchmark in
        let data = Fixtures.requestJSON
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let request = try BatchRequest(json: data)
            precondition(request.devices.count == Fixtures.deviceCount)
            blackHole(request)
        }
    }

    Benchmark(
        "JSON decode + validate, 10,000-device request",
        configuration: .init(metrics: jsonMetrics, maxDuration: .seconds(10), maxIterations: 30)
    ) { benchmark in
        let data = Fixtures.requestJSON
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let specs = try BatchRequest(json: data).validated()
            precondition(specs.count == Fixtures.deviceCount)
            blackHole(specs)
        }
    }

    Benchmark(
        "JSON encode, 10,000-device result",
        configuration: .init(metrics: jsonMetrics, maxDuration: .seconds(10), maxIterations: 30)
    ) { benchmark in
        let result = Fixtures.result
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let data = try result.jsonData(prettyPrinted: false)
            precondition(data.count > Fixtures.deviceCount * 100)
            blackHole(data)
        }
    }

    Benchmark(
        "JSON decode, 10,000-device result",
        configuration: .init(metrics: jsonMetrics, maxDuration: .seconds(10), maxIterations: 30)
    ) { benchmark in
        let data = Fixtures.resultJSON
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let result = try JSONDecoder().decode(BatchResult.self, from: data)
            precondition(result.results.count == Fixtures.deviceCount)
            blackHole(result)
        }
    }

    // Per job: one iteration is one job; a batch holds all the scaled iterations' jobs (1,000 per
    // measured round with the kilo scaling), so the figures read as cost per job.
    for strategy in [QueueStrategy.roundRobin, .pinned] {
        Benchmark(
            "Scheduler, per job (in-memory driver, \(strategy.rawValue))",
            configuration: .init(
                metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
                scalingFactor: .kilo,
                maxDuration: .seconds(10),
                maxIterations: 200
            )
        ) { benchmark in
            let request = Fixtures.memoryRequest(devices: benchmark.scaledIterations.count, strategy: strategy)
            try await withScheduler(configuration: Fixtures.schedulerConfiguration()) { scheduler in
                if strategy == .pinned {
                    // Open the pinned sessions first: the measured batch reuses them.
                    _ = try await scheduler.run(request)
                }
                benchmark.startMeasurement()
                let result = try await scheduler.run(request)
                benchmark.stopMeasurement()
                precondition(result.summary.successful == request.devices.count, "every job must succeed")
            }
        }
    }
}
