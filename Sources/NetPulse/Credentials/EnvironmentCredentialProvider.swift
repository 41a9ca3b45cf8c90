#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Credentials from environment variables: reference `LAB` reads `LAB_USERNAME`, `LAB_PASSWORD`,
/// `LAB_SECRET`, ... (every variable `LAB_X` becomes field `x`).
///
/// The reference is a variable-name prefix (letters, digits, `_`), so a request can only reach variables
/// under a prefix; over HTTP the operator's allowed references say which prefixes.
public struct EnvironmentCredentialProvider: CredentialProvider {
    private let environment: [String: String]

    /// This process's variables, read once here.
    public init() { self.environment = ProcessInfo.processInfo.environment }

    /// - Parameter environment: The variables.
    public init(environment: [String: String]) { self.environment = environment }

    public func fields(for reference: String) async throws(CredentialError) -> [String: Secret] {
        let valid = reference.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard valid else {
            throw CredentialError(
                .invalidReference, "'\(reference)' is not a variable prefix (letters, digits and _ only)")
        }
        let prefix = reference + "_"
        var fields: [String: Secret] = [:]
        for (name, value) in environment where name.hasPrefix(prefix) && name.count > prefix.count {
            fields[String(name.dropFirst(prefix.count)).lowercased()] = Secret(value)
        }
        guard !fields.isEmpty else {
            throw CredentialError(.notFound, "no environment variable starts with \(prefix)")
        }
        return fields
    }
}
