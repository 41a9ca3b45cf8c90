import Dispatch
import NetPulse
import NetPulseTesting
import Synchronization
import Testing

/// A job's operation and close run with the session's ``DriverSession/preferredExecutor`` as the task's
/// executor preference (for the SSH drivers, the loop thread that serves the socket).
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

        func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
            PreferringSession(
                inner: try await inner.connect(to: target, context: context), executor: executor, record: record)
        }
    }

    @Test(arguments: [QueueStrategy.roundRobin, .pinned])
    func operationsAndClosesRunOnTheSessionsExecutor(_ strategy: QueueStrategy) async throws {
        let driver = PreferringDriver()
        var registry = DriverRegistry()
        registry.register(driver, as: "memory")
        let configuration = SchedulerConfiguration(
            drivers: registry, limits: SchedulerFixture.limits(), logger: SchedulerFixture.logger)
        try await withScheduler(configuration: configuration) { scheduler in
            let batch = try scheduler.submit(
                SchedulerFixture.request(hosts: SchedulerFixture.hosts(8), strategy: strategy))
            let result = try await withDeadline(.seconds(10), "the batch") { await batch.result() }
            #expect(result.results.count == 8)
            #expect(result.results.allSatisfy { $0.success })
        }
        #expect(driver.record["execute"].count == 8)
        #expect(driver.record["execute"].allSatisfy { $0 })
        if strategy == .roundRobin {
            // Pinned sessions are kept, then closed at shutdown outside any job.
            #expect(driver.record["close"].count == 8)
            #expect(driver.record["close"].allSatisfy { $0 })
        }
    }
}
