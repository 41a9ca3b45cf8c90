import Foundation
import NetPulse
import NetPulseTesting
import Testing

@testable import NetPulsePostgres

/// `GET /health`'s counts on PostgreSQL (needs the test cluster; says so when it is absent).
@Suite("PostgreSQL store: health counts", .serialized, .timeLimit(.minutes(1)))
struct PostgresHealthTests {
    @Test("open_connections is the local worker's connections (its kept pinned session); nil with no local worker")
    func openConnections() async throws {
        let driver = InMemoryDriver()
        try await withTestQueue(driver: driver) { queue in
            let remote = PostgresBatchStore(queue: queue)
            #expect(try await remote.storeStats().openConnections == nil, "jobs run elsewhere: not known here")
            try await withWorkers(1, queue: queue) { workers in
                var options = PostgresBatchStore.Options()
                options.pollInterval = .milliseconds(200)
                options.localWorkers = workers
                let store = PostgresBatchStore(queue: queue, options: options)
                let idle = try await store.storeStats()
                #expect(idle.openConnections == 0)
                let batch = try await submit(store, try requestJSON(hosts: ["h1", "h2"], strategy: "pinned"))
                _ = try await collect(store, batch)
                try await until("the two kept sessions to be counted") {
                    try await store.storeStats().openConnections == 2
                }
                #expect(driver.stats.openSessions == 2, "the count matches the sessions the driver holds")
            }
        }
    }
}
