/// Minimizes a smooth function of a few variables inside a box, where scikit-learn and Ray's PB2
/// call SciPy's `minimize(method="L-BFGS-B")`: the Gaussian process's hyperparameter fit and the
/// bandit's acquisition.
///
/// This is the L-BFGS-B algorithm (Byrd, Lu, Nocedal & Zhu 1995; Zhu, Byrd, Lu & Nocedal 1997) in
/// its version 3.0 (Morales & Nocedal 2011) as SciPy 1.17 runs it (`scipy/optimize/__lbfgsb.c`
/// driven by `_lbfgsb_py.py`), step for step, so that from the same start, bounds and function it
/// visits the same iterates and stops at the same point for the same reason:
///
/// 1. The generalized Cauchy point: the first local minimizer of the quadratic model along the
///    projected steepest-descent path, with the compact limited-memory matrix
///    `B = theta I - W M W'` (`W = [Y, theta S]`).
/// 2. Subspace minimization over the variables the Cauchy point left free (the direct primal
///    method), then the v3.0 projection of that step onto the box; when the projected point is not
///    a descent direction, the step is instead truncated at the first bound it meets.
/// 3. A Moré–Thuente line search (MINPACK-2's `dcsrch`/`dcstep`, `ftol` 1e-3, `gtol` 0.9,
///    `xtol` 0.1) along `d = z - x`, at most ``maxLineSearchSteps`` evaluations, from step 1 (on the
///    first iteration, when not every variable is boxed on both sides, `min(1/|d|, stpmax)`); a
///    failed search clears the memory and starts over from the Cauchy point, or, when the memory
///    was already empty, ends the run ("ABNORMAL").
/// 4. The stopping tests after each iteration: SciPy's `maxiter` and `maxfun` (the latter counted
///    as SciPy counts `nfev`, and only checked between iterations), then a projected gradient of at
///    most ``gtol`` in every coordinate, then `(f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) <= ftol`.
/// 5. The memory update `(s, y)`, skipped when `s'y <= epsilon * (-g's)`.
///
/// Without a gradient (``minimize(_:lower:upper:valueOnly:)``) the gradient is SciPy's two-point
/// forward difference with absolute step ``finiteDifferenceStep``, stepping backwards where a
/// forward step would leave the box, and its evaluations count against ``maxEvaluations``.
///
/// Differences from SciPy are at the level of floating-point rounding. SciPy's C code calls
/// OpenBLAS for its vector operations; these follow the x86-64 kernels' arithmetic for short
/// vectors (`ddot` and `daxpy` as fused multiply-adds in order, `dnrm2` in extended precision),
/// while the small Cholesky factorizations and triangular solves (`dpotrf`, `dtrtrs`) are plain
/// loops that can differ from OpenBLAS's in the last bit.
/// `Tests/SwiftTuneTests/BoundedLBFGSTests.swift` compares the iterates with SciPy's.
struct BoundedLBFGS: Sendable {
    /// The correction pairs kept (SciPy's `maxcor`).
    var memory = 10
    /// The most iterations (SciPy's `maxiter`).
    var maxIterations = 15_000
    /// The most evaluations of the function (SciPy's `maxfun`); as in SciPy, checked only at the
    /// end of an iteration, so a line search may overrun it.
    var maxEvaluations = 15_000
    /// Stop when `(f_k - f_k+1) / max(|f_k|, |f_k+1|, 1) <= ftol` (SciPy's `ftol`, `factr` times
    /// machine epsilon).
    var ftol = 2.220446049250313e-09
    /// Stop when every coordinate of the projected gradient is at most this (SciPy's `gtol`).
    var gtol = 1e-5
    /// The most function evaluations in one line search (SciPy's `maxls`).
    var maxLineSearchSteps = 20
    /// The absolute step of the forward differences when no gradient is given (SciPy's `eps`).
    var finiteDifferenceStep = 1e-8
    /// Whether ``Result/iterates`` records the point after every iteration (what SciPy's
    /// `callback` receives).
    var recordsIterates = false

    /// Why a run ended, with SciPy's `message` and `status`.
    enum Termination: Sendable, Equatable {
        /// Every coordinate of the projected gradient is at most `gtol`.
        case projectedGradient
        /// The relative reduction of the function was at most `ftol`.
        case relativeReduction
        /// More than `maxEvaluations` evaluations had been made at the end of an iteration.
        case evaluationLimit
        /// `maxIterations` iterations were made.
        case iterationLimit
        /// The line search failed with an empty memory.
        case abnormal
        /// A lower bound exceeds its upper bound (SciPy raises `ValueError` here).
        case infeasibleBounds
        /// The function returned a gradient of the wrong length (SciPy would raise).
        case invalidGradient

        /// SciPy's `OptimizeResult.message` for this ending.
        var message: String {
            switch self {
            case .projectedGradient: return "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL"
            case .relativeReduction: return "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH"
            case .evaluationLimit: return "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"
            case .iterationLimit: return "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
            case .abnormal: return "ABNORMAL: "
            case .infeasibleBounds: return "ERROR: NO FEASIBLE SOLUTION"
            case .invalidGradient: return "ERROR: THE GRADIENT HAS THE WRONG LENGTH"
            }
        }
    }

    /// Where the search ended (SciPy's `OptimizeResult`).
    struct Result: Sendable {
        /// The last accepted iterate (inside the box): SciPy's `x`.
        var x: [Double]
        /// SciPy's `fun`: the value at `x`, except after a failed line search ("ABNORMAL"), where,
        /// as SciPy reports it, it is the value at the last point evaluated.
        var value: Double
        /// The iterations completed (SciPy's `nit`).
        var iterations: Int
        /// The evaluations of the function, as SciPy counts `nfev`: one per distinct point, plus
        /// one per coordinate for a finite-difference gradient.
        var evaluations: Int
        /// SciPy's `success`: a convergence test ended the search (`status` 0).
        var converged: Bool
        /// The gradient at `x` (SciPy's `jac`).
        var gradient: [Double]
        /// Why the search ended.
        var termination: Termination
        /// SciPy's `status`: 0 converged, 1 a limit was reached, 2 otherwise.
        var status: Int
        /// The point after each iteration, when ``BoundedLBFGS/recordsIterates`` is set.
        var iterates: [[Double]]
    }

    /// Minimises `f` (value and gradient) from `x0` (clipped into the box) within
    /// `lower`...`upper`, coordinate by coordinate; an infinite bound leaves that side open.
    func minimize(_ x0: [Double], lower: [Double], upper: [Double],
                  _ f: ([Double]) -> (value: Double, gradient: [Double])) -> Result {
        let n = x0.count
        return solve(x0, lower: lower, upper: upper) { x in
            let (value, gradient) = f(x)
            return (value, gradient.count == n ? gradient : nil, 1)
        }
    }

    /// Minimises `f` (value only) from `x0` (clipped into the box) within `lower`...`upper`, with
    /// SciPy's finite-difference gradient (see ``forwardDifferenceGradient(_:at:value:lower:upper:)``),
    /// as `minimize(fun, x0, bounds=..., method="L-BFGS-B")` runs when no `jac` is given.
    func minimize(_ x0: [Double], lower: [Double], upper: [Double],
                  valueOnly f: ([Double]) -> Double) -> Result {
        solve(x0, lower: lower, upper: upper) { x in
            let value = f(x)
            let gradient = forwardDifferenceGradient(f, at: x, value: value, lower: lower, upper: upper)
            return (value, gradient, 1 + x.count)
        }
    }

