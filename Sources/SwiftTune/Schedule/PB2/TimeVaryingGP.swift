#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The Gaussian process of PB2's bandit, as Ray's `pb2_utils` builds it with scikit-learn's
/// `GaussianProcessRegressor(kernel=TV_SquaredExp(...), optimizer="fmin_l_bfgs_b", alpha=1e-10)`:
///
/// - The kernel (Ray's `TV_SquaredExp`, the time-varying squared exponential of Bogunovic et al.
///   2016) between rows `a` and `b` whose first column is time:
///   `variance * exp(-|a' - b'|^2 / lengthscale) * (1 - epsilon)^(|a_0 - b_0| / 2)`, with `a'`,
///   `b'` the other columns and `epsilon` clipped to [1e-5, 0.5].
/// - Fit: the kernel's `log(variance, lengthscale, epsilon)` start at `log(1, 1, 0.1)` and maximise
///   the log marginal likelihood (with its gradient) within `log([1e-5, 1e5], [1e-5, 1e5],
///   [1e-5, 0.5])`, by ``BoundedLBFGS`` from that one start (scikit-learn's `n_restarts_optimizer=0`);
///   a kernel matrix that is not positive definite counts as likelihood `-inf`. `alpha` = 1e-10 is
///   added to the diagonal; targets are not normalised (`normalize_y=False`).
/// - Predict: the posterior mean `k* . K^-1 y` and variance `variance - k* . K^-1 k*` (clipped at
///   0), and their gradients with respect to the non-time columns (for the acquisition).
struct TimeVaryingGP: Sendable {
    /// The training rows (time first).
    let rows: [[Double]]
    /// The training targets.
    let targets: [Double]
    /// The fitted kernel's variance, lengthscale and epsilon.
    let variance: Double, lengthscale: Double, epsilon: Double
    /// The log marginal likelihood at the fitted kernel (scikit-learn's `log_marginal_likelihood_value_`).
    let logMarginalLikelihood: Double
    let factor: Cholesky
    /// `K^-1 y` (scikit-learn's `alpha_`).
    let weights: [Double]

    /// scikit-learn's default noise added to the kernel's diagonal, as Ray passes it.
    static let alpha = 1e-10
    /// The kernel's `log` hyperparameters' start and bounds.
    static let start = [0.0, 0.0, log(0.1)]
    static let lowerBounds = [log(1e-5), log(1e-5), log(1e-5)]
    static let upperBounds = [log(1e5), log(1e5), log(0.5)]

    /// The pairwise squared distances of the non-time columns and the absolute time differences.
    struct Distances: Sendable {
        let n: Int
        let squared: [Double]
        let time: [Double]

        init(_ rows: [[Double]]) {
            n = rows.count
            var sq = [Double](repeating: 0, count: n * n)
            var tm = [Double](repeating: 0, count: n * n)
            for i in 0..<n {
                for j in i..<n {
                    var s = 0.0
                    for c in 1..<rows[i].count {
                        let d = rows[i][c] - rows[j][c]
                        s += d * d
                    }
                    let t = abs(rows[i][0] - rows[j][0])
                    sq[i * n + j] = s; sq[j * n + i] = s
                    tm[i * n + j] = t; tm[j * n + i] = t
                }
            }
            squared = sq
            time = tm
        }
    }

    /// Fits the kernel's hyperparameters to `rows` and `targets` (see the type's comment).
    /// - Throws: ``ScheduleError`` when there are no rows, the rows differ in length, a value is not
    ///   finite, or the fitted kernel's matrix is not positive definite even with 1e-3 added to
    ///   its diagonal.
    init(fitting rows: [[Double]], targets: [Double]) throws(ScheduleError) {
        guard !rows.isEmpty, rows.count == targets.count, let width = rows.first?.count, width >= 1,
              rows.allSatisfy({ $0.count == width && $0.allSatisfy(\.isFinite) }), targets.allSatisfy(\.isFinite)
        else { throw ScheduleError("PB2: the Gaussian process's data are empty, ragged or not finite") }
        let distances = Distances(rows)
        let result = BoundedLBFGS().minimize(Self.start, lower: Self.lowerBounds, upper: Self.upperBounds) { theta in
            let (lml, gradient) = Self.logMarginalLikelihood(theta, distances, targets, gradient: true)
            return (-lml, gradient.map { -$0 })
        }
        let theta = result.value.isFinite ? result.x : Self.start
        let (v, l, e) = Self.hyperparameters(theta)
        var k = Self.kernelMatrix(v, l, e, distances)
        for i in 0..<distances.n { k[i * distances.n + i] += Self.alpha }
        var chol = Cholesky(k, n: distances.n)
        if chol == nil {
            // Not Ray's: Ray's fallback adds an identity matrix to the data (which fails unless the
            // data are square); swifttune adds 1e-3 to the kernel's diagonal, as Ray's comment intends.
            for i in 0..<distances.n { k[i * distances.n + i] += 1e-3 }
            chol = Cholesky(k, n: distances.n)
        }
        guard let chol else { throw ScheduleError("PB2: the Gaussian process's kernel matrix is not positive definite") }
        self.rows = rows
        self.targets = targets
        variance = v; lengthscale = l; epsilon = e
        logMarginalLikelihood = result.value.isFinite ? -result.value : -.infinity
        factor = chol
        weights = chol.solve(targets)
    }

