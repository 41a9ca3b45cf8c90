public import NetPulse

/// A session that forwards connections for devices behind it (a bastion).
protocol JumpForwarder: Sendable {
    /// A connected non-blocking socket whose bytes reach `host:port` from the bastion.
    func forward(host: String, port: Int, deadline: ContinuousClock.Instant) async throws -> Int32
    func close() async
}

/// The bastion sessions of one driver, shared by every device behind the same bastions: one login per
/// chain of jump hosts (same hosts, ports, users, credentials and host-key policies), counted by its
/// users and closed when the last device behind it closes.
public actor BastionPool {
    struct Key: Hashable {
        var driver: String
        var chain: [JumpHost]
    }

    private struct Entry {
        var id: UInt64
        var opening: Task<any JumpForwarder, any Error>
        var users: Int
    }

    private var entries: [Key: Entry] = [:]
    private var nextID: UInt64 = 0

    public init() {}

    /// How many bastion sessions are open or opening now.
    public var count: Int { entries.count }

    /// The session for `key`, opened by `open` unless one is open or opening already.
    func acquire(_ key: Key, open: @escaping @Sendable () async throws -> any JumpForwarder) async throws
        -> BastionLease
    {
        let entry: Entry
        if var existing = entries[key] {
            existing.users += 1
            entries[key] = existing
            entry = existing
        } else {
            nextID += 1
            entry = Entry(id: nextID, opening: Task { try await open() }, users: 1)
            entries[key] = entry
        }
        do {
            let forwarder = try await entry.opening.value
            return BastionLease(pool: self, key: key, id: entry.id, forwarder: forwarder)
        } catch {
            // A failed login is not kept: the next device behind this bastion tries again.
            if entries[key]?.id == entry.id { entries[key] = nil }
            throw error
        }
    }

    /// One device no longer uses the session; the last one closes it.
    func release(_ key: Key, id: UInt64) async {
        guard var entry = entries[key], entry.id == id else { return }
        entry.users -= 1
        if entry.users > 0 {
            entries[key] = entry
            return
        }
        entries[key] = nil
        if let forwarder = try? await entry.opening.value { await forwarder.close() }
    }
}

/// One device's use of a bastion session; ``release()`` once, when the device's session closes.
final class BastionLease: Sendable {
    let pool: BastionPool
    let key: BastionPool.Key
    let id: UInt64
    let forwarder: any JumpForwarder

    init(pool: BastionPool, key: BastionPool.Key, id: UInt64, forwarder: any JumpForwarder) {
        self.pool = pool
        self.key = key
        self.id = id
        self.forwarder = forwarder
    }

    func release() async { await pool.release(key, id: id) }
}
