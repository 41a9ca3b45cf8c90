import AsyncHTTPClient
import Foundation
public import Logging
public import NetPulse
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends each job's webhook when the job is final, off the scheduler's path: the API observes the
/// batch's results (`BatchHandle/results`) and queues one delivery per job here; a bounded queue feeds
/// a few concurrent senders (async-http-client), each retrying as the webhook says.
///
/// Nothing is lost silently: a delivery that the full queue refuses, or that failed every attempt, is
/// logged (the webhook's origin, never its headers or path) and counted in ``stats``.
public final class WebhookDispatcher: Sendable {
    /// Counts since the dispatcher started.
    public struct Stats: Sendable, Hashable {
        /// Deliveries taken into the queue.
        public var queued: Int = 0
        /// Deliveries a receiver answered 2xx.
        public var delivered: Int = 0
        /// Deliveries that failed every attempt.
        public var failed: Int = 0
        /// Deliveries refused because the queue was full.
        public var dropped: Int = 0
        /// HTTP requests sent, retries included.
        public var attempts: Int = 0
        /// Deliveries queued or being sent.
        public var pending: Int { queued - delivered - failed }
    }

    /// How one delivery ended, told to the code that queued it (a store that records which jobs'
    /// webhooks were handed over).
    package enum Outcome: Sendable, Hashable {
        /// A receiver answered 2xx.
        case delivered
        /// Every attempt failed (logged and counted).
        case failed
        /// The full queue refused it (logged and counted).
        case dropped
        /// The dispatcher stopped (shutdown) before the delivery ended: not handed over.
        case abandoned
    }

    struct Delivery: Sendable {
        var webhook: Webhook
        var jobID: String
        var body: ByteBuffer
        var settled: (@Sendable (Outcome) -> Void)?
    }

    private let input: AsyncStream<Delivery>.Continuation
    private let box = Box()
    private let logger: Logger
    private let consumer: Task<Void, Never>

    struct State {
        var stats = Stats()
        var settledWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The counts, shared with the senders.
    final class Box: Sendable {
        let state = Mutex(State())
    }

    /// - Parameters:
    ///   - capacity: Deliveries the queue holds; more are dropped (logged and counted).
    ///   - concurrency: Deliveries sent at once.
    ///   - logger: Where failures are logged.
    public init(capacity: Int = 10_000, concurrency: Int = 8, logger: Logger) {
        let (stream, input) = AsyncStream.makeStream(
            of: Delivery.self, bufferingPolicy: .bufferingOldest(max(1, capacity)))
        self.input = input
        self.logger = logger
        let box = self.box
        consumer = Task {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await delivery in stream {
                    if running == max(1, concurrency) {
                        await group.next()
                        running -= 1
                    }
                    running += 1
                    group.addTask { await Self.send(delivery, box: box, logger: logger) }
                }
            }
        }
    }

    deinit {
        input.finish()
    }

    /// Counts since the dispatcher started.
    public var stats: Stats { box.state.withLock { $0.stats } }

