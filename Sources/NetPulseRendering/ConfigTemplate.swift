import Foundation
public import NetPulse
import Stencil

/// A configuration template in Jinja2's common subset, rendered with Stencil: `{{ value }}`,
/// `{{ value|filter }}`, `{% for x in list %}`, `{% if cond %}`, `{# comment #}`.
///
/// Filters: Stencil's (`capitalize`, `default`, `join`, `lowercase`, `uppercase`, `split`, `indent`)
/// and Jinja2's names for the same `lower`, `upper`, `trim`, `length`. A name outside these (a filter,
/// a tag, Jinja2's `set`, `macro`, ...) is a ``RenderingError`` naming it and its line.
public struct ConfigTemplate: Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// Renders the template with a JSON object as its context (keys become variables).
    ///
    /// - Throws: ``RenderingError`` with the line of the first problem.
    public func render(_ context: [String: JSONValue]) throws(RenderingError) -> String {
        let environment = Environment(extensions: [Self.jinja2Names()])
        let template = Template(templateString: text, environment: environment)
        var dictionary: [String: Any] = [:]
        for (key, value) in context { dictionary[key] = Self.any(value) }
        do {
            return try template.render(dictionary)
        } catch let error as TemplateSyntaxError {
            let line = error.token.map { Int($0.sourceMap.location.lineNumber) }
            throw RenderingError(line: line, message: error.reason)
        } catch {
            throw RenderingError(line: nil, message: "\(error)")
        }
    }

    /// Jinja2's names of filters Stencil has under other names.
    private static func jinja2Names() -> Extension {
        let names = Extension()
        names.registerFilter("lower") { value in value.map { "\($0)".lowercased() } }
        names.registerFilter("upper") { value in value.map { "\($0)".uppercased() } }
        names.registerFilter("trim") { value in
            value.map { "\($0)".trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        names.registerFilter("length") { value -> Any? in
            switch value {
            case let list as [Any?]: list.count
            case let map as [String: Any?]: map.count
            case let text as String: text.count
            default: 0
            }
        }
        return names
    }

    /// A JSON value as Stencil's context wants it.
    static func any(_ value: JSONValue) -> Any? {
        switch value {
        case .null: nil
        case .bool(let bool): bool
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? Int(number) : number
        case .string(let string): string
        case .array(let items): items.map { any($0) }
        case .object(let fields): fields.compactMapValues { any($0) }
        }
    }
}

/// A template that cannot be rendered: its line (1-based, when known) and why.
public struct RenderingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int?
    public var message: String

    public init(line: Int?, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}