    /// SciPy's `approx_derivative(f, x, method="2-point", abs_step=eps, f0=value, bounds=...)`:
    /// coordinate `i` steps by `eps` (or, where `x_i + eps` rounds back to `x_i`,
    /// `sqrt(machine epsilon) * max(1, |x_i|)` away from zero); a step that would leave the box is
    /// taken backwards when that fits, and otherwise goes to the farther bound. The derivative is
    /// `(f(x + h e_i) - f(x)) / ((x_i + h) - x_i)`.
    func forwardDifferenceGradient(_ f: ([Double]) -> Double, at x: [Double], value: Double,
                                   lower: [Double], upper: [Double]) -> [Double] {
        let n = x.count
        let relative = Double.ulpOfOne.squareRoot()
        var h = [Double](repeating: finiteDifferenceStep, count: n)
        for i in 0..<n where (x[i] + h[i]) - x[i] == 0 {
            h[i] = relative * (x[i] >= 0 ? 1 : -1) * Swift.max(1, abs(x[i]))
        }
        let unbounded = (0..<n).allSatisfy { lower[$0] == -.infinity && upper[$0] == .infinity }
        if !unbounded {
            for i in 0..<n {
                let below = x[i] - lower[i], above = upper[i] - x[i]
                let trial = x[i] + h[i]
                let violated = trial < lower[i] || trial > upper[i]
                let fitting = abs(h[i]) <= Swift.max(below, above)
                if violated && fitting {
                    h[i] = -h[i]
                } else if !fitting {
                    h[i] = above >= below ? above : -below
                }
            }
        }
        var gradient = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var shifted = x
            shifted[i] = x[i] + h[i]
            gradient[i] = (f(shifted) - value) / ((x[i] + h[i]) - x[i])
        }
        return gradient
    }

    /// The driver (SciPy's `_minimize_lbfgsb` loop around `setulb`): evaluates through a one-point
    /// cache as SciPy's `ScalarFunction` does, runs the iterations, and applies the limits between
    /// them. `evaluate` returns the value, the gradient (nil when malformed) and the evaluations it
    /// made.
    private func solve(_ x0: [Double], lower: [Double], upper: [Double],
                       _ evaluate: ([Double]) -> (Double, [Double]?, Int)) -> Result {
        let n = x0.count
        precondition(lower.count == n && upper.count == n, "BoundedLBFGS: bounds of the wrong size")
        var x = x0
        for i in 0..<n { x[i] = Swift.min(Swift.max(x0[i], lower[i]), upper[i]) }
        if (0..<n).contains(where: { lower[$0] > upper[$0] }) || n == 0 || memory <= 0 {
            return Result(x: x, value: .nan, iterations: 0, evaluations: 0, converged: false,
                          gradient: [Double](repeating: .nan, count: n), termination: .infeasibleBounds,
                          status: 2, iterates: [])
        }

        // SciPy's ScalarFunction: a point equal to the last one evaluated is not evaluated again.
        var evaluations = 0
        var cachedX: [Double] = []
        var cachedValue = 0.0
        var cachedGradient: [Double] = []
        var lastValue = 0.0
        func valueAndGradient(_ point: [Double]) -> (Double, [Double])? {
            if point != cachedX {
                let (value, gradient, count) = evaluate(point)
                evaluations += count
                guard let gradient else { return nil }
                cachedX = point
                cachedValue = value
                cachedGradient = gradient
            }
            lastValue = cachedValue
            return (cachedValue, cachedGradient)
        }

        var state = LBFGSBState(n: n, memory: memory, lower: lower, upper: upper, x: x)
        var iterations = 0
        var iterates: [[Double]] = []
        func finish(_ termination: Termination) -> Result {
            let status: Int
            switch termination {
            case .projectedGradient, .relativeReduction: status = 0
            default: status = evaluations > maxEvaluations || iterations >= maxIterations ? 1 : 2
            }
            return Result(x: state.x, value: lastValue, iterations: iterations, evaluations: evaluations,
                          converged: status == 0, gradient: state.g, termination: termination,
                          status: status, iterates: iterates)
        }

        guard let (f0, g0) = valueAndGradient(state.x) else { return finish(.invalidGradient) }
        state.f = f0
        state.g = g0
        var projectedNorm = state.projectedGradientNorm()
        if projectedNorm <= gtol { return finish(.projectedGradient) }

        while true {
            // One iteration: search point, line search (restarting with an empty memory when it
            // fails), then the tests and the memory update.
            var search: LineSearchOutcome
            repeat {
                let z = state.searchPoint()
                search = state.lineSearch(toward: z, maxSteps: maxLineSearchSteps, valueAndGradient)
                if case .invalidGradient = search { return finish(.invalidGradient) }
                if case .failed = search {
                    // Back to the start of the line search (SciPy restores x and g, not its f).
                    if state.memory.columns == 0 {
                        state.iteration += 1
                        return finish(.abnormal)
                    }
                    state.memory.reset()
                }
            } while !search.accepted

            state.iteration += 1
            projectedNorm = state.projectedGradientNorm()
            iterations += 1
            if recordsIterates { iterates.append(state.x) }
            if iterations >= maxIterations { return finish(.iterationLimit) }
            if evaluations > maxEvaluations { return finish(.evaluationLimit) }
            if projectedNorm <= gtol { return finish(.projectedGradient) }
            let scale = cfmax(cfmax(abs(state.previousValue), abs(state.f)), 1)
            if state.previousValue - state.f <= ftol * scale { return finish(.relativeReduction) }
            state.updateMemory()
        }
    }
}

/// C's `fmax`: the larger of two numbers, or the one that is not NaN.
private func cfmax(_ a: Double, _ b: Double) -> Double {
    if a.isNaN { return b }
    if b.isNaN { return a }
    return a > b ? a : b
}

/// C's `fmin`: the smaller of two numbers, or the one that is not NaN.
private func cfmin(_ a: Double, _ b: Double) -> Double {
    if a.isNaN { return b }
    if b.isNaN { return a }
    return a < b ? a : b
}

/// The inner product of the first `count` entries of two vectors, as SciPy's OpenBLAS `ddot`
/// computes it for short vectors: one fused multiply-add per term, in order.
private func dot(_ a: [Double], _ b: [Double], count: Int) -> Double {
    var s = 0.0
    for i in 0..<count { s = s.addingProduct(b[i], a[i]) }
    return s
}

/// `y += alpha x` over the first `count` entries, as OpenBLAS's `daxpy` (fused multiply-adds).
private func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double], count: Int) {
    for i in 0..<count { y[i] = y[i].addingProduct(alpha, x[i]) }
}

/// The Euclidean norm, as OpenBLAS's x86-64 `dnrm2` computes it: the sum of squares and the
/// square root in extended precision, rounded once.
private func norm(_ a: [Double]) -> Double {
#if arch(x86_64) && !os(Windows)
    var s: Float80 = 0
    for v in a { s += Float80(v) * Float80(v) }
    return Double(s.squareRoot())
#else
    var s = 0.0
    for v in a { s = s.addingProduct(v, v) }
    return s.squareRoot()
#endif
}

