import Foundation
import NetPulse
import Yams

/// YAML read into the JSON tree the core works on (inventories, credential files, provider configuration).
enum YAMLTree {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The tree of `text`; an empty document is an empty object.
    static func decode(_ text: String) throws(Failure) -> JSONValue {
        try document(text) ?? .object([:])
    }

    /// The tree of `text`, or `nil` for an empty document. The one place the tool reads YAML without a
    /// schema (inventories, credential files, provider and `serve` configuration).
    static func document(_ text: String) throws(Failure) -> JSONValue? {
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch let error as YamlError {
            throw Failure(description: "malformed YAML: \(summary(error))")
        } catch {
            throw Failure(description: "malformed YAML")
        }
        guard let node else { return nil }
        return try value(node)
    }

    /// The first line of Yams's message: where and what. The lines after it quote the text around the
    /// fault, which may hold a secret.
    private static func summary(_ error: YamlError) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? "syntax error"
    }

    private static func value(_ node: Any) throws(Failure) -> JSONValue {
        switch node {
        case let string as String: return .string(string)
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .number(Double(int))
        case let double as Double: return .number(double)
        case is NSNull: return .null
        case let list as [Any]:
            var items: [JSONValue] = []
            for item in list { items.append(try value(item)) }
            return .array(items)
        case let map as [AnyHashable: Any]:
            var object: [String: JSONValue] = [:]
            for (key, item) in map {
                guard let name = key.base as? String ?? (key.base as? any CustomStringConvertible)?.description else {
                    throw Failure(description: "a mapping key is not a string")
                }
                object[name] = try value(item)
            }
            return .object(object)
        default:
            return .string("\(node)")
        }
    }

    /// JSON or YAML, by the first character.
    static func load(path: String) throws -> JSONValue {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw Failure(description: "\(path): cannot read: \(error.localizedDescription)")
        }
        if text.drop(while: \.isWhitespace).first == "{" {
            do {
                return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            } catch {
                throw Failure(description: "\(path): malformed JSON")
            }
        }
        do {
            return try decode(text)
        } catch {
            throw Failure(description: "\(path): \(error)")
        }
    }
}
