#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// statsmodels' `KDEMultivariate(data, var_type, bw="normal_reference")` as BOHB uses it: a
/// product-kernel density over continuous (`c`, Gaussian kernel) and unordered (`u`,
/// Aitchison-Aitken kernel) columns, with the normal-reference bandwidth of every column.
///
/// The arithmetic follows statsmodels and NumPy step by step (column sums in row order, NumPy's
/// pairwise summation over the rows of `pdf`), so densities agree with statsmodels to rounding.
struct KernelDensity: Sendable, Equatable {
    /// A column's kind, statsmodels' `var_type` letter.
    enum VarType: Character, Sendable, Equatable {
        /// `c`: continuous, Gaussian kernel.
        case continuous = "c"
        /// `u`: unordered discrete, Aitchison-Aitken kernel.
        case unordered = "u"
    }

    /// The training data, one row per observation.
    let data: [[Double]]
    /// Each column's kind.
    let types: [VarType]
    /// Each column's bandwidth (BOHB clips it below after the fit, hence `var`).
    var bandwidth: [Double]
    /// Each column's number of distinct values in `data` (statsmodels' `num_levels` of the
    /// Aitchison-Aitken kernel when none is given); used for the unordered columns only.
    let levels: [Int]

    /// The number of observations (`nobs`).
    var count: Int { data.count }

    /// Fits the density: statsmodels' `_normal_reference`, 1.06 * std(column) * n^(-1/(4 + d)),
    /// with the population standard deviation (NumPy's `std`, ddof 0), for every column whatever
    /// its kind. Nil where statsmodels raises: no more observations than columns. O(n * d).
    init?(data: [[Double]], types: [VarType]) {
        let n = data.count, d = types.count
        guard n > d, data.allSatisfy({ $0.count == d }) else { return nil }
        self.data = data
        self.types = types
        let factor = pow(Double(n), -1.0 / Double(4 + d))
        var bw: [Double] = []
        var levels: [Int] = []
        bw.reserveCapacity(d)
        for j in 0..<d {
            // NumPy reduces a C-ordered array along axis 0 row by row: a plain running sum.
            var sum = 0.0
            for row in data { sum += row[j] }
            let mean = sum / Double(n)
            var squares = 0.0
            for row in data {
                let x = row[j] - mean
                squares += x * x
            }
            bw.append(1.06 * (squares / Double(n)).squareRoot() * factor)
            levels.append(Self.distinctCount(data.map { $0[j] }))
        }
        bandwidth = bw
        self.levels = levels
    }

    /// NumPy's `np.unique(column).size`: NaNs count as one value (NumPy >= 1.21 collapses them).
    static func distinctCount(_ column: [Double]) -> Int {
        let sorted = column.filter { !$0.isNaN }.sorted()
        var count = column.count > sorted.count ? 1 : 0
        var previous: Double? = nil
        for x in sorted where x != previous {
            count += 1
            previous = x
        }
        return count
    }

    /// The density at `x` (statsmodels' `pdf` at one point): the mean over the observations of the
    /// product of the column kernels, divided by the product of the continuous bandwidths.
    /// O(n * d).
    func pdf(_ x: [Double]) -> Double {
        let d = types.count
        var continuousProduct = 1.0
        for j in 0..<d where types[j] == .continuous { continuousProduct *= bandwidth[j] }
        var terms: [Double] = []
        terms.reserveCapacity(data.count)
        for row in data {
            var k = 1.0
            for j in 0..<d {
                switch types[j] {
                case .continuous: k *= Self.gaussian(bandwidth[j], row[j], x[j])
                case .unordered: k *= Self.aitchisonAitken(bandwidth[j], row[j], x[j], levels: levels[j])
                }
            }
            terms.append(k / continuousProduct)
        }
        return Self.pairwiseSum(terms[...]) / Double(data.count)
    }

    /// statsmodels' `kernels.gaussian`: the standard normal density at (xi - x) / h, not yet
    /// divided by h (`gpke` divides by the product of the bandwidths).
    static func gaussian(_ h: Double, _ xi: Double, _ x: Double) -> Double {
        let diff = xi - x
        return (1.0 / (2.0 * Double.pi).squareRoot()) * exp(-(diff * diff) / (h * h * 2.0))
    }

    /// statsmodels' `kernels.aitchison_aitken`: 1 - h where the observation equals `x`, else
    /// h / (levels - 1) (infinite when the column has a single value, as in NumPy).
    static func aitchisonAitken(_ h: Double, _ xi: Double, _ x: Double, levels: Int) -> Double {
        xi == x ? 1 - h : h / Double(levels - 1)
    }

    /// NumPy's pairwise summation of a contiguous float64 array (`pairwise_sum_DOUBLE`): blocks
    /// of at most 128 summed with eight accumulators, larger arrays split in halves (multiples
    /// of 8), starting from the identity 0.
    static func pairwiseSum(_ a: ArraySlice<Double>) -> Double {
        let n = a.count
        let s = a.startIndex
        if n < 8 {
            var r = 0.0
            for x in a { r += x }
            return r
        }
        if n <= 128 {
            var r = (a[s], a[s + 1], a[s + 2], a[s + 3], a[s + 4], a[s + 5], a[s + 6], a[s + 7])
            var i = 8
            while i < n - n % 8 {
                r.0 += a[s + i]; r.1 += a[s + i + 1]; r.2 += a[s + i + 2]; r.3 += a[s + i + 3]
                r.4 += a[s + i + 4]; r.5 += a[s + i + 5]; r.6 += a[s + i + 6]; r.7 += a[s + i + 7]
                i += 8
            }
            var res = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
            while i < n {
                res += a[s + i]
                i += 1
            }
            return res
        }
        var half = n / 2
        half -= half % 8
        return pairwiseSum(a[s..<(s + half)]) + pairwiseSum(a[(s + half)...])
    }
}
