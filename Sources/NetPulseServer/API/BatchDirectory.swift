import Foundation
import NetPulse
import Synchronization

/// What the API remembers about each batch it submitted, beside what the scheduler keeps: when and
/// through which endpoint it came, each queued device's position in the request, its masked
/// identity, and the devices that were rejected. No secret is kept here.
///
/// An entry lives as long as the scheduler keeps its batch (`result_ttl`); entries of purged batches
/// are dropped on later submissions.
final class BatchDirectory: Sendable {
    struct Entry: Sendable {
        var submittedAt: Date
        var endpoint: SubmitEndpoint
        var requestIndices: [Int]
        var devices: [MaskedDevice]
        var rejected: [Rejection]
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let additions = Atomic<Int>(0)

    func add(_ entry: Entry, batchID: String, scheduler: Scheduler) {
        entries.withLock { $0[batchID] = entry }
        // Every so often, forget the batches the scheduler has purged.
        if additions.add(1, ordering: .relaxed).newValue % 64 == 0 {
            let ids = entries.withLock { Array($0.keys) }
            let gone = ids.filter { scheduler.batch(id: $0) == nil }
            if !gone.isEmpty { entries.withLock { for id in gone { $0[id] = nil } } }
        }
    }

    func entry(_ batchID: String) -> Entry? {
        entries.withLock { $0[batchID] }
    }

    var count: Int { entries.withLock { $0.count } }
}
