internal import CNetPulseSSHCore
import Foundation
public import NetPulse
import Synchronization

/// Wakes tasks when their non-blocking sockets are ready: a few epoll threads shared by every
/// session of both SSH backends, instead of a thread per device.
///
/// A session runs its C calls in non-blocking mode on its own task; when the library says it would
/// block, the task awaits ``wait(fd:for:deadline:)`` and is resumed by the loop, so no C call ever
/// blocks a Swift concurrency thread. Several tasks may wait on one descriptor (say, a read and a
/// keepalive's flush): readiness wakes all of them, and each ends by itself on cancellation or deadline.
///
/// Each loop thread is also a `TaskExecutor` (``executor(for:)``): it runs the jobs given to it between
/// two `epoll_wait` calls, as an event loop of swift-nio does. A session that runs its work with that
/// executor as its task's preference (`withTaskExecutorPreference`) is resumed by a readiness event on the
/// thread that saw it, with no hand-off to another thread; its default actors and its nonisolated async
/// code run there too. Work given to it must never block (file I/O, name resolution): every descriptor of
/// that thread would wait.
public final class ReadinessLoop: Sendable {
    /// What to wait for.
    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let read = Interest(rawValue: 1)
        public static let write = Interest(rawValue: 2)
    }

    /// How a wait ended.
    public enum Readiness: Sendable, Equatable {
        /// The descriptor is ready (or has an error or hang-up that the next call will report).
        case ready
        /// The deadline passed first.
        case timedOut
    }

    /// The process-wide loop, with ``defaultThreadCount(cores:)`` threads for this machine's cores.
    public static let shared: ReadinessLoop = {
        FileLimits.raiseOpenFileLimit()
        return ReadinessLoop(threads: defaultThreadCount(cores: ProcessInfo.processInfo.activeProcessorCount))
    }()

    /// One loop thread per two cores, at least one and at most four.
    ///
    /// A loop thread sleeps in `epoll_wait` whenever it runs out of events, and every sleep and wake-up
    /// costs a context switch (several microseconds on a virtual machine) plus the caches it finds cold. With
    /// fewer threads, each finds more events per wake-up: against 200 emulated devices that answer
    /// keystroke by keystroke, one thread instead of two on two cores took about a tenth less client CPU,
    /// and 5,000 lab devices ran faster too (see `Benchmarks/README.md`). The other cores are left to the
    /// Swift concurrency pool (scheduling, parsing, the application) and, in a lab, to the emulated devices.
    /// One thread ran 5,000 lab sessions in 2.6–4.5 s there (100 at once); a process that needs more gives
    /// ``SSHDriverConfiguration`` a loop of its own (`ReadinessLoop(threads:)`).
    public static func defaultThreadCount(cores: Int) -> Int { min(4, max(1, cores / 2)) }

    /// When a loop thread lets events gather before it collects them.
    ///
    /// Every sleep in `epoll_wait` and every wake-up costs the thread a context switch (several
    /// microseconds on a virtual machine) and the caches it finds cold. A thread watching many sessions of
    /// slow devices that answer in small pieces (an echo packet per typed character, a line at a time)
    /// wakes for nearly every packet: about 60 times per Cisco IOS session against FakeNOS. With batching,
    /// a thread that is about to sleep while at least ``minimumWaiters`` waits are registered, and whose
    /// last wake-up found at most two events, first lets ``window`` pass (never beyond its next deadline),
    /// then collects what came meanwhile in one wake-up.
    ///
    /// Each event then waits up to ``window`` longer, only on a thread that many sessions share: a single
    /// session, or a few, are served as soon as their bytes arrive. At 200 FakeNOS sessions, 100 at once,
    /// the default halved the client's context switches and took about an eighth less client CPU, with no
    /// loss of wall time; 5,000 lab devices, which answer at once, were served as before (see
    /// `Benchmarks/README.md`).
    public struct Batching: Sendable, Equatable, CustomStringConvertible {
        /// How long a thread lets events gather.
        public let window: Duration
        /// How many registered waits (on the thread) make it worth it.
        public let minimumWaiters: Int

        /// - Throws: ``NetPulseError/Kind/invalidRequest`` naming `window` when it is not between 0 and
        ///   100 ms, or `minimumWaiters` when it is below 1.
        public init(window: Duration, minimumWaiters: Int) throws(NetPulseError) {
            guard window >= .zero && window <= .milliseconds(100) else {
                throw NetPulseError(.invalidRequest, "batching window: \(window) is not between 0 and 100 ms")
            }
            guard minimumWaiters >= 1 else {
                throw NetPulseError(.invalidRequest, "batching minimumWaiters: \(minimumWaiters) is below 1")
            }
            self.init(checkedWindow: window, minimumWaiters: minimumWaiters)
        }

        private init(checkedWindow window: Duration, minimumWaiters: Int) {
            self.window = window
            self.minimumWaiters = minimumWaiters
        }

        /// 400 µs, from 16 waits on a thread.
        public static let standard = Batching(checkedWindow: .microseconds(400), minimumWaiters: 16)
        /// Every event is collected as soon as it comes.
        public static let off = Batching(checkedWindow: .zero, minimumWaiters: .max)

        public var description: String {
            self == .off ? "off" : "\(window) from \(minimumWaiters) waits"
        }
    }

    private let workers: [Worker]
    /// The turns of ``nextExecutor()``.
    private let turns = Atomic<UInt>(0)

    /// Starts a loop with its own threads; they live as long as the process.
    ///
    /// - Parameters:
    ///   - threads: How many loop threads (each with its own epoll set); at least one.
    ///   - batching: When a thread lets events gather before it collects them (``Batching/standard``).
    public init(threads: Int, batching: Batching = .standard) {
        precondition(threads > 0, "a readiness loop needs at least one thread")
        workers = (0..<threads).map { Worker(index: $0, batching: batching) }
        for worker in workers { worker.start() }
    }

    /// How many times the loop's threads came back from `epoll_wait` with events (for tests).
    var wakeUps: Int { workers.reduce(0) { $0 + $1.wakeUps.load(ordering: .relaxed) } }

    private func worker(for fd: Int32) -> Worker { workers[Int(fd) % workers.count] }

    /// The executor of the loop thread that watches `fd`: run a session's work with it as the task's
    /// executor preference, and each readiness event on `fd` resumes that work on the thread that saw it.
    public func executor(for fd: Int32) -> any TaskExecutor { worker(for: fd) }

    /// A loop thread's executor for a connection whose socket does not exist yet, each thread in turn: a
    /// driver's ``Driver/preferredExecutor(for:)``. The socket's own thread (``executor(for:)``) is this one
    /// when the loop has one thread, as on machines of up to three cores; with more, a session whose
    /// descriptor lands on another thread moves there once connected.
    public func nextExecutor() -> any TaskExecutor {
        guard workers.count > 1 else { return workers[0] }
        let turn = turns.wrappingAdd(1, ordering: .relaxed).oldValue
        return workers[Int(turn % UInt(workers.count))]
    }

    /// Whether the calling thread is a thread of any readiness loop: for assertions that nothing blocks one.
    static var isAnyLoopThread: Bool { np_is_loop_thread() != 0 }

    /// Whether the calling thread is one of this loop's threads.
    public var isLoopThread: Bool { workers.contains { $0.isCurrentThread } }

    /// Whether the calling thread is the loop thread that watches `fd` (for tests).
    func runsOnLoopThread(of fd: Int32) -> Bool { worker(for: fd).isCurrentThread }

    /// Suspends until `fd` is ready for `interest`, or until `deadline`.
    ///
    /// It runs on the caller's executor (`nonisolated(nonsending)`): a task waiting from an actor is resumed
    /// straight onto that actor, with no hop through the global executor before or after the wait.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting;
    ///   `ReadinessLoop.Failure` when the descriptor cannot be watched (e.g. already closed).
    public nonisolated(nonsending) func wait(
        fd: Int32,
        for interest: Interest,
        deadline: ContinuousClock.Instant
    ) async throws -> Readiness {
        try Task.checkCancellation()
        guard fd >= 0 else { throw Failure(errno: EBADF) }
        if deadline <= .now { return .timedOut }
        return try await worker(for: fd).wait(fd: fd, interest: interest, deadline: deadline)
    }

    /// How many tasks wait on `fd` now (for tests).
    func waiterCount(fd: Int32) -> Int {
        worker(for: fd).state.withLock { state in state.index(of: fd).map { state.slots[$0].waiters?.count ?? 0 } ?? 0 }
    }

    /// Stops watching `fd`. Call it before closing the descriptor.
    public func forget(fd: Int32) {
        guard fd >= 0 else { return }
        worker(for: fd).forget(fd: fd)
    }

    /// A descriptor that could not be watched.
    public struct Failure: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String { "epoll_ctl failed: \(String(cString: strerror(errno)))" }
    }
}

