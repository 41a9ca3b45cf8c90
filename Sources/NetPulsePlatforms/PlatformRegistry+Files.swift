import Foundation
public import NetPulse
import Yams

/// A platform file that cannot be loaded: which file, which field, and why.
public struct PlatformFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file at fault.
    public var file: String
    /// The field path inside it (`prompt.terminators`, `pagers[1].answer`), or `""` for the file itself.
    public var field: String
    /// Why.
    public var reason: String

    public init(file: String, field: String, reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? "\(file): \(reason)" : "\(file): field \(field): \(reason)" }
}

extension PlatformRegistry {
    /// The file name endings ``load(_:into:)`` reads in a directory.
    public static let platformFileExtensions: Set<String> = ["yaml", "yml", "json"]

    /// Loads platform profiles from YAML or JSON files, on top of `base`.
    ///
    /// Each path is a file (`.yaml`, `.yml` or `.json`) holding one profile, or a directory whose such files
    /// are read in name order (other files are skipped). A profile may say `inherits: NAME` to start from a
    /// platform already known (built in, or loaded from an earlier file) and change only what it gives. A
    /// loaded profile with the name of a known one replaces it. See ``PlatformProfile`` for the fields:
    ///
    /// ```yaml
    /// name: acme_os
    /// inherits: cisco_ios
    /// aliases: [acme]
    /// disable_paging: ["terminal length 0", "terminal no-more"]
    /// error_patterns: ["^% Invalid input", "^% Acme says no"]
    /// questions:
    ///   - {pattern: "Save to flash? [y/n]", answer: "y"}
    /// ```
    ///
    /// - Parameters:
    ///   - paths: Files or directories.
    ///   - base: The registry to add to (the built-in platforms by default).
    /// - Returns: `base` with the loaded profiles registered.
    /// - Throws: ``PlatformFileError`` naming the file and the field at fault: unreadable file, bad YAML or
    ///   JSON, a missing or ill-typed field, an unknown field, an unknown `inherits`, an empty directory.
    public static func load(_ paths: [String], into base: PlatformRegistry = .builtin) throws(PlatformFileError)
        -> PlatformRegistry
    {
        var registry = base
        for path in paths {
            for file in try files(at: path) {
                registry.register(try profile(in: file, known: registry))
            }
        }
        return registry
    }

    /// The platform files a path names.
    static func files(at path: String) throws(PlatformFileError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw PlatformFileError(file: path, field: "", reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw PlatformFileError(file: path, field: "", reason: "cannot list the directory: \(error)")
        }
        let files = names.filter { name in
            guard !name.hasPrefix("."), let dot = name.lastIndex(of: ".") else { return false }
            return platformFileExtensions.contains(String(name[name.index(after: dot)...]).lowercased())
        }.sorted().map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
        guard !files.isEmpty else {
            throw PlatformFileError(file: path, field: "", reason: "holds no .yaml, .yml or .json file")
        }
        return files
    }

    /// Decodes one file's profile.
    static func profile(in file: String, known: PlatformRegistry) throws(PlatformFileError) -> PlatformProfile {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PlatformFileError(file: file, field: "", reason: "cannot be read")
        }
        let json = file.lowercased().hasSuffix(".json")
        struct Header: Decodable {
            var name: String?
            var inherits: String?
        }
        var userInfo: [CodingUserInfoKey: any Sendable] = [:]
        do {
            let header = try decode(Header.self, from: data, json: json, userInfo: [:])
            if let inherits = header.inherits {
                guard let base = known.profile(named: inherits) else {
                    throw PlatformFileError(
                        file: file, field: "inherits",
                        reason: "no platform named '\(inherits)' (built in, or loaded from an earlier file)")
                }
                userInfo[PlatformProfile.baseUserInfoKey] = base
            }
            return try decode(PlatformProfile.self, from: data, json: json, userInfo: userInfo)
        } catch let error as PlatformFileError {
            throw error
        } catch let error as DecodingError {
            throw describe(error, file: file)
        } catch {
            throw PlatformFileError(file: file, field: "", reason: "is not valid \(json ? "JSON" : "YAML"): \(error)")
        }
    }

    private static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, json: Bool, userInfo: [CodingUserInfoKey: any Sendable]
    ) throws -> T {
        if json {
            let decoder = JSONDecoder()
            decoder.userInfo = userInfo
            return try decoder.decode(type, from: data)
        }
        return try YAMLDecoder().decode(type, from: data, userInfo: userInfo)
    }

    private static func describe(_ error: DecodingError, file: String) -> PlatformFileError {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += (text.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return PlatformFileError(file: file, field: path(context.codingPath + [key]), reason: "is required")
        case .typeMismatch(let type, let context):
            return PlatformFileError(
                file: file, field: path(context.codingPath), reason: "must be \(Self.typeName(type))")
        case .valueNotFound(let type, let context):
            return PlatformFileError(
                file: file, field: path(context.codingPath), reason: "must be \(Self.typeName(type)), got null")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                let underlying = context.underlyingError.map { ": \($0)" } ?? ""
                return PlatformFileError(
                    file: file, field: "", reason: "cannot be read: \(context.debugDescription)\(underlying)")
            }
            return PlatformFileError(file: file, field: field, reason: context.debugDescription)
        @unknown default:
            return PlatformFileError(file: file, field: "", reason: "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type: "a whole number"
        case is [String].Type: "a list of strings"
        default: "a \(type)"
        }
    }
}

extension PlatformRegistry {
    /// A profile as a YAML platform file (every field written out).
    public static func yaml(_ profile: PlatformProfile) throws -> String {
        try YAMLEncoder().encode(profile)
    }
}
