import Foundation

/// What a worker's loop decides, as a pure state machine: the loop feeds it events (jobs finished,
/// new jobs may be queued, a heartbeat's news, a stop) and does the I/O it returns. Tested synchronously.
///
/// `Session` is what a pinned device keeps between jobs (the loop's open driver session).
struct WorkerStateMachine<Session> {
    /// Connections at once: running jobs and kept sessions together.
    let capacity: Int
    /// Round-robin jobs at once. Below ``capacity`` the rest is kept for pinned devices (running jobs and
    /// kept sessions), so that round-robin jobs never close a kept session; equal to it, both share the
    /// capacity and a round-robin job closes the least recently used kept session when it needs room.
    let roundRobinLanes: Int
    /// Jobs started and not yet finished.
    private(set) var running: Set<JobKey> = []
    /// How many of ``running`` are round-robin jobs.
    private(set) var runningRoundRobin = 0
    /// Kept sessions of pinned devices, by device, with when each was last kept (``uses``, and the time).
    private var sessions: [String: (session: Session, used: UInt64, since: ContinuousClock.Instant)] = [:]
    /// Counts sessions kept, to find the least recently used one.
    private var uses: UInt64 = 0
    /// Whether a round-robin claim may find jobs: false after a claim came back short, until new jobs
    /// are announced or a job finishes.
    private var mayHaveRoundRobin = true
    /// Whether a lease or pinned claim may find work.
    private var mayHavePinned = true
    private(set) var stopping = false
    /// Batches this worker started jobs of, least recently first (at most ``turnsKept``): the claims
    /// serve batches not in it first, then in its order, so that batches are served in turn.
    private(set) var turns: [UUID] = []
    /// How many batches ``turns`` remembers; one forgotten counts as never served (served first).
    static var turnsKept: Int { 64 }
    /// The worker was declared dead: nothing more is claimed, running jobs are stopped.
    private(set) var lost = false

    /// - Parameter roundRobinLanes: At most `capacity`; `nil` for `capacity` (shared).
    init(capacity: Int, roundRobinLanes: Int? = nil) {
        self.capacity = capacity
        self.roundRobinLanes = max(1, min(roundRobinLanes ?? capacity, capacity))
    }

    /// Connections pinned devices may hold: running pinned jobs and kept sessions together.
    var pinnedRoom: Int { roundRobinLanes < capacity ? capacity - roundRobinLanes : capacity }

    /// What the loop does next.
    enum Next: Equatable {
        /// Claim up to `pinned` pinned jobs (leases, then the owned devices' next jobs), then up to
        /// `roundRobin` round-robin jobs, and at most `limit` in all. A zero count claims none of that kind.
        case claim(pinned: Int, roundRobin: Int, limit: Int)
        /// Wait for an event.
        case wait
        /// Leave the loop: stopping or lost, nothing running.
        case exit
    }

    var next: Next {
        if stopping || lost { return running.isEmpty ? .exit : .wait }
        let free = capacity - running.count
        let pinned = mayHavePinned ? min(free, pinnedRoom - (running.count - runningRoundRobin)) : 0
        let roundRobin = mayHaveRoundRobin ? min(free, roundRobinLanes - runningRoundRobin) : 0
        guard pinned > 0 || roundRobin > 0 else { return .wait }
        return .claim(pinned: pinned, roundRobin: roundRobin, limit: free)
    }

    /// New jobs may be queued (NOTIFY or poll).
    mutating func jobsAnnounced() {
        mayHaveRoundRobin = true
        mayHavePinned = true
    }

    /// Finish running jobs, write results, then leave.
    mutating func stop() { stopping = true }

    /// The pinned claim's outcome: nothing found stops pinned claims until jobs are announced or a
    /// pinned job finishes.
    mutating func pinnedClaimed(leases: Int, jobs: Int) {
        if leases == 0 && jobs == 0 { mayHavePinned = false }
    }

    /// The round-robin claim's outcome: a short claim means the queue is drained for now.
    mutating func roundRobinClaimed(_ count: Int, asked: Int) {
        if count < asked { mayHaveRoundRobin = false }
    }

    /// Connections the worker holds: one per running job, and each kept session.
    var openConnections: Int { running.count + sessions.count }

    /// A claimed job starts. For a pinned job, returns the device's kept session to run it on if
    /// `reusable` accepts it (same driver and settings), else hands it back to close. A job that opens a
    /// connection while running jobs and kept sessions fill the capacity (or, for a pinned job, the
    /// ``pinnedRoom``) also gets the least recently used kept session to close: the worker never holds
    /// more than `capacity` connections. The job closes what it is given before it connects.
    mutating func start(_ job: ClaimedJob, reusable: (Session) -> Bool) -> (use: Session?, close: [Session]) {
        if running.insert(JobKey(batchID: job.batchID, index: job.index)).inserted, job.epoch == nil {
            runningRoundRobin += 1
        }
        // The batch goes to the back of the turns.
        turns.removeAll { $0 == job.batchID }
        turns.append(job.batchID)
        if turns.count > Self.turnsKept { turns.removeFirst(turns.count - Self.turnsKept) }
        var close: [Session] = []
        if job.epoch != nil, let kept = sessions.removeValue(forKey: job.device) {
            if reusable(kept.session) { return (kept.session, []) }
            close.append(kept.session)
        }
        let runningPinned = running.count - runningRoundRobin
        while running.count + sessions.count > capacity || runningPinned + sessions.count > pinnedRoom,
            let oldest = sessions.min(by: { $0.value.used < $1.value.used })
        {
            sessions[oldest.key] = nil
            close.append(oldest.value.session)
        }
        return (nil, close)
    }

    /// Devices whose session the worker keeps. It keeps their leases too (the heartbeat gives up only
    /// the others), so that a device's next job, in a later batch, comes back to its session.
    var keptDevices: [String] { Array(sessions.keys) }

    /// Takes out the sessions kept idle since before `deadline` (the idle timeout), to close; their
    /// leases are given up at the next heartbeat.
    mutating func expireIdle(before deadline: ContinuousClock.Instant) -> [Session] {
        let idle = sessions.filter { $0.value.since < deadline }
        for device in idle.keys { sessions[device] = nil }
        return idle.values.map(\.session)
    }

    /// A job finished at `now`; returns a session to close (kept only while the worker goes on).
    mutating func finished(
        _ job: ClaimedJob, keeping session: Session?, at now: ContinuousClock.Instant = .now
    ) -> Session? {
        if running.remove(JobKey(batchID: job.batchID, index: job.index)) != nil, job.epoch == nil {
            runningRoundRobin -= 1
        }
        mayHaveRoundRobin = true
        if job.epoch != nil { mayHavePinned = true }
        guard let session else { return nil }
        if stopping || lost { return session }
        uses += 1
        return sessions.updateValue((session, uses, now), forKey: job.device)?.session
    }

    /// A heartbeat's news. Returns the running jobs to stop and the sessions to close.
    mutating func heartbeat(
        alive: Bool, cancelRequested: [JobKey], released: [String]
    ) -> (stop: [JobKey], close: [Session]) {
        var stop = cancelRequested.filter { running.contains($0) }
        if !alive && !lost {
            lost = true
            stop = Array(running)
        }
        var close: [Session] = []
        for device in released {
            if let kept = sessions.removeValue(forKey: device) { close.append(kept.session) }
        }
        if lost { close += takeSessions() }
        return (stop, close)
    }

    /// Every kept session, to close on the way out.
    mutating func takeSessions() -> [Session] {
        defer { sessions.removeAll() }
        return sessions.values.map(\.session)
    }
}
