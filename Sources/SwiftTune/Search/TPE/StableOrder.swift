/// Stable ordering of doubles for TPE, which re-sorts thousands of observations on every
/// suggestion: the value's order-preserving 64-bit key with its low bits replaced by the position
/// sorts as one `UInt64` (far faster than a comparison sort of (value, position) pairs), and an
/// insertion pass then restores exact order among values that differ only in those low bits.
/// NaN must not occur (TPE's observations are finite).
enum StableOrder {
    /// `quicksort` sorts a range with hi - lo at most this by insertion rather than partitioning
    /// it further: for so few keys insertion is faster (a common quicksort cut-off; 8 to 32 are usual).
    static let insertionSortCutoff = 16

    /// The positions of `values` in ascending order of value, ties in their original order.
    static func of(_ values: [Double]) -> [Int32] {
        let n = values.count
        if n < 2 { return n == 0 ? [] : [0] }
        let indexBits = UInt64(Int.bitWidth - (n - 1).leadingZeroBitCount)
        let mask: UInt64 = (1 << indexBits) - 1
        var keys = values.withUnsafeBufferPointer { v in
            [UInt64](unsafeUninitializedCapacity: n) { k, count in
                for i in 0..<n {
                    let bits = (v[i] + 0.0).bitPattern  // + 0.0 turns -0.0 into 0.0: they are equal
                    // Flip negatives entirely, set the sign bit of positives: unsigned order = numeric order.
                    let key = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
                    k[i] = (key & ~mask) | UInt64(i)
                }
                count = n
            }
        }
        keys.withUnsafeMutableBufferPointer { quicksort($0, 0, n - 1) }
        return values.withUnsafeBufferPointer { v in
            [Int32](unsafeUninitializedCapacity: n) { o, count in
                for i in 0..<n { o[i] = Int32(truncatingIfNeeded: keys[i] & mask) }
                // Keys that tie in their high bits are in position order; put them in value order.
                for j in 1..<n {
                    var k = j
                    let x = o[k]
                    while k > 0 && v[Int(o[k - 1])] > v[Int(x)] {
                        o[k] = o[k - 1]
                        k -= 1
                    }
                    o[k] = x
                }
                count = n
            }
        }
    }

    /// Sorts unique keys in a[lo...hi]: quicksort with median-of-three pivots, insertion sort for
    /// short ranges, recursion on the smaller side only (depth <= log2 n).
    static func quicksort(_ a: UnsafeMutableBufferPointer<UInt64>, _ lo: Int, _ hi: Int) {
        var lo = lo
        var hi = hi
        while hi - lo > insertionSortCutoff {
            let mid = lo + (hi - lo) / 2
            if a[mid] < a[lo] { a.swapAt(mid, lo) }
            if a[hi] < a[lo] { a.swapAt(hi, lo) }
            if a[hi] < a[mid] { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo
            var j = hi
            while i <= j {
                while a[i] < pivot { i += 1 }
                while a[j] > pivot { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if j - lo < hi - i {
                quicksort(a, lo, j)
                lo = i
            } else {
                quicksort(a, i, hi)
                hi = j
            }
        }
        if hi <= lo { return }
        for k in (lo + 1)...hi {
            let x = a[k]
            var m = k
            while m > lo && a[m - 1] > x {
                a[m] = a[m - 1]
                m -= 1
            }
            a[m] = x
        }
    }
}
