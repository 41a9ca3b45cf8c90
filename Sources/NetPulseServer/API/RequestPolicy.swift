import Foundation
public import NetPulse

/// What a request over HTTP may choose that reaches the server's files or its security settings.
///
/// The API runs with the operator's authority, so a request may tighten the operator's policy but never
/// loosen it:
/// - paths (`key_file`, `known_hosts_file`, netmiko's `session_log`, `alt_key_file`,
///   `ssh_config_file`) are refused unless they lie inside a directory the operator allows;
/// - host-key checking may be made stricter (off < accept_new < strict), never weaker than
///   ``weakestHostKeyMode``; a request that names a mode but no file gets the operator's
///   ``knownHostsFile``, never the server user's default;
/// - `legacy_algorithms: true` is refused unless ``allowLegacyAlgorithms``;
/// - a `parsing` template named by `file://` is a path like the others; inline templates and
///   `use_ntc_template` (the operator's template folder) need no allowance.
///
/// The command line (`netpulse run`, `netpulse exec`) does not apply it: its user owns the machine.
public struct RequestPolicy: Sendable, Hashable {
    /// Directories whose files requests may name (absolute paths; symbolic links are resolved before
    /// the check). Empty: requests may name no file.
    public var allowedFileDirectories: [String]
    /// The weakest host-key checking a request may ask for.
    public var weakestHostKeyMode: ConnectionArgs.HostKeyMode
    /// The operator's known_hosts file, given to requests that name a host-key mode without a file, and
    /// always allowed; `nil` for the drivers' default (`~/.ssh/known_hosts`).
    public var knownHostsFile: String?
    /// Whether requests may ask for legacy algorithms (`legacy_algorithms: true`).
    public var allowLegacyAlgorithms: Bool
    /// The folder `session_log` transcripts go to; a request names only a file name in it. `nil`: a request
    /// naming `session_log` is refused.
    public var sessionLogDirectory: String?

    /// netmiko's pass-through fields that name a file.
    static let pathPassThrough = ["session_log", "alt_key_file", "ssh_config_file"]

    /// - Parameters:
    ///   - allowedFileDirectories: Directories whose files requests may name (default: none).
    ///   - weakestHostKeyMode: The weakest host-key checking a request may ask for (default strict:
    ///     requests may not weaken it).
    ///   - knownHostsFile: The operator's known_hosts file.
    ///   - allowLegacyAlgorithms: Whether requests may ask for legacy algorithms (default no).
    public init(
        allowedFileDirectories: [String] = [],
        weakestHostKeyMode: ConnectionArgs.HostKeyMode = .strict,
        knownHostsFile: String? = nil,
        allowLegacyAlgorithms: Bool = false
    ) {
        self.allowedFileDirectories = allowedFileDirectories
        self.weakestHostKeyMode = weakestHostKeyMode
        self.knownHostsFile = knownHostsFile
        self.allowLegacyAlgorithms = allowLegacyAlgorithms
    }

    /// How strict a mode is: off < accept_new < strict.
    static func strength(_ mode: ConnectionArgs.HostKeyMode) -> Int {
        switch mode {
        case .off: 0
        case .acceptNew: 1
        case .strict: 2
        }
    }

    /// Checks the settings.
    ///
    /// - Throws: ``ServerConfigurationError`` for a relative allowed directory.
    public func validate() throws(ServerConfigurationError) {
        for directory in allowedFileDirectories where !directory.hasPrefix("/") {
            throw ServerConfigurationError(
                field: "request_policy.allowed_file_directories", reason: "'\(directory)' is not an absolute path")
        }
    }

    /// A refusal: the field at fault and why.
    struct Refusal: Error, Sendable, Hashable {
        var field: String
        var reason: String
    }

