public import Foundation
import Logging
public import NetPulseServer
import NetPulse
import PostgresNIO
import Synchronization

/// Sends the webhooks of batches kept on PostgreSQL, from any API process: each API process runs one
/// follower over its store, with its `NetPulseAPI.webhooks` dispatcher.
///
/// A batch with a webhook (`np_batch.webhook_open`) is followed by one follower at a time, which holds
/// a lease on it (`webhook_owner`, `webhook_lease_until`), renewed while it follows. A follower takes
/// batches whose lease is free or expired (`FOR UPDATE SKIP LOCKED`), streams their final results from
/// the first job whose webhook was not handed over (`np_job.webhook_done`), queues each delivery in the
/// dispatcher and marks the job once its delivery ended (delivered, or failed every attempt). When
/// every job is final and marked, the batch is closed. A follower that stops releases its leases; one
/// that dies leaves them to expire, and another follower (or the restarted process) resumes within
/// ``Options/lease``.
///
/// Delivery is at least once: a delivery sent just before its follower stopped, not yet marked, is
/// sent again by the next one.
public final class PostgresWebhookFollower: Sendable {
    /// Lease and polling.
    public struct Options: Sendable {
        /// How long a follower's claim on a batch lasts without renewal: the longest a batch waits
        /// when its follower died.
        public var lease: Duration = .seconds(30)
        /// How often leases are renewed and free batches looked for (also at once after a submit
        /// through this process's store).
        public var pollInterval: Duration = .seconds(1)
        /// Batches followed at once by this follower.
        public var maxBatches: Int = 64

        public init() {}
    }

    /// This follower's identity in `np_batch.webhook_owner`.
    public let id = UUID()
    let store: PostgresBatchStore
    let dispatcher: WebhookDispatcher
    let options: Options
    let logger: Logger
    /// The batches followed, each with its task and a token (a batch lost and taken again gets a new one).
    private let following = Mutex<[UUID: (token: UUID, task: Task<Void, Never>)]>([:])

    /// - Parameters:
    ///   - store: The store the API process serves (the follower reads results through it).
    ///   - dispatcher: Where deliveries are queued: the API's `NetPulseAPI.webhooks`.
    ///   - options: Lease and polling.
    public init(store: PostgresBatchStore, dispatcher: WebhookDispatcher, options: Options = Options()) {
        self.store = store
        self.dispatcher = dispatcher
        self.options = options
        self.logger = store.logger
    }

    /// The batches this follower follows now.
    public var followedBatches: Set<String> {
        Set(following.withLock { $0.keys.map { $0.uuidString.lowercased() } })
    }

