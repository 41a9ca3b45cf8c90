import Dispatch
import NetPulse
import NetPulseTesting
import Synchronization
import Testing

/// A job's connect runs with the driver's ``Driver/preferredExecutor(for:)``, and its operation and close with
/// the session's ``DriverSession/preferredExecutor``, as the task's executor preference (for the SSH drivers,
/// a loop thread); parsing runs off it. A worker that stays on one executor between jobs moves when the next
/// job names another.
@Suite struct SchedulerExecutorTests {
    /// A task executor over a serial dispatch queue that it can recognise.
    final class QueueExecutor: TaskExecutor {
        let queue = DispatchQueue(label: "netpulse.test.session-executor")
        let key = DispatchSpecificKey<Bool>()

        init() { queue.setSpecific(key: key, value: true) }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }

        var isCurrent: Bool { DispatchQueue.getSpecific(key: key) == true }
    }

    /// For each kind of call, whether it ran where it should have.
    final class Record: Sendable {
        let places = Mutex<[String: [Bool]]>([:])
        func note(_ what: String, _ rightPlace: Bool) { places.withLock { $0[what, default: []].append(rightPlace) } }
        subscript(_ what: String) -> [Bool] { places.withLock { $0[what] ?? [] } }
    }

    final class PreferringSession: DriverSession {
        let inner: any DriverSession
        let executor: QueueExecutor
        let record: Record

        init(inner: any DriverSession, executor: QueueExecutor, record: Record) {
            self.inner = inner
            self.executor = executor
            self.record = record
        }

        var preferredExecutor: (any TaskExecutor)? { executor }

        func execute(_ request: ExecutionRequest) async throws -> ExecutionOutcome {
            record.note("execute", executor.isCurrent)
            return try await inner.execute(request)
        }
        func isAlive() async -> Bool { await inner.isAlive() }
        func close() async {
            record.note("close", executor.isCurrent)
            await inner.close()
        }
    }

    /// Two executors, each device always on the same one (by its name), as a loop of two threads.
    struct PreferringDriver: Driver {
        let inner = InMemoryDriver()
        let executors = [QueueExecutor(), QueueExecutor()]
        let record = Record()
        /// Whether the driver names its executor before connecting, or only its sessions do.
        var foretells = true

        func executor(for target: DeviceTarget) -> QueueExecutor {
            executors[target.host.utf8.reduce(0) { $0 + Int($1) } % executors.count]
        }

        func preferredExecutor(for target: DeviceTarget) -> (any TaskExecutor)? {
            foretells ? executor(for: target) : nil
        }

        func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
            let executor = executor(for: target)
            // Without the driver's word, the connect runs wherever the job does: on neither executor.
            record.note("connect", foretells ? executor.isCurrent : !executors.contains { $0.isCurrent })
            return PreferringSession(
                inner: try await inner.connect(to: target, context: context), executor: executor, record: record)
        }
    }

    /// Records whether each parse ran off both executors.
    struct PlaceParser: OutputParser {
        let executors: [QueueExecutor]
        let record: Record
        func parse(_ output: String, spec: ParsingSpec, platform: String, command: String) throws(NetPulseError)
            -> [JSONValue]
        {
            record.note("parse", !executors.contains { $0.isCurrent })
            return []
        }
    }

    @Test(arguments: [QueueStrategy.roundRobin, .pinned], [true, false])
    func connectsOperationsAndClosesRunOnTheSessionsExecutor(_ strategy: QueueStrategy, foretold: Bool) async throws {
        var driver = PreferringDriver()
        driver.foretells = foretold
        var registry = DriverRegistry()
        registry.register(driver, as: "memory")
        // Few lanes for many jobs: a worker runs jobs of both executors one after another.
        let limits = SchedulerFixture.limits(lanes: 2)
        let configuration = SchedulerConfiguration(
            drivers: registry, limits: limits, logger: SchedulerFixture.logger,
            parser: PlaceParser(executors: driver.executors, record: driver.record))
        let hosts = SchedulerFixture.hosts(16)
        try await withScheduler(configuration: configuration) { scheduler in
            var request = SchedulerFixture.request(hosts: hosts, strategy: strategy)
            request.parsing = ParsingSpec(template: .index(platform: nil, command: nil))
            let batch = try scheduler.submit(request)
            let result = try await withDeadline(.seconds(10), "the batch") { await batch.result() }
            #expect(result.results.count == 16)
            #expect(result.results.allSatisfy { $0.success })
        }
        let onEach = hosts.map {
            driver.executor(for: DeviceTarget(host: $0, username: "u", credentials: [], platform: "linux"))
        }
        #expect(Set(onEach.map { ObjectIdentifier($0) }).count == 2, "the devices do not use both executors")
        #expect(driver.record["connect"] == Array(repeating: true, count: 16))
        #expect(driver.record["execute"] == Array(repeating: true, count: 16))
        #expect(driver.record["parse"] == Array(repeating: true, count: 16), "parsing ran on a session's executor")
        if strategy == .roundRobin {
            // Pinned sessions are kept, then closed at shutdown outside any job.
            #expect(driver.record["close"] == Array(repeating: true, count: 16))
        }
    }
}
