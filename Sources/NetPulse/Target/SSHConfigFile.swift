#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The part of an OpenSSH client configuration (`ssh_config`) that netmiko's `ssh_config_file` uses:
/// `Host` blocks with `HostName`, `Port`, `User`, `IdentityFile` and `ProxyJump`.
///
/// As `ssh` does, the first value found for a keyword wins, and blocks apply in file order when one of their
/// patterns (`*`, `?`, `!negated`) matches the host as the request names it. `Match` blocks are skipped (their
/// conditions need a running `ssh`); other keywords are ignored, as they do not concern a connection here.
public struct SSHConfigFile: Sendable, Hashable {
    /// What the file says for one host.
    public struct Entry: Sendable, Hashable {
        public var hostName: String?
        public var port: Int?
        public var user: String?
        public var identityFile: String?
        public var proxyJump: String?
    }

    struct Block: Sendable, Hashable {
        var patterns: [String]
        var settings: [(String, String)]

        static func == (a: Block, b: Block) -> Bool {
            a.patterns == b.patterns && a.settings.map(\.0) == b.settings.map(\.0)
                && a.settings.map(\.1) == b.settings.map(\.1)
        }
        func hash(into hasher: inout Hasher) { hasher.combine(patterns) }
    }

    var blocks: [Block]

    /// Parses the text of a configuration file.
    ///
    /// - Throws: A reason naming the line (no value is quoted).
    public init(text: String) throws(RequestError) {
        var blocks: [Block] = [Block(patterns: ["*"], settings: [])]
        var skipping = false
        for (number, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = String(raw).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let (keyword, value) = Self.split(line)
            switch keyword.lowercased() {
            case "host":
                let patterns = value.split(whereSeparator: \.isWhitespace).map(String.init)
                guard !patterns.isEmpty else {
                    throw RequestError(field: "ssh_config_file", reason: "line \(number + 1): Host without a pattern")
                }
                blocks.append(Block(patterns: patterns, settings: []))
                skipping = false
            case "match":
                skipping = true
            case "hostname", "port", "user", "identityfile", "proxyjump":
                if skipping { continue }
                guard !value.isEmpty else {
                    throw RequestError(
                        field: "ssh_config_file", reason: "line \(number + 1): \(keyword) without a value")
                }
                blocks[blocks.count - 1].settings.append((keyword.lowercased(), value))
            default:
                continue
            }
        }
        self.blocks = blocks
    }

    /// `Keyword value` or `Keyword=value`, the value unquoted.
    static func split(_ line: Substring) -> (String, String) {
        guard let end = line.firstIndex(where: { $0.isWhitespace || $0 == "=" }) else { return (String(line), "") }
        var rest = line[end...].drop(while: { $0.isWhitespace })
        if rest.first == "=" { rest = rest.dropFirst().drop(while: { $0.isWhitespace }) }
        var value = String(rest).trimmingWhitespace()
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
        return (String(line[..<end]), String(value))
    }

    /// What the file says for `host` (the name the request gives).
    ///
    /// - Throws: ``RequestError`` for a `Port` that is not a port number.
    public func entry(for host: String) throws(RequestError) -> Entry {
        var entry = Entry()
        for block in blocks {
            let negated = block.patterns.contains {
                $0.hasPrefix("!") && Glob.matches($0.dropFirst(), host, ignoringCase: true)
            }
            let matched = block.patterns.contains { !$0.hasPrefix("!") && Glob.matches($0, host, ignoringCase: true) }
            guard matched, !negated else { continue }
            for (keyword, value) in block.settings {
                switch keyword {
                case "hostname" where entry.hostName == nil:
                    entry.hostName = value.replacing("%h", with: host)
                case "port" where entry.port == nil:
                    guard let port = Int(value), DeviceTarget.portRange.contains(port) else {
                        throw RequestError(field: "ssh_config_file", reason: "Port for \(host) is not a port number")
                    }
                    entry.port = port
                case "user" where entry.user == nil: entry.user = value
                case "identityfile" where entry.identityFile == nil: entry.identityFile = value
                case "proxyjump" where entry.proxyJump == nil: entry.proxyJump = value
                default: continue
                }
            }
        }
        return entry
    }

    /// Reads and parses the file at `path` (`~/` expanded).
    ///
    /// - Throws: ``RequestError`` for field `ssh_config_file`.
    public static func load(path: String) throws(RequestError) -> SSHConfigFile {
        var expanded = path
        if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
            expanded = home + path.dropFirst()
        }
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: expanded))
            guard data.count <= 1 << 20 else {
                throw RequestError(field: "ssh_config_file", reason: "is larger than 1 MiB")
            }
            text = String(decoding: data, as: UTF8.self)
        } catch let error as RequestError {
            throw error
        } catch {
            throw RequestError(field: "ssh_config_file", reason: "cannot read \(path)")
        }
        return try SSHConfigFile(text: text)
    }
}
