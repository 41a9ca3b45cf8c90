import Foundation
import NetPulse

/// What a webhook receives for one job, in NetPulse's shape: `id`, `status`, `event_type`
/// (`job.completed` / `job.failed`), `final`, `timestamp`, `started_at`, `ended_at`, `duration`,
/// `result` (as `GET /jobs/{id}` shows it, with `retval`) and `device{host, device_type}`.
struct WebhookPayload: Encodable {
    struct Device: Encodable {
        var host: String
        var deviceType: String?

        enum CodingKeys: String, CodingKey {
            case host
            case deviceType = "device_type"
        }
    }

    var id: String
    var status: String
    var eventType: String
    var final = true
    var timestamp: String
    var startedAt: String?
    var endedAt: String?
    var duration: Double
    var result: JobResult
    var device: Device

    enum CodingKeys: String, CodingKey {
        case id, status, final, timestamp, duration, result, device
        case eventType = "event_type"
        case startedAt = "started_at"
        case endedAt = "ended_at"
    }

    /// The payload of a final result, as JSON (secrets are not in results: nothing to mask).
    static func json(_ result: DeviceResult, device: MaskedDevice?) -> Data {
        // As the job view shows it (NetPulse's names): canceled, or failed (also when expired).
        let status: String = result.success ? "finished" : result.error?.kind == .cancelled ? "canceled" : "failed"
        let payload = WebhookPayload(
            id: result.jobID ?? "", status: status, eventType: result.success ? "job.completed" : "job.failed",
            timestamp: iso8601(Date()), startedAt: result.startedAt.map(iso8601),
            endedAt: result.finishedAt.map(iso8601), duration: SubmitResponse.Options.round(result.executionTime),
            result: JobResult(result), device: Device(host: result.hostname, deviceType: device?.deviceType))
        return (try? JSONResponse.encoder.encode(payload)) ?? Data("{}".utf8)
    }
}
