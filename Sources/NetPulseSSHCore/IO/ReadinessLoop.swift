internal import CNetPulseSSHCore
import Foundation
import Synchronization

/// Wakes tasks when their non-blocking sockets are ready: a few epoll threads shared by every
/// session of both SSH backends, instead of a thread per device.
///
/// A session runs its C calls in non-blocking mode on its own task; when the library says it would
/// block, the task awaits ``wait(fd:for:deadline:)`` and is resumed by the loop, so no C call ever
/// blocks a Swift concurrency thread. Several tasks may wait on one descriptor (say, a read and a
/// keepalive's flush): readiness wakes all of them, and each ends by itself on cancellation or deadline.
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

    /// The process-wide loop: one thread per core (at least one, at most four).
    public static let shared: ReadinessLoop = {
        FileLimits.raiseOpenFileLimit()
        return ReadinessLoop(threads: min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)))
    }()

    private let workers: [Worker]

    /// Starts a loop with its own threads; they live as long as the process.
    public init(threads: Int) {
        precondition(threads > 0, "a readiness loop needs at least one thread")
        workers = (0..<threads).map { Worker(index: $0) }
        for worker in workers { worker.start() }
    }

    private func worker(for fd: Int32) -> Worker { workers[Int(fd) % workers.count] }

    /// Suspends until `fd` is ready for `interest`, or until `deadline`.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting;
    ///   `ReadinessLoop.Failure` when the descriptor cannot be watched (e.g. already closed).
    public func wait(
        fd: Int32,
        for interest: Interest,
        deadline: ContinuousClock.Instant
    ) async throws -> Readiness {
        try Task.checkCancellation()
        if deadline <= .now { return .timedOut }
        return try await worker(for: fd).wait(fd: fd, interest: interest, deadline: deadline)
    }

    /// How many tasks wait on `fd` now (for tests).
    func waiterCount(fd: Int32) -> Int {
        worker(for: fd).state.withLock { $0.waiters[fd]?.count ?? 0 }
    }

    /// Stops watching `fd`. Call it before closing the descriptor.
    public func forget(fd: Int32) {
        worker(for: fd).forget(fd: fd)
    }

    /// A descriptor that could not be watched.
    public struct Failure: Error, CustomStringConvertible {
        public var errno: Int32
        public var description: String { "epoll_ctl failed: \(String(cString: strerror(errno)))" }
    }
}

extension ReadinessLoop {
    final class Worker: Sendable {
        struct Waiter {
            var continuation: CheckedContinuation<Readiness, any Error>
            var token: UInt64
            var deadline: ContinuousClock.Instant
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
            var deadline: ContinuousClock.Instant
            var fd: Int32
            var token: UInt64
        }

        struct State {
            var waiters: [Int32: Waiters] = [:]
            var registered: Set<Int32> = []
            var timers = TimerHeap()
            var nextToken: UInt64 = 0
            /// When the loop thread will wake by itself; `nil` while it is awake.
            var sleepingUntil: ContinuousClock.Instant?
        }

        let index: Int
        let epollFD: Int32
        let wakeFD: Int32
        let state = Mutex(State())

