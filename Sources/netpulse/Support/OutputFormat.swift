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
}

enum ResultPrinter {
    static func jsonLine(_ result: DeviceResult) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(result)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func json(_ result: BatchResult) -> String {
        let data = (try? result.jsonData(prettyPrinted: true)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
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
