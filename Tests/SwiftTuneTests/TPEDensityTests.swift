#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SwiftTune

/// The mixtures' densities against numerical integrals, and their samples against the densities.
extension TPETests {
    // MARK: densities against numerical integrals

    /// Composite Simpson's rule with `n` (even) intervals.
    func simpson(_ a: Double, _ b: Double, _ n: Int = 20_000, _ f: (Double) -> Double) -> Double {
        let h = (b - a) / Double(n)
        var s = f(a) + f(b)
        for i in 1..<n { s += (i % 2 == 1 ? 4 : 2) * f(a + Double(i) * h) }
        return s * h / 3
    }

    func normalPDF(_ x: Double, _ mu: Double, _ s: Double) -> Double {
        exp(-0.5 * ((x - mu) / s) * ((x - mu) / s)) / (s * (2 * Double.pi).squareRoot())
    }

    // The test mixture's components (`weights`, `mus`, `sigmas`) are stored properties of
    // TPETests, in TPETests.swift: an extension cannot hold them.

    @Test func truncatedDensityIntegratesToOne() {
        let m = GaussianMixture(weights: weights, mus: mus, sigmas: sigmas, low: 2.5, high: 3.5)
        let total = simpson(2.5, 3.5) { exp(m.logDensity($0)) }
        #expect(abs(total - 1) < 1e-6)
        // And point by point it is the untruncated density over the accepted mass.
        let accepted = simpson(2.5, 3.5) { x in (0..<4).reduce(0) { $0 + weights[$1] * normalPDF(x, mus[$1], sigmas[$1]) } }
        for x in [2.6, 3.0, 3.4] {
            let direct = (0..<4).reduce(0) { $0 + weights[$1] * normalPDF(x, mus[$1], sigmas[$1]) } / accepted
            #expect(abs(m.logDensity(x) - log(direct)) < 1e-6)
        }
    }

    @Test func logTruncatedDensityIntegratesToOne() {
        let m = GaussianMixture(weights: weights, mus: [-2, 1, 0, 3], sigmas: sigmas, low: log(2), high: log(4), isLog: true)
        let total = simpson(2, 4) { exp(m.logDensity($0)) }
        #expect(abs(total - 1) < 1e-6)
    }

    @Test func quantisedMassesEqualIntegralsOverTheirBuckets() {
        let q = 0.5
        let m = GaussianMixture(weights: weights, mus: mus, sigmas: sigmas, low: 1.0, high: 4.1, q: q)
        let pdf: (Double) -> Double = { x in (0..<4).reduce(0) { $0 + self.weights[$1] * self.normalPDF(x, self.mus[$1], self.sigmas[$1]) } }
        let accepted = simpson(1.0, 4.1, 40_000, pdf)
        var totalMass = 0.0
        for k in 2...8 {
            let x = Double(k) * q
            let lo = max(x - q / 2, 1.0), hi = min(x + q / 2, 4.1)
            let mass = simpson(lo, hi, 20_000, pdf) / accepted
            #expect(abs(exp(m.logDensity(x)) - mass) < 1e-6, "bucket \(x)")
            totalMass += exp(m.logDensity(x))
        }
        // The buckets cover [1, 4.1] exactly once (1 -> [1, 1.25], 4.0 -> [3.75, 4.1]).
        #expect(abs(totalMass - 1) < 1e-6)
    }

    @Test func quantisedLogMassesEqualIntegrals() {
        let q = 1.0
        let m = GaussianMixture(weights: weights, mus: [-2, 0, -3, 1], sigmas: [2.1, 0.4, 0.8, 2.1], isLog: true, q: q)
        func lognormalPDF(_ x: Double, _ mu: Double, _ s: Double) -> Double { normalPDF(log(x), mu, s) / x }
        let ws = weights, lm = [-2.0, 0, -3, 1], ls = [2.1, 0.4, 0.8, 2.1]
        for x in [0.0, 1.0, 2.0, 5.0] {
            let lo = max(x - q / 2, 1e-9), hi = x + q / 2
            let mass = simpson(lo, hi, 200_000) { t in (0..<4).reduce(0) { $0 + ws[$1] * lognormalPDF(t, lm[$1], ls[$1]) } }
            #expect(abs(exp(m.logDensity(x)) - mass) < 1e-6, "bucket \(x)")
        }
    }

    @Test func zeroMassIsMinusInfinityNotNaN() {
        let m = GaussianMixture(weights: [1], mus: [0], sigmas: [1e-3], low: -1, high: 1, q: 0.1)
        let far = m.logDensity(50)  // a bucket outside the bounds has no mass
        #expect(far == -.infinity)
        // Without q the log density stays finite far out (no exp underflow to log 0).
        let c = GaussianMixture(weights: [1], mus: [0], sigmas: [1e-3])
        let farOut = c.logDensity(1e6)
        #expect(farOut.isFinite && farOut < -1e17)
        #expect(!c.logDensity(0.01).isNaN)
    }

