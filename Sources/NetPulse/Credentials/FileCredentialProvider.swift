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

/// Credentials from a file only its owner can read: name → fields, in JSON or YAML.
///
/// ```yaml
/// core-routers:
///   username: netops
///   password: "s3cret"
///   secret: "en4ble"
/// ```
///
/// The file is read at each lookup (once per request), so edits apply without a restart. It is refused when
/// group or others may read or write it, when it is not a regular file, or when another user (other than
/// root) owns it.
public struct FileCredentialProvider: CredentialProvider {
    /// Turns YAML text into the JSON tree; the core reads JSON itself and leaves YAML to its host.
    public typealias YAMLDecoder = @Sendable (String) throws -> JSONValue

    public let path: String
    private let yamlDecoder: YAMLDecoder?

    /// - Parameters:
    ///   - path: The file.
    ///   - yamlDecoder: Reads the file when it is not JSON; `nil` accepts JSON only.
    public init(path: String, yamlDecoder: YAMLDecoder? = nil) {
        self.path = path
        self.yamlDecoder = yamlDecoder
    }

    public func fields(for reference: String) async throws(CredentialError) -> [String: Secret] {
        let text = try Self.readPrivateFile(path)
        let tree: JSONValue
        do {
            if text.drop(while: \.isWhitespace).first == "{" {
                tree = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            } else if let yamlDecoder {
                tree = try yamlDecoder(text)
            } else {
                throw CredentialError(.unusableStore, "\(path) is not JSON, and YAML is not available here")
            }
        } catch let error as CredentialError {
            throw error
        } catch {
            // The decoder's message may quote the file's text: it is not passed on.
            throw CredentialError(.unusableStore, "\(path) is neither valid JSON nor valid YAML")
        }
        guard case .object(let entries) = tree else {
            throw CredentialError(.unusableStore, "\(path) must map names to fields, got \(tree.typeName)")
        }
        guard let entry = entries[reference] else {
            throw CredentialError(.notFound, "\(path) has no entry '\(reference)'")
        }
        guard case .object(let object) = entry else {
            throw CredentialError(.unusableStore, "\(path): entry '\(reference)' must map field names to strings")
        }
        var fields: [String: Secret] = [:]
        for (name, value) in object {
            switch value {
            case .string(let string): fields[name] = Secret(string)
            case .number(let number) where number.rounded() == number && abs(number) < 1e15:
                fields[name] = Secret(String(Int(number)))
            default:
                throw CredentialError(.unusableStore, "\(path): '\(reference).\(name)' must be a string")
            }
        }
        return fields
    }

    /// The text of `path`, after checking that only its owner (this user or root) can read or write it.
    static func readPrivateFile(_ path: String) throws(CredentialError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CredentialError(.unusableStore, "cannot open \(path): \(reason)")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw CredentialError(.unusableStore, "\(path) is not a regular file")
        }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw CredentialError(
                .unusableStore,
                "\(path) is accessible to group or others (mode \(String(mode, radix: 8))); run chmod 600 on it")
        }
        if info.st_uid != geteuid() && info.st_uid != 0 {
            throw CredentialError(.unusableStore, "\(path) is owned by another user (uid \(info.st_uid))")
        }
        let limit = 1 << 20
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CredentialError(.unusableStore, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > limit { throw CredentialError(.unusableStore, "\(path) is larger than 1 MiB") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
