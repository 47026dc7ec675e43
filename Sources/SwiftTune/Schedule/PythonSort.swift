/// Python's `sorted(keys)` order for lists of up to 63 floats: the indices of `keys` in the order
/// CPython's `list.sort` puts them, NaN included. Python compares with `<` only, and a NaN is
/// neither less nor greater than anything, so with a NaN the order depends on the algorithm's
/// comparisons: for fewer than 64 items CPython's sort finds the leading run (non-descending, or
/// strictly descending and then reversed) and inserts each further item by a binary search
/// (after the last item not greater than it), which this does comparison for comparison. Longer
/// lists (CPython merges runs of them) are sorted stably; without NaN the order is the same, and
/// it is the same whenever the keys are totally ordered.
func pythonSortedIndices(_ keys: [Double]) -> [Int] {
    var order = Array(keys.indices)
    let n = order.count
    guard n >= 2 else { return order }
    if n >= 64 {
        return order.stableByPython(keys)
    }
    // The leading run (CPython's count_run).
    var run = 2
    if keys[order[1]] < keys[order[0]] {
        while run < n, keys[order[run]] < keys[order[run - 1]] { run += 1 }
        order[0..<run].reverse()
    } else {
        while run < n, !(keys[order[run]] < keys[order[run - 1]]) { run += 1 }
    }
    // CPython's binarysort: each further item goes after the last item not greater than it.
    for start in run..<n {
        let pivot = order[start]
        var lo = 0, hi = start
        while lo < hi {
            let mid = lo + (hi - lo) >> 1
            if keys[pivot] < keys[order[mid]] { hi = mid } else { lo = mid + 1 }
        }
        var i = start
        while i > lo { order[i] = order[i - 1]; i -= 1 }
        order[lo] = pivot
    }
    return order
}

extension Array where Element == Int {
    /// A stable sort of these indices by `keys` (`<` on the keys, ties in index order).
    fileprivate func stableByPython(_ keys: [Double]) -> [Int] {
        enumerated().sorted { a, b in
            if keys[a.element] < keys[b.element] { return true }
            if keys[b.element] < keys[a.element] { return false }
            return a.offset < b.offset
        }.map(\.element)
    }
}
