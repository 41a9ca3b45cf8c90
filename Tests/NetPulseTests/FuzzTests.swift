import Foundation
import NetPulse
import SSHTestSupport
import Testing

/// Feeds truncated and mutated versions of the guide's JSON: each must give a value or a
/// `RequestError`, never a trap or another error type.
@Suite("Malformed input never crashes")
struct FuzzTests {
    static let seeds = [GuideExamples.batchCommand, GuideExamples.batchConfig, GuideExamples.topLevelOptions]

    @Test("every truncation of the guide's examples", arguments: seeds.indices)
    func truncations(seed: Int) {
        let bytes = Array(Self.seeds[seed].utf8)
        var errors = 0
        for length in 0..<bytes.count {
            if classify(Data(bytes[0..<length])) == .error { errors += 1 }
        }
        // Every proper prefix of a JSON object is malformed.
        #expect(errors == bytes.count)
    }

    @Test("seeded random mutations", arguments: seeds.indices)
    func mutations(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &+ 0x5eed)
        let original = Array(Self.seeds[seed].utf8)
        let alphabet = Array(#"{}[]":,0123456789-.eE truefalsnul\"#.utf8) + [0, 0xff, 0xc3]
        var outcomes: [Outcome: Int] = [:]
        for _ in 0..<3_000 {
            var bytes = original
            for _ in 0..<Int(random.next() % 4 + 1) {
                let position = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[position] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                }
                if bytes.isEmpty { bytes = [0x7b] }
            }
            outcomes[classify(Data(bytes)), default: 0] += 1
        }
        #expect(outcomes[.otherError] == nil)
        #expect((outcomes[.error] ?? 0) > 0)
    }

    @Test("type confusion in every field of the command example")
    func typeConfusion() throws {
        let original = try JSONSerialization.jsonObject(with: Data(GuideExamples.batchCommand.utf8)) as! [String: Any]
        let replacements: [Any] = [NSNull(), 1, -1.5, true, "", [Any](), [String: Any](), ["x"], 1e300]
        for key in original.keys {
            for replacement in replacements {
                var copy = original
                copy[key] = replacement
                let data = try JSONSerialization.data(withJSONObject: copy)
                #expect(classify(data) != .otherError, "\(key) = \(replacement)")
            }
        }
    }

    enum Outcome: Hashable { case value, error, otherError }

    func classify(_ data: Data) -> Outcome {
        do {
            _ = try BatchRequest(json: data).validated()
            return .value
        } catch {
            // RequestError is the only error type validated() and init(json:) can throw (typed throws);
            // check its message names something.
            return error.description.isEmpty ? .otherError : .error
        }
    }
}
