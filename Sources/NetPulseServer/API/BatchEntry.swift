import Foundation
import NetPulse

/// What the API remembers about each batch it submitted, beside what the scheduler keeps: when and
/// through which endpoint it came, each queued device's position in the request, its masked
/// identity, and the devices that were rejected. No secret is kept here.
///
/// It is the batch's annotation in the scheduler (``Scheduler/submit(_:tenant:annotation:)``), so it
/// lives exactly as long as the batch: it is released when the batch's results are purged.
struct BatchEntry: Sendable {
    var submittedAt: Date
    var endpoint: SubmitEndpoint
    var requestIndices: [Int]
    var devices: [MaskedDevice]
    var rejected: [Rejection]
}