    @Test func windowedSumEqualsTheFullSum() {
        // Many sorted components (the windowed path) against a direct log-sum-exp.
        var rng = Xoshiro256(seed: 5)
        let obs = (0..<400).map { _ in rng.uniform(0, 10) }
        let e = GaussianMixture.adaptiveParzen(observations: obs, priorWeight: 1, priorMu: 5, priorSigma: 10)
        let m = GaussianMixture(weights: e.weights, mus: e.mus, sigmas: e.sigmas, low: 0, high: 10)
        let accepted = m.acceptedMass
        for x in stride(from: 0.01, to: 10, by: 0.37) {
            let terms = (0..<e.mus.count).map { k in
                log(e.weights[k]) - log(e.sigmas[k]) - 0.5 * log(2 * Double.pi) - 0.5 * pow((x - e.mus[k]) / e.sigmas[k], 2)
            }
            let direct = terms.withUnsafeBufferPointer { TPEMath.logSumExp($0) } - log(accepted)
            #expect(abs(m.logDensity(x) - direct) < 1e-12 * max(1, abs(direct)))
        }
    }

    @Test(arguments: [false, true]) func windowedBucketMassEqualsTheFullSum(log isLog: Bool) {
        // Quantised mixtures with many sorted components: the windowed bucket mass against the
        // sum over every component, for buckets near and far from the data.
        var rng = Xoshiro256(seed: 6)
        let obs = (0..<600).map { _ in isLog ? rng.uniform(0, 4) : rng.uniform(2, 8) }
        let e = GaussianMixture.adaptiveParzen(observations: obs, priorWeight: 1, priorMu: isLog ? 2 : 5, priorSigma: 10)
        let m = GaussianMixture(weights: e.weights, mus: e.mus, sigmas: e.sigmas, low: 0, high: isLog ? 5 : 10,
                                isLog: isLog, q: isLog ? 0.5 : 0.25)
        let accepted = m.acceptedMass
        for x in stride(from: 0.25, through: isLog ? 140 : 10, by: isLog ? 1.75 : 0.25) {
            var lb = x - m.q! / 2, ub = x + m.q! / 2
            var direct = 0.0
            if isLog {
                lb = max(lb, exp(0)); ub = min(ub, exp(5)); lb = max(0, lb)
                for k in e.mus.indices { direct += e.weights[k] * TPEMath.lognormalMass(lb, ub, e.mus[k], e.sigmas[k]) }
            } else {
                lb = max(lb, 0); ub = min(ub, 10)
                for k in e.mus.indices { direct += e.weights[k] * TPEMath.normalMass(lb, ub, e.mus[k], e.sigmas[k]) }
            }
            let expected = log(direct) - log(accepted)
            let got = m.logDensity(x)
            if direct == 0 { #expect(got == -.infinity); continue }
            #expect(abs(got - expected) < 1e-12 * max(1, abs(expected)), "x = \(x): \(got) vs \(expected)")
        }
    }

    // MARK: sampling against the density

    @Test func boundedSamplesFollowTheDensity() {
        let m = GaussianMixture(weights: weights, mus: mus, sigmas: sigmas, low: 0.5, high: 5.5)
        var rng = Xoshiro256(seed: 11)
        let n = 100_000
        let bins = 20
        var counts = Array(repeating: 0, count: bins)
        for _ in 0..<n {
            let x = m.sample(&rng)
            #expect(x >= 0.5 && x < 5.5)
            counts[min(bins - 1, Int((x - 0.5) / 5 * Double(bins)))] += 1
        }
        for b in 0..<bins {
            let lo = 0.5 + Double(b) * 0.25
            let p = simpson(lo, lo + 0.25, 2_000) { exp(m.logDensity($0)) }
            let se = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(Double(counts[b]) / Double(n) - p) < 5 * se + 1e-4, "bin \(b)")
        }
    }

    @Test func quantisedSamplesFollowTheirBucketMasses() {
        let m = GaussianMixture(weights: [0.33, 0.67], mus: [5.505, 5.0], sigmas: [8.99, 5.19], low: 1.01, high: 10, q: 1)
        var rng = Xoshiro256(seed: 12)
        let n = 50_000
        var counts: [Double: Int] = [:]
        for _ in 0..<n { counts[m.sample(&rng), default: 0] += 1 }
        #expect(Set(counts.keys) == Set((1...10).map(Double.init)))
        for (v, c) in counts {
            let p = exp(m.logDensity(v))
            let se = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(Double(c) / Double(n) - p) < 5 * se + 1e-4, "value \(v)")
        }
    }

    @Test func logSamplesStayInTheirBounds() {
        let m = GaussianMixture(weights: weights, mus: [-2, 1, 0, 3], sigmas: sigmas, low: log(2), high: log(4), isLog: true, q: 0.5)
        var rng = Xoshiro256(seed: 13)
        for _ in 0..<10_000 {
            let x = m.sample(&rng)
            #expect(x >= 2 && x <= 4 && (x / 0.5).rounded() == x / 0.5)
        }
    }
}
