/// A multiset of numbers that answers "the k-th smallest" without sorting them again: the
/// values in ascending order, cut into chunks of at most ``maxChunk`` (a sorted array of
/// sorted arrays). Inserting or removing is two binary searches and a move inside one chunk; the k-th
/// smallest is a walk over the chunks' sizes, then an index. So both are O(log n + n / 1024)
/// with small constants, where sorting all n values again is O(n log n).
///
/// NaN is not ordered, so it is not kept: ``insert(_:)`` ignores it (numpy's `nanpercentile`
/// ignores NaN too). Values that compare equal (0.0 and -0.0) keep no particular order among
/// themselves, as in a sort by `<`.
struct OrderStatisticMultiset: Sendable {
    /// The most values a chunk holds; a fuller one is split in two.
    static let maxChunk = 1024

    /// The values in ascending order, chunk by chunk; no chunk is empty.
    private var chunks: [[Double]] = []
    /// Each chunk's size (kept apart so that the k-th walk reads one contiguous array).
    private var sizes: [Int] = []
    /// How many values the multiset holds (NaN never counted).
    private(set) var count = 0

    /// An empty multiset.
    init() {}

    /// Whether the multiset holds no value.
    var isEmpty: Bool { count == 0 }

    /// Adds `value`; NaN is ignored.
    mutating func insert(_ value: Double) {
        if value.isNaN { return }
        count += 1
        guard !chunks.isEmpty else {
            chunks = [[value]]
            sizes = [1]
            return
        }
        // The first chunk whose last value is greater than `value` (else the last chunk).
        var lo = 0, hi = chunks.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) >> 1
            if value < chunks[mid][chunks[mid].count - 1] { hi = mid } else { lo = mid + 1 }
        }
        let c = lo
        // After the values not greater than it, as a stable insertion would put it.
        var a = 0, b = chunks[c].count
        while a < b {
            let mid = a + (b - a) >> 1
            if value < chunks[c][mid] { b = mid } else { a = mid + 1 }
        }
        chunks[c].insert(value, at: a)
        sizes[c] += 1
        if sizes[c] > Self.maxChunk {
            let half = sizes[c] / 2
            let upper = Array(chunks[c][half...])
            chunks[c].removeSubrange(half...)
            chunks.insert(upper, at: c + 1)
            sizes[c] = half
            sizes.insert(upper.count, at: c + 1)
        }
    }

    /// Removes one value equal to `value` (0.0 and -0.0 are equal); false when none is there.
    @discardableResult
    mutating func remove(_ value: Double) -> Bool {
        if value.isNaN || chunks.isEmpty { return false }
        // The first chunk whose last value is not less than `value`.
        var lo = 0, hi = chunks.count
        while lo < hi {
            let mid = lo + (hi - lo) >> 1
            if chunks[mid][chunks[mid].count - 1] < value { lo = mid + 1 } else { hi = mid }
        }
        guard lo < chunks.count else { return false }
        let c = lo
        var a = 0, b = chunks[c].count
        while a < b {
            let mid = a + (b - a) >> 1
            if chunks[c][mid] < value { a = mid + 1 } else { b = mid }
        }
        guard a < chunks[c].count, chunks[c][a] == value else { return false }
        chunks[c].remove(at: a)
        sizes[c] -= 1
        count -= 1
        if sizes[c] == 0 {
            chunks.remove(at: c)
            sizes.remove(at: c)
        }
        return true
    }

    /// How many values are less than `value` (NaN: none). O(log n + n / 1024).
    func countLess(than value: Double) -> Int {
        if value.isNaN || chunks.isEmpty { return 0 }
        var before = 0
        for (c, chunk) in chunks.enumerated() {
            guard let last = chunk.last, last < value else {
                var a = 0, b = chunk.count
                while a < b {
                    let mid = a + (b - a) >> 1
                    if chunk[mid] < value { a = mid + 1 } else { b = mid }
                }
                return before + a
            }
            before += sizes[c]
        }
        return before
    }

    /// The `k`-th smallest value, counting from 0 (`k` must be in `0..<count`).
    func kth(_ k: Int) -> Double {
        precondition(k >= 0 && k < count, "k-th smallest out of range")
        var k = k
        for (c, size) in sizes.enumerated() {
            if k < size { return chunks[c][k] }
            k -= size
        }
        preconditionFailure("k-th smallest out of range")
    }

    /// The values in ascending order.
    var sorted: [Double] { Array(chunks.joined()) }
}

extension OrderStatisticMultiset: Equatable {
    /// The same values in the same order, however they are cut into chunks.
    static func == (a: OrderStatisticMultiset, b: OrderStatisticMultiset) -> Bool {
        a.count == b.count && a.chunks.joined().elementsEqual(b.chunks.joined()) { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }
}
