/// What ``SchedulerCore`` must do after an event of ``SchedulerState``: the state decides, the core
/// carries it out (tasks, continuations, session I/O, the timer), as swift-nio-ssh's state machines do.
///
/// Most events need little: the fields are cheap when empty (no allocation for an empty array), so a
/// worker's turn, the per-job event, costs no more than before.
struct SchedulerActions {
    /// Worker ids to start a task for (already counted as live workers by the state).
    var startWorkers: Range<Int> = 0..<0
    /// Workers whose task must be cancelled: their job was asked to stop (cancel, execution timeout,
    /// shutdown).
    var stopWorkers: [Int] = []
    /// A worker whose task ended (it retired): the core forgets its task.
    var retiredWorker: Int?
    /// Idle pinned sessions to close; their connection permits are returned when closed
    /// (``SchedulerState/sessionsClosed(_:)``).
    var closeSessions: [any DriverSession] = []
    /// Batches with new final results: their result streams wake, and if complete their final-result
    /// waiters wake and their span ends. (No duplicates in a row.)
    var delivered: DeliveredBatches = DeliveredBatches()
    /// A deadline came before the timer's target: wake the timer.
    var wakeTimer = false
    /// No job runs any more: wake who waits for that (shutdown).
    var noRunningJobs = false
    /// No worker is left: wake who waits for that (shutdown).
    var noWorkers = false
    /// Every session handed to the closer is closed: wake who waits for that (shutdown).
    var noPendingCloses = false

    init() {}
}

/// The batches that got final results in one event, in order, without repeating the last one: a worker's
/// turn delivers to one batch and keeps it inline (no allocation); a cancel of many jobs of one batch
/// lists it once.
struct DeliveredBatches {
    private var first: BatchRecord?
    private var rest: [BatchRecord] = []

    init() {}

    var isEmpty: Bool { first == nil }

    mutating func add(_ batch: BatchRecord) {
        guard let first else {
            first = batch
            return
        }
        if (rest.last ?? first) === batch { return }
        rest.append(batch)
    }

    /// Calls `body` on every batch listed, in order.
    func forEach(_ body: (BatchRecord) -> Void) {
        guard let first else { return }
        body(first)
        for batch in rest { body(batch) }
    }

    /// Every batch listed, in order.
    var all: [BatchRecord] {
        var all: [BatchRecord] = []
        forEach { all.append($0) }
        return all
    }
}
