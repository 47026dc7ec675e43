/// Minimizes a smooth function of a few variables inside a box, where scikit-learn and Ray's PB2
/// call SciPy's `minimize(method="L-BFGS-B")`: the Gaussian process's hyperparameter fit and the
/// bandit's acquisition. SciPy's stopping rules and defaults (a relative decrease of at most
/// `ftol` = 1e7 x machine epsilon, a projected gradient of at most `gtol` = 1e-5 in every
/// coordinate, `maxiter`, `maxfun`, 10 correction pairs); the step is a projected L-BFGS step
/// (the two-loop recursion on the coordinates not held at a bound, then a backtracking Armijo
/// search along the projected path), not the Fortran code's Cauchy point and subspace
/// minimisation: on the smooth problems it serves, both stop at the same optimum within the
/// tolerances (`Tests/SwiftTuneTests/PB2Tests.swift` checks known optima).
struct BoundedLBFGS: Sendable {
    /// The correction pairs kept (SciPy's `maxcor`).
    var memory = 10
    /// The most iterations (SciPy's `maxiter`).
    var maxIterations = 15_000
    /// The most evaluations of the function (SciPy's `maxfun`).
    var maxEvaluations = 15_000
    /// Stop when `(f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) <= ftol` (SciPy's `ftol`).
    var ftol = 2.220446049250313e-09
    /// Stop when every coordinate of the projected gradient is at most this (SciPy's `gtol`).
    var gtol = 1e-5

    /// Where the search ended.
    struct Result: Sendable {
        /// The best point found (inside the box).
        var x: [Double]
        /// The function's value there.
        var value: Double
        /// The iterations taken.
        var iterations: Int
        /// The evaluations of the function.
        var evaluations: Int
        /// Whether a stopping rule other than a limit ended the search.
        var converged: Bool
    }

    /// Minimises `f` (value and gradient) from `x0` (clamped into the box) within
    /// `lower`...`upper`, coordinate by coordinate. A point where `f` is not finite is never
    /// accepted (the search steps back from it).
    func minimize(_ x0: [Double], lower: [Double], upper: [Double],
                  _ f: ([Double]) -> (value: Double, gradient: [Double])) -> Result {
        let n = x0.count
        precondition(lower.count == n && upper.count == n, "BoundedLBFGS: bounds of the wrong size")
        func clamp(_ v: [Double]) -> [Double] {
            var out = v
            for i in 0..<n { out[i] = Swift.min(Swift.max(v[i], lower[i]), upper[i]) }
            return out
        }
        func dot(_ a: [Double], _ b: [Double]) -> Double {
            var s = 0.0
            for i in 0..<n { s += a[i] * b[i] }
            return s
        }
        var x = clamp(x0)
        var (fx, g) = f(x)
        var evaluations = 1
        guard fx.isFinite, g.count == n, g.allSatisfy({ $0.isFinite }) else {
            return Result(x: x, value: fx, iterations: 0, evaluations: evaluations, converged: false)
        }
        var pairs: [(s: [Double], y: [Double], rho: Double)] = []
        var iterations = 0
        while iterations < maxIterations && evaluations < maxEvaluations {
            // The projected gradient, and the coordinates held at a bound.
            var projected = 0.0
            var free = [Bool](repeating: true, count: n)
            for i in 0..<n {
                let p = Swift.min(Swift.max(x[i] - g[i], lower[i]), upper[i]) - x[i]
                projected = Swift.max(projected, abs(p))
                if (x[i] <= lower[i] && g[i] > 0) || (x[i] >= upper[i] && g[i] < 0) { free[i] = false }
            }
            if projected <= gtol { return Result(x: x, value: fx, iterations: iterations, evaluations: evaluations, converged: true) }
            iterations += 1
            var d = direction(g, pairs: pairs, free: free)
            if dot(d, g) >= 0 {
                pairs.removeAll()
                d = (0..<n).map { free[$0] ? -g[$0] : 0 }
            }
            var step = 1.0
            if pairs.isEmpty {
                let norm = dot(d, d).squareRoot()
                if norm > 0 { step = Swift.min(1, 1 / norm) }
            }
            // Backtracking along the projected path.
            var accepted: (x: [Double], f: Double, g: [Double])?
            for _ in 0..<40 {
                if evaluations >= maxEvaluations { break }
                var trial = x
                for i in 0..<n { trial[i] = x[i] + step * d[i] }
                trial = clamp(trial)
                var s = trial
                for i in 0..<n { s[i] -= x[i] }
                if s.allSatisfy({ $0 == 0 }) { break }
                let (ft, gt) = f(trial)
                evaluations += 1
                if ft.isFinite, gt.count == n, gt.allSatisfy({ $0.isFinite }), ft <= fx + 1e-4 * dot(g, s) {
                    accepted = (trial, ft, gt)
                    break
                }
                step *= 0.5
            }
            guard let (nx, nf, ng) = accepted else {
                return Result(x: x, value: fx, iterations: iterations, evaluations: evaluations, converged: true)
            }
            var s = nx, y = ng
            for i in 0..<n { s[i] -= x[i]; y[i] -= g[i] }
            let sy = dot(s, y)
            if sy > 2.220446049250313e-16 * dot(y, y) {
                pairs.append((s, y, 1 / sy))
                if pairs.count > memory { pairs.removeFirst() }
            }
            let decrease = (fx - nf) / Swift.max(abs(fx), abs(nf), 1)
            x = nx
            fx = nf
            g = ng
            if decrease <= ftol { return Result(x: x, value: fx, iterations: iterations, evaluations: evaluations, converged: true) }
        }
        return Result(x: x, value: fx, iterations: iterations, evaluations: evaluations, converged: false)
    }

    /// The L-BFGS direction `-H g` (two-loop recursion), zero on the coordinates held at a bound.
    func direction(_ g: [Double], pairs: [(s: [Double], y: [Double], rho: Double)], free: [Bool]) -> [Double] {
        let n = g.count
        var q = (0..<n).map { free[$0] ? g[$0] : 0 }
        var alphas = [Double](repeating: 0, count: pairs.count)
        for k in stride(from: pairs.count - 1, through: 0, by: -1) {
            var a = 0.0
            for i in 0..<n where free[i] { a += pairs[k].s[i] * q[i] }
            a *= pairs[k].rho
            alphas[k] = a
            for i in 0..<n where free[i] { q[i] -= a * pairs[k].y[i] }
        }
        if let last = pairs.last {
            var yy = 0.0
            for i in 0..<n { yy += last.y[i] * last.y[i] }
            let gamma = yy > 0 ? 1 / (last.rho * yy) : 1
            for i in 0..<n { q[i] *= gamma }
        }
        for k in 0..<pairs.count {
            var b = 0.0
            for i in 0..<n where free[i] { b += pairs[k].y[i] * q[i] }
            b *= pairs[k].rho
            for i in 0..<n where free[i] { q[i] += pairs[k].s[i] * (alphas[k] - b) }
        }
        return (0..<n).map { free[$0] ? -q[$0] : 0 }
    }
}
