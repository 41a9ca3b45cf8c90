import Foundation
import Hummingbird
import Logging
import Synchronization

// One receiver for every webhook test (NetPulseServerTests, NetPulsePostgresTests).

/// Receives webhooks on loopback; answers 500 to the first `failures[path]` requests on a path, 200 after.
public final class WebhookReceiver: Sendable {
    public struct Request: Sendable {
        public var path: String
        public var authorization: String?
        public var raw: String

        /// The payload as a JSON object (empty when it is not one).
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(raw.utf8))) as? [String: Any] ?? [:]
        }
    }

    let received = Mutex<[Request]>([])
    let failures: [String: Int]
    let arrivals: AsyncStream<Void>
    let arrived: AsyncStream<Void>.Continuation

    /// The receiver did not report the port it listens on.
    public struct NotListening: Error {}

    public init(failures: [String: Int] = [:]) {
        self.failures = failures
        (arrivals, arrived) = AsyncStream.makeStream()
    }

    public var requests: [Request] { received.withLock { $0 } }

    /// Runs the receiver while `body` runs; `body` gets its base URL.
    public func serve<Result: Sendable>(_ body: @Sendable (String) async throws -> Result) async throws -> Result {
        let router = Router()
        router.post("{path}") { request, context -> Response in
            let path = context.parameters.get("path") ?? ""
            let data = try await request.body.collect(upTo: 1 << 20)
            let seen = self.received.withLock { list in
                list.append(
                    Request(
                        path: path, authorization: request.headers[.authorization],
                        raw: String(decoding: data.readableBytesView, as: UTF8.self)))
                return list.filter { $0.path == path }.count
            }
            self.arrived.yield()
            return Response(status: seen <= (self.failures[path] ?? 0) ? .internalServerError : .ok)
        }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) },
            logger: {
                var logger = Logger(label: "webhook-receiver")
                logger.logLevel = .critical
                return logger
            }())
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await app.runService(gracefulShutdownSignals: [])
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else { throw NotListening() }
            let result = try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
            return result
        }
    }

    /// Waits (up to `limit`) until `count` requests have arrived.
    public func wait(for count: Int, limit: Duration = .seconds(30)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                if self.requests.count >= count { return true }
                for await _ in self.arrivals where self.requests.count >= count { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