        init(index: Int) {
            self.index = index
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

        func wait(fd: Int32, interest: Interest, deadline: ContinuousClock.Instant) async throws -> Readiness {
            let token = state.withLock { state -> UInt64 in
                state.nextToken &+= 1
                return state.nextToken
            }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Readiness, any Error>) in
                    register(fd: fd, interest: interest, deadline: deadline, token: token, continuation: continuation)
                }
            } onCancel: {
                let waiter = state.withLock { $0.remove(fd: fd, token: token) }
                waiter?.continuation.resume(throwing: CancellationError())
            }
        }

        private func register(
            fd: Int32,
            interest: Interest,
            deadline: ContinuousClock.Instant,
            token: UInt64,
            continuation: CheckedContinuation<Readiness, any Error>
        ) {
            enum Outcome { case waiting(wake: Bool), cancelled, failed(Int32) }
            let outcome = state.withLock { state -> Outcome in
                // Checked under the lock: a cancellation handler that ran before this point saw no
                // waiter, so the flag is the only trace of it.
                if Task.isCancelled { return .cancelled }
                let waiter = Waiter(continuation: continuation, token: token, deadline: deadline, interest: interest)
                var entry = Waiters(first: waiter)
                if var existing = state.waiters[fd] {
                    existing.others.append(waiter)
                    entry = existing
                }
                // One registration per descriptor, armed for what any of its waiters waits for.
                let all = entry.interest
                var event = epoll_event()
                var mask = EPOLLONESHOT.rawValue | EPOLLRDHUP.rawValue
                if all.contains(.read) { mask |= EPOLLIN.rawValue }
                if all.contains(.write) { mask |= EPOLLOUT.rawValue }
                event.events = mask
                np_epoll_set_fd(&event, fd)
                let op = state.registered.contains(fd) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
                if epoll_ctl(epollFD, op, fd, &event) != 0 {
                    let error = errno
                    // A descriptor number reused after close: register it afresh.
                    if op == EPOLL_CTL_MOD && error == ENOENT, epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 {
                    } else {
                        return .failed(error)
                    }
                }
                state.registered.insert(fd)
                state.waiters[fd] = entry
                state.timers.push(Timer(deadline: deadline, fd: fd, token: token))
                // Timers of waiters that were woken early stay in the heap until their deadline;
                // rebuild it when they outnumber the live ones, so memory stays bounded.
                if state.timers.count > 2 * state.waiters.count + 4096 {
                    var heap = TimerHeap()
                    for (fd, waiters) in state.waiters {
                        for waiter in waiters.all {
                            heap.push(Timer(deadline: waiter.deadline, fd: fd, token: waiter.token))
                        }
                    }
                    state.timers = heap
                }
                if let sleeping = state.sleepingUntil, deadline < sleeping {
                    state.sleepingUntil = deadline
                    return .waiting(wake: true)
                }
                return .waiting(wake: false)
            }
            switch outcome {
            case .waiting(let wake):
                if wake { _ = eventfd_write(wakeFD, 1) }
            case .cancelled:
                continuation.resume(throwing: CancellationError())
            case .failed(let error):
                continuation.resume(throwing: Failure(errno: error))
            }
        }

        func forget(fd: Int32) {
            let waiters = state.withLock { state -> Waiters? in
                if state.registered.remove(fd) != nil {
                    _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
                }
                return state.waiters.removeValue(forKey: fd)
            }
            // A waiter on a descriptor being closed learns it from the next C call.
            for waiter in waiters?.all ?? [] { waiter.continuation.resume(returning: .ready) }
        }

        private func run() {
            let capacity = 256
            let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
            defer { events.deallocate() }
            var ready: [CheckedContinuation<Readiness, any Error>] = []
            var expired: [CheckedContinuation<Readiness, any Error>] = []
            while true {
                let timeout = state.withLock { state -> Int32 in
                    let now = ContinuousClock.now
                    while let first = state.timers.peek(), first.deadline <= now {
                        state.timers.pop()
                        if let waiter = state.remove(fd: first.fd, token: first.token) {
                            expired.append(waiter.continuation)
                        }
                    }
                    guard let next = state.timers.peek() else {
                        state.sleepingUntil = now + .seconds(3600)
                        return -1
                    }
                    state.sleepingUntil = next.deadline
                    return Self.milliseconds(until: next.deadline, from: now)
                }
                for continuation in expired { continuation.resume(returning: .timedOut) }
                expired.removeAll(keepingCapacity: true)

                let count = epoll_wait(epollFD, events, Int32(capacity), timeout)
                if count < 0 {
                    if errno == EINTR { continue }
                    fatalError("epoll_wait failed: \(String(cString: strerror(errno)))")
                }
                state.withLock { state in
                    state.sleepingUntil = nil
                    for i in 0..<Int(count) {
                        let fd = np_epoll_event_fd(events + i)
                        if fd == wakeFD { continue }
                        if let waiters = state.waiters.removeValue(forKey: fd) {
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

        static func milliseconds(until deadline: ContinuousClock.Instant, from now: ContinuousClock.Instant) -> Int32 {
            let remaining = now.duration(to: deadline)
            let (seconds, attoseconds) = remaining.components
            if seconds >= 86_400 { return 86_400_000 }
            // Round up, so the loop never wakes just before the deadline and spins.
            let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
            return Int32(max(0, ms))
        }
    }
}

extension ReadinessLoop.Worker.State {
    /// Removes one waiter of `fd` by its token; `nil` when it is no longer there.
    mutating func remove(fd: Int32, token: UInt64) -> ReadinessLoop.Worker.Waiter? {
        guard let waiters = self.waiters[fd] else { return nil }
        let (removed, rest) = waiters.removing(token: token)
        self.waiters[fd] = rest
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
