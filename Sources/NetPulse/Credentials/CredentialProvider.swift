/// Where a request's `credential` is looked up: environment variables, a file, a password manager.
///
/// A provider answers one question, the fields stored under a reference. Which reference a request may
/// name, and which fields reach the connection, is decided by ``CredentialProviders``, not by the provider.
///
/// ```swift
/// struct Fixed: CredentialProvider {
///     func fields(for reference: String) async throws(CredentialError) -> [String: Secret] {
///         ["username": "admin", "password": "admin123"]
///     }
/// }
/// ```
public protocol CredentialProvider: Sendable {
    /// The fields stored under `reference` (`username`, `password`, `secret`, or any name a
    /// `field_mapping` points at).
    ///
    /// - Throws: ``CredentialError``; its message names the reference, never a value.
    func fields(for reference: String) async throws(CredentialError) -> [String: Secret]
}

/// A credential that could not be looked up. The message names the provider and the reference, never
/// a secret, and never the output of an external command.
public struct CredentialError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Nothing is stored under the reference.
        public static let notFound = Kind(rawValue: "not_found")
        /// The store cannot be used: unreadable, malformed, or readable by others.
        public static let unusableStore = Kind(rawValue: "unusable_store")
        /// The external command failed or printed nothing usable.
        public static let commandFailed = Kind(rawValue: "command_failed")
        /// The external command did not finish in time.
        public static let timedOut = Kind(rawValue: "timed_out")
        /// The reference is malformed for this provider.
        public static let invalidReference = Kind(rawValue: "invalid_reference")
        /// The operator's provider configuration is wrong.
        public static let invalidConfiguration = Kind(rawValue: "invalid_configuration")
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }
}
