public import NetPulse
import Synchronization

/// A `Driver` whose devices live in memory and follow a script: no sockets, for testing the
/// scheduler and host applications.
///
/// Devices are looked up by host (``ScriptedDevice`` per host, or a fallback for every other host).
/// The driver records what happened, so tests can check ordering, overlap, reuse and peaks.
///
/// ```swift
/// let driver = InMemoryDriver(devices: ["r1": ScriptedDevice(responses: ["show version": "IOS 15.2"])])
/// ```
public final class InMemoryDriver: Driver {
    /// One execution as the driver saw it.
    public struct ExecutionRecord: Sendable, Hashable {
        public var device: DeviceKey
        public var sessionID: Int
        public var operation: NetPulse.DeviceOperation
        public var start: ContinuousClock.Instant
        public var end: ContinuousClock.Instant
    }

    /// Counters and records of everything the driver did.
    public struct Stats: Sendable {
        /// Connect attempts per device (including failed ones).
        public var connects: [DeviceKey: Int] = [:]
        /// Sessions closed per device.
        public var closes: [DeviceKey: Int] = [:]
        public var openSessions = 0
        public var peakOpenSessions = 0
        public var connectsInProgress = 0
        public var peakConnectsInProgress = 0
        public var runningExecutions = 0
        public var peakRunningExecutions = 0
        /// Executions that started on a session that was already executing (must stay zero).
        public var overlappingExecutions = 0
        /// Finished executions, in the order they ended.
        public var executions: [ExecutionRecord] = []

        public var totalConnects: Int { connects.values.reduce(0, +) }
        public var totalCloses: Int { closes.values.reduce(0, +) }
    }

    private struct State {
        var devices: [String: ScriptedDevice]
        var fallback: ScriptedDevice?
        var stats = Stats()
        var nextSessionID = 1
        var sessions: [Int: InMemorySession] = [:]
        var waiters: [UInt64: (predicate: @Sendable (Stats) -> Bool, continuation: CheckedContinuation<Void, Never>)] =
            [:]
        var nextWaiterID: UInt64 = 0
        /// Hosts whose commands wait before answering, with the executions waiting.
        var held: [String: [UInt64: CheckedContinuation<Void, any Error>]] = [:]
        var nextHoldID: UInt64 = 0

        /// Resumes the waiters whose condition now holds.
        mutating func checkWaiters() {
            guard !waiters.isEmpty else { return }
            for (id, waiter) in waiters where waiter.predicate(stats) {
                waiters[id] = nil
                waiter.continuation.resume()
            }
        }
    }

    private let state: Mutex<State>
    let clock: any Clock<Duration>
    /// Whether ``Stats/executions`` keeps every record (turn off for very large runs).
    public let recordsExecutions: Bool

    /// - Parameters:
    ///   - devices: Scripted devices by host.
    ///   - fallback: The script of any other host; `nil` refuses unknown hosts.
    ///   - clock: The clock latencies are waited on.
    ///   - recordsExecutions: Keep one record per execution in ``stats``.
    public init(
        devices: [String: ScriptedDevice] = [:],
        fallback: ScriptedDevice? = ScriptedDevice(),
        clock: any Clock<Duration> = ContinuousClock(),
        recordsExecutions: Bool = true
    ) {
        self.state = Mutex(State(devices: devices, fallback: fallback))
        self.clock = clock
        self.recordsExecutions = recordsExecutions
    }

    /// Replaces the script of one host; open sessions follow the new script from their next line.
    public func setDevice(_ device: ScriptedDevice, for host: String) {
        state.withLock { $0.devices[host] = device }
    }

    /// A copy of the counters and records.
    public var stats: Stats { state.withLock { $0.stats } }

