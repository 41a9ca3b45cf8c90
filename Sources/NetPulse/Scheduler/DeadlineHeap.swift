/// Every deadline of the scheduler in one binary min-heap: O(log n) push, pop and removal, the
/// earliest deadline in O(1), whatever mix of durations clients choose.
///
/// Entries that stop mattering (a job finished before its execution timeout, a batch with nothing
/// queued before its ttl, an idle session taken back into use) are removed at once, so the heap never
/// keeps a batch or a device alive. Owners remember where their entry sits: every move is reported
/// through `moved`, and ``remove(at:moved:)`` takes that position.
struct DeadlineHeap<Entry> {
    private struct Item {
        var deadline: Duration
        /// Insertion order, so equal deadlines come out first-in first-out.
        var sequence: UInt64
        var entry: Entry
    }

    private var items: [Item] = []
    private var nextSequence: UInt64 = 0

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    /// The earliest deadline.
    var next: Duration? { items.first?.deadline }

    /// Adds an entry; `moved` learns its position (and that of every entry it displaces).
    mutating func push(_ entry: Entry, at deadline: Duration, moved: (Entry, Int) -> Void) {
        nextSequence &+= 1
        items.append(Item(deadline: deadline, sequence: nextSequence, entry: entry))
        moved(entry, items.count - 1)
        siftUp(items.count - 1, moved: moved)
    }

    /// Removes the earliest entry if it is due at `now`.
    mutating func popDue(_ now: Duration, moved: (Entry, Int) -> Void) -> Entry? {
        guard let first = items.first, first.deadline <= now else { return nil }
        return remove(at: 0, moved: moved)
    }

    /// Removes the entry at `position` (as last reported through `moved`) and returns it.
    @discardableResult
    mutating func remove(at position: Int, moved: (Entry, Int) -> Void) -> Entry {
        let removed = items[position].entry
        let last = items.count - 1
        if position != last {
            items.swapAt(position, last)
            items.removeLast()
            moved(items[position].entry, position)
            if position > 0 && Self.before(items[position], items[(position - 1) / 2]) {
                siftUp(position, moved: moved)
            } else {
                siftDown(position, moved: moved)
            }
        } else {
            items.removeLast()
        }
        if items.isEmpty && items.capacity > 1024 { items = [] }
        return removed
    }

    private static func before(_ lhs: Item, _ rhs: Item) -> Bool {
        lhs.deadline < rhs.deadline || (lhs.deadline == rhs.deadline && lhs.sequence < rhs.sequence)
    }

    private mutating func siftUp(_ start: Int, moved: (Entry, Int) -> Void) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            moved(items[child].entry, child)
            moved(items[parent].entry, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int, moved: (Entry, Int) -> Void) {
        var parent = start
        let count = items.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            let right = left + 1
            let child = right < count && Self.before(items[right], items[left]) ? right : left
            guard Self.before(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            moved(items[child].entry, child)
            moved(items[parent].entry, parent)
            parent = child
        }
    }
}
