import NetPulseTextFSM
import Synchronization

/// Inline templates compiled once per process, by their text: a batch of thousands of devices with one
/// inline template compiles it once (two jobs that miss at the same moment may both compile it). A
/// template that does not compile is kept too, with its error.
final class InlineTemplates: Sendable {
    private let entries = Mutex<[String: Result<TextFSMTemplate, TextFSMError>]>([:])
    /// Templates kept at once; past that the cache starts again.
    let capacity: Int

    init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
    }

    /// The compiled template, or the error that its compilation gave.
    func template(_ text: String) throws(TextFSMError) -> TextFSMTemplate {
        if let known = entries.withLock({ $0[text] }) { return try known.get() }
        let compiled = Result { () throws(TextFSMError) in try TextFSMTemplate(source: text, name: "inline template") }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll() }
            entries[text] = compiled
        }
        return try compiled.get()
    }

    /// How many templates are kept (for tests).
    var count: Int { entries.withLock { $0.count } }
}
