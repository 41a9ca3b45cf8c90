// A hummingbird app that embeds NetPulse: it mounts the NetPulse HTTP API under /netpulse, and keeps
// its own inventory, filled by streaming each device's result as it completes.
//
// Run it: `swift run hummingbird-example` starts a lab of emulated devices on loopback, serves, refreshes
// the inventory once through its own HTTP routes, prints what it stored and exits (the tests run it so).
import Foundation
import Hummingbird
import Logging
import NetPulse
import NetPulseLab
import NetPulseSSH
import NetPulseServer

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The app's own store: the latest `show version` first line of each device.
actor InventoryStore {
    struct Entry: Sendable, Codable {
        var device: String
        var success: Bool
        var version: String?
        var error: String?
    }

    private var entries: [String: Entry] = [:]
    private var streamed: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func record(_ result: DeviceResult) {
        let key = "\(result.hostname):\(result.port)"
        let version = result.output.split(separator: "\n").first { $0.contains("Version") }.map(String.init)
        entries[key] = Entry(
            device: key, success: result.success, version: version, error: result.error?.kind.rawValue)
    }

    func all() -> [Entry] { entries.values.sorted { $0.device < $1.device } }

    /// Every result of `batch` is stored (its stream ended: each device is delivered exactly once).
    func finished(batch: String) {
        streamed.insert(batch)
        for waiter in waiters.removeValue(forKey: batch) ?? [] { waiter.resume() }
    }

    /// Returns once every result of `batch` is stored.
    func waitUntilStored(batch: String) async {
        if streamed.contains(batch) { return }
        await withCheckedContinuation { waiters[batch, default: []].append($0) }
    }
}

/// Builds the router: NetPulse's API under /netpulse, the app's routes beside it.
func makeRouter(scheduler: Scheduler, store: InventoryStore, request: BatchRequest, key: String) throws -> Router<
    BasicRequestContext
> {
    let router = Router()
    router.add(middleware: JSONErrorMiddleware())
    let keys = try APIKeys([APIKeys.Key(Secret(key), scope: .write, origin: "example")])
    NetPulseAPI(scheduler: scheduler, configuration: NetPulseAPIConfiguration(apiKeys: keys))
        .addRoutes(to: router.group("netpulse"))
    // Submits the inventory batch and streams its results into the store as devices finish.
    router.post("inventory/refresh") { _, _ -> Response in
        let handle: BatchHandle
        do {
            handle = try scheduler.submit(request)
        } catch {
            throw HTTPError(.badRequest, message: "\(error)")
        }
        Task {
            for await result in handle.results { await store.record(result) }
            await store.finished(batch: handle.batchID)
        }
        return Response(
            status: .accepted, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"batch_id": "\#(handle.batchID)"}"#)))
    }
    // `?after=BATCH` answers once that batch's results are all stored.
    router.get("inventory") { request, _ -> Response in
        if let batch = request.uri.queryParameters.get("after") { await store.waitUntilStored(batch: batch) }
        let data = try JSONEncoder().encode(await store.all())
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }
    return router
}

/// One HTTP exchange with the app itself.
func call(_ method: String, _ url: String, key: String? = nil) async throws -> (Int, Data) {
    guard let address = URL(string: url) else { throw ExampleFailure("bad URL \(url)") }
    var request = URLRequest(url: address)
    request.httpMethod = method
    if let key { request.setValue(key, forHTTPHeaderField: "X-API-KEY") }
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
}

struct ExampleFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

let devices = 3
let key = "example-key-0123456789abcdef"
let logger: Logger = {
    var logger = Logger(label: "hummingbird-example")
    logger.logLevel = .warning
    return logger
}()

do {
    try await run()
} catch {
    FileHandle.standardError.write(Data("hummingbird-example: \(error)\n".utf8))
    exit(1)
}

func run() async throws {
    try await withLab(LabConfiguration(devices: devices, platforms: [.ciscoIOS], logger: logger)) { lab in
        var drivers = DriverRegistry()
        drivers.registerLibSSH(
            configuration: SSHDriverConfiguration(hostKeyPolicy: .strict(knownHostsFile: lab.knownHostsFile)))
        drivers.alias(["netmiko"], to: LibSSHDriver.name)  // the lab's inventory says "netmiko"
        // The lab's inventory is a request without an operation: add one.
        let json = lab.inventoryJSON.replacingOccurrences(
            of: #""driver": "#, with: #""command": "show version", "driver": "#)
        let request = try BatchRequest(json: Data(json.utf8))
        let store = InventoryStore()
        try await withScheduler(configuration: SchedulerConfiguration(drivers: drivers, logger: logger)) { scheduler in
            let router = try makeRouter(scheduler: scheduler, store: store, request: request, key: key)
            let (ports, port) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in
                    port.yield(channel.localAddress?.port ?? 0)
                    port.finish()
                }, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService(gracefulShutdownSignals: []) }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw ExampleFailure("the server did not start") }
                let base = "http://127.0.0.1:\(port)"
                print("listening on \(base)")

                let (status, body) = try await call("POST", base + "/inventory/refresh")
                guard status == 202, let submitted = try JSONSerialization.jsonObject(with: body) as? [String: Any],
                    let batch = submitted["batch_id"] as? String
                else { throw ExampleFailure("refresh answered \(status): \(String(decoding: body, as: UTF8.self))") }
                // NetPulse's own route, mounted under /netpulse, waits for the batch.
                let (waited, view) = try await call("GET", base + "/netpulse/batches/\(batch)?wait=30", key: key)
                guard waited == 200,
                    (try JSONSerialization.jsonObject(with: view) as? [String: Any])?["complete"] as? Bool == true
                else { throw ExampleFailure("the batch did not complete: \(String(decoding: view, as: UTF8.self))") }
                let entries = try JSONDecoder().decode(
                    [InventoryStore.Entry].self, from: try await call("GET", base + "/inventory?after=\(batch)").1)
                for entry in entries {
                    print("\(entry.device) \(entry.success ? "ok" : "failed") \(entry.version ?? entry.error ?? "")")
                }
                print("inventory: \(entries.filter(\.success).count) of \(devices) devices")
                group.cancelAll()
            }
        }
    }
}
