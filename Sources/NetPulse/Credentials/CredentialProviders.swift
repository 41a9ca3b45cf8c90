/// The credential providers a runner offers, by name, each with the references requests may name.
///
/// The operator builds it (``register(_:_:allowedReferences:)`` or ``init(configuration:yamlDecoder:requireAllowList:)``);
/// a request only names a provider and a reference. ``BatchRequest/resolvingCredentials(with:)`` looks each
/// distinct reference up once per request and writes the fields into the connection fields.
public struct CredentialProviders: Sendable {
    struct Entry: Sendable {
        var provider: any CredentialProvider
        /// Patterns (``Glob``: `*` any run, `?` one character); `nil`: every reference.
        var allowedReferences: [String]?
    }

    private var entries: [String: Entry] = [:]

    /// No providers: a request that names a credential is refused.
    public init() {}

    /// The registered names, sorted.
    public var names: [String] { entries.keys.sorted() }

    public var isEmpty: Bool { entries.isEmpty }

    /// Offers `provider` under `name`.
    ///
    /// - Parameters:
    ///   - name: What a request's `credential.name` says.
    ///   - provider: The provider.
    ///   - allowedReferences: The references requests may name (`*` matches any run of characters, `/`
    ///     included); `nil` allows every reference, which suits the command line, whose user is the operator.
    public mutating func register(
        _ name: String, _ provider: any CredentialProvider, allowedReferences: [String]? = nil
    ) {
        entries[name] = Entry(provider: provider, allowedReferences: allowedReferences)
    }

    /// Whether `reference` matches one of `patterns` (``Glob``: `*` any run, `?` one character).
    static func allows(_ patterns: [String]?, _ reference: String) -> Bool {
        guard let patterns else { return true }
        return patterns.contains { Glob.matches($0, reference, ignoringCase: false) }
    }

    /// The connection fields `credential` stands for.
    ///
    /// - Parameters:
    ///   - credential: The reference as the request gives it.
    ///   - path: Its JSON path, for errors (`credential`, `devices[1].credential`).
    /// - Throws: ``RequestError`` naming `path`; never quotes a value.
    func connectionFields(
        for credential: CredentialReference, path: String
    ) async throws(RequestError) -> ConnectionArgs {
        guard let entry = entries[credential.provider] else {
            let known = names.isEmpty ? "none are configured" : "configured: \(names.joined(separator: ", "))"
            throw RequestError(
                field: "\(path).name", reason: "unknown credential provider '\(credential.provider)'; \(known)")
        }
        guard Self.allows(entry.allowedReferences, credential.reference) else {
            throw RequestError(
                field: "\(path).ref",
                reason: "the operator does not allow '\(credential.reference)' from provider '\(credential.provider)'")
        }
        let stored: [String: Secret]
        do {
            stored = try await entry.provider.fields(for: credential.reference)
        } catch {
            throw RequestError(field: "\(path).ref", reason: "\(credential): \(error)")
        }
        var found: [String: Secret] = [:]
        for field in CredentialReference.fields {
            if let source = credential.fieldMapping[field] {
                guard let value = stored[source] else {
                    throw RequestError(
                        field: "\(path).field_mapping.\(field)",
                        reason:
                            "\(credential) has no field '\(source)'; it has \(stored.keys.sorted().joined(separator: ", "))"
                    )
                }
                found[field] = value
            } else if let value = stored[field] {
                found[field] = value
            }
        }
        guard found["password"] != nil || found["username"] != nil || found["passphrase"] != nil else {
            throw RequestError(
                field: "\(path).ref",
                reason: "\(credential) holds none of username, password, passphrase (fields: "
                    + "\(stored.keys.sorted().joined(separator: ", "))); map one with field_mapping")
        }
        var args = ConnectionArgs()
        args.username = found["username"]?.revealed
        args.password = found["password"]
        args.secret = found["secret"]
        args.passphrase = found["passphrase"]
        return args
    }
}

extension BatchRequest {
    /// This request with every `credential` replaced by the fields it stands for.
    ///
    /// Each distinct reference is looked up once, however many devices name it. A credential's fields
    /// take the place of the same fields at its level (the batch's `connection_args` or one device's), so a
    /// device's own fields still win over the batch's.
    ///
    /// - Throws: ``RequestError`` naming the `credential` at fault.
    public func resolvingCredentials(with providers: CredentialProviders) async throws(RequestError) -> BatchRequest {
        var resolved = self
        var cache: [CredentialReference: ConnectionArgs] = [:]
        func fields(_ credential: CredentialReference, _ path: String) async throws(RequestError) -> ConnectionArgs {
            if let known = cache[credential] { return known }
            let args = try await providers.connectionFields(for: credential, path: path)
            cache[credential] = args
            return args
        }
        if let credential = connectionArgs.credential {
            resolved.connectionArgs = try await fields(credential, "credential").merged(over: connectionArgs)
            resolved.connectionArgs.credential = nil
        }
        for index in devices.indices {
            guard let credential = devices[index].connection.credential else { continue }
            let path = "devices[\(index)].credential"
            resolved.devices[index].connection = try await fields(credential, path)
                .merged(over: devices[index].connection)
            resolved.devices[index].connection.credential = nil
        }
        return resolved
    }
}
