#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Optuna's Parzen estimator (`_ParzenEstimator`): a mixture whose k-th component is a product
/// of one kernel per parameter, centred on the k-th observation, plus one prior component.
/// With one parameter it is the univariate estimator; with several, the multivariate one (the
/// same component for every parameter of a draw: joint kernels). See docs/tpe-optuna.md.
struct OptunaParzenEstimator {
    /// One parameter's kernels, one per component (the prior last).
    enum Kernels {
        /// Per component, the probability of each option (rows of `count`, row-major).
        case categorical(probabilities: [Double], count: Int)
        /// Truncated normals on `domain`'s adapted bounds, with the log of each one's mass there.
        case numeric(mus: [Double], sigmas: [Double], logMass: [Double], domain: OptunaDomain.Numeric)
    }

    /// The components' weights, normalised (observations first, in trial order, then the prior).
    let weights: [Double]
    /// One entry per parameter, in the order the observations were given.
    let kernels: [Kernels]

    /// Fits the estimator.
    /// - Parameters:
    ///   - observations: by parameter, the internal values (a number, or an option's index) of
    ///     the trials, all of the same length, in trial order.
    ///   - weights: the observations' weights (`default_weights` or all ones), before the prior's
    ///     is appended and the whole normalised.
    init(observations: [[Double]], domains: [OptunaDomain], weights observationWeights: [Double], options: OptunaTPESearch.Options) {
        let n = observations.first?.count ?? 0
        var w: [Double]
        if n == 0 {
            w = [1]
        } else {
            w = observationWeights
            w.append(options.priorWeight)
        }
        let total = w.reduce(0, +)
        weights = w.map { $0 / total }
        kernels = zip(observations, domains).map { obs, domain in
            switch domain {
            case .categorical(let k):
                return Self.categorical(obs, k, priorWeight: options.priorWeight)
            case .numeric(let d):
                return Self.numeric(obs, d, options: options)
            }
        }
    }

    /// Categorical kernels: each observation's row is prior_weight / K_components on every
    /// option plus 1 on its own, normalised; the prior's row is uniform.
    static func categorical(_ obs: [Double], _ k: Int, priorWeight: Double) -> Kernels {
        guard !obs.isEmpty else {
            return .categorical(probabilities: Array(repeating: 1 / Double(k), count: k), count: k)
        }
        let components = obs.count + 1
        var p = Array(repeating: priorWeight / Double(components), count: components * k)
        for (row, x) in obs.enumerated() {
            let c = Int(x)
            if c >= 0 && c < k { p[row * k + c] += 1 }
        }
        for row in 0..<components {
            var sum = 0.0
            for c in 0..<k { sum += p[row * k + c] }
            if sum == 0 { continue }
            for c in 0..<k { p[row * k + c] /= sum }
        }
        return .categorical(probabilities: p, count: k)
    }

