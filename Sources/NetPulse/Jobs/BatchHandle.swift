import Synchronization

/// A submitted batch: its ids, its results as they come, its progress, and its final result.
///
/// Handles are cheap values; any number of them (and of result streams) may exist for one batch.
public struct BatchHandle: Sendable {
    let core: SchedulerCore
    let batch: BatchRecord

    init(core: SchedulerCore, batch: BatchRecord) {
        self.core = core
        self.batch = batch
    }

    /// The batch's id.
    public var batchID: String { batch.id }

    /// One job id per device, in request order.
    public var jobIDs: [String] { batch.jobIDs }

    /// The batch's options as they are in force: the request's, with every bound applied
    /// (`execution_timeout`, `result_ttl`, `max_output_bytes` set and clamped).
    public var options: BatchOptions { batch.options }

    /// What the submitter attached to the batch (``Scheduler/submit(_:tenant:annotation:)-(BatchRequest,_,_)``).
    public var annotation: (any Sendable)? { batch.annotation }

    /// Each device's result in the order they became final; every device exactly once, then the
    /// sequence ends. Each iteration replays from the first result.
    public var results: BatchResults { BatchResults(core: core, batch: batch) }

    /// Counts of the batch's jobs by state, now.
    public var progress: BatchProgress { core.state.withLock { _ in batch.progress } }

    /// Cancels every job of the batch that is not final yet: queued jobs at once, running ones are
    /// stopped. Each is reported `cancelled`.
    public func cancel() {
        core.perform { $0.cancel(batch, reason: .cancelled("the batch was cancelled"), now: core.clock.now) }
    }

    /// Cancels one job of this batch.
    ///
    /// - Returns: `false` if the job is not of this batch or already final.
    @discardableResult
    public func cancel(jobID: String) -> Bool {
        guard let (id, _) = JobID.parse(jobID), id == batch.id else { return false }
        return Scheduler(core: core).cancel(jobID: jobID)
    }

    /// Waits for every device's result. It keeps waiting if the calling task is cancelled: cancel the
    /// batch (``cancel()``) to end it early.
    ///
    /// - Returns: One result per device, in request order, with the summary.
    public func result() async -> BatchResult {
        while true {
            if let result = core.state.withLock({ _ in finalResult() }) { return result }
            await waitUntilComplete()
        }
    }

    /// Builds (once) the final result; call with the lock held.
    private func finalResult() -> BatchResult? {
        if let result = batch.finalResult { return result }
        guard batch.isComplete else { return nil }
        let result = BatchResult(batchID: batch.id, results: batch.slots.map { $0.result! })
        batch.finalResult = result
        return result
    }

    private func waitUntilComplete() async {
        let id = core.state.withLock { $0.makeWaiterID() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = core.state.withLock { _ -> Bool in
                if batch.isComplete { return true }
                batch.doneWaiters[id] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}

/// The results of one batch as an `AsyncSequence`, in completion order.
public struct BatchResults: AsyncSequence, Sendable {
    public typealias Element = DeviceResult
    public typealias Failure = Never

    let core: SchedulerCore
    let batch: BatchRecord

    public func makeAsyncIterator() -> Iterator { Iterator(core: core, batch: batch) }

    public struct Iterator: AsyncIteratorProtocol {
        public typealias Element = DeviceResult
        public typealias Failure = Never

        let core: SchedulerCore
        let batch: BatchRecord
        var position = 0

        /// The next result, waiting for it if needed; `nil` after the last one, or when the waiting
        /// task is cancelled.
        public mutating func next() async -> DeviceResult? {
            let batch = self.batch
            let core = self.core
            while true {
                let position = self.position
                let available = core.state.withLock { _ -> (result: DeviceResult?, end: Bool) in
                    if position < batch.order.count { return (batch.slots[batch.order[position]].result, false) }
                    return (nil, batch.isComplete)
                }
                if let result = available.result {
                    self.position += 1
                    return result
                }
                if available.end || Task.isCancelled { return nil }
                let id = core.state.withLock { $0.makeWaiterID() }
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let now = core.state.withLock { _ -> Bool in
                            if position < batch.order.count || batch.isComplete || Task.isCancelled { return true }
                            batch.streamWaiters[id] = continuation
                            return false
                        }
                        if now { continuation.resume() }
                    }
                } onCancel: {
                    core.state.withLock { _ in batch.streamWaiters.removeValue(forKey: id) }?.resume()
                }
            }
        }
    }
}
