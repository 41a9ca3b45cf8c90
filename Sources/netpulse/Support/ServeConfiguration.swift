import ArgumentParser
import Foundation
import NetPulse
import NetPulseServer

/// `serve`'s settings that have no flag: set in the configuration file only.
struct ServeFileOnlySettings: Sendable, Equatable {
    /// A pinned session idle this long is closed (seconds).
    var sessionIdleTimeout: Double = 300
    /// A pinned session idle this long is checked for liveness before its next job (seconds).
    var livenessInterval: Double = 30
    /// `result_ttl` of requests that give none (seconds).
    var defaultResultTtl: Int = 600
    /// Most jobs `GET /jobs` lists in one page.
    var maxJobsListed: Int = 1_000
    /// Connection tests (`POST /device/test`) running at once.
    var maxConcurrentTests: Int = 16
    /// Upper bound of a device's `timeout` and read timeout (seconds).
    var maxDeviceTimeout: Int = 3_600
    /// Most output bytes a job keeps.
    var maxOutputBytes: Int = 64 << 20
    /// API keys written in the file itself ("KEY" or "KEY read"); never printed.
    var apiKeys: [String] = []

    /// Puts the API's settings into its configuration.
    func apply(to api: inout NetPulseAPIConfiguration) {
        api.maxJobsListed = maxJobsListed
        api.maxConcurrentTests = maxConcurrentTests
    }

    /// Puts the scheduler's settings into its configuration.
    func apply(to scheduler: inout SchedulerConfiguration) {
        scheduler.limits.idleTimeout = .milliseconds(Int64(sessionIdleTimeout * 1000))
        scheduler.limits.livenessInterval = .milliseconds(Int64(livenessInterval * 1000))
        scheduler.limits.defaultResultTTL = .seconds(defaultResultTtl)
        scheduler.limits.maxDeviceTimeout = .seconds(maxDeviceTimeout)
        scheduler.limits.maxOutputBytes = maxOutputBytes
    }

    /// The file's inline keys, each named by its place in the file (never by its value).
    func keys() throws(APIKeyError) -> APIKeys {
        var keys: [APIKeys.Key] = []
        for (index, line) in apiKeys.enumerated() {
            let origin = "api_keys[\(index)]"
            let fields = line.split(whereSeparator: \.isWhitespace)
            guard (1...2).contains(fields.count) else {
                throw APIKeyError(origin: origin, reason: "expected a key, optionally followed by 'read' or 'write'")
            }
            var scope = APIKeys.Scope.write
            if fields.count == 2 {
                guard let parsed = APIKeys.Scope(rawValue: String(fields[1])) else {
                    throw APIKeyError(origin: origin, reason: "unknown scope; expected 'read' or 'write'")
                }
                scope = parsed
            }
            keys.append(try APIKeys.Key(Secret(String(fields[0])), scope: scope, origin: origin))
        }
        return APIKeys(keys)
    }
}

/// A configuration file that cannot be used, naming the file and the key at fault.
struct ServeConfigurationError: Error, CustomStringConvertible {
    var file: String
    var key: String?
    var reason: String
    var description: String { "\(file): " + (key.map { "\($0): " } ?? "") + reason }
}

/// Everything `serve` runs with: its command-line options and the file-only settings.
struct ServeSettings {
    var command: NetPulseCommand.Serve
    var fileOnly = ServeFileOnlySettings()

    /// One key of the YAML file: how to read it, whether a flag of the same name overrides it, and how
    /// `--print-config` shows it.
    struct Key {
        let name: String
        /// The flag that overrides the key (`--max-wait` for `max_wait`); `nil` for file-only keys.
        let flag: String?
        let read: (inout ServeSettings, JSONValue) throws(ServeSettingError) -> Void
        let show: (ServeSettings) -> String
    }

    /// Why a value was refused; the caller adds the file and key.
    struct ServeSettingError: Error {
        var reason: String
    }

