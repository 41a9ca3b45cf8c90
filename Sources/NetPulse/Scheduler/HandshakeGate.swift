import Synchronization

/// Bounds the connects (TCP + key exchange + authentication) in progress: a counting semaphore
/// whose waiters are served in arrival order and leave when their task is cancelled.
final class HandshakeGate: Sendable {
    private struct State {
        var available: Int
        var waiters = FIFO<(id: UInt64, continuation: CheckedContinuation<Bool, Never>)>()
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
        var inProgress = 0
        /// A ``tryAcquire()`` failed since the last release that reported it.
        var starved = false
    }

    private let state: Mutex<State>

    init(limit: Int) { state = Mutex(State(available: limit)) }

    /// The handshakes holding a permit now.
    var inProgress: Int { state.withLock { $0.inProgress } }

    /// Takes a permit if one is free and nobody waits for one.
    func tryAcquire() -> Bool {
        state.withLock { state in
            guard state.available > 0 && state.waiters.isEmpty else {
                state.starved = true
                return false
            }
            state.available -= 1
            state.inProgress += 1
            return true
        }
    }

    /// Whether a permit is free now.
    var hasFreePermit: Bool { state.withLock { $0.available > 0 && $0.waiters.isEmpty } }

    /// Waits for a permit.
    ///
    /// - Throws: `CancellationError` if the task is cancelled before a permit is granted.
    func acquire() async throws {
        // Fast path: a free permit, no suspension.
        let (granted, id) = state.withLock { state -> (Bool, UInt64) in
            if state.available > 0 && state.waiters.isEmpty {
                state.available -= 1
                state.inProgress += 1
                return (true, 0)
            }
            state.nextID += 1
            return (false, state.nextID)
        }
        if granted { return }
        let ok = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.cancelled.remove(id) != nil { return true }
                    state.waiters.append((id, continuation))
                    return false
                }
                if resumeNow { continuation.resume(returning: false) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                var kept = FIFO<(id: UInt64, continuation: CheckedContinuation<Bool, Never>)>()
                var found: CheckedContinuation<Bool, Never>?
                while let entry = state.waiters.popFirst() {
                    if entry.id == id { found = entry.continuation } else { kept.append(entry) }
                }
                state.waiters = kept
                // Cancelled before it enqueued: leave a mark so that it does not wait.
                if found == nil { state.cancelled.insert(id) }
                return found
            }
            waiter?.resume(returning: false)
        }
        state.withLock { _ = $0.cancelled.remove(id) }
        if !ok { throw CancellationError() }
    }

    /// Returns a permit taken by ``tryAcquire()`` that could not be used after all; the caller is
    /// about to be turned away, so the gate counts as starved.
    func giveBack() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            state.starved = true
            if let waiter = state.waiters.popFirst() { return waiter.continuation }
            state.inProgress -= 1
            state.available += 1
            return nil
        }
        next?.resume(returning: true)
    }

    /// Returns a permit, handing it to the longest waiter if any.
    ///
    /// - Returns: Whether a ``tryAcquire()`` was turned away since the last release that said so:
    ///   the caller should then let the turned-away work try again.
    @discardableResult
    func release() -> Bool {
        let (next, starved) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, Bool) in
            state.inProgress -= 1
            let starved = state.starved
            state.starved = false
            if let waiter = state.waiters.popFirst() {
                state.inProgress += 1
                return (waiter.continuation, starved)
            }
            state.available += 1
            return (nil, starved)
        }
        next?.resume(returning: true)
        return starved
    }
}

/// One held permit of a ``HandshakeGate``, given back exactly once: by the driver's
/// `DriverContext.handshakeFinished` or when the connect ends.
final class HandshakePermit: Sendable {
    private let gate: HandshakeGate
    private let held = Atomic<Bool>(true)
    /// Runs when the release found a connect turned away for want of a permit.
    private let onStarvedRelease: @Sendable () -> Void

    init(gate: HandshakeGate, onStarvedRelease: @escaping @Sendable () -> Void) {
        self.gate = gate
        self.onStarvedRelease = onStarvedRelease
    }

    func release() {
        guard held.exchange(false, ordering: .acquiringAndReleasing) else { return }
        if gate.release() { onStarvedRelease() }
    }
}
