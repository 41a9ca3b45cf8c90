import Foundation
import Synchronization

/// Compiled templates and indexes by file, so that a batch parsing thousands of outputs compiles each
/// template once. An entry is used again while the file's modification time and size are unchanged.
public final class TemplateCache: Sendable {
    /// The cache `TemplateIndex` uses unless told otherwise.
    public static let shared = TemplateCache()

    private struct Stamp: Hashable {
        var modified: Date
        var size: Int
    }

    private struct Entries {
        var templates: [String: (Stamp, TextFSMTemplate)] = [:]
        var indexes: [String: (Stamp, TemplateIndex)] = [:]
    }

    private let entries = Mutex(Entries())
    /// Entries kept per kind; past that the cache starts again (ntc-templates has about 1,000 templates).
    public let capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// The template in the file at `path`, compiled once per version of the file.
    public func template(atPath path: String) throws(TextFSMError) -> TextFSMTemplate {
        let stamp = try Self.stamp(path)
        if let (cached, template) = entries.withLock({ $0.templates[path] }), cached == stamp {
            return template
        }
        let template = try TextFSMTemplate(source: TemplateFiles.read(path), name: path)
        entries.withLock {
            if $0.templates.count >= capacity { $0.templates.removeAll() }
            $0.templates[path] = (stamp, template)
        }
        return template
    }

    /// The index `file` of `directory`, read once per version of the file.
    public func index(directory: String, file: String = "index") throws(TextFSMError) -> TemplateIndex {
        let path = TemplateFiles.join(directory, file)
        let stamp = try Self.stamp(path)
        if let (cached, index) = entries.withLock({ $0.indexes[path] }), cached == stamp {
            return index
        }
        let index = try TemplateIndex(directory: directory, file: file)
        entries.withLock {
            if $0.indexes.count >= capacity { $0.indexes.removeAll() }
            $0.indexes[path] = (stamp, index)
        }
        return index
    }

    /// Forgets every entry.
    public func removeAll() {
        entries.withLock { $0 = Entries() }
    }

    private static func stamp(_ path: String) throws(TextFSMError) -> Stamp {
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return Stamp(
                modified: attributes[.modificationDate] as? Date ?? .distantPast,
                size: (attributes[.size] as? NSNumber)?.intValue ?? -1
            )
        } catch {
            throw TextFSMError(
                kind: .unreadableFile, message: "cannot read \(path): \(error.localizedDescription)", file: path)
        }
    }
}

/// Reading template files.
enum TemplateFiles {
    static func read(_ path: String) throws(TextFSMError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TextFSMError(
                kind: .unreadableFile, message: "cannot read \(path): \(error.localizedDescription)", file: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TextFSMError(kind: .unreadableFile, message: "\(path) is not UTF-8 text", file: path)
        }
        return text
    }

    /// `os.path.join`: a name that is already absolute stands alone.
    static func join(_ directory: String, _ name: String) -> String {
        if name.hasPrefix("/") || directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
