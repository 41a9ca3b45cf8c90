#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Tracing

/// One job's state inside its batch.
struct JobSlot {
    var status: JobStatus = .queued
    /// What to run; dropped when the job is final, so that credentials live no longer than needed.
    var spec: DeviceJobSpec?
    var result: DeviceResult?
    /// The worker running the job, while it is `started`.
    var worker = -1
    /// When the job started (wall clock), for job views.
    var startedAt: Date?
    /// Why a running job was stopped (execution timeout, cancel, shutdown): its error if it fails.
    var stopReason: NetPulseError?
    /// Past its `result_ttl`: no longer answered by queries.
    var purged = false
    /// Pinned: who may share a session with this job (kept after the spec is dropped: it holds no secret).
    var identity: SessionIdentity?
    /// When the job became final (scheduler clock), for its purge.
    var finishedAt: Duration = .zero
    /// Where the job's execution deadline sits in the deadline heap while it runs; -1 for none.
    var executionPosition = -1
}

/// Everything the scheduler keeps about one batch.
///
/// `@unchecked Sendable`: the `let` fields are immutable; every `var` is read and written only while
/// holding `SchedulerCore.state`'s lock.
final class BatchRecord: @unchecked Sendable {
    let id: String
    let strategy: QueueStrategy
    let options: BatchOptions
    let driver: any Driver
    /// The driver's registered name.
    let driverName: String
    let resultTTL: Duration
    let submittedAt: Duration
    /// `submittedAt + ttl`, or `nil` without a ttl.
    let expiresAt: Duration?
    let jobIDs: [String]
    var total: Int { jobIDs.count }
    /// Submission order over every batch of the scheduler, for paged job lists.
    let sequence: UInt64
    /// What the submitter attached (the HTTP API's per-batch view data); released with the batch.
    let annotation: (any Sendable)?
    /// How each command's output is parsed (`parsing`), if asked.
    let parsing: ParsingSpec?
    /// The batch's span, a child of the submitter's `ServiceContext`; jobs' spans are its children. It
    /// ends when the last job becomes final.
    let span: (any Span)?
    /// The profile of the batch's first device: most batches have one platform, so a job usually
    /// finds its profile with one string comparison.
    private let firstProfile: PlatformProfile?

    var slots: [JobSlot]
    /// Indices of final jobs, in the order they became final: what the results stream replays.
    var order: [Int] = []
    var queued: Int
    var running = 0
    var succeeded = 0
    var failed = 0
    var purgedCount = 0
    /// Round-robin: the next index to hand out (jobs are handed out in request order).
    var cursor = 0
    /// Pinned: jobs that are at the head of their idle device's queue, ready to run.
    var readyPinned = FIFO<(index: Int, device: PinnedDevice)>()
    /// In the ring of its strategy, waiting for its turn.
    var inRing = false
    /// Who waits for the next result and for the last one: the core's, woken when the state lists the
    /// batch as delivered (``SchedulerActions/delivered``); the state never touches them.
    var streamWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var doneWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    /// The core has reported the batch complete (ended its span, woken its final-result waiters).
    var completionReported = false
    var finalResult: BatchResult?
    /// Where the batch's ttl deadline sits in the deadline heap (while jobs are queued); -1 for none.
    var ttlPosition = -1
    /// Where the batch's next purge sits in the deadline heap (while results wait for it); -1 for none.
    /// Results are purged in the order they became final, so one entry per batch is enough.
    var purgePosition = -1

    var isComplete: Bool { order.count == total }