/// A square matrix stored by columns.
private struct SquareMatrix {
    /// The number of rows (and columns).
    let size: Int
    /// The entries, column after column.
    var entries: [Double]

    /// A zero matrix of `size` rows and columns.
    init(size: Int) {
        self.size = size
        entries = [Double](repeating: 0, count: size * size)
    }

    /// The entry in row `i`, column `j`.
    subscript(_ i: Int, _ j: Int) -> Double {
        get { entries[i + size * j] }
        set { entries[i + size * j] = newValue }
    }

    /// Factors the block of `count` rows and columns from (`offset`, `offset`) as `U'U` with `U`
    /// upper triangular, written over the block's upper triangle (LAPACK's `dpotrf('U')`, in the
    /// order of OpenBLAS's unblocked `potf2`: fused inner products, rows scaled by the pivot's
    /// reciprocal). Returns false when the block is not positive definite (a pivot not above
    /// zero, or NaN).
    mutating func choleskyUpper(offset: Int, count: Int) -> Bool {
        for j in 0..<count {
            let jj = offset + j
            var squares = 0.0
            for k in 0..<j { squares = squares.addingProduct(self[offset + k, jj], self[offset + k, jj]) }
            let pivot = self[jj, jj] - squares
            guard pivot > 0, !pivot.isNaN else { return false }
            let root = pivot.squareRoot()
            self[jj, jj] = root
            let scale = 1 / root
            for i in (j + 1)..<Swift.max(j + 1, count) {
                let ii = offset + i
                var sum = 0.0
                for k in 0..<j { sum = sum.addingProduct(self[offset + k, ii], self[offset + k, jj]) }
                self[jj, ii] = (self[jj, ii] - sum) * scale
            }
        }
        return true
    }

    /// Solves `U' v = b` (`transposed`) or `U v = b` in place, `U` the upper triangle of the
    /// leading `count` rows and columns (LAPACK's `dtrtrs('U')`; fused inner products). Returns
    /// false when a diagonal entry is zero.
    func solveUpper(_ b: inout [Double], count: Int, transposed: Bool, offset: Int = 0) -> Bool {
        for i in 0..<count where self[i, i] == 0 { return false }
        if transposed {
            for i in 0..<count {
                var sum = 0.0
                for k in 0..<i { sum = sum.addingProduct(self[k, i], b[offset + k]) }
                b[offset + i] = (b[offset + i] - sum) * (1 / self[i, i])
            }
        } else {
            for i in stride(from: count - 1, through: 0, by: -1) {
                var sum = 0.0
                for k in (i + 1)..<Swift.max(i + 1, count) { sum = sum.addingProduct(self[i, k], b[offset + k]) }
                b[offset + i] = (b[offset + i] - sum) * (1 / self[i, i])
            }
        }
        return true
    }
}

/// Where a variable stands in the current iteration (the Fortran code's `iwhere`).
private enum Placement: Equatable {
    /// No finite bound: always free (-1).
    case unbounded
    /// Free to move (0).
    case free
    /// Free, with a zero gradient (-3).
    case stationary
    /// Held at its lower bound (1).
    case atLower
    /// Held at its upper bound (2).
    case atUpper
    /// Its bounds are equal (3).
    case fixed

    /// Whether the variable belongs to the free set (`iwhere <= 0`).
    var isFree: Bool { self == .unbounded || self == .free || self == .stationary }
}

/// The limited-memory matrix `B = theta I - W M W'` in compact form: the correction pairs and
/// the small matrices built from them (the Fortran code's `ws`, `wy`, `sy`, `ss`, `wt`).
private struct CompactMemory {
    /// The most pairs kept.
    let capacity: Int
    /// The steps `s`, a ring of `capacity` slots.
    var s: [[Double]]
    /// The gradient changes `y`, in the same slots.
    var y: [[Double]]
    /// `S'Y` (entry (i, j) is `s_i . y_j`, oldest first; the lower triangle is kept).
    var sy: SquareMatrix
    /// `S'S` (the upper triangle is kept).
    var ss: SquareMatrix
    /// The upper Cholesky factor of `theta S'S + L D^-1 L'`.
    var wt: SquareMatrix
    /// The scaling `theta = y'y / s'y` of the latest pair.
    var theta = 1.0
    /// The pairs held (`col`).
    var columns = 0
    /// The slot of the oldest pair (`head`).
    var head = 0
    /// The slot of the newest pair (`itail`).
    var tail = 0
    /// The pairs added since the last reset (`iupdat`).
    var updates = 0
    /// Whether the last iteration added a pair (`updatd`).
    var updated = false

    /// An empty memory for `capacity` pairs of vectors of length `n`.
    init(n: Int, capacity: Int) {
        self.capacity = capacity
        s = [[Double]](repeating: [Double](repeating: 0, count: n), count: capacity)
        y = s
        sy = SquareMatrix(size: capacity)
        ss = SquareMatrix(size: capacity)
        wt = SquareMatrix(size: capacity)
    }

    /// Forgets every pair (the code's restart: `col = head = iupdat = 0`, `theta = 1`).
    mutating func reset() {
        columns = 0
        head = 0
        theta = 1
        updates = 0
        updated = false
    }

    /// The slot of the `k`-th pair, oldest first.
    func slot(_ k: Int) -> Int { (head + k) % capacity }

    /// The product `M v` of the middle matrix with a vector of `2 * columns` entries (`bmv`), or
    /// nil when a triangular solve fails.
    func middleProduct(_ v: [Double]) -> [Double]? {
        let col = columns
        var p = [Double](repeating: 0, count: 2 * col)
        if col == 0 { return p }
        p[col] = v[col]
        for i in 1..<Swift.max(1, col) {
            var sum = 0.0
            for k in 0..<i { sum = sum + sy[i, k] * v[k] / sy[k, k] }
            p[col + i] = v[col + i] + sum
        }
        guard wt.solveUpper(&p, count: col, transposed: true, offset: col) else { return nil }
        for i in 0..<col { p[i] = v[i] / sy[i, i].squareRoot() }
        guard wt.solveUpper(&p, count: col, transposed: false, offset: col) else { return nil }
        for i in 0..<col { p[i] = -p[i] / sy[i, i].squareRoot() }
        for i in 0..<col {
            var sum = 0.0
            for k in (i + 1)..<Swift.max(i + 1, col) { sum = sum + sy[k, i] * p[col + k] / sy[i, i] }
            p[i] = p[i] + sum
        }
        return p
    }

    /// Adds the pair (`step`, `change`) (`matupd`), dropping the oldest when full: `rr` is
    /// `|y|^2`, `dr` is `s'y`, `dtd` the squared length of the unscaled direction.
    mutating func add(step: [Double], change: [Double], rr: Double, dr: Double, stp: Double, dtd: Double) {
        let m = capacity
        if updates <= m {
            columns = updates
            tail = (head + updates - 1) % m
        } else {
            tail = (tail + 1) % m
            head = (head + 1) % m
        }
        s[tail] = step
        y[tail] = change
        theta = rr / dr
        let col = columns
        if updates > m {
            // Move the kept part of S'S (upper) and S'Y (lower) one place up and left.
            for j in 1..<Swift.max(1, col) {
                for k in 0..<j { ss[k, j - 1] = ss[k + 1, j] }
                for k in 0..<(col - j) { sy[j - 1 + k, j - 1] = sy[j + k, j] }
            }
        }
        let n = step.count
        for j in 0..<(col - 1) {
            let p = slot(j)
            sy[col - 1, j] = dot(step, y[p], count: n)
            ss[j, col - 1] = dot(s[p], step, count: n)
        }
        ss[col - 1, col - 1] = stp == 1 ? dtd : stp * stp * dtd
        sy[col - 1, col - 1] = dr
    }