    /// Returns once no delivery is queued or being sent.
    public func waitUntilSettled() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = box.state.withLock { state -> Bool in
                if state.stats.pending == 0 { return true }
                state.settledWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Stops taking deliveries and waits, up to `limit`, for the queued ones to be sent; then stops the
    /// senders: what was still pending is logged with its count and counted as failed.
    public func finish(within limit: Duration) async {
        input.finish()
        let consumer = self.consumer
        let logger = self.logger
        let box = self.box
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await consumer.value }
            group.addTask {
                // A deadline for the senders, not a wait for an event.
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled else { return }
                let pending = box.state.withLock { $0.stats.pending }
                logger.error(
                    "webhooks still pending at shutdown are abandoned",
                    metadata: ["pending": .stringConvertible(pending)])
                consumer.cancel()
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Queues one delivery per job of the batch as each job becomes final; returns at once.
    ///
    /// - Parameter payload: Builds a job's payload from its result.
    func observe(_ handle: BatchHandle, webhook: Webhook, payload: @escaping @Sendable (DeviceResult) -> Data) {
        Task {
            for await result in handle.results {
                self.enqueue(webhook: webhook, jobID: result.jobID ?? "?", body: payload(result))
            }
        }
    }

    /// Queues the delivery of a final result, with the payload built from the result and the API's
    /// record of its batch (`annotation`, the devices' types); `settled` is told how the delivery ended.
    package func enqueue(
        _ result: DeviceResult, webhook: Webhook, annotation: (any Sendable)?,
        settled: (@Sendable (Outcome) -> Void)? = nil
    ) {
        let devices = (annotation as? BatchEntry)?.devices ?? []
        let body = WebhookPayload.json(
            result, device: devices.indices.contains(result.index) ? devices[result.index] : nil)
        enqueue(webhook: webhook, jobID: result.jobID ?? "?", body: body, settled: settled)
    }

    func enqueue(
        webhook: Webhook, jobID: String, body: Data, settled: (@Sendable (Outcome) -> Void)? = nil
    ) {
        box.state.withLock { $0.stats.queued += 1 }
        let delivery = Delivery(webhook: webhook, jobID: jobID, body: ByteBuffer(bytes: body), settled: settled)
        let outcome: Outcome
        switch input.yield(delivery) {
        case .enqueued:
            return
        case .dropped:
            outcome = .dropped
        case .terminated:
            outcome = .abandoned
        @unknown default:
            return
        }
        Self.settle(box) {
            $0.dropped += 1
            $0.queued -= 1
        }
        logger.error(
            "webhook not sent: the delivery queue is full or closed",
            metadata: ["job": .string(jobID), "webhook": .string(webhook.origin)])
        settled?(outcome)
    }

    private static func send(_ delivery: Delivery, box: Box, logger: Logger) async {
        let webhook = delivery.webhook
        var request = HTTPClientRequest(url: webhook.url.absoluteString)
        request.method = HTTPMethod(rawValue: webhook.method)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "netpulse-webhook")
        for (name, value) in webhook.headers { request.headers.replaceOrAdd(name: name, value: value.revealed) }
        request.body = .bytes(delivery.body)
        var lastProblem = ""
        for attempt in 0...webhook.maxRetries {
            if attempt > 0 {
                // The webhook's retry interval: a deadline between attempts, not a wait for an event.
                try? await Task.sleep(for: webhook.interval(beforeRetry: attempt))
            }
            box.state.withLock { $0.stats.attempts += 1 }
            do {
                let limit = webhook.timeout.components
                let response = try await HTTPClient.shared.execute(
                    request, timeout: .milliseconds(limit.seconds * 1000 + limit.attoseconds / 1_000_000_000_000_000))
                // Read (and drop) the body so that the connection can be reused; at most 64 KiB.
                _ = try? await response.body.collect(upTo: 1 << 16)
                if (200..<300).contains(response.status.code) {
                    settle(box) { $0.delivered += 1 }
                    delivery.settled?(.delivered)
                    return
                }
                lastProblem = "HTTP \(response.status.code)"
            } catch {
                lastProblem = "\(type(of: error))"
            }
            logger.warning(
                "webhook attempt failed",
                metadata: [
                    "job": .string(delivery.jobID), "webhook": .string(webhook.origin),
                    "attempt": .stringConvertible(attempt + 1), "problem": .string(lastProblem),
                ])
            if Task.isCancelled {
                // Stopped at shutdown: not handed over (a store that keeps webhooks sends it again).
                settle(box) { $0.failed += 1 }
                delivery.settled?(.abandoned)
                return
            }
        }
        settle(box) { $0.failed += 1 }
        delivery.settled?(.failed)
        logger.error(
            "webhook failed after every attempt",
            metadata: [
                "job": .string(delivery.jobID), "webhook": .string(webhook.origin),
                "attempts": .stringConvertible(webhook.maxRetries + 1), "problem": .string(lastProblem),
            ])
    }

    /// Updates the counts; wakes the waiters of ``waitUntilSettled()`` when nothing is pending.
    private static func settle(_ box: Box, _ update: (inout Stats) -> Void) {
        let waiters = box.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            update(&state.stats)
            guard state.stats.pending == 0 else { return [] }
            defer { state.settledWaiters.removeAll() }
            return state.settledWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