    /// Follows batches until cancelled; then stops following and releases its leases (a database
    /// error is logged and retried at the next poll).
    public func run() async {
        while !Task.isCancelled {
            do {
                try await renew()
                let free = options.maxBatches - following.withLock { $0.count }
                if free > 0 {
                    for (batch, text) in try await claim(limit: free) { start(batch, webhookJSON: text) }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning("webhook follower: the database failed; retrying", metadata: ["error": "\(error)"])
            }
            await store.webhookSubmitted.wait(upTo: options.pollInterval)
        }
        let tasks = following.withLock { $0.values.map(\.task) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        // Not cancelled itself (a query of a cancelled task is cancelled too).
        await Task { await self.release() }.value
    }

    // MARK: Leases

    /// Extends the leases of the batches followed; stops following those whose lease was lost.
    private func renew() async throws {
        let mine = following.withLock { Array($0.keys) }
        guard !mine.isEmpty else { return }
        var kept = Set<UUID>()
        for try await batch in try await store.queue.client.query(
            """
            UPDATE np_batch SET webhook_lease_until = now() + make_interval(secs => \(options.lease.seconds))
            WHERE id = ANY(\(mine)) AND webhook_owner = \(id) AND webhook_open RETURNING id
            """, logger: logger
        ).decode(UUID.self) {
            kept.insert(batch)
        }
        let lost = following.withLock { table -> [Task<Void, Never>] in
            mine.filter { !kept.contains($0) }.compactMap { table.removeValue(forKey: $0)?.task }
        }
        for task in lost { task.cancel() }
        if !lost.isEmpty {
            logger.info("webhook follower: lost leases", metadata: ["batches": .stringConvertible(lost.count)])
        }
    }

    /// Takes up to `limit` open batches whose lease is free or expired.
    private func claim(limit: Int) async throws -> [(UUID, String?)] {
        var claimed: [(UUID, String?)] = []
        for try await row in try await store.queue.client.query(
            """
            UPDATE np_batch SET webhook_owner = \(id),
                                webhook_lease_until = now() + make_interval(secs => \(options.lease.seconds))
            WHERE id IN (SELECT id FROM np_batch
                         WHERE webhook_open AND (webhook_lease_until IS NULL OR webhook_lease_until < now())
                         ORDER BY submitted_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING id, webhook
            """, logger: logger
        ).decode((UUID, String?).self) {
            claimed.append(row)
        }
        return claimed
    }

    /// Gives up this follower's leases, so that another follower takes the batches at once.
    private func release() async {
        do {
            try await store.queue.client.query(
                """
                UPDATE np_batch SET webhook_owner = NULL, webhook_lease_until = NULL
                WHERE webhook_owner = \(id) AND webhook_open
                """, logger: logger)
        } catch {
            logger.warning(
                "webhook follower: could not release its leases; they expire", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Following one batch

    private func start(_ batch: UUID, webhookJSON: String?) {
        let token = UUID()
        let task = Task {
            await self.follow(batch, webhookJSON: webhookJSON, token: token)
            self.forget(batch, token: token)
        }
        let previous = following.withLock { table in
            defer { table[batch] = (token, task) }
            return table[batch]?.task
        }
        previous?.cancel()
    }

    /// Stops counting the batch as followed (before it is closed, so that a renewal does not take the
    /// closed batch for a lost one).
    private func forget(_ batch: UUID, token: UUID) {
        following.withLock { table in
            if table[batch]?.token == token { table.removeValue(forKey: batch) }
        }
    }

    private func follow(_ batch: UUID, webhookJSON: String?, token: UUID) async {
        let batchID = batch.uuidString.lowercased()
        guard let webhook = Self.webhook(webhookJSON) else {
            // Never log the stored text: it holds the header values.
            logger.error(
                "webhook of a batch is not readable; its webhooks are not sent", metadata: ["batch": "\(batchID)"])
            forget(batch, token: token)
            await close(batch, force: true)
            return
        }
        let annotation: (any Sendable)?
        do {
            annotation = try await store.lookUpBatch(id: batchID)?.annotation
        } catch {
            logger.warning("webhook follower: reading a batch failed", metadata: ["error": "\(error)"])
            forget(batch, token: token)
            await close(batch, force: false)
            return
        }
        let state = FollowState()
        let results = store.webhookPendingResults(batchID: batchID)
        let dispatcher = self.dispatcher
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await result in results {
                        state.begin()
                        let index = result.index
                        dispatcher.enqueue(result, webhook: webhook, annotation: annotation) { outcome in
                            state.settle(index, handedOver: outcome == .delivered || outcome == .failed)
                        }
                    }
                } catch {
                    if !Task.isCancelled {
                        logger.warning(
                            "webhook follower: reading a batch's results failed",
                            metadata: ["batch": .string(batchID), "error": "\(error)"])
                    }
                    state.stopFeeding(complete: false)
                    return
                }
                state.stopFeeding(complete: !Task.isCancelled)
            }
            // Marks the jobs whose delivery ended, until every delivery queued has ended.
            while true {
                let (marks, settled) = state.take()
                if !marks.isEmpty, !(await mark(batch, marks)) {
                    state.putBack(marks)
                    if Task.isCancelled { break }
                    await state.signal.wait(upTo: options.pollInterval)
                    continue
                }
                if settled || Task.isCancelled { break }
                await state.signal.wait()
            }
        }
        if Task.isCancelled {
            // Stopped (lease lost, or the follower stops): what ended so far is marked, best effort.
            let (rest, _) = state.take()
            if !rest.isEmpty { _ = await Task { await self.mark(batch, rest) }.value }
            return
        }
        forget(batch, token: token)
        await close(batch, force: false, complete: state.isComplete)
    }

    /// Records that the webhooks of jobs `indices` were handed over.
    private func mark(_ batch: UUID, _ indices: [Int]) async -> Bool {
        do {
            try await store.queue.client.query(
                "UPDATE np_job SET webhook_done = true WHERE batch_id = \(batch) AND idx = ANY(\(indices))",
                logger: logger)
            return true
        } catch {
            logger.warning("webhook follower: marking deliveries failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Closes the batch when every job's webhook was handed over (or `force`); otherwise gives up its
    /// lease so that it is taken again (jobs not marked are sent again).
    private func close(_ batch: UUID, force: Bool, complete: Bool = false) async {
        do {
            var closed = false
            if force || complete {
                for try await _ in try await store.queue.client.query(
                    """
                    UPDATE np_batch SET webhook_open = false, webhook_owner = NULL, webhook_lease_until = NULL
                    WHERE id = \(batch) AND webhook_owner = \(id)
                      AND (\(force) OR NOT EXISTS (
                            SELECT 1 FROM np_job WHERE batch_id = \(batch) AND NOT (state = 2 AND webhook_done)))
                    RETURNING id
                    """, logger: logger
                ).decode(UUID.self) {
                    closed = true
                }
            }
            if !closed {
                try await store.queue.client.query(
                    """
                    UPDATE np_batch SET webhook_owner = NULL, webhook_lease_until = NULL
                    WHERE id = \(batch) AND webhook_owner = \(id)
                    """, logger: logger)
            }
        } catch {
            logger.warning("webhook follower: closing a batch failed", metadata: ["error": "\(error)"])
        }
    }

    static func webhook(_ text: String?) -> Webhook? {
        guard let text, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            return nil
        }
        return try? Webhook(jsonValue: value)
    }
}

/// One batch's deliveries in flight and the jobs to mark, shared with the dispatcher's senders.
final class FollowState: Sendable {
    private struct Counts {
        var pending = 0
        var marks: [Int] = []
        var feeding = true
        var complete = false
    }

    private let counts = Mutex(Counts())
    let signal = WakeSignal()

    func begin() { counts.withLock { $0.pending += 1 } }

    func settle(_ index: Int, handedOver: Bool) {
        counts.withLock {
            $0.pending -= 1
            if handedOver { $0.marks.append(index) }
        }
        signal.signal()
    }

    func stopFeeding(complete: Bool) {
        counts.withLock {
            $0.feeding = false
            $0.complete = complete
        }
        signal.signal()
    }

    /// The jobs to mark, and whether every delivery queued has ended and no more will be.
    func take() -> ([Int], Bool) {
        counts.withLock { counts in
            defer { counts.marks.removeAll() }
            return (counts.marks, !counts.feeding && counts.pending == 0)
        }
    }

    func putBack(_ marks: [Int]) { counts.withLock { $0.marks += marks } }

    /// Every result was read to the end of the batch.
    var isComplete: Bool { counts.withLock { $0.complete } }
}
