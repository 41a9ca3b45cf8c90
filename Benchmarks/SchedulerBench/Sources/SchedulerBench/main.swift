// Measures the scheduler's CPU cost per job on the in-memory driver (zero latency, no execution
// records), against a baseline of the same driver calls made in a plain loop without the scheduler.
//
//   swift run -c release SchedulerBench [jobs] [rounds] [all|driver|validation|round-robin|pinned]
//
// Each figure is the best (least CPU) of `rounds` runs (default 3): the machine is shared. The last
// argument runs one part alone, for counting instructions per job on a loaded machine, e.g. the
// difference of two runs under `valgrind --tool=callgrind` with 20000 and 10000 jobs, divided by 10000.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Dispatch
import Logging
import NetPulse
import NetPulseTesting

struct Sample {
    var cpu: Double
    var wall: Double
}

func cpuSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
        getrusage(RUSAGE_SELF, &usage)
    #endif
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

func maxResidentMegabytes() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576
    #endif
}

func measure(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Void
) async rethrows -> Sample {
    let cpu = cpuSeconds()
    let start = ContinuousClock.now
    try await body()
    let wall = ContinuousClock.now - start
    let (seconds, attoseconds) = wall.components
    return Sample(cpu: cpuSeconds() - cpu, wall: Double(seconds) + Double(attoseconds) / 1e18)
}

func request(hosts: Range<Int>, strategy: QueueStrategy) -> BatchRequest {
    BatchRequest(
        driver: "memory",
        devices: hosts.map { BatchRequest.Device(host: "10.\($0 >> 16).\(($0 >> 8) & 255).\($0 & 255)") },
        connectionArgs: ConnectionArgs(deviceType: "cisco_ios", username: "admin", password: "pw"),
        operation: .commands(["show version"]),
        options: BatchOptions(queueStrategy: strategy))
}

func report(_ name: String, jobs: Int, _ sample: Sample, baseline: Sample? = nil) {
    var line =
        "\(name): \(jobs) jobs, cpu \(fmt(sample.cpu)) s, wall \(fmt(sample.wall)) s, "
        + "\(fmt(sample.cpu / Double(jobs) * 1e6)) us cpu/job, \(Int(Double(jobs) / sample.wall)) jobs/s"
    if let baseline {
        line += ", scheduler overhead \(fmt((sample.cpu - baseline.cpu) / Double(jobs) * 1e6)) us cpu/job"
    }
    print(line)
}

func fmt(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return String(scaled)
}

func best(_ samples: [Sample]) -> Sample { samples.min { $0.cpu < $1.cpu }! }

/// Off the main actor, like the scheduler's workers (no actor hop per call).
nonisolated func driverLoop(_ driver: InMemoryDriver, _ targets: [DeviceTarget], _ context: DriverContext) async throws
{
    for target in targets {
        let session = try await driver.connect(to: target, context: context)
        _ = try await session.execute(ExecutionRequest(operation: .commands(["show version"]), logger: context.logger))
        await session.close()
    }
}

/// The whole benchmark. It runs on a task while the main thread blocks on a semaphore: with an async
/// main, the main thread parks in libdispatch (`dispatch_main`), which valgrind 3.19 cannot follow.
func benchmark() async throws {
    let jobs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 100_000
    let rounds = CommandLine.arguments.dropFirst(2).first.flatMap(Int.init) ?? 3
    let only = CommandLine.arguments.dropFirst(3).first ?? "all"
    func runs(_ part: String) -> Bool { only == "all" || only == part }

    var logger = Logger(label: "bench")
    logger.logLevel = .warning

    // Baseline: the driver alone, the same connect/execute/close per job, one at a time.
    let context = DriverContext(platform: PlatformProfile(name: "cisco_ios"), logger: logger)
    let targets = runs("driver") ? try request(hosts: 0..<jobs, strategy: .roundRobin).validated().map(\.target) : []
    var baselines: [Sample] = []
    for _ in 0..<(runs("driver") ? rounds : 0) {
        let driver = InMemoryDriver(recordsExecutions: false)
        baselines.append(try await measure(isolation: nil) { try await driverLoop(driver, targets, context) })
    }
    let baseline = baselines.isEmpty ? nil : best(baselines)
    if let baseline { report("driver alone (no scheduler)", jobs: jobs, baseline) }

    let validationRequest = request(hosts: 0..<jobs, strategy: .roundRobin)
    var validations: [Sample] = []
    for _ in 0..<(runs("validation") ? rounds : 0) {
        validations.append(try await measure { _ = try validationRequest.validated() })
    }
    if !validations.isEmpty { report("request validation only", jobs: jobs, best(validations)) }

    for strategy in [QueueStrategy.roundRobin, .pinned] where runs(strategy == .pinned ? "pinned" : "round-robin") {
        var samples: [Sample] = []
        var driver = InMemoryDriver(recordsExecutions: false)
        let batches = strategy == .pinned ? 100 : 1
        let perBatch = jobs / batches
        for _ in 0..<rounds {
            driver = InMemoryDriver(recordsExecutions: false)
            var drivers = DriverRegistry()
            drivers.register(driver, as: "memory")
            // Room for every pinned device's session, so that pinned jobs reuse them.
            let limits = SchedulerConfiguration.Limits(maxOpenConnections: 1_200, maxPinnedSessions: 1_000)
            let configuration = SchedulerConfiguration(drivers: drivers, limits: limits, logger: logger)
            // Round-robin: one batch of `jobs` devices. Pinned: 100 batches over the same jobs/100 devices,
            // so that sessions are reused (one connect per device).
            let requests = (0..<batches).map { _ in request(hosts: 0..<perBatch, strategy: strategy) }
            let sample = try await withScheduler(configuration: configuration) { scheduler in
                try await measure {
                    var handles: [BatchHandle] = []
                    for request in requests { handles.append(try scheduler.submit(request)) }
                    for handle in handles {
                        let result = await handle.result()
                        precondition(result.summary.successful == perBatch, "every job must succeed")
                    }
                }
            }
            samples.append(sample)
        }
        let sample = best(samples)
        let stats = driver.stats
        let name = strategy == .pinned ? "pinned (\(batches) batches x \(perBatch) devices)" : "round-robin (1 batch)"
        report(name, jobs: jobs, sample, baseline: baseline)
        print("  connects \(stats.totalConnects), peak open sessions \(stats.peakOpenSessions)")
    }
    print("max resident memory \(fmt(maxResidentMegabytes())) MB (results of every batch kept until result_ttl)")
}

func runBlocking() {
    let finished = DispatchSemaphore(value: 0)
    Task.detached {
        do {
            try await benchmark()
        } catch {
            print("error: \(error)")
            exit(1)
        }
        finished.signal()
    }
    finished.wait()
}
runBlocking()
