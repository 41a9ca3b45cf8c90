/// The error a device, a session or a driver reports.
///
/// Like `NIOSSHError`, the type is an extensible struct: callers switch on ``kind`` and show
/// ``message`` to a person. New kinds can be added without breaking anyone.
///
/// A message never contains a password, an enable secret or a key passphrase.
public struct NetPulseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable, machine-readable name (`"authentication"`, `"timeout"`, ...).
    public struct Kind: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public init(from decoder: any Decoder) throws {
            self.rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        /// The device rejected the credentials.
        public static let authentication = Kind(rawValue: "authentication")
        /// Nothing listens on the device's port.
        public static let connectionRefused = Kind(rawValue: "connection_refused")
        /// No route to the device's address.
        public static let unreachable = Kind(rawValue: "unreachable")
        /// The host name could not be resolved.
        public static let nameResolution = Kind(rawValue: "name_resolution")
        /// A deadline passed: connect, login, a read, or the whole execution.
        public static let timeout = Kind(rawValue: "timeout")
        /// The device's host key does not match the one on record.
        public static let hostKeyMismatch = Kind(rawValue: "host_key_mismatch")
        /// The device's host key is unknown and the policy is strict.
        public static let hostKeyUnknown = Kind(rawValue: "host_key_unknown")
        /// The device answered a command or config line with an error.
        public static let commandError = Kind(rawValue: "command_error")
        /// The connection was lost while a job was running.
        public static let connectionLost = Kind(rawValue: "connection_lost")
        /// A pinned session was found dead before anything of the job was sent: safe to retry once.
        public static let sessionUnavailable = Kind(rawValue: "session_unavailable")
        /// The SSH protocol failed (key exchange, no common algorithm, bad packet, ...).
        public static let protocolError = Kind(rawValue: "protocol_error")
        /// The device's output could not be understood (no prompt found, garbage).
        public static let unexpectedOutput = Kind(rawValue: "unexpected_output")
        /// The device asked a question (`[confirm]`, `(y/n)`) that nobody gave an answer for; the command
        /// was aborted and the session brought back to a prompt.
        public static let unexpectedPrompt = Kind(rawValue: "unexpected_prompt")
        /// The job waited in the queue for longer than its `ttl`.
        public static let expired = Kind(rawValue: "expired")
        /// The job or its batch was cancelled, or the scheduler shut down.
        public static let cancelled = Kind(rawValue: "cancelled")
        /// The driver cannot do what was asked (e.g. an unknown platform for this driver).
        public static let unsupported = Kind(rawValue: "unsupported")
        /// The request itself was invalid.
        public static let invalidRequest = Kind(rawValue: "invalid_request")
        /// A driver failed in a way it did not classify.
        public static let driverError = Kind(rawValue: "driver_error")
        /// The output could not be parsed as the request's `parsing` asked: the template does not compile,
        /// it reached an `Error` rule, or no template fits the platform and command. The raw output stays.
        public static let parsingError = Kind(rawValue: "parsing_error")
    }

    /// What went wrong.
    public var kind: Kind
    /// A sentence a person can read; it never contains a secret.
    public var message: String

    /// Creates an error of the given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    public static func authentication(_ message: String) -> NetPulseError { .init(.authentication, message) }
    public static func connectionRefused(_ message: String) -> NetPulseError { .init(.connectionRefused, message) }
    public static func timeout(_ message: String) -> NetPulseError { .init(.timeout, message) }
    public static func hostKeyMismatch(_ message: String) -> NetPulseError { .init(.hostKeyMismatch, message) }
    public static func commandError(_ message: String) -> NetPulseError { .init(.commandError, message) }
    public static func connectionLost(_ message: String) -> NetPulseError { .init(.connectionLost, message) }
    public static func sessionUnavailable(_ message: String) -> NetPulseError { .init(.sessionUnavailable, message) }
    public static func protocolError(_ message: String) -> NetPulseError { .init(.protocolError, message) }
    public static func unexpectedOutput(_ message: String) -> NetPulseError { .init(.unexpectedOutput, message) }
    public static func unexpectedPrompt(_ message: String) -> NetPulseError { .init(.unexpectedPrompt, message) }
    public static func expired(_ message: String) -> NetPulseError { .init(.expired, message) }
    public static func cancelled(_ message: String) -> NetPulseError { .init(.cancelled, message) }
    public static func unsupported(_ message: String) -> NetPulseError { .init(.unsupported, message) }
    public static func driverError(_ message: String) -> NetPulseError { .init(.driverError, message) }
    public static func parsingError(_ message: String) -> NetPulseError { .init(.parsingError, message) }

    /// Wraps any error as a `NetPulseError`; a `NetPulseError` passes through unchanged.
    public init(wrapping error: any Error) {
        if let error = error as? NetPulseError {
            self = error
        } else if error is CancellationError {
            self = .cancelled("the job was cancelled")
        } else {
            self = .driverError(String(describing: error))
        }
    }
}

extension NetPulseError: Codable {
    private enum CodingKeys: String, CodingKey { case kind, message }
}