    /// Forms and factors `T = theta S'S + L D^-1 L'` into ``wt`` (`formt`); false when it is not
    /// positive definite.
    mutating func formT() -> Bool {
        let col = columns
        for j in 0..<col { wt[0, j] = theta * ss[0, j] }
        for i in 1..<Swift.max(1, col) {
            for j in i..<col {
                let k1 = Swift.min(i, j)
                var sum = 0.0
                for k in 0..<k1 { sum = sum + (sy[i, k] * sy[j, k]) / sy[k, k] }
                wt[i, j] = sum + theta * ss[i, j]
            }
        }
        return wt.choleskyUpper(offset: 0, count: col)
    }
}

/// How a line search ended.
private enum LineSearchOutcome {
    /// A step satisfied the search (or the search stopped with a warning): the new iterate.
    case accepted
    /// The search failed (no descent, or `maxls` evaluations); `x` and `g` are restored.
    case failed
    /// The function returned a malformed gradient.
    case invalidGradient

    /// Whether the iterate moved.
    var accepted: Bool { if case .accepted = self { return true } else { return false } }
}

/// MINPACK-2's `dcsrch`: the Moré–Thuente search for a step satisfying the strong Wolfe
/// conditions, driven by reverse communication, its state kept between calls (and, as in the
/// Fortran code, between searches).
private struct MoreThuente {
    /// What the caller should do next.
    enum Task: Equatable {
        /// A new search (set by the caller).
        case start
        /// Evaluate the function at the returned step.
        case evaluate
        /// The step satisfies the conditions.
        case converged
        /// The search cannot make progress (rounding, `xtol`, `stpmax`, `stpmin`).
        case warning
        /// The arguments are invalid.
        case error
    }

    /// The task after the last call.
    var task = Task.start
    /// Whether a minimizer has been bracketed.
    var bracketed = false
    /// Stage 1 until a step has a sufficient decrease and a non-negative derivative.
    var stage = 1
    /// The value and derivative at step 0, and `ftol * ginit`.
    var finit = 0.0, ginit = 0.0, gtest = 0.0
    /// The best step so far, its value and derivative.
    var stx = 0.0, fx = 0.0, gx = 0.0
    /// The other end of the interval, its value and derivative.
    var sty = 0.0, fy = 0.0, gy = 0.0
    /// The interval the next step must lie in.
    var stmin = 0.0, stmax = 0.0
    /// The interval's width now and before (for the bisection safeguard).
    var width = 0.0, width1 = 0.0

    /// One call: `f`, `g` are the value and directional derivative at `stp`; on return `stp` is
    /// the next step to evaluate (``task`` `.evaluate`) or the final one.
    mutating func advance(f: Double, g: Double, stp: inout Double, ftol: Double, gtol: Double,
                          xtol: Double, stpmin: Double, stpmax: Double) {
        let xtrapl = 1.1, xtrapu = 4.0
        if task == .start {
            if stp < stpmin || stp > stpmax || g >= 0 || ftol < 0 || gtol < 0 || xtol < 0
                || stpmin < 0 || stpmax < stpmin {
                task = .error
                return
            }
            bracketed = false
            stage = 1
            finit = f
            ginit = g
            gtest = ftol * ginit
            width = stpmax - stpmin
            width1 = width / 0.5
            stx = 0; fx = finit; gx = ginit
            sty = 0; fy = finit; gy = ginit
            stmin = 0
            stmax = stp + xtrapu * stp
            task = .evaluate
            return
        }
        let ftest = finit + stp * gtest
        if stage == 1 && f <= ftest && g >= 0 { stage = 2 }
        if bracketed && (stp <= stmin || stp >= stmax) { task = .warning }
        if bracketed && stmax - stmin <= xtol * stmax { task = .warning }
        if stp == stpmax && f <= ftest && g <= gtest { task = .warning }
        if stp == stpmin && (f > ftest || g >= gtest) { task = .warning }
        if f <= ftest && abs(g) <= gtol * (-ginit) { task = .converged }
        if task == .warning || task == .converged { return }

        if stage == 1 && f <= fx && f > ftest {
            // The modified function psi(stp) = f(stp) - f(0) - stp * ftol * f'(0).
            var fxm = fx - stx * gtest, fym = fy - sty * gtest
            var gxm = gx - gtest, gym = gy - gtest
            let fm = f - stp * gtest, gm = g - gtest
            Self.step(stx: &stx, fx: &fxm, dx: &gxm, sty: &sty, fy: &fym, dy: &gym, stp: &stp,
                      fp: fm, dp: gm, bracketed: &bracketed, stpmin: stmin, stpmax: stmax)
            fx = fxm + stx * gtest
            fy = fym + sty * gtest
            gx = gxm + gtest
            gy = gym + gtest
        } else {
            Self.step(stx: &stx, fx: &fx, dx: &gx, sty: &sty, fy: &fy, dy: &gy, stp: &stp,
                      fp: f, dp: g, bracketed: &bracketed, stpmin: stmin, stpmax: stmax)
        }
        if bracketed {
            // Bisect when the interval did not shrink enough in two steps.
            if abs(sty - stx) >= 0.66 * width1 { stp = stx + 0.5 * (sty - stx) }
            width1 = width
            width = abs(sty - stx)
        }
        if bracketed {
            stmin = cfmin(stx, sty)
            stmax = cfmax(stx, sty)
        } else {
            stmin = stp + xtrapl * (stp - stx)
            stmax = stp + xtrapu * (stp - stx)
        }
        stp = cfmax(stp, stpmin)
        stp = cfmin(stp, stpmax)
        if (bracketed && (stp <= stmin || stp >= stmax)) || (bracketed && stmax - stmin <= xtol * stmax) {
            stp = stx
        }
        task = .evaluate
    }

