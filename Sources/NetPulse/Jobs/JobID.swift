/// Job identifiers are `<batch id>.<index>`: a job is found through its batch without a table of
/// its own, and an id tells which batch it belongs to.
enum JobID {
    static func make(batchID: String, index: Int) -> String { batchID + "." + String(index) }

    static func parse(_ id: String) -> (batchID: String, index: Int)? {
        guard let dot = id.lastIndex(of: ".") else { return nil }
        guard let index = Int(id[id.index(after: dot)...]), index >= 0 else { return nil }
        return (String(id[..<dot]), index)
    }
}
