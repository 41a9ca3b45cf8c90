import Foundation
import NetPulse
import SSHTestSupport
import Testing

@Suite("Batch result JSON")
struct BatchResultTests {
    @Test("encodes in the guide's result shape")
    func guideShape() throws {
        let result = BatchResult(results: [
            DeviceResult(
                hostname: "192.168.1.1", success: true, output: "Cisco IOS XE Software...", executionTime: 0.8),
            DeviceResult(
                hostname: "192.168.1.2", success: true, output: "Cisco IOS XE Software...", executionTime: 0.9),
        ])
        let json = try JSONSerialization.jsonObject(with: result.jsonData()) as! [String: Any]
        let guide = try JSONSerialization.jsonObject(with: Data(GuideExamples.result.utf8)) as! [String: Any]
        #expect(json["success"] as? Bool == guide["success"] as? Bool)
        #expect(json["summary"] as? NSDictionary == guide["summary"] as? NSDictionary)
        let ours = json["results"] as! [[String: Any]]
        let theirs = guide["results"] as! [[String: Any]]
        for (mine, expected) in zip(ours, theirs) {
            for (key, value) in expected {
                #expect(mine[key] as? NSObject == value as? NSObject, "\(key)")
            }
            #expect(mine["error"] == nil)
        }
    }

    @Test("a failure carries error kind and message, and the summary counts it")
    func failure() throws {
        let target = DeviceTarget(host: "10.0.0.9", username: "u", credentials: [.password("pw")], platform: "linux")
        let result = BatchResult(
            batchID: "b1",
            results: [
                DeviceResult(hostname: "10.0.0.8", success: true, output: "ok"),
                .failure(target, index: 1, error: .authentication("10.0.0.9 rejected the credentials")),
            ]
        )
        #expect(!result.success)
        #expect(result.summary == .init(total: 2, successful: 1, failed: 1))
        let json = try JSONSerialization.jsonObject(with: result.jsonData()) as! [String: Any]
        let failed = (json["results"] as! [[String: Any]])[1]
        #expect(failed["success"] as? Bool == false)
        let error = failed["error"] as! [String: Any]
        #expect(error["kind"] as? String == "authentication")
        #expect((error["message"] as? String)?.contains("rejected") == true)
        #expect(json["batch_id"] as? String == "b1")
        let text = String(decoding: try result.jsonData(), as: UTF8.self)
        #expect(!text.contains("pw\""))
    }

    @Test("round trip keeps per-command outputs, timestamps and reuse")
    func roundTrip() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000.25)
        let original = DeviceResult(
            hostname: "h", port: 2222, username: "u", index: 3, jobID: "j", success: false,
            output: "a\nb",
            outputs: [.init(command: "x", output: "a"), .init(command: "y", output: "b", status: .failed)],
            error: .commandError("y rejected"), executionTime: 1.5, startedAt: start,
            finishedAt: start.addingTimeInterval(1.5), sessionReused: true
        )
        let decoded = try JSONDecoder().decode(DeviceResult.self, from: JSONEncoder().encode(original))
        #expect(decoded == original)
        let keys = try JSONSerialization.jsonObject(with: JSONEncoder().encode(original)) as! [String: Any]
        for key in ["execution_time", "started_at", "finished_at", "session_reused", "job_id"] {
            #expect(keys[key] != nil, "\(key)")
        }
    }
}
