#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A symmetric positive-definite matrix's Cholesky factor `L` (`A = L Lᵀ`, `L` lower triangular),
/// as LAPACK's `dpotrf` computes it for scikit-learn, and the solves built on it. Matrices are
/// row-major `n × n` arrays. The Gaussian process of ``PB2`` fits and predicts with it.
struct Cholesky: Sendable {
    /// The order of the matrix.
    let n: Int
    /// The lower-triangular factor, row-major (the upper triangle is zero).
    let lower: [Double]

    /// Factors `a` (row-major `n × n`, only its lower triangle read); nil when `a` is not
    /// numerically positive definite (a pivot that is not positive, or NaN), where LAPACK fails.
    init?(_ a: [Double], n: Int) {
        precondition(a.count == n * n, "Cholesky: the matrix is not n x n")
        var l = [Double](repeating: 0, count: n * n)
        let ok = l.withUnsafeMutableBufferPointer { lp -> Bool in
            a.withUnsafeBufferPointer { ap -> Bool in
                for j in 0..<n {
                    let rj = j * n
                    var s = ap[rj + j]
                    for k in 0..<j { s -= lp[rj + k] * lp[rj + k] }
                    guard s > 0 else { return false }
                    let d = s.squareRoot()
                    lp[rj + j] = d
                    for i in (j + 1)..<Swift.max(j + 1, n) {
                        let ri = i * n
                        var t = ap[ri + j]
                        for k in 0..<j { t -= lp[ri + k] * lp[rj + k] }
                        lp[ri + j] = t / d
                    }
                }
                return true
            }
        }
        guard ok else { return nil }
        self.n = n
        lower = l
    }

    /// `L⁻¹ b` (forward substitution).
    func solveLower(_ b: [Double]) -> [Double] {
        var x = b
        lower.withUnsafeBufferPointer { l in
            for i in 0..<n {
                var s = x[i]
                let r = i * n
                for k in 0..<i { s -= l[r + k] * x[k] }
                x[i] = s / l[r + i]
            }
        }
        return x
    }

    /// `L⁻ᵀ b` (back substitution).
    func solveUpper(_ b: [Double]) -> [Double] {
        var x = b
        lower.withUnsafeBufferPointer { l in
            for i in stride(from: n - 1, through: 0, by: -1) {
                x[i] /= l[i * n + i]
                let xi = x[i]
                let r = i * n
                for k in 0..<i { x[k] -= l[r + k] * xi }
            }
        }
        return x
    }

    /// `A⁻¹ b` (SciPy's `cho_solve`).
    func solve(_ b: [Double]) -> [Double] { solveUpper(solveLower(b)) }

    /// The sum of the logarithms of the factor's diagonal (half `log det A`).
    var halfLogDeterminant: Double {
        var s = 0.0
        for i in 0..<n { s += log(lower[i * n + i]) }
        return s
    }

    /// `A⁻¹`, row-major (from `L⁻¹`: `A⁻¹ = L⁻ᵀ L⁻¹`).
    func inverse() -> [Double] {
        // u = (L⁻¹)ᵀ, upper triangular, row-major: u[j][i] = (L⁻¹)[i][j] for i >= j.
        var u = [Double](repeating: 0, count: n * n)
        u.withUnsafeMutableBufferPointer { up in
            lower.withUnsafeBufferPointer { l in
                for j in 0..<n {
                    let rj = j * n
                    up[rj + j] = 1 / l[rj + j]
                    for i in (j + 1)..<Swift.max(j + 1, n) {
                        let ri = i * n
                        var s = 0.0
                        for k in j..<i { s += l[ri + k] * up[rj + k] }
                        up[rj + i] = -s / l[ri + i]
                    }
                }
            }
        }
        // (A⁻¹)[i][j] = sum over k >= max(i, j) of u[i][k] u[j][k].
        var inv = [Double](repeating: 0, count: n * n)
        inv.withUnsafeMutableBufferPointer { ip in
            u.withUnsafeBufferPointer { up in
                for i in 0..<n {
                    let ri = i * n
                    for j in i..<n {
                        let rj = j * n
                        var s = 0.0
                        for k in j..<n { s += up[ri + k] * up[rj + k] }
                        ip[ri + j] = s
                        ip[rj + i] = s
                    }
                }
            }
        }
        return inv
    }
}
