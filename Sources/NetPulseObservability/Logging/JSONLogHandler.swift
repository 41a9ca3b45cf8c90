#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
public import Logging
import NetPulseJSONText
import Synchronization

/// A log handler that writes one JSON object per line: `time` (RFC 3339, UTC, milliseconds), `level`,
/// `label`, `message`, then the metadata (provider's, logger's, the call's: later ones win), and `source`.
///
/// Values are written as the library logs them: NetPulse never puts a secret in a log message or its
/// metadata (``NetPulse/Secret`` prints as `***`), so none reaches these lines.
///
/// ```swift
/// LoggingSystem.bootstrap { label in JSONLogHandler(label: label, stream: .standardError) }
/// ```
public struct JSONLogHandler: LogHandler {
    /// Where lines go.
    public enum Stream: Sendable {
        case standardOutput
        case standardError
    }

    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: @Sendable ([UInt8]) -> Void

    /// - Parameters:
    ///   - label: The logger's label.
    ///   - stream: Standard output or standard error (default).
    ///   - metadataProvider: Metadata added to every line (a trace id, say).
    public init(label: String, stream: Stream = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        let descriptor: Int32 = stream == .standardOutput ? 1 : 2
        self.init(label: label, metadataProvider: metadataProvider) { line in
            JSONLogHandler.writeLock.withLock { _ in
                line.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    var offset = 0
                    while offset < raw.count {
                        let written = write(descriptor, base + offset, raw.count - offset)
                        if written > 0 {
                            offset += written
                        } else if written < 0 && errno == EINTR {
                            continue
                        } else {
                            return
                        }
                    }
                }
            }
        }
    }

    /// A handler that hands each line (with its newline) to `sink`; for tests and custom outputs.
    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = nil,
        sink: @escaping @Sendable ([UInt8]) -> Void
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    /// One line at a time over every handler of the process, so that lines never interleave.
    private static let writeLock = Mutex(())

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = .string("\(error)") }
        sink(
            Self.line(
                level: event.level, label: label, message: "\(event.message)", metadata: merged, source: event.source))
    }

    /// The line for one event, with its newline; keys in a fixed order, metadata sorted by key.
    static func line(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, source: String,
        now: Date = Date()
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + message.utf8.count)
        out += #"{"time":"#.utf8
        JSONString.append(timestamp(now), to: &out)
        out += #","level":"#.utf8
        JSONString.append(level.rawValue, to: &out)
        out += #","label":"#.utf8
        JSONString.append(label, to: &out)
        out += #","message":"#.utf8
        JSONString.append(message, to: &out)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key })
        where !["time", "level", "label", "message", "source"].contains(key) {
            out.append(UInt8(ascii: ","))
            JSONString.append(key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.append(value, to: &out)
        }
        out += #","source":"#.utf8
        JSONString.append(source, to: &out)
        out += "}\n".utf8
        return out
    }

    /// `2026-01-31T12:34:56.789Z`.
    static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = Int(milliseconds % 1000)
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}

/// JSON text for log values: strings escaped per RFC 8259 (NetPulseJSONText's `JSONString`), metadata
/// dictionaries and arrays as JSON.
enum JSONText {
    static func append(_ value: Logger.MetadataValue, to out: inout [UInt8]) {
        switch value {
        case .string(let text): JSONString.append(text, to: &out)
        case .stringConvertible(let convertible): JSONString.append(convertible.description, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (position, element) in values.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                append(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let entries):
            out.append(UInt8(ascii: "{"))
            for (position, entry) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.append(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(entry.value, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