    /// Numeric kernels: centred on the observations (in logs for a log distribution), each with
    /// the larger gap to its sorted neighbours (the adapted bounds closing the ends) as sigma;
    /// without `considerEndpoints` the two outermost take the gap on their inner side; sigmas are
    /// clipped to [(high - low) / min(100, n + 2), high - low] with the magic clip (to [1e-12,
    /// high - low] without); the prior sits in the middle with sigma high - low.
    static func numeric(_ obs: [Double], _ d: OptunaDomain.Numeric, options: OptunaTPESearch.Options) -> Kernels {
        let low = d.adaptedLow, high = d.adaptedHigh
        let n = obs.count
        var mus = d.log ? obs.map { log($0) } : obs
        var sigmas = [Double](repeating: 0, count: n)
        if n > 0 {
            // A stable order: tied observations take their sigmas in trial order.
            let order = zip(mus, mus.indices).sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }.map(\.1)
            var sorted = [low]
            sorted.reserveCapacity(n + 2)
            for i in order { sorted.append(mus[i]) }
            sorted.append(high)
            var s = [Double](repeating: 0, count: n)
            for j in 0..<n { s[j] = Swift.max(sorted[j + 1] - sorted[j], sorted[j + 2] - sorted[j + 1]) }
            if !options.considerEndpoints && sorted.count >= 4 {
                s[0] = sorted[2] - sorted[1]
                s[n - 1] = sorted[n] - sorted[n - 1]
            }
            let maxSigma = high - low
            let minSigma = options.considerMagicClip ? (high - low) / Swift.min(100, 1 + Double(n + 1)) : OptunaTPESearch.eps
            for (j, i) in order.enumerated() { sigmas[i] = Swift.min(Swift.max(s[j], minSigma), maxSigma) }
        }
        mus.append(0.5 * (low + high))
        sigmas.append(high - low)
        let logMass = zip(mus, sigmas).map { mu, sigma in GaussMass.logMass((low - mu) / sigma, (high - mu) / sigma) }
        return .numeric(mus: mus, sigmas: sigmas, logMass: logMass, domain: d)
    }

    /// `count` draws (by parameter: `draws[p][i]`): a component by the weights, then each
    /// parameter from that component's kernel (a truncated normal mapped back to the parameter's
    /// values, or an option by the row's probabilities).
    func sample(_ rng: inout Xoshiro256, count: Int) -> [[Double]] {
        var draws = Array(repeating: [Double](repeating: 0, count: count), count: kernels.count)
        var cumulative = weights
        for i in cumulative.indices.dropFirst() { cumulative[i] += cumulative[i - 1] }
        for s in 0..<count {
            let u = rng.nextDouble() * (cumulative.last ?? 1)
            var k = 0
            while k < cumulative.count - 1 && cumulative[k] <= u { k += 1 }
            for (p, kernel) in kernels.enumerated() {
                switch kernel {
                case let .categorical(probabilities, width):
                    let row = weights.count == 1 ? 0 : k
                    let q = rng.nextDouble()
                    var acc = 0.0
                    var c = 0
                    // Options whose cumulative probability is below q are passed (the last closes at 1).
                    while c < width - 1 {
                        acc += probabilities[row * width + c]
                        if acc < q { c += 1 } else { break }
                    }
                    draws[p][s] = Double(c)
                case let .numeric(mus, sigmas, _, d):
                    let lo = d.adaptedLow, hi = d.adaptedHigh
                    let x = rng.truncatedNormal(loc: mus[k], scale: sigmas[k], lower: lo, upper: hi)
                        ?? Swift.min(Swift.max(mus[k], lo), hi)
                    draws[p][s] = d.untransform(x)
                }
            }
        }
        return draws
    }

    /// The log density (for stepped parameters, the log probability) of each point of `points`
    /// (by parameter, as `sample` returns them) under the mixture: log sum_k w_k prod_p kernel.
    /// O(points * components * parameters); a stepped kernel's masses are computed once per
    /// distinct value (candidates on a grid repeat), and the sum's exponentials are inlined.
    func logDensity(_ points: [[Double]]) -> [Double] {
        let count = points.first?.count ?? 0
        let components = weights.count
        guard count > 0 else { return [] }
        // terms[s * components + k]: log w_k + sum over parameters of kernel k's log density at point s.
        var base = weights.map { log($0) }
        for kernel in kernels {
            guard case let .numeric(_, sigmas, logMass, d) = kernel else { continue }
            for k in 0..<components {
                base[k] -= logMass[k]
                if d.step == nil { base[k] -= log(sigmas[k]) + GaussMass.logSqrt2Pi }
            }
        }
        var out = [Double](repeating: 0, count: count)
        var terms = [Double](repeating: 0, count: count * components)
        terms.withUnsafeMutableBufferPointer { t in
            base.withUnsafeBufferPointer { b in
                for s in 0..<count { for k in 0..<components { t[s * components + k] = b[k] } }
            }
            for (p, kernel) in kernels.enumerated() {
                let xs = points[p]
                switch kernel {
                case let .categorical(probabilities, width):
                    // log of each row's probabilities, once per estimator use.
                    let logP = probabilities.map { log($0) }
                    logP.withUnsafeBufferPointer { lp in
                        for s in 0..<count {
                            let c = Int(xs[s])
                            let row = s * components
                            if components == 1 { t[row] += lp[c]; continue }
                            for k in 0..<components { t[row + k] += lp[k * width + c] }
                        }
                    }
                case let .numeric(mus, sigmas, _, d):
                    if let step = d.step {
                        var masses: [Double: [Double]] = [:]
                        for s in 0..<count {
                            let x = xs[s]
                            let m: [Double]
                            if let known = masses[x] {
                                m = known
                            } else {
                                let left = d.log ? log(x - step / 2) : x - step / 2
                                let right = d.log ? log(x + step / 2) : x + step / 2
                                m = (0..<components).map { k in
                                    GaussMass.logMass((left - mus[k]) / sigmas[k], (right - mus[k]) / sigmas[k])
                                }
                                masses[x] = m
                            }
                            let row = s * components
                            for k in 0..<components { t[row + k] += m[k] }
                        }
                    } else {
                        let inverse = sigmas.map { 1 / $0 }
                        mus.withUnsafeBufferPointer { mu in
                            inverse.withUnsafeBufferPointer { inv in
                                for s in 0..<count {
                                    let y = d.log ? log(xs[s]) : xs[s]
                                    let row = s * components
                                    guard y >= d.adaptedLow && y <= d.adaptedHigh else {
                                        for k in 0..<components { t[row + k] = -.infinity }
                                        continue
                                    }
                                    for k in 0..<components {
                                        let z = (y - mu[k]) * inv[k]
                                        t[row + k] -= 0.5 * z * z
                                    }
                                }
                            }
                        }
                    }
                }
            }
            TPEMath.exp2Table.withUnsafeBufferPointer { table in
                for s in 0..<count {
                    let row = s * components
                    var m = -Double.infinity
                    for k in 0..<components where t[row + k] > m { m = t[row + k] }
                    if m == -.infinity || m == .infinity { out[s] = m; continue }
                    var sum = 0.0
                    for k in 0..<components { sum += TPEMath.fastExp(t[row + k] - m, table) }
                    out[s] = log(sum) + m
                }
            }
        }
        return out
    }
}