    init(
        id: String,
        specs: [DeviceJobSpec],
        options: BatchOptions,
        driver: any Driver,
        driverName: String,
        resultTTL: Duration,
        submittedAt: Duration,
        platforms: PlatformRegistry,
        tenant: String? = nil,
        sequence: UInt64 = 0,
        annotation: (any Sendable)? = nil,
        parsing: ParsingSpec? = nil,
        span: (any Span)? = nil
    ) {
        self.id = id
        self.span = span
        self.sequence = sequence
        self.annotation = annotation
        self.parsing = parsing
        self.strategy = options.queueStrategy
        self.options = options
        self.driver = driver
        self.driverName = driverName
        self.resultTTL = resultTTL
        self.submittedAt = submittedAt
        self.expiresAt = options.ttl.map { submittedAt + $0 }
        var ids: [String] = []
        ids.reserveCapacity(specs.count)
        var slots: [JobSlot] = []
        slots.reserveCapacity(specs.count)
        // Pinned jobs carry their session identity; devices of one batch mostly share their settings,
        // so each distinct set is digested once.
        var identities: [SessionSettings: SessionIdentity] = [:]
        for spec in specs {
            ids.append(JobID.make(batchID: id, index: spec.index))
            var slot = JobSlot(spec: spec)
            if options.queueStrategy == .pinned {
                let settings = SessionSettings(spec.target)
                if let known = identities[settings] {
                    slot.identity = known
                } else {
                    let identity = SessionIdentity(settings: settings, driverName: driverName, tenant: tenant)
                    identities[settings] = identity
                    slot.identity = identity
                }
            }
            slots.append(slot)
        }
        self.jobIDs = ids
        self.slots = slots
        self.queued = specs.count
        self.firstProfile = specs.first.flatMap { platforms.profile(named: $0.target.platform) }
    }

    /// The platform profile of a device of this batch.
    func profile(for name: String, in platforms: PlatformRegistry) -> PlatformProfile? {
        if let firstProfile, firstProfile.name == name { return firstProfile }
        return platforms.profile(named: name)
    }

    var progress: BatchProgress {
        BatchProgress(total: total, queued: queued, running: running, succeeded: succeeded, failed: failed)
    }

    func info(_ index: Int) -> JobInfo? {
        let slot = slots[index]
        guard !slot.purged else { return nil }
        let device: DeviceKey
        if let spec = slot.spec {
            device = spec.target.key
        } else if let result = slot.result {
            device = DeviceKey(host: result.hostname, port: result.port, username: result.username)
        } else {
            return nil
        }
        return JobInfo(
            id: jobIDs[index], batchID: id, index: index, device: device, status: slot.status, result: slot.result,
            startedAt: slot.startedAt)
    }
}

/// One device of the pinned queues: its serial queue of jobs and its persistent session.
///
/// `@unchecked Sendable`: every `var` is read and written only while holding `SchedulerCore.state`'s lock.
final class PinnedDevice: @unchecked Sendable {
    let key: DeviceKey
    /// The scheduler's logger with this device in its metadata, made once.
    let logger: Logger
    /// Jobs not started yet, in submission order, across batches.
    var queue = FIFO<(batch: BatchRecord, index: Int)>()
    /// The queue's head sits in its batch's ready list.
    var headReady = false
    /// A job of this device is running (it then holds the session).
    var running = false
    /// The idle session, when there is one and no job holds it.
    var session: (any DriverSession)?
    /// What the session was opened with (set when a job is handed the device): only a job with the same
    /// identity reuses it.
    var sessionIdentity: SessionIdentity?
    /// The device counts one open connection and one pinned session (connecting, busy or idle).
    var holdsSlot = false
    var lastUsed: Duration = .zero
    /// Where the idle session's close deadline sits in the deadline heap; -1 for none.
    var idlePosition = -1
    var lruPrevious: PinnedDevice?
    var lruNext: PinnedDevice?
    var inLRU = false

    init(key: DeviceKey, logger: Logger) {
        self.key = key
        var logger = logger
        logger[metadataKey: "device"] = .stringConvertible(key)
        self.logger = logger
    }

    var isUnused: Bool { !running && session == nil && !holdsSlot && queue.isEmpty }
}

/// Idle pinned devices with a session, least recently used first. O(1) insert, remove, pop.
struct IdleLRU {
    private var head: PinnedDevice?
    private var tail: PinnedDevice?
    private(set) var count = 0

    mutating func append(_ device: PinnedDevice) {
        precondition(!device.inLRU)
        device.inLRU = true
        device.lruPrevious = tail
        device.lruNext = nil
        if let tail { tail.lruNext = device } else { head = device }
        tail = device
        count += 1
    }

    mutating func remove(_ device: PinnedDevice) {
        guard device.inLRU else { return }
        if let previous = device.lruPrevious { previous.lruNext = device.lruNext } else { head = device.lruNext }
        if let next = device.lruNext { next.lruPrevious = device.lruPrevious } else { tail = device.lruPrevious }
        device.lruPrevious = nil
        device.lruNext = nil
        device.inLRU = false
        count -= 1
    }

    mutating func popLeastRecent() -> PinnedDevice? {
        guard let device = head else { return nil }
        remove(device)
        return device
    }
}