    /// MINPACK-2's `dcstep`: the safeguarded cubic or quadratic step from the interval
    /// (`stx`, `sty`) and the trial `stp`, and the interval's update.
    static func step(stx: inout Double, fx: inout Double, dx: inout Double,
                     sty: inout Double, fy: inout Double, dy: inout Double,
                     stp: inout Double, fp: Double, dp: Double, bracketed: inout Bool,
                     stpmin: Double, stpmax: Double) {
        let sgnd = dp * (dx / abs(dx))
        var stpf: Double
        if fp > fx {
            // A higher value: the minimum is bracketed; the cubic step, or halfway to the quadratic.
            let theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
            let s = cfmax(abs(theta), cfmax(abs(dx), abs(dp)))
            var gamma = s * ((theta / s) * (theta / s) - (dx / s) * (dp / s)).squareRoot()
            if stp < stx { gamma = -gamma }
            let p = (gamma - dx) + theta
            let q = ((gamma - dx) + gamma) + dp
            let r = p / q
            let stpc = stx + r * (stp - stx)
            let stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
            if abs(stpc - stx) < abs(stpq - stx) {
                stpf = stpc
            } else {
                stpf = stpc + (stpq - stpc) / 2.0
            }
            bracketed = true
        } else if sgnd < 0 {
            // Derivatives of opposite signs: bracketed; the cubic or the secant step, the farther.
            let theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
            let s = cfmax(abs(theta), cfmax(abs(dx), abs(dp)))
            var gamma = s * ((theta / s) * (theta / s) - (dx / s) * (dp / s)).squareRoot()
            if stp > stx { gamma = -gamma }
            let p = (gamma - dp) + theta
            let q = ((gamma - dp) + gamma) + dx
            let r = p / q
            let stpc = stp + r * (stx - stp)
            let stpq = stp + (dp / (dp - dx)) * (stx - stp)
            stpf = abs(stpc - stp) > abs(stpq - stp) ? stpc : stpq
            bracketed = true
        } else if abs(dp) < abs(dx) {
            // Same sign, the derivative decreasing in magnitude.
            let theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
            let s = cfmax(abs(theta), cfmax(abs(dx), abs(dp)))
            var gamma = s * cfmax(0, (theta / s) * (theta / s) - (dx / s) * (dp / s)).squareRoot()
            if stp > stx { gamma = -gamma }
            let p = (gamma - dp) + theta
            let q = (gamma + (dx - dp)) + gamma
            let r = p / q
            let stpc: Double
            if r < 0 && gamma != 0 {
                stpc = stp + r * (stx - stp)
            } else if stp > stx {
                stpc = stpmax
            } else {
                stpc = stpmin
            }
            let stpq = stp + (dp / (dp - dx)) * (stx - stp)
            if bracketed {
                stpf = abs(stpc - stp) < abs(stpq - stp) ? stpc : stpq
                if stp > stx {
                    stpf = cfmin(stp + 0.66 * (sty - stp), stpf)
                } else {
                    stpf = cfmax(stp + 0.66 * (sty - stp), stpf)
                }
            } else {
                stpf = abs(stpc - stp) > abs(stpq - stp) ? stpc : stpq
                stpf = cfmin(stpmax, stpf)
                stpf = cfmax(stpmin, stpf)
            }
        } else {
            // Same sign, the derivative not decreasing: the cubic toward sty, or an end.
            if bracketed {
                let theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
                let s = cfmax(abs(theta), cfmax(abs(dy), abs(dp)))
                var gamma = s * ((theta / s) * (theta / s) - (dy / s) * (dp / s)).squareRoot()
                if stp > sty { gamma = -gamma }
                let p = (gamma - dp) + theta
                let q = ((gamma - dp) + gamma) + dy
                let r = p / q
                stpf = stp + r * (sty - stp)
            } else if stp > stx {
                stpf = stpmax
            } else {
                stpf = stpmin
            }
        }
        if fp > fx {
            sty = stp; fy = fp; dy = dp
        } else {
            if sgnd < 0 {
                sty = stx; fy = fx; dy = dx
            }
            stx = stp; fx = fp; dx = dp
        }
        stp = stpf
    }
}

/// The state of one L-BFGS-B run between iterations (the Fortran code's `mainlb` variables).
private struct LBFGSBState {
    /// The number of variables.
    let n: Int
    /// The bounds (infinite where a side is open).
    let lower: [Double], upper: [Double]
    /// Whether each variable has a finite lower / upper bound (`nbd` 1 or 2 / 2 or 3).
    let hasLower: [Bool], hasUpper: [Bool]
    /// Whether any bound is finite (`cnstnd`).
    let constrained: Bool
    /// Whether every variable has both bounds finite (`boxed`).
    let boxed: Bool
    /// The current iterate, value and gradient.
    var x: [Double]
    var f = 0.0
    var g: [Double]
    /// The iterations completed, counting the last failed one (`iter`).
    var iteration = 0
    /// The correction pairs.
    var memory: CompactMemory
    /// Each variable's placement at the Cauchy point.
    var placement: [Placement]
    /// The free variables first (`nfree` of them), then the active ones, backwards (`index`).
    var order: [Int]
    /// How many variables are free (`nfree`).
    var freeCount: Int
    /// Variables that entered the free set (the first ``entering``) and that left it (from
    /// ``leavingStart``) at this iteration (`indx2`, `nenter`, `ileave`).
    var changes: [Int]
    var entering = 0
    var leavingStart = 0
    /// `W'ZZ'W`-like inner products kept up to date between iterations (`wn1`, 2m by 2m).
    var wn1: SquareMatrix
    /// The factored matrix `K` of the subspace problem (`wn`, 2m by 2m).
    var wn: SquareMatrix
    /// `W'(xcp - x)` from the Cauchy point, for the reduced gradient (`c`).
    var c: [Double]
    /// The line search's state (kept between searches, as the Fortran code keeps it).
    var moreThuente = MoreThuente()
    /// The value before the last line search (`fold`).
    var previousValue = 0.0
    /// The point and gradient before the last line search (`t`, `r`).
    var previousX: [Double]
    var previousG: [Double]
    /// The last search direction, `|d|` squared, the accepted step, and `g'd` at the start and
    /// at the accepted step.
    var d: [Double]
    var dtd = 0.0
    var stp = 0.0
    var gdStart = 0.0
    var gd = 0.0

    /// The state for a run from `x` (already inside the box).
    init(n: Int, memory m: Int, lower: [Double], upper: [Double], x: [Double]) {
        self.n = n
        self.lower = lower
        self.upper = upper
        hasLower = lower.map { $0 != -.infinity }
        hasUpper = upper.map { $0 != .infinity }
        var constrained = false, boxed = true
        var placement = [Placement](repeating: .free, count: n)
        for i in 0..<n {
            let bounded = hasLower[i] || hasUpper[i]
            if !(hasLower[i] && hasUpper[i]) { boxed = false }
            if !bounded {
                placement[i] = .unbounded
            } else {
                constrained = true
                placement[i] = hasLower[i] && hasUpper[i] && upper[i] - lower[i] <= 0 ? .fixed : .free
            }
        }
        self.constrained = constrained
        self.boxed = boxed
        self.placement = placement
        self.x = x
        g = [Double](repeating: 0, count: n)
        memory = CompactMemory(n: n, capacity: m)
        order = [Int](repeating: 0, count: n)
        freeCount = n
        changes = [Int](repeating: 0, count: n)
        wn1 = SquareMatrix(size: 2 * m)
        wn = SquareMatrix(size: 2 * m)
        c = [Double](repeating: 0, count: 2 * m)
        previousX = x
        previousG = g
        d = [Double](repeating: 0, count: n)
    }

    /// The infinity norm of the projected gradient (`projgr`); NaN as soon as a coordinate of
    /// the gradient is NaN.
    func projectedGradientNorm() -> Double {
        var result = 0.0
        for i in 0..<n {
            var gi = g[i]
            if gi.isNaN { return gi }
            if hasLower[i] || hasUpper[i] {
                if gi < 0 {
                    if hasUpper[i] { gi = cfmax(x[i] - upper[i], gi) }
                } else {
                    if hasLower[i] { gi = cfmin(x[i] - lower[i], gi) }
                }
            }
            result = cfmax(result, abs(gi))
        }
        return result
    }