extension ReadinessLoop {
    /// A point in time as nanoseconds since ``origin``, for the loop's waiters and timers.
    ///
    /// `ContinuousClock.Instant` is not `@frozen`: outside the standard library its layout is unknown, so
    /// every copy, swap and comparison of a struct that holds one goes through value witnesses and type
    /// metadata look-ups. With it in each waiter and timer, a FakeNOS session took 5,743 k instructions;
    /// with ticks, 5,198 k (`scripts/bench/fakenos-profile.sh`).
    struct Tick: Comparable, Sendable {
        var nanoseconds: Int64

        /// The instant ticks count from (the first use in the process).
        static let origin = ContinuousClock.now

        /// The most seconds a tick reaches either way of ``origin`` (about 95 years, a third of what fits,
        /// so that differences and ``adding(_:)`` cannot overflow): farther is clamped.
        private static let maxSeconds: Int64 = 3_000_000_000

        init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

        init(_ instant: ContinuousClock.Instant) {
            let (seconds, attoseconds) = Self.origin.duration(to: instant).components
            let clamped = min(max(seconds, -Self.maxSeconds), Self.maxSeconds)
            nanoseconds = clamped * 1_000_000_000 + (clamped == seconds ? attoseconds / 1_000_000_000 : 0)
        }

        static var now: Tick { Tick(ContinuousClock.now) }