    /// The kernel's hyperparameters from `log` values, `epsilon` clipped as Ray's kernel clips it.
    static func hyperparameters(_ theta: [Double]) -> (Double, Double, Double) {
        (exp(theta[0]), exp(theta[1]), Swift.min(Swift.max(exp(theta[2]), 1e-5), 0.5))
    }

    /// The kernel matrix (without `alpha`).
    static func kernelMatrix(_ variance: Double, _ lengthscale: Double, _ epsilon: Double, _ d: Distances) -> [Double] {
        var k = [Double](repeating: 0, count: d.n * d.n)
        let base = 1 - epsilon
        for i in 0..<(d.n * d.n) {
            k[i] = variance * exp(-d.squared[i] / lengthscale) * pow(base, 0.5 * d.time[i])
        }
        return k
    }

    /// scikit-learn's `log_marginal_likelihood(theta, eval_gradient)`: `-inf` (and a zero
    /// gradient) when the kernel matrix is not positive definite. The gradient is with respect
    /// to the `log` hyperparameters.
    static func logMarginalLikelihood(_ theta: [Double], _ d: Distances, _ y: [Double],
                                      gradient: Bool) -> (Double, [Double]) {
        let (v, l, e) = hyperparameters(theta)
        let n = d.n
        let k = kernelMatrix(v, l, e, d)
        var ka = k
        for i in 0..<n { ka[i * n + i] += alpha }
        guard let chol = Cholesky(ka, n: n) else { return (-.infinity, [0, 0, 0]) }
        let a = chol.solve(y)
        var fit = 0.0
        for i in 0..<n { fit += y[i] * a[i] }
        let lml = -0.5 * fit - chol.halfLogDeterminant - Double(n) / 2 * log(2 * Double.pi)
        guard gradient else { return (lml, []) }
        let inverse = chol.inverse()
        var gv = 0.0, gl = 0.0, ge = 0.0
        let epsilonFactor = e / (1 - e)
        for i in 0..<n {
            let r = i * n
            for j in 0..<n {
                let w = a[i] * a[j] - inverse[r + j]
                let kij = k[r + j]
                gv += w * kij
                gl += w * kij * d.squared[r + j] / l
                ge -= w * kij * (d.time[r + j] / 2) * epsilonFactor
            }
        }
        return (lml, [0.5 * gv, 0.5 * gl, 0.5 * ge])
    }

    /// The posterior at `point` (a row, time first): mean and variance, and with `gradients` their
    /// derivatives with respect to each column (the time column's left at 0).
    func predict(_ point: [Double], gradients: Bool) -> (mean: Double, variance: Double, meanGradient: [Double], varianceGradient: [Double]) {
        let n = rows.count
        let width = point.count
        var k = [Double](repeating: 0, count: n)
        let base = 1 - epsilon
        for i in 0..<n {
            var s = 0.0
            for c in 1..<width {
                let dc = point[c] - rows[i][c]
                s += dc * dc
            }
            k[i] = variance * exp(-s / lengthscale) * pow(base, 0.5 * abs(point[0] - rows[i][0]))
        }
        var mean = 0.0
        for i in 0..<n { mean += k[i] * weights[i] }
        let v = factor.solveLower(k)
        var vv = 0.0
        for x in v { vv += x * x }
        let posteriorVariance = Swift.max(variance - vv, 0)
        guard gradients else { return (mean, posteriorVariance, [], []) }
        let w = factor.solveUpper(v)  // K^-1 k
        var gm = [Double](repeating: 0, count: width)
        var gv = [Double](repeating: 0, count: width)
        for c in 1..<width {
            var sm = 0.0, sv = 0.0
            for i in 0..<n {
                let dk = k[i] * (-2 * (point[c] - rows[i][c]) / lengthscale)
                sm += weights[i] * dk
                sv += w[i] * dk
            }
            gm[c] = sm
            gv[c] = variance - vv > 0 ? -2 * sv : 0
        }
        return (mean, posteriorVariance, gm, gv)
    }
}