    /// The point the line search aims at: the Cauchy point refined by subspace minimization.
    /// A failed factorization or solve clears the memory and starts over, as the code does.
    mutating func searchPoint() -> [Double] {
        while true {
            var z: [Double]
            var refactor: Bool
            if !constrained && memory.columns > 0 {
                z = x
                refactor = memory.updated
            } else {
                guard let point = cauchyPoint() else { memory.reset(); continue }
                z = point
                refactor = updateFreeSet()
            }
            if freeCount == 0 || memory.columns == 0 { return z }
            if refactor && !formK() { memory.reset(); continue }
            guard var reduced = reducedGradient(z) else { memory.reset(); continue }
            guard minimizeSubspace(&z, reduced: &reduced) else { memory.reset(); continue }
            return z
        }
    }

    /// The generalized Cauchy point (`cauchy`): follows the projected steepest-descent path
    /// `x(t) = P(x - t g)` through its breakpoints in order, minimizing the quadratic model on
    /// each segment, and stops at the first local minimizer. Sets ``placement`` and ``c``; nil
    /// when a product with the middle matrix fails.
    mutating func cauchyPoint() -> [Double]? {
        if projectedGradientNorm() <= 0 { return x }
        let col = memory.columns, theta = memory.theta
        var bounded = true
        var freeSlots = n
        var breaks = 0
        var minBreak = 0
        var minTime = 0.0
        var times = [Double](repeating: 0, count: n)
        var which = [Int](repeating: 0, count: n)
        var p = [Double](repeating: 0, count: 2 * col)
        var direction = [Double](repeating: 0, count: n)
        var f1 = 0.0
        var toLower = 0.0, toUpper = 0.0
        for i in 0..<n {
            let negative = -g[i]
            if placement[i] != .fixed && placement[i] != .unbounded {
                if hasLower[i] { toLower = x[i] - lower[i] }
                if hasUpper[i] { toUpper = upper[i] - x[i] }
                let atLower = hasLower[i] && toLower <= 0
                let atUpper = hasUpper[i] && toUpper <= 0
                placement[i] = .free
                if atLower {
                    if negative <= 0 { placement[i] = .atLower }
                } else if atUpper {
                    if negative >= 0 { placement[i] = .atUpper }
                } else if abs(negative) <= 0 {
                    placement[i] = .stationary
                }
            }
            if placement[i] != .free && placement[i] != .unbounded {
                direction[i] = 0
                continue
            }
            direction[i] = negative
            f1 -= negative * negative
            for j in 0..<col {
                let slot = memory.slot(j)
                p[j] = p[j] + memory.y[slot][i] * negative
                p[col + j] = p[col + j] + memory.s[slot][i] * negative
            }
            if hasLower[i] && negative < 0 {
                times[breaks] = toLower / (-negative)
                which[breaks] = i
                if breaks == 0 || times[breaks] < minTime { minTime = times[breaks]; minBreak = breaks }
                breaks += 1
            } else if hasUpper[i] && negative > 0 {
                times[breaks] = toUpper / negative
                which[breaks] = i
                if breaks == 0 || times[breaks] < minTime { minTime = times[breaks]; minBreak = breaks }
                breaks += 1
            } else {
                freeSlots -= 1
                which[freeSlots] = i
                if abs(negative) > 0 { bounded = false }
            }
        }
        if theta != 1 { for j in 0..<col { p[col + j] *= theta } }
        var xcp = x
        if breaks == 0 && freeSlots == n { return xcp }
        var cc = [Double](repeating: 0, count: 2 * col)
        var f2 = -theta * f1
        let f2Original = f2
        if col > 0 {
            guard let v = memory.middleProduct(p) else { return nil }
            f2 -= dot(v, p, count: 2 * col)
        }
        var dtm = -f1 / f2
        var tsum = 0.0
        if breaks > 0 {
            let last = breaks - 1
            var left = last
            var examined = 0
            var tj = 0.0
            while true {
                let tj0 = tj
                let ibp: Int
                if examined == 0 {
                    tj = minTime
                    ibp = which[minBreak]
                } else {
                    if examined == 1 && minBreak != last {
                        times[minBreak] = times[last]
                        which[minBreak] = which[last]
                    }
                    Self.popEarliest(&times, &which, last: left, build: examined == 1)
                    tj = times[left]
                    ibp = which[left]
                }
                let dt = tj - tj0
                if dtm < dt { break }
                tsum += dt
                left -= 1
                examined += 1
                let dibp = direction[ibp]
                direction[ibp] = 0
                let zibp: Double
                if dibp > 0 {
                    zibp = upper[ibp] - x[ibp]
                    xcp[ibp] = upper[ibp]
                    placement[ibp] = .atUpper
                } else {
                    zibp = lower[ibp] - x[ibp]
                    xcp[ibp] = lower[ibp]
                    placement[ibp] = .atLower
                }
                // (SciPy's translation never takes the Fortran shortcut for "all n variables at
                // their bounds"; the outcome is the same, as no variable is then left free.)
                let dibp2 = dibp * dibp
                f1 = f1 + dt * f2 + dibp2 - theta * dibp * zibp
                f2 = f2 - theta * dibp2
                if col > 0 {
                    axpy(dt, p, &cc, count: 2 * col)
                    var wbp = [Double](repeating: 0, count: 2 * col)
                    for j in 0..<col {
                        let slot = memory.slot(j)
                        wbp[j] = memory.y[slot][ibp]
                        wbp[col + j] = theta * memory.s[slot][ibp]
                    }
                    guard let v = memory.middleProduct(wbp) else { return nil }
                    let wmc = dot(cc, v, count: 2 * col)
                    let wmp = dot(p, v, count: 2 * col)
                    let wmw = dot(wbp, v, count: 2 * col)
                    axpy(-dibp, wbp, &p, count: 2 * col)
                    f1 = f1 + dibp * wmc
                    f2 = f2 + dibp * 2.0 * wmp - dibp2 * wmw
                }
                f2 = cfmax(Double.ulpOfOne * f2Original, f2)
                if left >= 0 {
                    dtm = -f1 / f2
                } else if bounded {
                    dtm = 0
                    break
                } else {
                    dtm = -f1 / f2
                    break
                }
            }
        }
        if dtm <= 0 { dtm = 0 }
        tsum += dtm
        axpy(tsum, direction, &xcp, count: n)
        if col > 0 { axpy(dtm, p, &cc, count: 2 * col) }
        for j in 0..<(2 * col) { c[j] = cc[j] }
        return xcp
    }

    /// Moves the earliest breakpoint among `times[0...last]` to position `last` (`hpsolb`): a
    /// binary min-heap over `times[0..<last]`, built first when `build` is set (the heap's tie
    /// order matters when breakpoints coincide, so it is the code's heap).
    static func popEarliest(_ times: inout [Double], _ which: inout [Int], last: Int, build: Bool) {
        if build {
            // Insert the entries one by one (positions counted from 1).
            if last >= 1 {
                for k in 2...(last + 1) {
                    let value = times[k - 1], item = which[k - 1]
                    var i = k
                    while i > 1 {
                        let parent = i / 2
                        guard value < times[parent - 1] else { break }
                        times[i - 1] = times[parent - 1]
                        which[i - 1] = which[parent - 1]
                        i = parent
                    }
                    times[i - 1] = value
                    which[i - 1] = item
                }
            }
        }
        guard last > 0 else { return }
        // Take the root out, sift the last entry down, and put the root at `last`.
        let earliest = times[0], earliestItem = which[0]
        let value = times[last], item = which[last]
        var i = 1
        while true {
            var child = i + i
            guard child <= last else { break }
            if times[child] < times[child - 1] { child += 1 }
            guard times[child - 1] < value else { break }
            times[i - 1] = times[child - 1]
            which[i - 1] = which[child - 1]
            i = child
        }
        times[i - 1] = value
        which[i - 1] = item
        times[last] = earliest
        which[last] = earliestItem
    }

