import NetPulse
import NetPulseJSONText

#if canImport(FoundationEssentials)
    import FoundationEssentials
#endif
import Foundation

/// The files a lab writes for clients: the NetPulse request skeleton and the fault sidecar.
enum Inventory {
    /// A NetPulse batch request without `command`/`config`: `driver`, `devices[]`, `connection_args`.
    static func request(devices: [LabDevice], driver: String, knownHostsFile: String) -> String {
        var lines: [String] = []
        for device in devices {
            let fields: [(String, String)] =
                [
                    ("host", quote(device.host)), ("port", String(device.port)),
                    ("device_type", quote(device.platform.rawValue)), ("username", quote(device.username)),
                    ("password", quote(device.password.revealed)), ("secret", quote(device.enableSecret.revealed)),
                ] + (device.profile.algorithms == .legacyOnly ? [("legacy_algorithms", "true")] : [])
            lines.append("    {" + fields.map { "\(quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}")
        }
        return """
            {
              "driver": \(quote(driver)),
              "devices": [
            \(lines.joined(separator: ",\n"))
              ],
              "connection_args": {"host_key_policy": "strict", "known_hosts_file": \(quote(knownHostsFile))}
            }

            """
    }

    /// `[{"index", "host", "port", "device_type", "fault"}]` for devices with a fault.
    static func faults(devices: [LabDevice]) -> String {
        let entries = devices.compactMap { device -> String? in
            guard let fault = device.fault else { return nil }
            return "  {\"index\": \(device.index), \"host\": \(quote(device.host)), \"port\": \(device.port), "
                + "\"device_type\": \(quote(device.platform.rawValue)), \"fault\": \(quote(fault.kind.rawValue)), "
                + "\"detail\": \(quote(fault.description))}"
        }
        return "[\n" + entries.joined(separator: ",\n") + (entries.isEmpty ? "]\n" : "\n]\n")
    }

    static func quote(_ text: String) -> String { JSONString.quoted(text) }
}
