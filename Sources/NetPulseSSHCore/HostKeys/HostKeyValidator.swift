public import Logging
public import NetPulse

/// The one host-key decision of both SSH backends (as swift-nio-ssh's client authentication delegate):
/// the session skeleton hands it the key the server proved it holds, and it says yes or throws.
public protocol HostKeyValidator: Sendable {
    /// Accepts `key` for `host:port` or throws why not.
    ///
    /// - Throws: ``NetPulseError`` of kind `host_key_mismatch`, `host_key_unknown` or `invalid_request`.
    func validate(_ key: SSHHostKey, host: String, port: Int, logger: Logger) throws(NetPulseError)
}

/// A ``HostKeyPolicy`` applied with a ``KnownHostsStore``: strict (the key must be recorded),
/// accept-new (an unknown host is recorded, a changed key refused) or off (accepted with a warning).
public struct KnownHostsValidator: HostKeyValidator {
    public var policy: HostKeyPolicy
    public var store: KnownHostsStore

    public init(policy: HostKeyPolicy, store: KnownHostsStore = .shared) {
        self.policy = policy
        self.store = store
    }

    /// The file a policy without one uses.
    public static let defaultFile = "~/.ssh/known_hosts"

    public func validate(_ key: SSHHostKey, host: String, port: Int, logger: Logger) throws(NetPulseError) {
        let name = HostPattern.knownHostsName(host: host, port: port)
        let verdict: KnownHostsVerdict
        let path: String
        switch policy {
        case .off:
            logger.warning(
                "host key checking is off: the server's key is not verified",
                metadata: ["peer": "\(name)", "key": "\(key)"])
            return
        case .strict(let file):
            path = file ?? Self.defaultFile
            verdict = try store.verdict(for: key, host: host, port: port, file: path)
        case .acceptNew(let file):
            path = file ?? Self.defaultFile
            verdict = try store.verdictRecordingNew(for: key, host: host, port: port, file: path)
        }
        try decide(verdict, key: key, name: name, path: path, logger: logger)
    }

    /// Decides as ``validate(_:host:port:logger:)`` does when the known_hosts file in memory can answer
    /// without reading or writing it (``KnownHostsStore/verdictFromMemory(for:host:port:file:)``): `true`
    /// when the key is accepted, `false` when only ``validate(_:host:port:logger:)`` can tell (the file
    /// changed, it must be scanned at length, or accept-new must record the host).
    ///
    /// - Throws: What ``validate(_:host:port:logger:)`` throws for the same verdict.
    func validateFromMemory(_ key: SSHHostKey, host: String, port: Int, logger: Logger) throws(NetPulseError) -> Bool {
        let path: String
        switch policy {
        case .off:
            try validate(key, host: host, port: port, logger: logger)
            return true
        case .strict(let file), .acceptNew(let file):
            path = file ?? Self.defaultFile
        }
        guard let verdict = store.verdictFromMemory(for: key, host: host, port: port, file: path) else { return false }
        if case .acceptNew = policy, verdict == .notFound { return false }
        try decide(
            verdict, key: key, name: HostPattern.knownHostsName(host: host, port: port), path: path, logger: logger)
        return true
    }

    private func decide(
        _ verdict: KnownHostsVerdict, key: SSHHostKey, name: String, path: String, logger: Logger
    ) throws(NetPulseError) {
        switch verdict {
        case .match:
            return
        case .mismatch:
            throw NetPulseError.hostKeyMismatch(
                "the host key of \(name) (\(key)) does not match the key recorded for it in \(path); refusing to connect"
            )
        case .otherType:
            throw NetPulseError.hostKeyMismatch(
                "the host key of \(name) (\(key)) is not recorded in \(path), which holds a key of another type "
                    + "for this host; refusing to connect")
        case .revoked:
            throw NetPulseError.hostKeyMismatch(
                "the host key of \(name) (\(key)) is marked @revoked in \(path); refusing to connect")
        case .certificateAuthorityOnly:
            throw NetPulseError(
                .hostKeyUnknown,
                "\(path) names \(name) only in @cert-authority lines, which vouch for host certificates; NetPulse "
                    + "checks plain host keys only: record the host's key (\(key)) in the file")
        case .notFound:
            if case .acceptNew = policy {
                logger.notice(
                    "new host key recorded", metadata: ["peer": "\(name)", "key": "\(key)", "file": "\(path)"])
                return
            }
            throw NetPulseError(
                .hostKeyUnknown, "the host key of \(name) (\(key)) is not in \(path) and the host key policy is strict")
        }
    }
}