    /// Splits the variables into free and active at the Cauchy point (`freev`), recording which
    /// entered and which left the free set since the last iteration. Returns whether `K` must be
    /// formed again.
    mutating func updateFreeSet() -> Bool {
        entering = 0
        leavingStart = n
        if iteration > 0 && constrained {
            for i in 0..<freeCount {
                let k = order[i]
                if !placement[k].isFree {
                    leavingStart -= 1
                    changes[leavingStart] = k
                }
            }
            for i in freeCount..<n {
                let k = order[i]
                if placement[k].isFree {
                    changes[entering] = k
                    entering += 1
                }
            }
        }
        let refactor = leavingStart < n || entering > 0 || memory.updated
        freeCount = 0
        var active = n
        for i in 0..<n {
            if placement[i].isFree {
                order[freeCount] = i
                freeCount += 1
            } else {
                active -= 1
                order[active] = i
            }
        }
        return refactor
    }

    /// Forms and factors the matrix `K` of the subspace problem over the free variables
    /// (`formk`), updating the inner products in ``wn1`` for the newest pair and for the
    /// variables that entered or left the free set. False when a factorization fails.
    mutating func formK() -> Bool {
        let m = memory.capacity, col = memory.columns, theta = memory.theta
        let s = memory.s, y = memory.y
        let upcl: Int
        if memory.updated {
            if memory.updates > m {
                // Drop the oldest pair: shift the three kept blocks one place up and left.
                for jy in 0..<(m - 1) {
                    let js = m + jy
                    for k in 0..<(m - jy - 1) {
                        wn1[jy + k, jy] = wn1[jy + 1 + k, jy + 1]
                        wn1[js + k, js] = wn1[js + 1 + k, js + 1]
                    }
                    for k in 0..<(m - 1) { wn1[m + k, jy] = wn1[m + 1 + k, jy + 1] }
                }
            }
            // The newest pair's row: Y'ZZ'Y over the free set, S'AA'S and S'AA'Y over the active.
            let iy = col - 1, isRow = m + col - 1
            let newest = memory.slot(col - 1)
            for jy in 0..<col {
                let other = memory.slot(jy)
                var yy = 0.0, ss = 0.0, sy = 0.0
                for k in 0..<freeCount {
                    let v = order[k]
                    yy = yy + y[newest][v] * y[other][v]
                }
                for k in freeCount..<n {
                    let v = order[k]
                    ss = ss + s[newest][v] * s[other][v]
                    sy = sy + s[newest][v] * y[other][v]
                }
                wn1[iy, jy] = yy
                wn1[isRow, m + jy] = ss
                wn1[isRow, jy] = sy
            }
            // The newest column of S'ZZ'Y over the free set.
            for i in 0..<col {
                let other = memory.slot(i)
                var sy = 0.0
                for k in 0..<freeCount {
                    let v = order[k]
                    sy = sy + s[other][v] * y[newest][v]
                }
                wn1[m + i, col - 1] = sy
            }
            upcl = col - 1
        } else {
            upcl = col
        }
        // The older pairs: add what entered the free set, remove what left it.
        for iy in 0..<upcl {
            let a = memory.slot(iy), isRow = m + iy
            for jy in 0...iy {
                let b = memory.slot(jy)
                var t1 = 0.0, t2 = 0.0, t3 = 0.0, t4 = 0.0
                for k in 0..<entering {
                    let v = changes[k]
                    t1 = t1 + y[a][v] * y[b][v]
                    t2 = t2 + s[a][v] * s[b][v]
                }
                for k in leavingStart..<n {
                    let v = changes[k]
                    t3 = t3 + y[a][v] * y[b][v]
                    t4 = t4 + s[a][v] * s[b][v]
                }
                wn1[iy, jy] = wn1[iy, jy] + t1 - t3
                wn1[isRow, m + jy] = wn1[isRow, m + jy] - t2 + t4
            }
        }
        for i in 0..<upcl {
            let a = memory.slot(i), isRow = m + i
            for jy in 0..<upcl {
                let b = memory.slot(jy)
                var t1 = 0.0, t3 = 0.0
                for k in 0..<entering {
                    let v = changes[k]
                    t1 = t1 + s[a][v] * y[b][v]
                }
                for k in leavingStart..<n {
                    let v = changes[k]
                    t3 = t3 + s[a][v] * y[b][v]
                }
                if i <= jy {
                    wn1[isRow, jy] = wn1[isRow, jy] + t1 - t3
                } else {
                    wn1[isRow, jy] = wn1[isRow, jy] - t1 + t3
                }
            }
        }
        // K's upper triangle, from wn1 and the diagonal of S'Y.
        for iy in 0..<col {
            let isCol = col + iy, is1 = m + iy
            for jy in 0...iy {
                wn[jy, iy] = wn1[iy, jy] / theta
                wn[col + jy, isCol] = wn1[is1, m + jy] * theta
            }
            for jy in 0..<iy { wn[jy, isCol] = -wn1[is1, jy] }
            for jy in iy..<col { wn[jy, isCol] = wn1[is1, jy] }
            wn[iy, iy] = wn[iy, iy] + memory.sy[iy, iy]
        }
        // Factor: the first block, the coupling block solved against it, then the Schur part.
        guard wn.choleskyUpper(offset: 0, count: col) else { return false }
        for isCol in col..<(2 * col) {
            var column = (0..<col).map { wn[$0, isCol] }
            _ = wn.solveUpper(&column, count: col, transposed: true)
            for r in 0..<col { wn[r, isCol] = column[r] }
        }
        for isCol in col..<(2 * col) {
            for js in isCol..<(2 * col) {
                var sum = 0.0
                for k in 0..<col { sum = sum.addingProduct(wn[k, js], wn[k, isCol]) }
                wn[isCol, js] = wn[isCol, js] + sum
            }
        }
        return wn.choleskyUpper(offset: col, count: col)
    }

    /// The reduced gradient of the quadratic model at the Cauchy point over the free variables
    /// (`cmprlb`): `-theta (z - x) - g + W M c`; nil when the product with `M` fails.
    func reducedGradient(_ z: [Double]) -> [Double]? {
        var r = [Double](repeating: 0, count: n)
        let col = memory.columns, theta = memory.theta
        if !constrained && col > 0 {
            for i in 0..<n { r[i] = -g[i] }
            return r
        }
        for i in 0..<freeCount {
            let k = order[i]
            r[i] = -theta * (z[k] - x[k]) - g[k]
        }
        guard let v = memory.middleProduct(Array(c.prefix(2 * col))) else { return nil }
        for j in 0..<col {
            let slot = memory.slot(j)
            let a1 = v[j], a2 = theta * v[col + j]
            for i in 0..<freeCount {
                let k = order[i]
                r[i] = r[i] + memory.y[slot][k] * a1 + memory.s[slot][k] * a2
            }
        }
        return r
    }