        /// This tick `duration` later (for a recent tick, such as ``now``, and a duration of hours at most).
        func adding(_ duration: Duration) -> Tick {
            let (seconds, attoseconds) = duration.components
            return Tick(nanoseconds: nanoseconds + seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }

        static func < (a: Tick, b: Tick) -> Bool { a.nanoseconds < b.nanoseconds }
    }

    /// One loop thread: its epoll set, its timers, and the jobs it runs as a `TaskExecutor`.
    final class Worker: TaskExecutor, Sendable {
        /// Resumed exactly once: by the event, the deadline, the cancellation or `forget`, whichever takes
        /// the waiter out of the state first (under the lock).
        typealias Continuation = UnsafeContinuation<Readiness, any Error>

        struct Waiter {
            var continuation: Continuation
            var token: UInt64
            var deadline: Tick
            var interest: Interest
        }

        /// The waiters of one descriptor: nearly always one, so the first lives inline and only
        /// the others take an array.
        struct Waiters {
            var first: Waiter
            var others: [Waiter] = []

            var count: Int { 1 + others.count }
            var all: [Waiter] { [first] + others }
            var interest: Interest { others.reduce(first.interest) { $0.union($1.interest) } }

            /// Removes the waiter with `token`; `nil` when it was the last one.
            func removing(token: UInt64) -> (removed: Waiter?, rest: Waiters?) {
                if first.token == token {
                    guard let next = others.first else { return (first, nil) }
                    return (first, Waiters(first: next, others: Array(others.dropFirst())))
                }
                guard let index = others.firstIndex(where: { $0.token == token }) else { return (nil, self) }
                var rest = self
                let removed = rest.others.remove(at: index)
                return (removed, rest)
            }
        }

        struct Timer {
            var deadline: Tick
            var fd: Int32
            var token: UInt64
        }

        /// What the thread knows of one descriptor.
        struct Slot {
            var waiters: Waiters?
            /// Added to the epoll set.
            var registered = false
            /// A task is arming it now (its `epoll_ctl` runs outside the lock).
            var arming = false
            /// Its waiters changed while it was being armed: armed again before the arming task lets go.
            var rearm = false
        }

