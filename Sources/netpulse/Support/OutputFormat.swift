import ArgumentParser
import Foundation
import NetPulse

/// How `run` and `exec` print results.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// The guide's result JSON, once the batch is done.
    case json
    /// One row per device: host, ok, time, first line of output or the error.
    case table
    /// One device result per line, as each completes.
    case jsonl
    /// Each device's full output under a header (in colour on a terminal, unless NO_COLOR is set).
    case text
}

enum ResultPrinter {
    /// One device's result as a JSON line, with its inventory name as `device_name`.
    static func jsonLine(_ result: DeviceResult, name: String? = nil) -> String {
        encode(result, pretty: false) { value in
            guard let name, case .object(var object) = value else { return value }
            object["device_name"] = .string(name)
            return .object(object)
        }
    }

    /// The guide's result JSON, each device with its inventory name as `device_name`; `/` is not escaped.
    static func json(_ result: BatchResult, names: [Int: String] = [:]) -> String {
        encode(result, pretty: true) { value in
            guard !names.isEmpty, case .object(var root) = value, case .array(let devices)? = root["results"] else {
                return value
            }
            root["results"] = .array(
                zip(result.results, devices).map { device, value in
                    guard let name = names[device.index], case .object(var object) = value else { return value }
                    object["device_name"] = .string(name)
                    return .object(object)
                })
            return .object(root)
        }
    }

    private static func encode<T: Encodable>(_ value: T, pretty: Bool, edit: (JSONValue) -> JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty
            ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            : [
                .sortedKeys, .withoutEscapingSlashes,
            ]
        guard let data = try? encoder.encode(value),
            let tree = try? JSONDecoder().decode(JSONValue.self, from: data),
            let edited = try? encoder.encode(edit(tree))
        else { return "{}" }
        return String(decoding: edited, as: UTF8.self)
    }

    /// Whether `text` output is coloured: on a terminal, unless `NO_COLOR` is set (https://no-color.org).
    static var colourOutput: Bool {
        isatty(STDOUT_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }

    /// Each device's full output under a header line: name or host, ok or the error, time.
    static func text(_ result: BatchResult, names: [Int: String] = [:], colour: Bool) -> String {
        func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var parts: [String] = []
        for device in result.results {
            let host = device.port == 22 ? device.hostname : "\(device.hostname):\(device.port)"
            let title = names[device.index].map { "\($0) (\(host))" } ?? host
            let status =
                device.success
                ? paint("ok", "32") : paint("FAILED \(device.error.map { "\($0.kind): \($0.message)" } ?? "")", "31")
            parts.append(paint("=== \(title)", "1") + " " + status + String(format: " %.3fs", device.executionTime))
            let output = device.output.hasSuffix("\n") ? String(device.output.dropLast()) : device.output
            if !output.isEmpty { parts.append(output) }
        }
        parts.append(
            "\(result.summary.total) devices: \(result.summary.successful) succeeded, \(result.summary.failed) failed")
        return parts.joined(separator: "\n")
    }

    /// Writes each device's output to `directory/NAME.txt` (NAME: the inventory name, else host or host_port),
    /// for configuration backups. Failed devices get no file.
    static func writeFiles(_ result: BatchResult, names: [Int: String], directory: String) throws -> Int {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written = 0
        for device in result.results where device.success {
            let base =
                names[device.index] ?? (device.port == 22 ? device.hostname : "\(device.hostname)_\(device.port)")
            let safe = String(base.map { $0 == "/" || $0 == ":" || $0 == "\0" ? "_" : $0 })
            let name = safe.hasPrefix(".") ? "_" + safe : safe
            let url = URL(fileURLWithPath: directory).appendingPathComponent(name + ".txt")
            try Data(device.output.utf8).write(to: url, options: .atomic)
            written += 1
        }
        return written
    }

    /// A plain-text table of the results with a summary line.
    static func table(_ result: BatchResult) -> String {
        var rows: [[String]] = [["HOST", "OK", "TIME", "OUTPUT / ERROR"]]
        for device in result.results {
            let host = device.port == 22 ? device.hostname : "\(device.hostname):\(device.port)"
            let detail: String
            if let error = device.error {
                detail = "\(error.kind): \(error.message)"
            } else {
                detail = device.output.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            }
            rows.append([
                host, device.success ? "yes" : "NO", String(format: "%.3fs", device.executionTime),
                String(detail.prefix(100)),
            ])
        }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + row[3]
        }
        lines.append(
            "\(result.summary.total) devices: \(result.summary.successful) succeeded, \(result.summary.failed) failed"
        )
        return lines.joined(separator: "\n")
    }
}