    /// Subspace minimization (`subsm`, L-BFGS-B 3.0): the Newton step of the model over the free
    /// variables from the Cauchy point `z`, by the direct primal method, then projected onto the
    /// box; when the projected point is not a descent direction from `x`, `z` goes back to the
    /// Cauchy point and moves along the step only until the first bound. False when a triangular
    /// solve fails.
    func minimizeSubspace(_ z: inout [Double], reduced d: inout [Double]) -> Bool {
        let nsub = freeCount
        if nsub <= 0 { return true }
        let col = memory.columns, theta = memory.theta
        var wv = [Double](repeating: 0, count: 2 * col)
        for i in 0..<col {
            let slot = memory.slot(i)
            var t1 = 0.0, t2 = 0.0
            for j in 0..<nsub {
                let k = order[j]
                t1 += memory.y[slot][k] * d[j]
                t2 += memory.s[slot][k] * d[j]
            }
            wv[i] = t1
            wv[col + i] = theta * t2
        }
        guard wn.solveUpper(&wv, count: 2 * col, transposed: true) else { return false }
        for i in 0..<col { wv[i] = -wv[i] }
        guard wn.solveUpper(&wv, count: 2 * col, transposed: false) else { return false }
        for jy in 0..<col {
            let slot = memory.slot(jy)
            for i in 0..<nsub {
                let k = order[i]
                d[i] = d[i] + (memory.y[slot][k] * wv[jy] / theta) + (memory.s[slot][k] * wv[col + jy])
            }
        }
        let inverse = 1.0 / theta
        for i in 0..<nsub { d[i] *= inverse }

        // Project the Newton point onto the box.
        let cauchy = z
        var hitBound = false
        for i in 0..<nsub {
            let k = order[i]
            let target = z[k] + d[i]
            if hasLower[k] && hasUpper[k] {
                z[k] = cfmin(upper[k], cfmax(lower[k], target))
                if z[k] == lower[k] || z[k] == upper[k] { hitBound = true }
            } else if hasLower[k] {
                z[k] = cfmax(lower[k], target)
                if z[k] == lower[k] { hitBound = true }
            } else if hasUpper[k] {
                z[k] = cfmin(upper[k], target)
                if z[k] == upper[k] { hitBound = true }
            } else {
                z[k] = target
            }
        }
        if !hitBound { return true }
        var slope = 0.0
        for i in 0..<n { slope = slope + (z[i] - x[i]) * g[i] }
        if !(slope > 0) { return true }

        // Not a descent direction: from the Cauchy point, truncate the step at the first bound.
        z = cauchy
        var alpha = 1.0, candidate = 1.0
        var first = 0
        for i in 0..<nsub {
            let k = order[i]
            let dk = d[i]
            guard hasLower[k] || hasUpper[k] else { continue }
            if dk < 0 && hasLower[k] {
                let room = lower[k] - z[k]
                if room >= 0 {
                    candidate = 0
                } else if dk * alpha < room {
                    candidate = room / dk
                }
            } else if dk > 0 && hasUpper[k] {
                let room = upper[k] - z[k]
                if room <= 0 {
                    candidate = 0
                } else if dk * alpha > room {
                    candidate = room / dk
                }
            }
            if candidate < alpha {
                alpha = candidate
                first = i
            }
        }
        if alpha < 1 {
            let dk = d[first], k = order[first]
            if dk > 0 {
                z[k] = upper[k]
                d[first] = 0
            } else if dk < 0 {
                z[k] = lower[k]
                d[first] = 0
            }
        }
        for i in 0..<nsub {
            let k = order[i]
            z[k] = z[k] + alpha * d[i]
        }
        return true
    }

    /// The line search (`lnsrlb` around `dcsrch`) from `x` along `d = z - x`: the largest
    /// feasible step caps it (1 on the first iteration of a constrained problem), the first
    /// trial is `z` itself (step 1) except on the first iteration of a problem not boxed on every
    /// side, and other trials are projected into the box. On failure `x` and `g` are restored.
    mutating func lineSearch(toward z: [Double], maxSteps: Int,
                             _ valueAndGradient: ([Double]) -> (Double, [Double])?) -> LineSearchOutcome {
        for i in 0..<n { d[i] = z[i] - x[i] }
        let dnorm = norm(d)
        dtd = dnorm * dnorm
        var stpmax = 1.0e10
        if constrained {
            if iteration == 0 {
                stpmax = 1
            } else {
                for i in 0..<n where hasLower[i] || hasUpper[i] {
                    let a1 = d[i]
                    if a1 < 0 && hasLower[i] {
                        let a2 = lower[i] - x[i]
                        if a2 >= 0 {
                            stpmax = 0
                        } else if a1 * stpmax < a2 {
                            stpmax = a2 / a1
                        }
                    } else if a1 > 0 && hasUpper[i] {
                        let a2 = upper[i] - x[i]
                        if a2 <= 0 {
                            stpmax = 0
                        } else if a1 * stpmax > a2 {
                            stpmax = a2 / a1
                        }
                    }
                }
            }
        }
        stp = iteration == 0 && !boxed ? cfmin(1 / dnorm, stpmax) : 1
        previousX = x
        previousG = g
        previousValue = f
        var trials = 0
        moreThuente.task = .start
        while true {
            gd = dot(g, d, count: n)
            if trials == 0 {
                gdStart = gd
                if gd >= 0 {
                    // Not a descent direction.
                    restore()
                    return .failed
                }
            }
            moreThuente.advance(f: f, g: gd, stp: &stp, ftol: 1e-3, gtol: 0.9, xtol: 0.1,
                               stpmin: 0, stpmax: stpmax)
            if moreThuente.task == .converged || moreThuente.task == .warning { return .accepted }
            trials += 1
            if stp == 1 {
                x = z
            } else {
                for i in 0..<n {
                    var v = stp * d[i] + previousX[i]
                    if hasLower[i] { v = cfmax(v, lower[i]) }
                    if hasUpper[i] { v = cfmin(v, upper[i]) }
                    x[i] = v
                }
            }
            if trials - 1 >= maxSteps {
                restore()
                return .failed
            }
            guard let (value, gradient) = valueAndGradient(x) else { return .invalidGradient }
            f = value
            g = gradient
        }
    }

    /// Puts back the point, gradient and value from before the line search.
    mutating func restore() {
        x = previousX
        g = previousG
        f = previousValue
    }

    /// After an accepted step: the pair `s = stp d`, `y = g - g_old` joins the memory unless
    /// `s'y <= epsilon * (-g_old's)`; a failed factorization of `T` clears the memory.
    mutating func updateMemory() {
        var change = [Double](repeating: 0, count: n)
        for i in 0..<n { change[i] = g[i] - previousG[i] }
        let changeNorm = norm(change)
        let rr = changeNorm * changeNorm
        let dr: Double, ddum: Double
        if stp == 1 {
            dr = gd - gdStart
            ddum = -gdStart
        } else {
            dr = (gd - gdStart) * stp
            for i in 0..<n { d[i] = stp * d[i] }
            ddum = -gdStart * stp
        }
        if dr <= Double.ulpOfOne * ddum {
            memory.updated = false
            return
        }
        memory.updated = true
        memory.updates += 1
        memory.add(step: d, change: change, rr: rr, dr: dr, stp: stp, dtd: dtd)
        if !memory.formT() { memory.reset() }
    }
}
