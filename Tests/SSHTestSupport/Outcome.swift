import Synchronization

/// The outcome of `task` if it ends within `limit`, else `nil`: the limit is a deadline for a task that
/// may hang (the defect a test looks for), not a wait for an event. A task that hangs is left behind and
/// never awaited, so the test itself always ends.
public func outcome<T: Sendable>(
    of task: Task<T, any Error>, within limit: Duration
) async -> Result<T, any Error>? {
    let slot = OutcomeSlot<T>()
    return await withCheckedContinuation { continuation in
        slot.set(continuation)
        Task {
            let result = await task.result
            slot.resume(result)
        }
        Task {
            try? await Task.sleep(for: limit)
            slot.resume(nil)
        }
    }
}

/// The same for a task that cannot throw.
public func outcome<T: Sendable>(of task: Task<T, Never>, within limit: Duration) async -> T? {
    let wrapped = Task<T, any Error> { await task.value }
    return try? await outcome(of: wrapped, within: limit)?.get()
}

private final class OutcomeSlot<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Result<T, any Error>?, Never>?>(nil)

    func set(_ value: CheckedContinuation<Result<T, any Error>?, Never>) {
        continuation.withLock { $0 = value }
    }

    func resume(_ result: Result<T, any Error>?) {
        continuation.withLock { $0.take() }?.resume(returning: result)
    }
}