        struct State {
            /// Indexed by descriptor (descriptor numbers are small and dense; a dictionary's hashing cost
            /// more than the rest of a wake-up's bookkeeping).
            var slots: [Slot] = []
            /// How many waiters the slots hold.
            var waiterCount = 0
            var timers = TimerHeap()
            /// When the loop thread will wake by itself; `nil` while it is awake.
            var sleepingUntil: Tick?
            /// An eventfd wake-up was sent since the thread went to sleep (one is enough).
            var woken = false
            /// Jobs enqueued on the thread as a task executor, run in order between two waits for events.
            var jobs: [UnownedJob] = []
        }

        let index: Int
        let epollFD: Int32
        let wakeFD: Int32
        /// The batching window in nanoseconds (0: off), and from how many waiters.
        let batchingWindow: Int64
        let batchingWaiters: Int
        /// Returns from `epoll_wait` with events.
        let wakeUps = Atomic<Int>(0)
        let state = Mutex(State())
        /// The source of waiter tokens (an atomic counter, so a wait takes the lock once to register).
        let tokens = Atomic<UInt64>(0)
        /// The loop thread's `pthread_t` once it runs (0 before).
        let thread = Atomic<UInt>(0)

        init(index: Int, batching: Batching) {
            self.index = index
            let (seconds, attoseconds) = batching.window.components
            batchingWindow = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            batchingWaiters = batching.minimumWaiters
            epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
            wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
            precondition(epollFD >= 0 && wakeFD >= 0, "cannot create the readiness loop's epoll descriptors")
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            np_epoll_set_fd(&event, wakeFD)
            _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        }

        func start() {
            let thread = Thread { [self] in self.run() }
            thread.name = "netpulse-io-\(index)"
            thread.start()
        }

        var isCurrentThread: Bool { thread.load(ordering: .relaxed) == pthread_self() }

        /// Takes a job to run on the loop thread. From the loop thread itself (a readiness event resumed a
        /// task that prefers this executor) it only queues it: the thread runs it before it waits again.
        /// From another thread, it wakes the thread if it sleeps.
        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            let wake = state.withLock { state -> Bool in
                state.jobs.append(job)
                guard state.sleepingUntil != nil, !state.woken else { return false }
                state.woken = true
                return true
            }
            if wake { _ = eventfd_write(wakeFD, 1) }
        }

        nonisolated(nonsending) func wait(
            fd: Int32, interest: Interest, deadline: ContinuousClock.Instant
        ) async throws -> Readiness {
            let token = tokens.wrappingAdd(1, ordering: .relaxed).newValue
            let due = Tick(deadline)
            return try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { (continuation: Continuation) in
                    register(fd: fd, interest: interest, deadline: due, token: token, continuation: continuation)
                }
            } onCancel: {
                let waiter = state.withLock { $0.remove(fd: fd, token: token) }
                waiter?.continuation.resume(throwing: CancellationError())
            }
        }

        /// One `epoll_ctl` to make: add or modify `fd`'s registration with `mask`.
        struct Arm {
            var op: Int32
            var mask: UInt32
        }

        static func mask(for interest: Interest) -> UInt32 {
            var mask = EPOLLONESHOT.rawValue | EPOLLRDHUP.rawValue
            if interest.contains(.read) { mask |= EPOLLIN.rawValue }
            if interest.contains(.write) { mask |= EPOLLOUT.rawValue }
            return mask
        }