    /// Waits until the driver's counters satisfy `condition` (checked after every change), or the
    /// task is cancelled: an event to wait on instead of sleeping.
    ///
    /// - Parameter condition: A test on the stats, e.g. `{ $0.totalCloses == 3 }`.
    public func waitUntil(_ condition: @escaping @Sendable (Stats) -> Bool) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if condition(state.stats) || Task.isCancelled { return true }
                    state.waiters[id] = (condition, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    /// Makes the commands of a host wait before answering until ``release(host:)`` (or until their
    /// task is cancelled): a device that is slow for exactly as long as a test needs.
    public func hold(host: String) {
        state.withLock { state in
            if state.held[host] == nil { state.held[host] = [:] }
        }
    }

    /// Lets the held commands of a host go on, and stops holding new ones.
    public func release(host: String) {
        let waiting = state.withLock { $0.held.removeValue(forKey: host) ?? [:] }
        for continuation in waiting.values { continuation.resume() }
    }

    /// Waits while `host` is held; throws `CancellationError` if the task is cancelled meanwhile.
    func passHold(host: String) async throws {
        let id = state.withLock { state -> UInt64? in
            guard state.held[host] != nil else { return nil }
            state.nextHoldID += 1
            return state.nextHoldID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    guard state.held[host] != nil else { return .success(()) }
                    state.held[host]?[id] = continuation
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let continuation = state.withLock { $0.held[host]?.removeValue(forKey: id) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Makes every open session of a host dead, as if the device had dropped them while idle.
    public func killSessions(host: String) {
        let victims = state.withLock { state in state.sessions.values.filter { $0.target.host == host } }
        for session in victims { session.kill() }
    }

    func script(for host: String) -> ScriptedDevice? {
        state.withLock { $0.devices[host] ?? $0.fallback }
    }

    public func connect(to target: DeviceTarget, context: DriverContext) async throws -> any DriverSession {
        state.withLock { state in
            state.stats.connects[target.key, default: 0] += 1
            state.stats.connectsInProgress += 1
            state.stats.peakConnectsInProgress = max(state.stats.peakConnectsInProgress, state.stats.connectsInProgress)
            state.checkWaiters()
        }
        defer {
            state.withLock { state in
                state.stats.connectsInProgress -= 1
                state.checkWaiters()
            }
        }

        guard let script = script(for: target.host) else {
            throw NetPulseError.connectionRefused("no in-memory device at \(target.host)")
        }
        switch script.fault {
        case .refuse?:
            throw NetPulseError.connectionRefused("connection to \(target.key) refused")
        case .hangOnConnect?:
            try await hangUntilCancelled()
        default:
            break
        }
        if script.connectLatency > .zero { try await clock.sleep(for: script.connectLatency) }
        if script.fault == .hostKeyMismatch {
            throw NetPulseError.hostKeyMismatch("host key of \(target.key) does not match: SHA256:in-memory")
        }
        if script.fault == .rejectCredentials || !Self.accepts(script, target.credentials) {
            throw NetPulseError.authentication("\(target.key) rejected the credentials")
        }
        try Task.checkCancellation()
        return state.withLock { state in
            let session = InMemorySession(id: state.nextSessionID, target: target, driver: self)
            state.nextSessionID += 1
            state.sessions[session.id] = session
            state.stats.openSessions += 1
            state.stats.peakOpenSessions = max(state.stats.peakOpenSessions, state.stats.openSessions)
            state.checkWaiters()
            return session
        }
    }

    private static func accepts(_ script: ScriptedDevice, _ credentials: [Credential]) -> Bool {
        guard let accepted = script.acceptedPasswords else { return true }
        return credentials.contains { credential in
            switch credential {
            case .password(let secret), .keyboardInteractive(let secret): accepted.contains(secret.revealed)
            case .privateKey: false
            }
        }
    }

    func executionStarted(on session: InMemorySession, overlapping: Bool) {
        state.withLock { state in
            state.stats.runningExecutions += 1
            state.stats.peakRunningExecutions = max(state.stats.peakRunningExecutions, state.stats.runningExecutions)
            if overlapping { state.stats.overlappingExecutions += 1 }
            state.checkWaiters()
        }
    }

    func executionEnded(_ record: ExecutionRecord) {
        let keep = recordsExecutions
        state.withLock { state in
            state.stats.runningExecutions -= 1
            if keep { state.stats.executions.append(record) }
            state.checkWaiters()
        }
    }

    func sessionClosed(_ session: InMemorySession) {
        state.withLock { state in
            guard state.sessions.removeValue(forKey: session.id) != nil else { return }
            state.stats.openSessions -= 1
            state.stats.closes[session.target.key, default: 0] += 1
            state.checkWaiters()
        }
    }
}

/// Suspends until the task is cancelled, then throws `CancellationError`: a device that never answers.
func hangUntilCancelled() async throws {
    let gate = Mutex<CheckedContinuation<Void, any Error>?>(nil)
    try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let cancelled = gate.withLock { slot -> Bool in
                if Task.isCancelled { return true }
                slot = continuation
                return false
            }
            if cancelled { continuation.resume(throwing: CancellationError()) }
        }
    } onCancel: {
        gate.withLock { slot in
            slot?.resume(throwing: CancellationError())
            slot = nil
        }
    }
}
