import Dispatch
import NetPulse
import NetPulseTesting
import Synchronization
import Testing

/// A job's connect runs with the driver's ``Driver/preferredExecutor(for:)``, and its operation and close with
/// the session's ``DriverSession/preferredExecutor``, as the task's executor preference (for the SSH drivers,
/// a loop thread); parsing runs after, without it.
@Suite struct SchedulerExecutorTests {
    /// A task executor over a serial dispatch queue that it can recognise.
    final class QueueExecutor: TaskExecutor {
        let queue = DispatchQueue(label: "netpulse.test.session-executor")
        static let key = DispatchSpecificKey<Bool>()

        init() { queue.setSpecific(key: Self.key, value: true) }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }

        static var isCurrent: Bool { DispatchQueue.getSpecific(key: key) == true }
    }

    /// Where each execute and close of its sessions ran: on the session's preferred executor or not.
    final class Record: Sendable {
        let places = Mutex<[String: [Bool]]>([:])
        func note(_ what: String) { places.withLock { $0[what, default: []].append(QueueExecutor.isCurrent) } }
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
            record.note("execute")
            return try await inner.execute(request)
        }
        func isAlive() async -> Bool { await inner.isAlive() }
        func close() async {
            record.note("close")
            await inner.close()
        }
    }

    struct PreferringDriver: Driver {
        let inner = InMemoryDriver()
        let executor = QueueExecutor()
        let record = Record()
        /// Whether the driver names its executor before connecting, or only its sessions do.
        var foretells = true

        func preferredExecutor(for target: DeviceTarget) -> (any TaskExecutor)? { foretells ? executor : nil }

        func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
            record.note("connect")
            return PreferringSession(
                inner: try await inner.connect(to: target, context: context), executor: executor, record: record)
        }
    }

    /// Records where each parse ran.
    struct PlaceParser: OutputParser {
        let record: Record
        func parse(_ output: String, spec: ParsingSpec, platform: String, command: String) throws(NetPulseError)
            -> [JSONValue]
        {
            record.note("parse")
            return []
        }
    }

    @Test(arguments: [QueueStrategy.roundRobin, .pinned], [true, false])
    func connectsOperationsAndClosesRunOnTheSessionsExecutor(_ strategy: QueueStrategy, foretold: Bool) async throws {
        var driver = PreferringDriver()
        driver.foretells = foretold
        var registry = DriverRegistry()
        registry.register(driver, as: "memory")
        let configuration = SchedulerConfiguration(
            drivers: registry, limits: SchedulerFixture.limits(), logger: SchedulerFixture.logger,
            parser: PlaceParser(record: driver.record))
        try await withScheduler(configuration: configuration) { scheduler in
            var request = SchedulerFixture.request(hosts: SchedulerFixture.hosts(8), strategy: strategy)
            request.parsing = ParsingSpec(template: .index(platform: nil, command: nil))
            let batch = try scheduler.submit(request)
            let result = try await withDeadline(.seconds(10), "the batch") { await batch.result() }
            #expect(result.results.count == 8)
            #expect(result.results.allSatisfy { $0.success })
        }
        // Without the driver's word, the connect runs wherever the job does; the session's executor then
        // takes over for its operation and close.
        #expect(driver.record["connect"] == Array(repeating: foretold, count: 8))
        #expect(driver.record["execute"].count == 8)
        #expect(driver.record["execute"].allSatisfy { $0 })
        #expect(driver.record["parse"] == Array(repeating: false, count: 8), "parsing ran on the session's executor")
        if strategy == .roundRobin {
            // Pinned sessions are kept, then closed at shutdown outside any job.
            #expect(driver.record["close"].count == 8)
            #expect(driver.record["close"].allSatisfy { $0 })
        }
    }
}
