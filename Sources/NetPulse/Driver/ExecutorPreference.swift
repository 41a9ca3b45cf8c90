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

/// Runs `body` on each item `next` hands out, one after another, each with the executor `executor(for:)`
/// names for it as the task's executor preference. While consecutive items name the same executor the task
/// stays under it, rather than leaving it after one item and coming back for the next (a scheduler's
/// worker on an SSH loop thread; the benchmark that measures it the same way).
///
/// - Parameters:
///   - next: The next item, or `nil` to stop; asked after each `body`.
///   - executor: The executor an item runs with (asked once per item: a driver may hand out threads in turn).
///   - body: Runs one item, given the executor it runs with.
package func withPreferredExecutors<Item, Failure: Error>(
    isolation: isolated (any Actor)? = #isolation,
    next: () -> Item?,
    executor: (Item) -> (any TaskExecutor)?,
    body: (Item, (any TaskExecutor)?) async throws(Failure) -> Void
) async throws(Failure) {
    guard var item = next() else { return }
    var current = executor(item)
    while true {
        let following = try await withPreferredExecutor(current, isolation: isolation) {
            () async throws(Failure) -> (Item, (any TaskExecutor)?)? in
            while true {
                try await body(item, current)
                guard let upcoming = next() else { return nil }
                let wanted = executor(upcoming)
                guard isSameExecutor(wanted, current) else { return (upcoming, wanted) }
                item = upcoming
            }
        }
        guard let following else { return }
        (item, current) = following
    }
}
