#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The log density of a Gaussian mixture at many points: TPE's scores of its candidates.

extension GaussianMixture {
    /// Precomputed per-component terms for fast log densities of many points: O(n) to build for
    /// n components, then per point O(log n + the components in the window around it) when the
    /// components are sorted by mu (as TPE's fit leaves them), O(n) otherwise.
    struct Evaluator {
        /// A term is negligible when it is below e^-36 (2.3e-16) of the largest term of its sum:
        /// that is about a double's rounding (2^-52 = 2.2e-16), so leaving it out cannot change the
        /// sum beyond rounding. The exponent of the cut-off in both the density and the bucket sums.
        static let negligibleExponent = 36.0

        /// A term of `logSumOfComponents` may exceed the reference term by at most e^700 (1.0e304,
        /// against the largest double's 1.8e308) before the sum starts over with it as the
        /// reference: well short of overflow, and inside `TPEMath.fastExp`'s range.
        static let maxTermExponent = 700.0

        /// At most this many components besides the widest are summed one by one (`wide`) instead
        /// of setting the windows' radius; see `wideComponentDivisor`.
        static let maxWideComponents = 32

        /// At most one component in this many (n / 8) goes to `wide`: room for the few sparse
        /// observations whose sigmas are far above the rest (they would otherwise set every
        /// window's radius), while the one-by-one sum stays at most an eighth of the terms.
        static let wideComponentDivisor = 8

        /// Windows are used only for mixtures of more than this many components: for a handful,
        /// the plain sum over every component is cheap.
        static let minWindowedComponents = 8

        /// The mixture evaluated.
        let mixture: GaussianMixture
        /// w_k / sigma_k, by component.
        let ratio: [Double]
        /// 1 / sigma_k (sigma floored at `TPEMath.eps`), by component.
        let invSigma: [Double]
        /// Terms smaller than the largest by more than this (in log) are negligible.
        let negligible: Double
        /// log of the mass inside the bounds, or 0 when not normalised.
        let logAccepted: Double
        /// exp of the bounds, for the buckets of quantised log values.
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
            let wideCount = Swift.min(Self.maxWideComponents, n / Self.wideComponentDivisor)
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
            negligible = Self.negligibleExponent + (rMax > 0 && rMin.isFinite ? log(rMax / rMin) : 0)
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
                            guard sorted && n > Self.minWindowedComponents && center.isFinite else {
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
                            let threshold = Self.negligibleExponent + Swift.max(0, -log(s0))
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
                        if sorted && n > Self.minWindowedComponents {
                            let p = Self.lowerBound(mu, y)
                            for k in wide { dMin = Swift.min(dMin, d(k)) }
                            if p < n { dMin = Swift.min(dMin, d(p)) }
                            if p > 0 { dMin = Swift.min(dMin, d(p - 1)) }
                            // Outside the window every component but the wide ones has d_k >= dMin + negligible.
                            let radius = restMaxSigma * (2 * (dMin + negligible)).squareRoot()
                            lo = Self.lowerBound(mu, y - radius)
                            hi = Self.upperBound(mu, y + radius)
                        }
                        if !(sorted && n > Self.minWindowedComponents) {
                            for k in 0..<n { dMin = Swift.min(dMin, d(k)) }
                        }
                        if dMin == .infinity { return -.infinity }
                        // One pass: dMin (from the nearest means and the widest component) may exceed the
                        // true minimum over the window by a little; terms then exceed 1, which is harmless
                        // short of overflow (checked: the exponent stays below `maxTermExponent` or the pass restarts).
                        var cutoff = dMin + negligible
                        var s = 0.0
                        var k = lo
                        while k < hi {
                            let dk = d(k)
                            if dk <= cutoff {
                                let e = dMin - dk
                                if e > Self.maxTermExponent {  // restart with this smaller reference
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
                        if sorted && n > Self.minWindowedComponents {
                            for k in wide where k < lo || k >= hi {
                                let dk = d(k)
                                if dk <= cutoff {
                                    let e = dMin - dk
                                    if e > Self.maxTermExponent {  // a wide component far nearer than the window's: start over without windows
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

        /// The first index whose value is >= x in ascending `a` (binary search, O(log n)).
        static func lowerBound(_ a: UnsafeBufferPointer<Double>, _ x: Double) -> Int {
            var lo = 0
            var hi = a.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if a[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        /// The first index whose value is > x in ascending `a` (binary search, O(log n)).
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
    /// Never NaN: a zero mass gives -inf. O(components): it builds an ``Evaluator`` for one point;
    /// TPE builds one per mixture and scores every candidate with it.
    public func logDensity(_ x: Double) -> Double { Evaluator(self).logDensity(x) }
}
