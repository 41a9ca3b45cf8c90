import Foundation
import NetPulse
import Yams

/// YAML read into the JSON tree the core works on (inventories, credential files, provider configuration).
enum YAMLTree {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The tree of `text`; an empty document is an empty object.
    static func decode(_ text: String) throws -> JSONValue {
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            // Yams's message quotes the text around the fault, which may hold a secret.
            throw Failure(description: "malformed YAML")
        }
        guard let node else { return .object([:]) }
        return try value(node)
    }

    private static func value(_ node: Any) throws -> JSONValue {
        switch node {
        case let string as String: return .string(string)
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .number(Double(int))
        case let double as Double: return .number(double)
        case is NSNull: return .null
        case let list as [Any]: return .array(try list.map(value))
        case let map as [AnyHashable: Any]:
            var object: [String: JSONValue] = [:]
            for (key, item) in map {
                guard let name = key.base as? String ?? (key.base as? CustomStringConvertible)?.description else {
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