    /// Applies the YAML file at `path`: each key sets its setting unless `arguments` (the command line)
    /// gives the flag of the same name. Unknown keys and values of the wrong type or out of range are
    /// errors naming the key.
    mutating func apply(file path: String, arguments: [String]) throws(ServeConfigurationError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ServeConfigurationError(file: path, key: nil, reason: "cannot be read")
        }
        let loaded: JSONValue?
        do {
            loaded = try YAMLTree.document(text)
        } catch {
            throw ServeConfigurationError(file: path, key: nil, reason: error.description)
        }
        guard let loaded else { return }  // an empty file sets nothing
        guard case .object(let mapping) = loaded else {
            throw ServeConfigurationError(file: path, key: nil, reason: "must be a mapping of settings (key: value)")
        }
        let given = Self.givenFlags(arguments)
        let table = Dictionary(uniqueKeysWithValues: Self.keys.map { ($0.name, $0) })
        for name in mapping.keys.sorted() {
            guard let key = table[name], let value = mapping[name] else {
                let close = Self.keys.map(\.name).filter { Self.distance($0, name) <= 2 }
                throw ServeConfigurationError(
                    file: path, key: name,
                    reason: "unknown key" + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"))
            }
            do {
                // Checked also when a flag overrides it: a bad file is an error either way.
                var checked = self
                try key.read(&checked, value)
                if let flag = key.flag, given.contains(flag) { continue }
                self = checked
            } catch {
                throw ServeConfigurationError(file: path, key: name, reason: error.reason)
            }
        }
    }

    /// The effective settings as YAML, API keys masked; what `--print-config` prints.
    func yaml() -> String {
        Self.keys.map { "\($0.name): \($0.show(self))" }.joined(separator: "\n") + "\n"
    }

    /// The long flags given on the command line (`--max-wait 5`, `--max-wait=5`), up to `--`.
    static func givenFlags(_ arguments: [String]) -> Set<String> {
        var given: Set<String> = []
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            given.insert(String(argument.dropFirst(2).prefix { $0 != "=" }))
        }
        return given
    }

    /// Edit distance, for "did you mean".
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}

// MARK: - The keys

extension ServeSettings {
    typealias Settings = ServeSettings

    /// A double-quoted YAML scalar: a JSON string literal is one.
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    static func int(
        _ name: String, _ path: WritableKeyPath<Settings, Int>, _ range: ClosedRange<Int>, flag: Bool = true
    ) -> Key {
        Key(
            name: name, flag: flag ? name.replacingOccurrences(of: "_", with: "-") : nil,
            read: { (settings: inout Settings, value: JSONValue) throws(ServeSettingError) in
                settings[keyPath: path] = try Self.integer(value, in: range)
            },
            show: { "\($0[keyPath: path])" })
    }