    /// Checks one set of connection fields (`connection_args` or a device's) and applies the operator's
    /// known_hosts file where a mode is named without one.
    ///
    /// - Parameters:
    ///   - args: The fields as the request gives them.
    ///   - path: Their JSON path (`connection_args`, `devices[3]`).
    ///   - inherited: The fields they are merged over (a device's shared `connection_args`), to tell
    ///     whether a mode has a file after merging.
    /// - Returns: The fields to use.
    /// - Throws: ``Refusal`` naming the first field the policy refuses.
    func apply(
        to args: ConnectionArgs, path: String, inherited: ConnectionArgs? = nil
    ) throws(Refusal) -> ConnectionArgs {
        var args = args
        if let mode = args.hostKeyMode, Self.strength(mode) < Self.strength(weakestHostKeyMode) {
            throw Refusal(
                field: "\(path).host_key_policy",
                reason: "'\(mode.rawValue)' is weaker than this server allows (at least "
                    + "'\(weakestHostKeyMode.rawValue)'); a request may make host-key checking stricter, not weaker")
        }
        let legacy: Bool? = args.legacyAlgorithms
        if legacy == true, !allowLegacyAlgorithms {
            throw Refusal(
                field: "\(path).legacy_algorithms",
                reason: "legacy algorithms are not allowed by this server (operator setting)")
        }
        if let file = args.keyFile { try checkFile(file, field: "\(path).key_file") }
        if let file = args.knownHostsFile, file != knownHostsFile {
            try checkFile(file, field: "\(path).known_hosts_file")
        }
        for name in Self.pathPassThrough {
            guard let value = args.driverArgs[name], value != .null, value != .bool(false) else { continue }
            guard case .string(let file) = value else {
                throw Refusal(field: "\(path).\(name)", reason: "must be a file path")
            }
            if name == "session_log" {
                guard sessionLogDirectory != nil else {
                    throw Refusal(
                        field: "\(path).session_log",
                        reason: "session logs are not kept by this server (operator setting: --session-log-dir)")
                }
                guard !file.contains("/"), !file.hasPrefix("."), !file.isEmpty else {
                    throw Refusal(field: "\(path).session_log", reason: "must be a file name, not a path")
                }
                continue
            }
            try checkFile(file, field: "\(path).\(name)")
        }
        let mode = args.hostKeyMode ?? inherited?.hostKeyMode
        if mode != nil, mode != .off, args.knownHostsFile == nil, inherited?.knownHostsFile == nil {
            args.knownHostsFile = knownHostsFile
        }
        if var hops = args.jumpHosts {
            for index in hops.indices {
                let field = hops.count == 1 ? "\(path).jump_host" : "\(path).jump_host[\(index)]"
                var hop = ConnectionArgs(
                    keyFile: hops[index].keyFile, hostKeyMode: hops[index].hostKeyMode,
                    knownHostsFile: hops[index].knownHostsFile)
                hop = try apply(to: hop, path: field)
                hops[index].knownHostsFile = hop.knownHostsFile
            }
            args.jumpHosts = hops
        }
        return args
    }

    /// Checks a batch's `parsing`: a `file://` template must lie inside an allowed directory.
    ///
    /// - Throws: ``Refusal`` for field `parsing.template`.
    func check(_ parsing: ParsingSpec?) throws(Refusal) {
        guard case .file(let path)? = parsing?.template else { return }
        try checkFile(path, field: "parsing.template")
    }

    /// Refuses a path outside the allowed directories, or one that is not a regular file.
    func checkFile(_ file: String, field: String) throws(Refusal) {
        guard !allowedFileDirectories.isEmpty else {
            throw Refusal(
                field: field,
                reason: "naming files on the server is not allowed (operator setting: allowed file directories)")
        }
        guard file.hasPrefix("/"), !file.utf8.contains(0),
            !file.split(separator: "/").contains(where: { $0 == ".." || $0 == "." })
        else {
            throw Refusal(field: field, reason: "must be an absolute path without '.' or '..' components")
        }
        let resolved = Self.resolve(file)
        let inside = allowedFileDirectories.contains { directory in
            let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
            return resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/")
        }
        guard inside else {
            throw Refusal(field: field, reason: "is outside the directories this server allows requests to name")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) {
            let type = (try? FileManager.default.attributesOfItem(atPath: resolved))?[.type] as? FileAttributeType
            guard !isDirectory.boolValue, type == .typeRegular else {
                throw Refusal(field: field, reason: "is not a regular file")
            }
        }
    }

    /// The path with symbolic links resolved and made standard. The file itself may not exist yet
    /// (accept-new creates known_hosts): its directory is resolved, then the file if it is a link.
    static func resolve(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().resolvingSymlinksInPath()
        let full = directory.appendingPathComponent(url.lastPathComponent)
        let type = (try? FileManager.default.attributesOfItem(atPath: full.path))?[.type] as? FileAttributeType
        if type == .typeSymbolicLink { return full.resolvingSymlinksInPath().standardizedFileURL.path }
        return full.standardizedFileURL.path
    }
}
