import Foundation
import NetPulse

/// A Nornir SimpleInventory: `hosts.yaml`, with `groups.yaml` and `defaults.yaml` beside it when present.
///
/// Each host takes `hostname`, `port`, `username` and `platform` from itself, then from its groups (in order,
/// a group's own groups after it), then from the defaults; `connection_options.netmiko` may give the same fields
/// and `extras` (ignored apart from those). `platform` may be a netmiko `device_type` or a NAPALM name (`ios`,
/// `eos`, `junos`, `nxos`). Passwords are refused: give them with --password-env or a `credential`.
enum NornirInventory {
    typealias Failure = InventoryFile.Failure

    static let napalmPlatforms = [
        "ios": "cisco_ios", "iosxe": "cisco_ios", "eos": "arista_eos", "junos": "juniper_junos",
        "nxos": "cisco_nxos", "nxos_ssh": "cisco_nxos", "huawei_vrp": "huawei",
    ]

    /// The fields of one host, group or defaults entry.
    struct Fields {
        var hostname: String?
        var port: Int?
        var username: String?
        var platform: String?
        var groups: [String] = []
    }

    static func load(hosts path: String) throws -> InventoryFile {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let hosts = try entries(path, required: true)
        let groups = try entries(folder.appendingPathComponent("groups.yaml").path, required: false)
        let defaultsPath = folder.appendingPathComponent("defaults.yaml").path
        let defaults: Fields
        if FileManager.default.fileExists(atPath: defaultsPath) {
            defaults = try fields(try YAMLTree.load(path: defaultsPath), at: "\(defaultsPath)")
        } else {
            defaults = Fields()
        }
        var devices: [BatchRequest.Device] = []
        var names: [Int: String] = [:]
        for name in hosts.keys.sorted() {
            guard let host = hosts[name] else { continue }
            var chain: [Fields] = [host]
            var pending = host.groups
            var seen: Set<String> = []
            while !pending.isEmpty {
                let group = pending.removeFirst()
                guard seen.insert(group).inserted else { continue }
                guard let fields = groups[group] else {
                    throw Failure(
                        description: "\(path): host '\(name)' names group '\(group)', which groups.yaml lacks")
                }
                chain.append(fields)
                pending += fields.groups
            }
            chain.append(defaults)
            let hostname = chain.lazy.compactMap(\.hostname).first ?? name
            if let problem = DeviceTarget.hostProblem(hostname) {
                throw Failure(description: "\(path): host '\(name)': hostname \(problem)")
            }
            var args = ConnectionArgs()
            args.port = chain.lazy.compactMap(\.port).first
            args.username = chain.lazy.compactMap(\.username).first
            args.deviceType = chain.lazy.compactMap(\.platform).first.map { napalmPlatforms[$0] ?? $0 }
            names[devices.count] = name
            devices.append(BatchRequest.Device(host: hostname, connection: args))
        }
        guard !devices.isEmpty else { throw Failure(description: "\(path): no hosts") }
        return InventoryFile(devices: devices, connectionArgs: ConnectionArgs(), names: names)
    }

    /// name → fields of a hosts or groups file.
    static func entries(_ path: String, required: Bool) throws -> [String: Fields] {
        guard required || FileManager.default.fileExists(atPath: path) else { return [:] }
        let tree = try YAMLTree.load(path: path)
        guard case .object(let object) = tree else { throw Failure(description: "\(path): must map names to entries") }
        var result: [String: Fields] = [:]
        for (name, value) in object { result[name] = try fields(value, at: "\(path): '\(name)'") }
        return result
    }

    static func fields(_ value: JSONValue, at place: String) throws -> Fields {
        if value == .null { return Fields() }
        guard case .object(let object) = value else { throw Failure(description: "\(place): must be a mapping") }
        var fields = Fields()
        for (key, item) in object where item != .null {
            switch key {
            case "hostname", "username", "platform":
                guard case .string(let text) = item else { throw Failure(description: "\(place).\(key): must be text") }
                switch key {
                case "hostname": fields.hostname = text
                case "username": fields.username = text
                default: fields.platform = text
                }
            case "port":
                guard case .number(let number) = item, let port = Int(exactly: number),
                    DeviceTarget.portRange.contains(port)
                else { throw Failure(description: "\(place).port: must be a port number (1-65535)") }
                fields.port = port
            case "groups":
                guard case .array(let items) = item else {
                    throw Failure(description: "\(place).groups: must be a list")
                }
                fields.groups = try items.map { entry in
                    guard case .string(let group) = entry else {
                        throw Failure(description: "\(place).groups: must list group names")
                    }
                    return group
                }
            case "password":
                throw Failure(
                    description: "\(place).password: passwords do not belong in an inventory; "
                        + "use --password-env or a credential provider")
            case "data":
                continue
            case "connection_options":
                guard case .object(let options) = item else {
                    throw Failure(description: "\(place).connection_options: must be a mapping")
                }
                for (plugin, settings) in options {
                    guard plugin == "netmiko" else {
                        throw Failure(
                            description: "\(place).connection_options.\(plugin): only netmiko's options are read")
                    }
                    guard case .object(var netmiko) = settings else { continue }
                    netmiko["extras"] = nil
                    let inner = try Self.fields(.object(netmiko), at: "\(place).connection_options.netmiko")
                    fields.hostname = fields.hostname ?? inner.hostname
                    fields.port = fields.port ?? inner.port
                    fields.username = fields.username ?? inner.username
                    fields.platform = fields.platform ?? inner.platform
                }
            default:
                throw Failure(
                    description: "\(place): unknown field '\(key)'; expected hostname, port, username, platform, "
                        + "groups, data, connection_options")
            }
        }
        return fields
    }
}