        /// Records the waiter under the lock, then arms the descriptor with `epoll_ctl` outside it, so that
        /// the loop thread and other sessions never wait for a system call on this lock. While one task
        /// arms a descriptor, another that registers on it only asks for a re-arm; the arming task makes
        /// it (with every waiter's interest) before it lets go, so no interest is lost to the order in which
        /// two `epoll_ctl` calls land. An event that comes before the arming finds the waiter already there.
        private func register(
            fd: Int32,
            interest: Interest,
            deadline: Tick,
            token: UInt64,
            continuation: Continuation
        ) {
            enum Outcome { case waiting(wake: Bool, arm: Arm?), cancelled }
            let outcome = state.withLock { state -> Outcome in
                // Checked under the lock: a cancellation handler that ran before this point saw no
                // waiter, so the flag is the only trace of it.
                if Task.isCancelled { return .cancelled }
                let waiter = Waiter(continuation: continuation, token: token, deadline: deadline, interest: interest)
                let entry = state.add(waiter, fd: fd)
                state.timers.push(Timer(deadline: deadline, fd: fd, token: token))
                // Timers of waiters that were woken early stay in the heap until their deadline;
                // rebuild it when they outnumber the live ones, so memory stays bounded.
                if state.timers.count > 2 * state.waiterCount + 4096 {
                    var heap = TimerHeap()
                    for (fd, slot) in state.slots.enumerated() {
                        for waiter in slot.waiters?.all ?? [] {
                            heap.push(Timer(deadline: waiter.deadline, fd: Int32(fd), token: waiter.token))
                        }
                    }
                    state.timers = heap
                }
                var wake = false
                if let sleeping = state.sleepingUntil, deadline < sleeping {
                    state.sleepingUntil = deadline
                    wake = !state.woken
                    state.woken = true
                }
                // One registration per descriptor, armed for what any of its waiters waits for.
                let index = Int(fd)
                if state.slots[index].arming {
                    state.slots[index].rearm = true
                    return .waiting(wake: wake, arm: nil)
                }
                state.slots[index].arming = true
                let op = state.slots[index].registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
                state.slots[index].registered = true
                return .waiting(wake: wake, arm: Arm(op: op, mask: Self.mask(for: entry.interest)))
            }
            switch outcome {
            case .cancelled:
                continuation.resume(throwing: CancellationError())
            case .waiting(let wake, let arm):
                if wake { _ = eventfd_write(wakeFD, 1) }
                if let arm { self.arm(fd: fd, arm) }
            }
        }

        /// Makes `arm` and then every re-arm asked for meanwhile; when `epoll_ctl` fails, every waiter of
        /// the descriptor ends with ``ReadinessLoop/Failure`` (none of them could ever be woken).
        private func arm(fd: Int32, _ first: Arm) {
            var arm = first
            while true {
                let error = Self.control(epollFD, fd: fd, arm)
                let (next, failed) = state.withLock { state -> (Arm?, [Waiter]) in
                    let index = Int(fd)
                    if error != 0 {
                        state.slots[index].arming = false
                        state.slots[index].rearm = false
                        state.slots[index].registered = false
                        return (nil, state.takeWaiters(fd: fd)?.all ?? [])
                    }
                    state.slots[index].registered = true
                    if state.slots[index].rearm {
                        state.slots[index].rearm = false
                        if let waiters = state.slots[index].waiters {
                            return (Arm(op: EPOLL_CTL_MOD, mask: Self.mask(for: waiters.interest)), [])
                        }
                    }
                    state.slots[index].arming = false
                    return (nil, [])
                }
                for waiter in failed { waiter.continuation.resume(throwing: Failure(errno: error)) }
                guard let next else { return }
                arm = next
            }
        }

