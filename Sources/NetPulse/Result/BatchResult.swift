#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// The result of a batch: one ``DeviceResult`` per requested device, in request order, and a
/// summary. Encodes in the NetPulse guide's result shape.
public struct BatchResult: Sendable, Hashable, Codable {
    /// Counts over ``BatchResult/results``.
    public struct Summary: Sendable, Hashable, Codable {
        public var total: Int
        public var successful: Int
        public var failed: Int

        public init(total: Int, successful: Int, failed: Int) {
            self.total = total
            self.successful = successful
            self.failed = failed
        }
    }

    public var batchID: String?
    /// `true` when every device succeeded.
    public var success: Bool
    public var results: [DeviceResult]
    public var summary: Summary

    /// A result over these device results; success and summary are derived from them.
    public init(batchID: String? = nil, results: [DeviceResult]) {
        self.batchID = batchID
        self.results = results
        let successful = results.count { $0.success }
        self.summary = Summary(total: results.count, successful: successful, failed: results.count - successful)
        self.success = successful == results.count
    }

    private enum CodingKeys: String, CodingKey {
        case batchID = "batch_id"
        case success, results, summary
    }

    /// Encodes the result as the guide's JSON (snake_case keys, sorted for stable output).
    public func jsonData(prettyPrinted: Bool = true) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = prettyPrinted ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return try encoder.encode(self)
    }
}
