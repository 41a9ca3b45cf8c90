/// Whether the current task's executor preference is `executor` already.
///
/// A second `withTaskExecutorPreference` for the same executor would only add a status record to the
/// task, which every executor switch of the task then reads under the task's lock.
package func currentTaskPrefers(_ executor: any TaskExecutor) -> Bool {
    let wanted = executor.asUnownedTaskExecutor()
    return withUnsafeCurrentTask { $0?.unownedTaskExecutor == wanted }
}

/// Runs `operation` with `executor` as the task's executor preference, adding no preference when
/// `executor` is `nil` or already the task's.
package func withPreferredExecutor<T, Failure: Error>(
    _ executor: (any TaskExecutor)?,
    isolation: isolated (any Actor)? = #isolation,
    operation: () async throws(Failure) -> T
) async throws(Failure) -> T {
    guard let executor, !currentTaskPrefers(executor) else { return try await operation() }
    return try await withTaskExecutorPreference(executor, isolation: isolation, operation: operation)
}

/// Whether `a` and `b` are the same executor (or both `nil`).
package func isSameExecutor(_ a: (any TaskExecutor)?, _ b: (any TaskExecutor)?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): a.asUnownedTaskExecutor() == b.asUnownedTaskExecutor()
    default: false
    }
}
