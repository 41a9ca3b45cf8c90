public import NetPulse

/// A `BatchStore` that keeps each batch's webhook with the batch (PostgreSQL), so that the jobs'
/// webhooks are sent even when the API process that accepted the batch stops: a follower run by every
/// API process over the store (``WebhookDispatcher`` does the sending) takes over batches whose
/// follower is gone.
///
/// ``NetPulseAPI`` submits a batch that has a webhook through
/// ``submitBatch(_:source:tenant:annotation:webhook:)`` and leaves the following to the store's
/// follower; over any other store it follows the batch's results itself, in memory.
public protocol WebhookKeepingStore: BatchStore {
    /// Submits a batch as `BatchStore/submitBatch(_:source:tenant:annotation:)` does, and keeps its
    /// webhook with it (header values are secrets: stored as the request's passwords are, never shown).
    func submitBatch(
        _ batch: ValidatedBatch, source: JSONValue?, tenant: String?, annotation: (any Sendable)?, webhook: Webhook
    ) async throws(BatchStoreError) -> StoredBatch
}
