/// Drivers by name, with aliases, so that requests name them (`"driver": "libssh2"`), and NetPulse
/// payloads written for netmiko run unchanged (`"driver": "netmiko"` as an alias of the default).
///
/// Look-ups ignore case.
public struct DriverRegistry: Sendable {
    private var drivers: [String: any Driver] = [:]
    private var lookup: [String: String] = [:]

    /// An empty registry.
    public init() {}

    /// Registers a driver under a name and optional aliases, replacing any earlier holder.
    ///
    /// - Parameters:
    ///   - driver: The driver.
    ///   - name: Its main name.
    ///   - aliases: Other names that resolve to it.
    public mutating func register(_ driver: any Driver, as name: String, aliases: [String] = []) {
        drivers[name] = driver
        lookup[name.lowercased()] = name
        for alias in aliases { lookup[alias.lowercased()] = name }
    }

    /// Points more aliases at an already registered driver (e.g. `netmiko` at the default one).
    ///
    /// - Returns: `false` when `name` is not registered.
    @discardableResult
    public mutating func alias(_ aliases: [String], to name: String) -> Bool {
        guard let canonical = lookup[name.lowercased()] else { return false }
        for alias in aliases { lookup[alias.lowercased()] = canonical }
        return true
    }

    /// The driver for a name or alias.
    public func driver(named name: String) -> (any Driver)? {
        lookup[name.lowercased()].flatMap { drivers[$0] }
    }

    /// The main name a name or alias resolves to.
    public func canonicalName(_ name: String) -> String? {
        lookup[name.lowercased()]
    }

    /// The registered main names, sorted.
    public var names: [String] { drivers.keys.sorted() }
}
