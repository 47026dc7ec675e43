#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-dimensional Gaussian mixture as TPE builds it for one numeric parameter: components in
/// the estimator's space (logs for log distributions), optionally truncated to [low, high) there,
/// with values exponentiated (log) and rounded to multiples of q (quantised) on the way out.
public struct GaussianMixture: Sendable, Equatable {
    public var weights: [Double]
    public var mus: [Double]
    public var sigmas: [Double]
    /// Truncation bounds in the estimator's space.
    public var low: Double?
    public var high: Double?
    /// Values are exp of the mixture's draws.
    public var isLog: Bool
    /// Values are rounded to multiples of q (in the value's space).
    public var q: Double?

    public init(weights: [Double], mus: [Double], sigmas: [Double], low: Double? = nil, high: Double? = nil, isLog: Bool = false, q: Double? = nil) {
        precondition(weights.count == mus.count && mus.count == sigmas.count, "weights, mus and sigmas differ in length")
        self.weights = weights
        self.mus = mus
        self.sigmas = sigmas
        self.low = low
        self.high = high
        self.isLog = isLog
        self.q = q
    }

    /// The adaptive Parzen estimator of hyperopt's TPE (`adaptive_parzen_normal`), for
    /// observations in trial order (already in the estimator's space). See `docs/tpe.md`.
    ///
    /// - Returns: weights, mus and sigmas sorted by mu, with the prior component inserted where
    ///   a left-sided binary search puts `priorMu`; `priorIndex` is its position.
    public static func adaptiveParzen(observations obs: [Double], priorWeight: Double, priorMu: Double,
                                      priorSigma: Double, linearForgetting lf: Int = 25) -> (weights: [Double], mus: [Double], sigmas: [Double], priorIndex: Int) {
        let n = obs.count
        var mus: [Double]
        var sigmas: [Double]
        var weights: [Double]
        let priorPos: Int
        if n == 0 {
            mus = [priorMu]
            sigmas = [priorSigma]
            weights = [priorWeight]
            priorPos = 0
        } else if n == 1 {
            if priorMu < obs[0] {
                priorPos = 0
                mus = [priorMu, obs[0]]
                sigmas = [priorSigma, priorSigma * 0.5]
                weights = [priorWeight, 1]
            } else {
                priorPos = 1
                mus = [obs[0], priorMu]
                sigmas = [priorSigma * 0.5, priorSigma]
                weights = [1, priorWeight]
            }
        } else {
            let order = obs.indices.sorted { obs[$0] < obs[$1] || (obs[$0] == obs[$1] && $0 < $1) }
            // searchsorted(side="left"): the first position whose value is >= priorMu.
            var lo = 0
            var hi = n
            while lo < hi {
                let mid = (lo + hi) / 2
                if obs[order[mid]] < priorMu { lo = mid + 1 } else { hi = mid }
            }
            priorPos = lo
            let obsWeights = linearForgettingWeights(n, lf)
            mus = []
            weights = []
            mus.reserveCapacity(n + 1)
            weights.reserveCapacity(n + 1)
            for k in 0..<n {
                if k == priorPos { mus.append(priorMu); weights.append(priorWeight) }
                mus.append(obs[order[k]])
                weights.append(obsWeights.map { $0[order[k]] } ?? 1)
            }
            if priorPos == n { mus.append(priorMu); weights.append(priorWeight) }
            let m = mus.count
            sigmas = Array(repeating: 0, count: m)
            for i in 1..<(m - 1) {
                sigmas[i] = Swift.max(mus[i] - mus[i - 1], mus[i + 1] - mus[i])
            }
            sigmas[0] = mus[1] - mus[0]
            sigmas[m - 1] = mus[m - 1] - mus[m - 2]
        }
        let maxSigma = priorSigma
        let minSigma = priorSigma / Swift.min(100.0, 1.0 + Double(mus.count))
        for i in sigmas.indices { sigmas[i] = Swift.min(Swift.max(sigmas[i], minSigma), maxSigma) }
        sigmas[priorPos] = priorSigma
        let total = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= total }
        return (weights, mus, sigmas, priorPos)
    }

    /// hyperopt's `linear_forgetting_weights(n, lf)`: nil (all ones) when n <= lf, otherwise a ramp
    /// `linspace(1/n, 1, n - lf)` for the oldest observations followed by `lf` ones.
    public static func linearForgettingWeights(_ n: Int, _ lf: Int) -> [Double]? {
        guard lf > 0, n > lf else { return nil }
        let rampCount = n - lf
        var w = [Double]()
        w.reserveCapacity(n)
        let start = 1.0 / Double(n)
        if rampCount == 1 {
            w.append(start)
        } else {
            let step = (1.0 - start) / Double(rampCount - 1)
            for i in 0..<rampCount { w.append(i == rampCount - 1 ? 1.0 : start + Double(i) * step) }
        }
        w.append(contentsOf: repeatElement(1.0, count: lf))
        return w
    }

    // MARK: sampling

    /// The mass of the truncation interval under the mixture (1 without bounds).
    public var acceptedMass: Double {
        guard low != nil || high != nil else { return 1 }
        let lo = low ?? -.infinity
        let hi = high ?? .infinity
        var p = 0.0
        for k in weights.indices { p += weights[k] * TPEMath.normalMass(lo, hi, mus[k], sigmas[k]) }
        return p
    }

    /// One draw (hyperopt's GMM1 / LGMM1): pick a component by weight, draw from its normal, and
    /// with bounds start over until low <= draw < high; then exp (log) and round to q.
    public func sample(_ rng: inout Xoshiro256) -> Double {
        var x: Double
        if low == nil && high == nil {
            let k = rng.categorical(weights)
            x = rng.normal(mus[k], sigmas[k])
        } else {
            let lo = low ?? -.infinity
            let hi = high ?? .infinity
            var tries = 0
            repeat {
                let k = rng.categorical(weights)
                x = rng.normal(mus[k], sigmas[k])
                tries += 1
            } while !(lo <= x && x < hi) && tries < 1_000_000
            // Only a mixture with (numerically) no mass inside the bounds gets here.
            if !(lo <= x && x < hi) { x = Swift.min(Swift.max(x, lo), hi.nextDown) }
        }
        if isLog { x = exp(x) }
        if let q { x = (x / q).rounded(.toNearestOrEven) * q }
        return x
    }

    // MARK: density

    /// Precomputed per-component terms for fast log densities of many points.
    struct Evaluator {
        let mixture: GaussianMixture
        let logCoef: [Double]  // log w_k - log sigma_k - log sqrt(2 pi)
        let invSigma: [Double]
        let logAccepted: Double
        let expLow: Double?
        let expHigh: Double?

        init(_ m: GaussianMixture) {
            mixture = m
            var c = [Double](repeating: 0, count: m.weights.count)
            var inv = [Double](repeating: 0, count: m.weights.count)
            for k in c.indices {
                c[k] = log(m.weights[k]) - log(m.sigmas[k]) - TPEMath.logSqrt2Pi
                inv[k] = 1 / Swift.max(m.sigmas[k], TPEMath.eps)
            }
            logCoef = c
            invSigma = inv
            logAccepted = log(m.acceptedMass)
            expLow = m.low.map { exp($0) }
            expHigh = m.high.map { exp($0) }
        }

        /// log density (no q) or log bucket mass (q) of a value, divided by the accepted mass.
        func logDensity(_ x: Double) -> Double {
            let m = mixture
            if let q = m.q {
                var prob = 0.0
                if m.isLog {
                    var lb = x - q / 2
                    var ub = x + q / 2
                    if let expHigh { ub = Swift.min(ub, expHigh) }
                    if let expLow { lb = Swift.max(lb, expLow) }
                    lb = Swift.max(0, lb)
                    for k in m.weights.indices {
                        prob += m.weights[k] * TPEMath.lognormalMass(lb, ub, m.mus[k], m.sigmas[k])
                    }
                } else {
                    var lb = x - q / 2
                    var ub = x + q / 2
                    if let high = m.high { ub = Swift.min(ub, high) }
                    if let low = m.low { lb = Swift.max(lb, low) }
                    for k in m.weights.indices {
                        prob += m.weights[k] * TPEMath.normalMass(lb, ub, m.mus[k], m.sigmas[k])
                    }
                }
                return log(prob) - logAccepted
            }
            // Continuous: log-sum-exp over the components, two passes (max, then sum).
            let y: Double
            let shift: Double
            if m.isLog {
                guard x > 0 else { return -.infinity }
                y = log(x)
                shift = y  // log-normal density: normal density of log x divided by x
            } else {
                y = x
                shift = 0
            }
            return logCoef.withUnsafeBufferPointer { c in
                invSigma.withUnsafeBufferPointer { inv in
                    m.mus.withUnsafeBufferPointer { mu in
                        var mx = -Double.infinity
                        for k in 0..<c.count {
                            let t = (y - mu[k]) * inv[k]
                            let e = c[k] - 0.5 * t * t
                            if e > mx { mx = e }
                        }
                        if mx == -.infinity { return mx }
                        var s = 0.0
                        for k in 0..<c.count {
                            let t = (y - mu[k]) * inv[k]
                            s += exp(c[k] - 0.5 * t * t - mx)
                        }
                        return mx + log(s) - shift - logAccepted
                    }
                }
            }
        }
    }

    /// The log density of a value under the mixture (for q: the log probability of its bucket
    /// [x - q/2, x + q/2], clipped to the bounds), normalised by the mass inside the bounds.
    /// Never NaN: a zero mass gives -inf.
    public func logDensity(_ x: Double) -> Double { Evaluator(self).logDensity(x) }
}