    /// `value` as an integer within `range`.
    static func integer(_ value: JSONValue, in range: ClosedRange<Int>) throws(ServeSettingError) -> Int {
        guard let number = value.integer else {
            throw ServeSettingError(reason: "must be an integer, got \(Self.describe(value))")
        }
        guard range.contains(number) else {
            throw ServeSettingError(
                reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    /// An integer setting that may be absent (`null` when shown).
    static func optionalInt(
        _ name: String, _ path: WritableKeyPath<Settings, Int?>, _ range: ClosedRange<Int>
    ) -> Key {
        Key(
            name: name, flag: name.replacingOccurrences(of: "_", with: "-"),
            read: { (settings: inout Settings, value: JSONValue) throws(ServeSettingError) in
                settings[keyPath: path] = try Self.integer(value, in: range)
            },
            show: { $0[keyPath: path].map { "\($0)" } ?? "null" })
    }

    static func seconds(
        _ name: String, _ path: WritableKeyPath<Settings, Double>, _ range: ClosedRange<Double>,
        flag: Bool = true, zeroAllowed: Bool = false
    ) -> Key {
        Key(
            name: name, flag: flag ? name.replacingOccurrences(of: "_", with: "-") : nil,
            read: { (settings: inout Settings, value: JSONValue) throws(ServeSettingError) in
                guard case .number(let number) = value else {
                    throw ServeSettingError(reason: "must be a number of seconds, got \(Self.describe(value))")
                }
                guard number.isFinite, range.contains(number), zeroAllowed || number > 0 else {
                    throw ServeSettingError(
                        reason:
                            "must be in \(zeroAllowed ? "[" : "(")\(range.lowerBound), \(range.upperBound)], got \(number)"
                    )
                }
                settings[keyPath: path] = number
            },
            show: { "\($0[keyPath: path])" })
    }

    static func bool(_ name: String, _ path: WritableKeyPath<Settings, Bool>) -> Key {
        Key(
            name: name, flag: name.replacingOccurrences(of: "_", with: "-"),
            read: { (settings: inout Settings, value: JSONValue) throws(ServeSettingError) in
                guard case .bool(let flag) = value else {
                    throw ServeSettingError(reason: "must be true or false, got \(Self.describe(value))")
                }
                settings[keyPath: path] = flag
            },
            show: { "\($0[keyPath: path])" })
    }

    static func string(_ name: String, _ path: WritableKeyPath<Settings, String?>, flag: String? = nil) -> Key {
        Key(
            name: name, flag: flag ?? name.replacingOccurrences(of: "_", with: "-"),
            read: { (settings: inout Settings, value: JSONValue) throws(ServeSettingError) in
                guard case .string(let text) = value, !text.isEmpty else {
                    throw ServeSettingError(reason: "must be a non-empty string, got \(Self.describe(value))")
                }
                settings[keyPath: path] = text
            },
            show: { $0[keyPath: path].map(Self.quoted) ?? "null" })
    }

    static func requiredString(_ name: String, _ path: WritableKeyPath<Settings, String>) -> Key {
        Key(
            name: name, flag: name.replacingOccurrences(of: "_", with: "-"),
            read: { (settings: inout Settings, value: JSONValue) throws(ServeSettingError) in
                guard case .string(let text) = value, !text.isEmpty else {
                    throw ServeSettingError(reason: "must be a non-empty string, got \(Self.describe(value))")
                }
                settings[keyPath: path] = text
            },
            show: { Self.quoted($0[keyPath: path]) })
    }

    static func strings(
        _ name: String, _ path: WritableKeyPath<Settings, [String]>, flag: String?, masked: Bool = false
    ) -> Key {
        Key(
            name: name, flag: flag,
            read: { (settings: inout Settings, value: JSONValue) throws(ServeSettingError) in
                guard case .array(let list) = value else {
                    throw ServeSettingError(reason: "must be a list of strings, got \(Self.describe(value))")
                }
                var texts: [String] = []
                for (index, element) in list.enumerated() {
                    guard case .string(let text) = element, !text.isEmpty else {
                        throw ServeSettingError(reason: "[\(index)] must be a non-empty string")
                    }
                    texts.append(text)
                }
                settings[keyPath: path] = texts
            },
            show: { settings in
                let values = settings[keyPath: path].map { text in
                    guard masked else { return Self.quoted(text) }
                    // A key's scope may show; the key never does.
                    let scope = text.split(whereSeparator: \.isWhitespace).dropFirst().first.map { " \($0)" } ?? ""
                    return Self.quoted(Secret.mask + scope)
                }
                return "[" + values.joined(separator: ", ") + "]"
            })
    }

    /// A `postgres://` URL: shown with its password masked.
    static func databaseURL(_ name: String, _ path: WritableKeyPath<Settings, String?>) -> Key {
        let plain = string(name, path)
        return Key(
            name: name, flag: plain.flag, read: plain.read,
            show: { $0[keyPath: path].map { Self.quoted(Self.maskingPassword($0)) } ?? "null" })
    }

    /// A URL with the password of its `user:password@` part replaced by the mask; anything that is not
    /// a URL with credentials is returned as is.
    static func maskingPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        guard let at = rest.lastIndex(of: "@") else { return url }
        let credentials = rest[..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":" + Secret.mask + String(url[at...])
    }

    /// A setting spelled as its flag spells it (`accept-new`).
    static func choice<Value: RawRepresentable & CaseIterable & ExpressibleByArgument>(
        _ name: String, _ path: WritableKeyPath<Settings, Value>
    ) -> Key where Value.RawValue == String {
        Key(
            name: name, flag: name.replacingOccurrences(of: "_", with: "-"),
            read: { (settings: inout Settings, value: JSONValue) throws(ServeSettingError) in
                guard case .string(let text) = value, let parsed = Value(argument: text) else {
                    let allowed = Value.allValueStrings.joined(separator: ", ")
                    throw ServeSettingError(reason: "must be one of \(allowed), got \(Self.describe(value))")
                }
                settings[keyPath: path] = parsed
            },
            show: { $0[keyPath: path].defaultValueDescription })
    }

    /// A value as the error shows it (a string's length only: it may be a secret put in the wrong key).
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string: "a string"
        case .bool: "a boolean"
        case .number: value.integer != nil ? "an integer" : "a number"
        case .array: "a list"
        case .object: "a mapping"
        case .null: "null"
        }
    }

    /// Every key of the file, in the order `--print-config` shows them.
    static var keys: [Key] {
        [

            requiredString("bind", \.command.bind),
            int("port", \.command.port, 0...65_535),
            bool("open", \.command.open),
            requiredString("api_keys_env", \.command.apiKeysEnv),
            string("api_keys_file", \.command.apiKeysFile),
            strings("api_keys", \.fileOnly.apiKeys, flag: nil, masked: true),
            string("tls_certificate", \.command.tlsCertificate),
            string("tls_key", \.command.tlsKey),
            choice("log_format", \.command.logFormat),
            int("max_body_bytes", \.command.maxBodyBytes, 1...(1 << 30)),
            int("max_devices", \.command.maxDevices, 1...1_000_000),
            int("max_wait", \.command.maxWait, 0...86_400),
            int("max_test_seconds", \.command.maxTestSeconds, 1...86_400),
            int("max_concurrent_tests", \.fileOnly.maxConcurrentTests, 1...10_000, flag: false),
            int("max_jobs_listed", \.fileOnly.maxJobsListed, 1...1_000_000, flag: false),
            string("allow_targets", \.command.allowTargets),
            strings("allow_request_files", \.command.allowedFileDirectories, flag: "allow-request-files"),
            bool("allow_legacy_algorithms", \.command.allowLegacyAlgorithms),
            seconds("idle_timeout", \.command.idleTimeout, 0...86_400),
            seconds("rate_limit", \.command.rateLimit, 0...1e6, zeroAllowed: true),
            seconds("grace_period", \.command.gracePeriod, 0...3_600, zeroAllowed: true),
            int("max_queued_jobs", \.command.maxQueuedJobs, 1...100_000_000),
            int("max_execution_timeout", \.command.maxExecutionTimeout, 1...31_536_000),
            int("max_result_ttl", \.command.maxResultTtl, 0...31_536_000),
            int("default_result_ttl", \.fileOnly.defaultResultTtl, 0...31_536_000, flag: false),
            int("max_device_timeout", \.fileOnly.maxDeviceTimeout, 1...31_536_000, flag: false),
            int("max_output_bytes", \.fileOnly.maxOutputBytes, 1...(1 << 40), flag: false),
            seconds("session_idle_timeout", \.fileOnly.sessionIdleTimeout, 0...31_536_000, flag: false),
            seconds("liveness_interval", \.fileOnly.livenessInterval, 0...86_400, flag: false),
            int("max_connections", \.command.connection.maxConnections, 1...1_000_000),
            int("max_handshakes", \.command.connection.maxHandshakes, 1...1_000_000),
            optionalInt("round_robin_lanes", \.command.connection.roundRobinLanes, 1...1_000_000),
            choice("host_key_policy", \.command.connection.hostKeyPolicy),
            string("known_hosts", \.command.connection.knownHosts),
            bool("refuse_legacy_algorithms", \.command.connection.refuseLegacyAlgorithms),
            bool("verbose", \.command.connection.verbose),
            databaseURL("database", \.command.database),
            bool("no_worker", \.command.noWorker),
            seconds("dead_after", \.command.deadAfter, 2...3_600),
        ]
    }
}

extension NetPulseCommand.Serve {
    /// Applies `--config` (flags given on the command line win), then prints the result
    /// (`--print-config`) or serves.
    func run() async throws {
        var settings = ServeSettings(command: self)
        if let config {
            do {
                try settings.apply(file: config, arguments: CommandLine.arguments)
            } catch {
                printError("--config: \(error)")
                throw ExitCode(2)
            }
            do {
                try settings.command.validate()
            } catch {
                printError("--config \(config): \(error)")
                throw ExitCode(2)
            }
        }
        if printConfig {
            FileHandle.standardOutput.write(Data(settings.yaml().utf8))
            return
        }
        try await settings.command.serve(settings.fileOnly)
    }
}

extension JSONValue {
    /// The value as an integer, if it is a whole number an `Int` holds.
    fileprivate var integer: Int? {
        guard case .number(let number) = self, number.rounded() == number,
            number >= -9.0e15, number <= 9.0e15
        else { return nil }
        return Int(number)
    }
}
