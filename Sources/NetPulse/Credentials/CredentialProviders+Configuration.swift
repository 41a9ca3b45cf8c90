extension CredentialProviders {
    /// The providers an operator's configuration describes (the JSON tree of a JSON or YAML file):
    ///
    /// ```yaml
    /// providers:
    ///   lab-env:  {type: env, allowed_refs: ["LAB"]}
    ///   lab-file: {type: file, path: /etc/netpulse/credentials.yaml, allowed_refs: ["core-*"]}
    ///   pass:     {type: command, command: ["pass", "show", "{ref}"], timeout: 5, allowed_refs: ["network/*"]}
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: The tree.
    ///   - yamlDecoder: Given to file providers, for YAML credential files.
    ///   - requireAllowList: Refuse a provider without `allowed_refs` (the HTTP API: a request may only
    ///     reach what the operator listed).
    /// - Throws: ``CredentialError`` of kind `invalid_configuration`, naming the field.
    public init(
        configuration: JSONValue,
        yamlDecoder: FileCredentialProvider.YAMLDecoder? = nil,
        requireAllowList: Bool
    ) throws(CredentialError) {
        self.init()
        do {
            var root = try JSONObjectReader(configuration, path: "")
            guard let providers = root.value("providers") else {
                throw RequestError(field: "providers", reason: "is required")
            }
            guard case .object(let named) = providers else {
                throw RequestError(field: "providers", reason: "must map names to providers")
            }
            try root.rejectUnknown(hint: "the configuration has one field, providers")
            for (name, value) in named.sorted(by: { $0.key < $1.key }) {
                var reader = try JSONObjectReader(value, path: "providers.\(name)")
                let allowed = try reader.lines("allowed_refs")
                if requireAllowList && allowed == nil {
                    throw RequestError(
                        field: reader.field("allowed_refs"),
                        reason: "is required here: list the references requests may name ('*' matches any run)")
                }
                let provider: any CredentialProvider
                switch try reader.string("type") {
                case "env"?:
                    provider = EnvironmentCredentialProvider()
                case "file"?:
                    guard let path = try reader.string("path"), path.hasPrefix("/") else {
                        throw RequestError(field: reader.field("path"), reason: "is required: an absolute path")
                    }
                    provider = FileCredentialProvider(path: path, yamlDecoder: yamlDecoder)
                case "command"?:
                    guard let command = try reader.lines("command"), !command.isEmpty, !command[0].isEmpty else {
                        throw RequestError(
                            field: reader.field("command"), reason: "is required: the program and its arguments")
                    }
                    let timeout = try reader.seconds("timeout") ?? .seconds(10)
                    guard timeout > .zero else {
                        throw RequestError(field: reader.field("timeout"), reason: "must be greater than 0")
                    }
                    provider = CommandCredentialProvider(arguments: command, timeout: timeout)
                case let other:
                    throw RequestError(
                        field: reader.field("type"),
                        reason: other.map { "unknown type '\($0)'; " } ?? "is required; "
                            + "expected env, file or command")
                }
                try reader.rejectUnknown(
                    hint: "a provider has type, allowed_refs, and path (file) or command and timeout (command)")
                register(name, provider, allowedReferences: allowed)
            }
        } catch {
            throw CredentialError(.invalidConfiguration, "\(error)")
        }
    }
}