        /// `epoll_ctl` for `arm`: 0, or the error. A descriptor number reused after close (ENOENT on
        /// modify) is added afresh; one added meanwhile (EEXIST on add) is modified.
        private static func control(_ epollFD: Int32, fd: Int32, _ arm: Arm) -> Int32 {
            var event = epoll_event()
            event.events = arm.mask
            np_epoll_set_fd(&event, fd)
            if epoll_ctl(epollFD, arm.op, fd, &event) == 0 { return 0 }
            let error = errno
            if arm.op == EPOLL_CTL_MOD && error == ENOENT, epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 {
                return 0
            }
            if arm.op == EPOLL_CTL_ADD && error == EEXIST, epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) == 0 {
                return 0
            }
            return error
        }

        func forget(fd: Int32) {
            let waiters = state.withLock { state -> Waiters? in
                guard let index = state.index(of: fd) else { return nil }
                if state.slots[index].registered {
                    state.slots[index].registered = false
                    _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
                }
                return state.takeWaiters(fd: fd)
            }
            // A waiter on a descriptor being closed learns it from the next C call.
            for waiter in waiters?.all ?? [] { waiter.continuation.resume(returning: .ready) }
        }

        private func run() {
            thread.store(pthread_self(), ordering: .relaxed)
            np_mark_loop_thread()
            let capacity = 256
            let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
            defer { events.deallocate() }
            var ready: [Continuation] = []
            var expired: [Continuation] = []
            var running: [UnownedJob] = []
            let executor = asUnownedTaskExecutor()
            /// Whether the last wake-up had events (not only a timeout).
            var active = false
            /// How many events the last wake-up collected.
            var collected = 0
            while true {
                // The jobs queued meanwhile (by the readiness events just handled, mostly), and those they
                // queue in turn: a few rounds at most, so that a task that keeps yielding cannot keep the
                // thread from its descriptors.
                for _ in 0..<Self.jobRounds {
                    state.withLock { swap(&$0.jobs, &running) }
                    if running.isEmpty { break }
                    for job in running { job.runSynchronously(on: executor) }
                    running.removeAll(keepingCapacity: true)
                }
                var (timeout, waiters) = state.withLock { state -> (Int32, Int) in
                    let timeout = Self.sleep(&state, expired: &expired, active: active)
                    if !state.jobs.isEmpty || !expired.isEmpty {
                        state.sleepingUntil = nil
                        return (0, state.waiterCount)
                    }
                    return (timeout, state.waiterCount)
                }
                if !expired.isEmpty {
                    for continuation in expired { continuation.resume(returning: .timedOut) }
                    expired.removeAll(keepingCapacity: true)
                }
                if timeout != 0 && collected <= 2 && waiters >= batchingWaiters && batchingWindow > 0 {
                    timeout = letEventsGather(before: timeout)
                }

                let count = epoll_wait(epollFD, events, Int32(capacity), timeout)
                active = count != 0
                collected = Int(max(0, count))
                if count > 0 { wakeUps.add(1, ordering: .relaxed) }
                if count < 0 {
                    if errno == EINTR { continue }
                    fatalError("epoll_wait failed: \(String(cString: strerror(errno)))")
                }
                state.withLock { state in
                    state.sleepingUntil = nil
                    state.woken = false
                    for i in 0..<Int(count) {
                        let fd = np_epoll_event_fd(events + i)
                        if fd == wakeFD { continue }
                        if let waiters = state.takeWaiters(fd: fd) {
                            ready.append(waiters.first.continuation)
                            for other in waiters.others { ready.append(other.continuation) }
                        }
                    }
                }
                for i in 0..<Int(count) where np_epoll_event_fd(events + i) == wakeFD {
                    var value: eventfd_t = 0
                    _ = eventfd_read(wakeFD, &value)
                }
                for continuation in ready { continuation.resume(returning: .ready) }
                ready.removeAll(keepingCapacity: true)
            }
        }

        /// How many rounds of queued jobs the thread runs before it looks at its descriptors again.
        static let jobRounds = 8

        /// The batching pause (see ``ReadinessLoop/Batching``): lets the window pass, or the time until the
        /// next deadline when that is shorter, and returns what remains of `timeout` (milliseconds, -1 for
        /// none). Events, jobs and wake-ups that come meanwhile are collected by the `epoll_wait` after it.
        private func letEventsGather(before timeout: Int32) -> Int32 {
            let pause = timeout < 0 ? batchingWindow : min(batchingWindow, Int64(timeout) * 1_000_000)
            var request = timespec(tv_sec: 0, tv_nsec: Int(pause))
            var remaining = timespec()
            while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
            // Whole milliseconds only, so the thread never wakes before the deadline and spins: it may be
            // up to a window late for it, as it may be a millisecond late for any deadline.
            guard timeout > 0 else { return timeout }
            return Int32(max(0, Int64(timeout) - pause / 1_000_000))
        }

        /// Takes the expired timers' waiters into `expired` and returns how long the thread may sleep
        /// (milliseconds, -1 for "until woken"), recording it in `sleepingUntil`.
        private static func sleep(
            _ state: inout State, expired: inout [Continuation], active: Bool
        ) -> Int32 {
            let now = Tick.now
            // Timers of waiters woken early are dropped from the top of the heap; the thread then
            // sleeps until the latest of them at most (one wake-up for all, instead of one at each
            // deadline: libssh's 250 ms slices made about a dozen per connection), and a wait that
            // registers meanwhile with a later deadline needs no eventfd wake-up.
            var dropped: Tick?
            while let first = state.timers.peek() {
                if first.deadline <= now {
                    state.timers.pop()
                    if let waiter = state.remove(fd: first.fd, token: first.token) {
                        expired.append(waiter.continuation)
                    }
                } else if !state.isWaiting(fd: first.fd, token: first.token) {
                    state.timers.pop()
                    dropped = first.deadline
                } else {
                    break
                }
            }
            guard let next = dropped ?? state.timers.peek()?.deadline else {
                // Nothing to time: right after activity, sleep one idle slice (a wait that registers
                // meanwhile with a later deadline, as waits in a busy loop do, then needs no eventfd
                // wake-up); after a quiet slice, sleep until woken.
                if active {
                    state.sleepingUntil = now.adding(Self.idleSlice)
                    return Self.milliseconds(until: now.adding(Self.idleSlice), from: now)
                }
                state.sleepingUntil = now.adding(.seconds(3600))
                return -1
            }
            state.sleepingUntil = next
            return Self.milliseconds(until: next, from: now)
        }

        /// How long the thread sleeps with nothing to time right after activity (longer than libssh's
        /// 250 ms recheck slices, so that their registrations do not wake it).
        static let idleSlice = Duration.milliseconds(300)

        static func milliseconds(until deadline: Tick, from now: Tick) -> Int32 {
            let remaining = deadline.nanoseconds - now.nanoseconds
            if remaining >= 86_400 * 1_000_000_000 { return 86_400_000 }
            // Round up, so the loop never wakes just before the deadline and spins.
            return Int32(max(0, (remaining + 999_999) / 1_000_000))
        }
    }
}

