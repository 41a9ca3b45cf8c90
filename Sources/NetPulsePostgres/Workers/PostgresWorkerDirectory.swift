import Foundation
import Logging
public import NetPulseServer
public import PostgresNIO

/// `GET /workers` over the PostgreSQL queue: the workers whose heartbeat is recent, with their load.
public struct PostgresWorkerDirectory: WorkerDirectory {
    let client: PostgresClient
    let deadAfter: Duration
    let logger: Logger

    /// - Parameters:
    ///   - client: The connection pool to the queue's database.
    ///   - deadAfter: A worker silent for longer is not listed (the queue's ``PostgresWorker/Options/deadAfter``).
    ///   - logger: Where failures to read the worker table are logged.
    public init(client: PostgresClient, deadAfter: Duration = .seconds(10), logger: Logger) {
        self.client = client
        self.deadAfter = deadAfter
        self.logger = logger
    }

    public func workers() async throws -> [WorkerInfo] {
        do {
            let rows = try await client.query(
                """
                SELECT name, hostname, pid, running, capacity, started_at, heartbeat_at FROM np_worker
                WHERE heartbeat_at >= now() - make_interval(secs => \(deadAfter.seconds)) ORDER BY name, started_at
                """, logger: logger)
            var workers: [WorkerInfo] = []
            for try await (name, hostname, pid, running, capacity, startedAt, heartbeat) in rows.decode(
                (String, String, Int, Int, Int, Date, Date).self)
            {
                workers.append(
                    WorkerInfo(
                        name: name, hostname: hostname, pid: Int32(clamping: pid),
                        status: running > 0 ? "busy" : "idle", runningJobs: running, capacity: capacity,
                        startedAt: startedAt, lastHeartbeat: heartbeat))
            }
            return workers
        } catch {
            throw PostgresQueueError.wrapping(error, "listing workers")
        }
    }
}
