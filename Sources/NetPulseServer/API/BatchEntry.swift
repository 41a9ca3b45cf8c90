import Foundation
public import NetPulse

/// What the API remembers about each batch it submitted, beside what the scheduler keeps: when and
/// through which endpoint it came, each queued device's position in the request, its masked
/// identity, and the devices that were rejected. No secret is kept here.
///
/// It is the batch's annotation in the scheduler (``Scheduler/submit(_:tenant:annotation:)``), so it
/// lives exactly as long as the batch: it is released when the batch's results are purged.
struct BatchEntry: Sendable, Codable {
    var submittedAt: Date
    var endpoint: SubmitEndpoint
    var requestIndices: [Int]
    var devices: [MaskedDevice]
    var rejected: [Rejection]
}

extension NetPulseAPI {
    /// How a store outside this process (PostgreSQL) keeps the API's record of each batch, so that
    /// job and batch views read the same after the API process restarts. It holds no secret.
    public static let annotationCodec = BatchAnnotationCodec(
        encode: { value in
            guard let entry = value as? BatchEntry, let data = try? JSONEncoder().encode(entry) else { return nil }
            return String(decoding: data, as: UTF8.self)
        },
        decode: { text in try? JSONDecoder().decode(BatchEntry.self, from: Data(text.utf8)) })
}
