import Foundation
import NetPulse

/// Devices read from an inventory file: a CSV with a header row, or a NetPulse JSON request
/// (such as the inventory `netpulse lab` writes), whose devices and connection_args are taken.
struct InventoryFile {
    var devices: [BatchRequest.Device]
    var connectionArgs: ConnectionArgs
    /// Device index → the inventory's name for it (CSV `name`, Nornir host key): `device_name` in results.
    var names: [Int: String] = [:]

    /// An inventory that cannot be read, naming the file, line and column.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let csvColumns = ["host", "port", "username", "device_type", "platform", "name"]

    static func load(path: String) throws -> InventoryFile {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return try NornirInventory.load(hosts: URL(fileURLWithPath: path).appendingPathComponent("hosts.yaml").path)
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") { return try NornirInventory.load(hosts: path) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Failure(description: "\(path): cannot read: \(error.localizedDescription)")
        }
        if path.lowercased().hasSuffix(".csv") {
            return try csv(String(decoding: data, as: UTF8.self), path: path)
        }
        do {
            let request = try BatchRequest(json: data)
            return InventoryFile(devices: request.devices, connectionArgs: request.connectionArgs)
        } catch {
            throw Failure(description: "\(path): \(error)")
        }
    }

    /// Parses `host,port,username,device_type` style CSV (any order, header required; `platform` is
    /// a synonym of `device_type`). Passwords do not belong in an inventory file and are refused.
    static func csv(_ text: String, path: String) throws -> InventoryFile {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { (number: $0.offset + 1, text: $0.element.trimmingCharacters(in: .whitespaces)) }
            .filter { !$0.text.isEmpty && !$0.text.hasPrefix("#") }
        guard !lines.isEmpty else { throw Failure(description: "\(path): empty inventory") }
        let header = lines.removeFirst()
        let columns = header.text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for column in columns where !csvColumns.contains(column) {
            throw Failure(
                description:
                    "\(path):\(header.number): unknown column '\(column)'; expected \(csvColumns.joined(separator: ", "))"
            )
        }
        guard columns.contains("host") else { throw Failure(description: "\(path):\(header.number): no 'host' column") }
        var devices: [BatchRequest.Device] = []
        var names: [Int: String] = [:]
        for line in lines {
            let fields = line.text.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == columns.count else {
                throw Failure(
                    description: "\(path):\(line.number): \(fields.count) fields, the header has \(columns.count)"
                )
            }
            var host = ""
            var args = ConnectionArgs()
            for (column, value) in zip(columns, fields) where !value.isEmpty {
                switch column {
                case "host": host = value
                case "port":
                    guard let port = Int(value) else {
                        throw Failure(description: "\(path):\(line.number): port '\(value)' is not a number")
                    }
                    args.port = port
                case "username": args.username = value
                case "name":
                    if let (other, _) = names.first(where: { $0.value == value }) {
                        throw Failure(
                            description:
                                "\(path):\(line.number): name '\(value)' is already used by device \(other + 1)")
                    }
                    names[devices.count] = value
                default: args.deviceType = value
                }
            }
            if let problem = DeviceTarget.hostProblem(host) {
                throw Failure(description: "\(path):\(line.number): host \(problem)")
            }
            if let port = args.port, !DeviceTarget.portRange.contains(port) {
                throw Failure(description: "\(path):\(line.number): port must be between 1 and 65535")
            }
            devices.append(BatchRequest.Device(host: host, connection: args))
        }
        return InventoryFile(devices: devices, connectionArgs: ConnectionArgs(), names: names)
    }
}

/// Reads a password without echo from the terminal, or from an environment variable.
enum PasswordSource {
    static func read(environment name: String, prompt: String) -> Secret? {
        if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty { return Secret(value) }
        guard isatty(STDIN_FILENO) == 1, let typed = getpass(prompt) else { return nil }
        let text = String(cString: typed)
        return text.isEmpty ? nil : Secret(text)
    }
}
