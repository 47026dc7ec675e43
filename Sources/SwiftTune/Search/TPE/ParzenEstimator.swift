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
            // Order of the observations by value, ties in trial order.
            let order = StableOrder.of(obs)
            let forgetting = lf > 0 && n > lf
            let ramp = LinearForgetting(n: n, lf: lf)
            var sortedObs = [Double]()
            var sortedWeights = [Double]()
            sortedObs.reserveCapacity(n)
            sortedWeights.reserveCapacity(n)
            for k in 0..<n {
                let j = Int(order[k])
                sortedObs.append(obs[j])
                sortedWeights.append(forgetting ? ramp.weight(j) : 1)
            }
            return adaptiveParzenSorted(sortedObs, sortedWeights, priorWeight: priorWeight, priorMu: priorMu, priorSigma: priorSigma)
        }
        return finish(&weights, mus, &sigmas, priorPos, priorSigma)
    }

    /// Clips the bandwidths, resets the prior's, and normalises the weights.
    private static func finish(_ weights: inout [Double], _ mus: [Double], _ sigmas: inout [Double], _ priorPos: Int,
                               _ priorSigma: Double) -> (weights: [Double], mus: [Double], sigmas: [Double], priorIndex: Int) {
        let maxSigma = priorSigma
        let minSigma = priorSigma / Swift.min(100.0, 1.0 + Double(mus.count))
        for i in sigmas.indices { sigmas[i] = Swift.min(Swift.max(sigmas[i], minSigma), maxSigma) }
        sigmas[priorPos] = priorSigma
        let total = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= total }
        return (weights, mus, sigmas, priorPos)
    }

    /// The estimator for at least two observations already in stable ascending order, each with
    /// its linear-forgetting weight (which depends on its place in trial order).
    static func adaptiveParzenSorted(_ obs: [Double], _ obsWeights: [Double], priorWeight: Double, priorMu: Double,
                                     priorSigma: Double) -> (weights: [Double], mus: [Double], sigmas: [Double], priorIndex: Int) {
        let n = obs.count
        precondition(n >= 2 && obsWeights.count == n)
        // searchsorted(side="left"): the first position whose value is >= priorMu.
        var lo = 0
        var hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if obs[mid] < priorMu { lo = mid + 1 } else { hi = mid }
        }
        let priorPos = lo
        let m = n + 1
        var weights = [Double]()
        let mus = Array(unsafeUninitializedCapacity: m) { mu, count in
            weights = Array(unsafeUninitializedCapacity: m) { w, wcount in
                var out = 0
                for k in 0...n {
                    if k == priorPos {
                        mu[out] = priorMu
                        w[out] = priorWeight
                        out += 1
                    }
                    if k < n {
                        mu[out] = obs[k]
                        w[out] = obsWeights[k]
                        out += 1
                    }
                }
                wcount = m
            }
            count = m
        }
        var sigmas = mus.withUnsafeBufferPointer { mu in
            Array(unsafeUninitializedCapacity: m) { sg, count in
                for i in 1..<(m - 1) {
                    sg[i] = Swift.max(mu[i] - mu[i - 1], mu[i + 1] - mu[i])
                }
                sg[0] = mu[1] - mu[0]
                sg[m - 1] = mu[m - 1] - mu[m - 2]
                count = m
            }
        }
        return finish(&weights, mus, &sigmas, priorPos, priorSigma)
    }

    /// hyperopt's `linear_forgetting_weights(n, lf)`: nil (all ones) when n <= lf, otherwise a ramp
    /// `linspace(1/n, 1, n - lf)` for the oldest observations followed by `lf` ones.
    public static func linearForgettingWeights(_ n: Int, _ lf: Int) -> [Double]? {
        guard lf > 0, n > lf else { return nil }
        return (0..<n).map { linearForgettingWeight($0, n, lf) }
    }

    /// The weight of the j-th oldest of n observations (n > lf > 0): numpy's
    /// `linspace(1/n, 1, n - lf)[j]` for the oldest n - lf, 1 for the others.
    static func linearForgettingWeight(_ j: Int, _ n: Int, _ lf: Int) -> Double {
        LinearForgetting(n: n, lf: lf).weight(j)
    }

    /// Linear-forgetting weights of n observations with the constants worked out once.
    struct LinearForgetting {
        let rampCount: Int
        let start: Double
        let step: Double

        init(n: Int, lf: Int) {
            rampCount = n - lf
            start = 1.0 / Double(n)
            step = rampCount > 1 ? (1.0 - start) / Double(rampCount - 1) : 0
        }

        @inline(__always) func weight(_ j: Int) -> Double {
            if j < rampCount - 1 { return start + Double(j) * step }
            return j == rampCount - 1 && rampCount == 1 ? start : 1.0  // linspace ends at 1
        }
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
        let ratio: [Double]  // w_k / sigma_k
        let invSigma: [Double]
        /// Terms smaller than the largest by more than this (in log) are negligible.
        let negligible: Double
        let logAccepted: Double
        let expLow: Double?
        let expHigh: Double?
        /// For the windowed sums over components sorted by mu: the widest components (the prior,
        /// and the few sparse observations whose sigma is far above the rest) are handled one by
        /// one (`wide`, which holds `widest`); every other one has sigma <= `restMaxSigma`, which
        /// sets the window's radius.
        let sorted: Bool
        let widest: Int
        let wide: [Int]
        let restMaxSigma: Double

        /// - Parameter normalized: divide by the mass inside the bounds. TPE's choice does not need
        ///   it: the constant is the same for every candidate, so it cannot change the argmax.
        init(_ m: GaussianMixture, normalized: Bool = true) {
            mixture = m
            let n = m.weights.count
            var widest = 0
            var rMin = Double.infinity
            var rMax = 0.0
            let r = [Double](unsafeUninitializedCapacity: n) { r, count in
                for k in 0..<n {
                    let x = m.weights[k] / m.sigmas[k]
                    r[k] = x
                    if m.sigmas[k] > m.sigmas[widest] { widest = k }
                    if x > 0 { rMin = Swift.min(rMin, x) }
                    rMax = Swift.max(rMax, x)
                }
                count = n
            }
            let inv = [Double](unsafeUninitializedCapacity: n) { v, count in
                for k in 0..<n { v[k] = 1 / Swift.max(m.sigmas[k], TPEMath.eps) }
                count = n
            }
            // The largest sigmas, up to an eighth of the components (at most 32), go to `wide`: a
            // few sparse observations would otherwise widen every window to most of the mixture.
            let wideCount = Swift.min(32, n / 8)
            // One pass keeps the `wideCount` largest (ascending by sigma, so top[0] is the smallest kept).
            var top: [Int] = []
            top.reserveCapacity(wideCount + 1)
            var restSigma = 0.0
            for k in 0..<n where k != widest {
                let sk = Swift.max(m.sigmas[k], TPEMath.eps)
                if wideCount == 0 { restSigma = Swift.max(restSigma, sk); continue }
                if top.count < wideCount || sk > m.sigmas[top[0]] {
                    var i = 0
                    while i < top.count && m.sigmas[top[i]] < sk { i += 1 }
                    top.insert(k, at: i)
                    if top.count > wideCount {
                        restSigma = Swift.max(restSigma, Swift.max(m.sigmas[top[0]], TPEMath.eps))
                        top.removeFirst()
                    }
                } else {
                    restSigma = Swift.max(restSigma, sk)
                }
            }
            let wideSet = [widest] + top
            // A term r_k exp(-d_k) with d_k - d_min > 36 + log(rMax / rMin) is below 2.3e-16 of the
            // largest term, so it cannot change the sum beyond rounding.
            negligible = 36 + (rMax > 0 && rMin.isFinite ? log(rMax / rMin) : 0)
            var sorted = true
            for k in 1..<Swift.max(n, 1) where m.mus[k - 1] > m.mus[k] { sorted = false; break }
            ratio = r
            invSigma = inv
            logAccepted = normalized ? log(m.acceptedMass) : 0
            expLow = m.low.map { exp($0) }
            expHigh = m.high.map { exp($0) }
            self.sorted = sorted
            self.widest = widest
            wide = wideSet
            restMaxSigma = restSigma
        }

        /// log density (no q) or log bucket mass (q) of a value, divided by the accepted mass.
        func logDensity(_ x: Double) -> Double {
            let m = mixture
            if let q = m.q {
                var lb = x - q / 2
                var ub = x + q / 2
                if m.isLog {
                    if let expHigh { ub = Swift.min(ub, expHigh) }
                    if let expLow { lb = Swift.max(lb, expLow) }
                    lb = Swift.max(0, lb)
                    if ub <= lb { return -.infinity - logAccepted }
                    // The bucket in the normal's (log) space, as lognormalMass takes it.
                    let la = lb <= 0 ? -Double.infinity : log(Swift.max(lb, TPEMath.eps))
                    let lu = ub == .infinity ? Double.infinity : log(Swift.max(ub, TPEMath.eps))
                    return log(bucketMass(la, lu)) - logAccepted
                }
                if let high = m.high { ub = Swift.min(ub, high) }
                if let low = m.low { lb = Swift.max(lb, low) }
                return log(bucketMass(lb, ub)) - logAccepted
            }
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
            return logSumOfComponents(y) - shift - logAccepted
        }

        /// sum_k w_k P(a <= Y_k <= b), Y_k ~ normal(mu_k, sigma_k): a quantised value's bucket mass.
        /// A component whose mean is delta away from the bucket has mass below
        /// exp(-delta^2 / (2 sigma_k^2)). With s0 the largest of a few terms (those of the means
        /// nearest the bucket and of the widest component), every component with
        /// delta^2 / (2 sigma_k^2) > T = 36 - log(min(1, s0)) is skipped: together (the weights sum
        /// to 1) they add less than e^-T <= 2.3e-16 s0, below the sum's rounding. With components
        /// sorted by mu, only means within `restMaxSigma * sqrt(2 T)` of the bucket are looked at.
        func bucketMass(_ a: Double, _ b: Double) -> Double {
            let m = mixture
            let n = m.weights.count
            if b <= a { return 0 }
            return m.mus.withUnsafeBufferPointer { mu in
                m.weights.withUnsafeBufferPointer { w in
                    m.sigmas.withUnsafeBufferPointer { sigma in
                        invSigma.withUnsafeBufferPointer { inv in
                            @inline(__always) func term(_ k: Int) -> Double { w[k] * TPEMath.normalMass(a, b, mu[k], sigma[k]) }
                            let center = a.isFinite ? (b.isFinite ? 0.5 * (a + b) : a) : b
                            guard sorted && n > 8 && center.isFinite else {
                                var s = 0.0
                                for k in 0..<n { s += term(k) }
                                return s
                            }
                            let p = Self.lowerBound(mu, center)
                            var s0 = term(widest)
                            if p < n { s0 = Swift.max(s0, term(p)) }
                            if p > 0 { s0 = Swift.max(s0, term(p - 1)) }
                            guard s0 > 0 else {
                                var s = 0.0
                                for k in 0..<n { s += term(k) }
                                return s
                            }
                            let threshold = 36 + Swift.max(0, -log(s0))
                            let radius = restMaxSigma * (2 * threshold).squareRoot()
                            let lo = Self.lowerBound(mu, a - radius)
                            let hi = Self.upperBound(mu, b + radius)
                            var s = 0.0
                            for k in lo..<hi {
                                let delta = mu[k] < a ? a - mu[k] : (mu[k] > b ? mu[k] - b : 0)
                                let t = delta * inv[k]
                                if 0.5 * t * t > threshold { continue }
                                s += term(k)
                            }
                            for k in wide where k < lo || k >= hi {
                                let delta = mu[k] < a ? a - mu[k] : (mu[k] > b ? mu[k] - b : 0)
                                let t = delta * inv[k]
                                if 0.5 * t * t <= threshold { s += term(k) }
                            }
                            return s
                        }
                    }
                }
            }
        }

        /// log sum_k w_k N(y; mu_k, sigma_k), computed as log(sum_k r_k exp(d_min - d_k)) - d_min
        /// - log sqrt(2 pi) with d_k = (y - mu_k)^2 / (2 sigma_k^2) and r_k = w_k / sigma_k, so no
        /// log is taken per component. Negligible terms are skipped, and with components sorted by
        /// mu only the window of mus that can hold other terms is visited.
        func logSumOfComponents(_ y: Double) -> Double {
            TPEMath.exp2Table.withUnsafeBufferPointer { table in
            ratio.withUnsafeBufferPointer { r in
                invSigma.withUnsafeBufferPointer { inv in
                    mixture.mus.withUnsafeBufferPointer { mu in
                        @inline(__always) func d(_ k: Int) -> Double {
                            let t = (y - mu[k]) * inv[k]
                            return 0.5 * t * t
                        }
                        let n = r.count
                        var lo = 0
                        var hi = n
                        var dMin = Double.infinity
                        if sorted && n > 8 {
                            let p = Self.lowerBound(mu, y)
                            for k in wide { dMin = Swift.min(dMin, d(k)) }
                            if p < n { dMin = Swift.min(dMin, d(p)) }
                            if p > 0 { dMin = Swift.min(dMin, d(p - 1)) }
                            // Outside the window every component but the wide ones has d_k >= dMin + negligible.
                            let radius = restMaxSigma * (2 * (dMin + negligible)).squareRoot()
                            lo = Self.lowerBound(mu, y - radius)
                            hi = Self.upperBound(mu, y + radius)
                        }
                        if !(sorted && n > 8) {
                            for k in 0..<n { dMin = Swift.min(dMin, d(k)) }
                        }
                        if dMin == .infinity { return -.infinity }
                        // One pass: dMin (from the nearest means and the widest component) may exceed the
                        // true minimum over the window by a little; terms then exceed 1, which is harmless
                        // short of overflow (checked: the exponent stays below 700 or the pass restarts).
                        var cutoff = dMin + negligible
                        var s = 0.0
                        var k = lo
                        while k < hi {
                            let dk = d(k)
                            if dk <= cutoff {
                                let e = dMin - dk
                                if e > 700 {  // restart with this smaller reference
                                    dMin = dk
                                    cutoff = dMin + negligible
                                    s = 0
                                    k = lo
                                    continue
                                }
                                s += r[k] * TPEMath.fastExp(e, table)
                            }
                            k += 1
                        }
                        if sorted && n > 8 {
                            for k in wide where k < lo || k >= hi {
                                let dk = d(k)
                                if dk <= cutoff {
                                    let e = dMin - dk
                                    if e > 700 {  // a wide component far nearer than the window's: start over without windows
                                        return fullLogSum(y, table, r, inv, mu)
                                    }
                                    s += r[k] * TPEMath.fastExp(e, table)
                                }
                            }
                        }
                        return log(s) - dMin - TPEMath.logSqrt2Pi
                    }
                }
            }
            }
        }

        /// The sum over every component, without windows (the rare fallback of `logSumOfComponents`).
        func fullLogSum(_ y: Double, _ table: UnsafeBufferPointer<Double>, _ r: UnsafeBufferPointer<Double>,
                        _ inv: UnsafeBufferPointer<Double>, _ mu: UnsafeBufferPointer<Double>) -> Double {
            var dMin = Double.infinity
            for k in 0..<r.count {
                let t = (y - mu[k]) * inv[k]
                dMin = Swift.min(dMin, 0.5 * t * t)
            }
            if dMin == .infinity { return -.infinity }
            let cutoff = dMin + negligible
            var s = 0.0
            for k in 0..<r.count {
                let t = (y - mu[k]) * inv[k]
                let dk = 0.5 * t * t
                if dk <= cutoff { s += r[k] * TPEMath.fastExp(dMin - dk, table) }
            }
            return log(s) - dMin - TPEMath.logSqrt2Pi
        }

        static func lowerBound(_ a: UnsafeBufferPointer<Double>, _ x: Double) -> Int {
            var lo = 0
            var hi = a.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if a[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        static func upperBound(_ a: UnsafeBufferPointer<Double>, _ x: Double) -> Int {
            var lo = 0
            var hi = a.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if a[mid] <= x { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// The log density of a value under the mixture (for q: the log probability of its bucket
    /// [x - q/2, x + q/2], clipped to the bounds), normalised by the mass inside the bounds.
    /// Never NaN: a zero mass gives -inf.
    public func logDensity(_ x: Double) -> Double { Evaluator(self).logDensity(x) }
}