extension ReadinessLoop.Worker.State {
    /// Where `fd` is in `slots`; `nil` when the thread has never seen it.
    func index(of fd: Int32) -> Int? {
        fd >= 0 && Int(fd) < slots.count ? Int(fd) : nil
    }

    /// Adds `waiter` to `fd`'s waiters (growing the slots to reach `fd`) and returns them all.
    mutating func add(_ waiter: ReadinessLoop.Worker.Waiter, fd: Int32) -> ReadinessLoop.Worker.Waiters {
        let index = Int(fd)
        if index >= slots.count {
            slots.append(
                contentsOf: repeatElement(
                    ReadinessLoop.Worker.Slot(), count: max(index + 1, 2 * slots.count) - slots.count))
        }
        var entry = ReadinessLoop.Worker.Waiters(first: waiter)
        if var existing = slots[index].waiters {
            existing.others.append(waiter)
            entry = existing
        }
        slots[index].waiters = entry
        waiterCount += 1
        return entry
    }

    /// Takes every waiter of `fd` out.
    mutating func takeWaiters(fd: Int32) -> ReadinessLoop.Worker.Waiters? {
        guard let index = index(of: fd), let waiters = slots[index].waiters else { return nil }
        slots[index].waiters = nil
        waiterCount -= waiters.count
        return waiters
    }

    /// Whether the waiter with `token` still waits on `fd` (read in place: no copy of the waiters).
    func isWaiting(fd: Int32, token: UInt64) -> Bool {
        guard let index = index(of: fd), let first = slots[index].waiters?.first.token else { return false }
        return first == token || slots[index].waiters?.others.contains { $0.token == token } == true
    }

    /// Removes one waiter of `fd` by its token; `nil` when it is no longer there.
    mutating func remove(fd: Int32, token: UInt64) -> ReadinessLoop.Worker.Waiter? {
        guard let index = index(of: fd), let waiters = slots[index].waiters else { return nil }
        let (removed, rest) = waiters.removing(token: token)
        slots[index].waiters = rest
        if removed != nil { waiterCount -= 1 }
        return removed
    }
}

/// A binary min-heap of timers by deadline; cancelled timers stay until they surface (their token no
/// longer matches a waiter).
struct TimerHeap {
    private var items: [ReadinessLoop.Worker.Timer] = []

    var count: Int { items.count }

    func peek() -> ReadinessLoop.Worker.Timer? { items.first }

    mutating func push(_ timer: ReadinessLoop.Worker.Timer) {
        items.append(timer)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].deadline < items[parent].deadline else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> ReadinessLoop.Worker.Timer? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left].deadline < items[smallest].deadline { smallest = left }
            if right < items.count && items[right].deadline < items[smallest].deadline { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
