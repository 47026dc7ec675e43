/// A set of trial indices (places in the engine's creation-ordered trial table) kept in
/// ascending order: what a scan of the table in creation order would list, without the scan.
/// Inserting the newest trial is O(1); inserting or removing another is a binary search and a
/// move of the indices after it (small: the engine keeps one per status that waits, PENDING and
/// PAUSED).
struct TrialIndexSet: Sendable, Equatable, Sequence {
    /// The indices, ascending.
    private(set) var indices: [Int] = []

    /// An empty set.
    init() {}

    /// How many indices the set holds.
    var count: Int { indices.count }
    /// Whether the set is empty.
    var isEmpty: Bool { indices.isEmpty }
    /// The smallest index (the earliest trial), nil when empty.
    var first: Int? { indices.first }

    /// Where `i` is, or would be inserted, in ``indices``.
    private func position(_ i: Int) -> Int {
        var lo = 0, hi = indices.count
        while lo < hi {
            let mid = lo + (hi - lo) >> 1
            if indices[mid] < i { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Whether `i` is in the set.
    func contains(_ i: Int) -> Bool {
        let p = position(i)
        return p < indices.count && indices[p] == i
    }

    /// Adds `i` (nothing if it is there).
    mutating func insert(_ i: Int) {
        if let last = indices.last, last < i {
            indices.append(i)
            return
        }
        let p = position(i)
        if p < indices.count && indices[p] == i { return }
        indices.insert(i, at: p)
    }

    /// Removes `i` (nothing if it is not there).
    mutating func remove(_ i: Int) {
        let p = position(i)
        if p < indices.count && indices[p] == i { indices.remove(at: p) }
    }

    /// The indices in ascending order.
    func makeIterator() -> IndexingIterator<[Int]> { indices.makeIterator() }
}
