#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SwiftTune

/// Checks of the TPE's building blocks against hand-computed values and numerical integrals
/// (`docs/tpe.md`, and the "What the tests must show" list of the TPE spec).
@Suite("TPE estimator, densities and sampling")
struct TPETests {
    /// The components of the mixture that the density and sampling tests (TPEDensityTests.swift)
    /// check against numerical integrals.
    let weights = [0.1, 0.3, 0.4, 0.2]
    let mus = [1.0, 2.0, 3.0, 4.0]
    let sigmas = [0.1, 0.4, 0.8, 2.0]

    func close(_ a: [Double], _ b: [Double], tol: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) }
    }

    // MARK: adaptive Parzen estimator

    @Test func noObservationsGivesThePriorAlone() {
        let e = GaussianMixture.adaptiveParzen(observations: [], priorWeight: 1, priorMu: 5, priorSigma: 10)
        #expect(e.weights == [1] && e.mus == [5] && e.sigmas == [10] && e.priorIndex == 0)
    }

    @Test func oneObservationRightOfThePrior() {
        let e = GaussianMixture.adaptiveParzen(observations: [7], priorWeight: 1, priorMu: 5, priorSigma: 10)
        #expect(e.mus == [5, 7])
        #expect(e.sigmas == [10, 5])  // [prior_sigma, prior_sigma / 2]; min sigma 10/3 clips nothing
        #expect(e.weights == [0.5, 0.5])
        #expect(e.priorIndex == 0)
    }

    @Test func oneObservationLeftOfThePriorWithAPriorWeight() {
        let e = GaussianMixture.adaptiveParzen(observations: [2], priorWeight: 3, priorMu: 5, priorSigma: 10)
        #expect(e.mus == [2, 5])
        #expect(e.sigmas == [5, 10])
        #expect(close(e.weights, [0.25, 0.75]))
        #expect(e.priorIndex == 1)
    }

    @Test func twoObservationsAroundThePrior() {
        // sorted [1, 5(prior), 9]; sigmas: 4, max(4, 4), 4; min sigma 10/4 = 2.5; prior back to 10.
        let e = GaussianMixture.adaptiveParzen(observations: [9, 1], priorWeight: 1, priorMu: 5, priorSigma: 10)
        #expect(e.mus == [1, 5, 9])
        #expect(e.sigmas == [4, 10, 4])
        #expect(close(e.weights, [1.0 / 3, 1.0 / 3, 1.0 / 3]))
    }

    @Test func threeObservationsWithClipping() {
        // sorted [2, 3, 5(prior), 8]; raw sigmas [1, 2, 3, 3]; min sigma 10/5 = 2 -> [2, 2, 3, 3];
        // the prior's sigma goes back to 10.
        let e = GaussianMixture.adaptiveParzen(observations: [8, 2, 3], priorWeight: 1, priorMu: 5, priorSigma: 10)
        #expect(e.mus == [2, 3, 5, 8])
        #expect(e.sigmas == [2, 2, 10, 3])
        #expect(e.priorIndex == 2)
        #expect(close(e.weights, [0.25, 0.25, 0.25, 0.25]))
    }

    @Test func priorTiedWithAnObservationGoesLeftOfIt() {
        // searchsorted(left) puts the prior before the equal observation: [1, 5(prior), 5].
        let e = GaussianMixture.adaptiveParzen(observations: [5, 1], priorWeight: 1, priorMu: 5, priorSigma: 10)
        #expect(e.priorIndex == 1)
        #expect(e.mus == [1, 5, 5])
        // raw sigmas [4, max(4, 0), 0] -> clip to [2.5, 10] -> [4, 4, 2.5]; prior -> 10.
        #expect(e.sigmas == [4, 10, 2.5])
    }

    @Test func priorAtTheEdgeOfTheObservations() {
        // Prior beyond every observation: [1, 2, 5(prior)]; raw [1, 3, 3] -> min 2.5 -> [2.5, 3, 3]; prior -> 10.
        let e = GaussianMixture.adaptiveParzen(observations: [2, 1], priorWeight: 1, priorMu: 5, priorSigma: 10)
        #expect(e.mus == [1, 2, 5])
        #expect(e.sigmas == [2.5, 3, 10])
        #expect(e.priorIndex == 2)
        // Prior before every observation.
        let f = GaussianMixture.adaptiveParzen(observations: [7, 6], priorWeight: 1, priorMu: 0, priorSigma: 10)
        #expect(f.mus == [0, 6, 7])
        #expect(f.sigmas == [10, 6, 2.5])  // raw [6, max(6, 1), 1] -> min 2.5 -> [6, 6, 2.5]; prior 10
    }

    @Test func thirtyObservationsUseLinearForgetting() {
        // 30 observations 0, 0.3, ..., 8.7 in trial order; prior mu 100, sigma 200 (at the end).
        let obs = (0..<30).map { Double($0) * 0.3 }
        let e = GaussianMixture.adaptiveParzen(observations: obs, priorWeight: 1, priorMu: 100, priorSigma: 200)
        #expect(e.priorIndex == 30)
        let expectedMus: [Double] = obs + [100.0]
        #expect(e.mus == expectedMus)
        // Ramp linspace(1/30, 1, 5) for the 5 oldest, ones for the newest 25, prior weight 1.
        let step: Double = (1 - 1.0 / 30) / 4
        let ramp: [Double] = (0..<5).map { (k: Int) -> Double in 1.0 / 30 + Double(k) * step }
        let raw: [Double] = ramp + Array(repeating: 1.0, count: 25) + [1.0]
        let total = raw.reduce(0, +)
        #expect(close(e.weights, raw.map { $0 / total }))
        // Raw sigmas 0.3 (neighbours) except the last observation's max(0.3, 91.3); the minimum
        // is 200 / min(100, 32) = 6.25; the prior gets 200.
        var expected = Array(repeating: 6.25, count: 29) + [100 - 8.7]
        expected.append(200)
        #expect(close(e.sigmas, expected, tol: 1e-9))
    }

    @Test func linearForgettingWeightsMatchNumpyLinspace() {
        #expect(GaussianMixture.linearForgettingWeights(25, 25) == nil)
        let w26: [Double] = [1.0 / 26] + Array(repeating: 1.0, count: 25)
        #expect(GaussianMixture.linearForgettingWeights(26, 25) == w26)
        let w = GaussianMixture.linearForgettingWeights(28, 25)!
        let head: [Double] = [1.0 / 28, (1.0 / 28 + 1) / 2, 1]
        #expect(close(Array(w.prefix(3)), head))
        #expect(GaussianMixture.linearForgettingWeights(100, 0) == nil)
    }

    @Test func stableOrderSortsLikeAStableComparisonSort() {
        var rng = Xoshiro256(seed: 21)
        for n in [0, 1, 2, 17, 63, 64, 65, 1000, 5000] {
            // Negatives, zeros of both signs, ties, and values a few ulps apart.
            var values: [Double] = []
            for _ in 0..<n {
                switch rng.below(5) {
                case 0: values.append(Double(rng.below(7)) - 3)
                case 1: values.append(rng.uniform(-1e6, 1e6))
                case 2: values.append(-0.0)
                case 3: values.append(1.0 + Double(rng.below(8)) * Double.ulpOfOne)
                default: values.append(rng.uniform(-1, 1) * 1e-300)
                }
            }
            let expected = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
            #expect(StableOrder.of(values).map(Int.init) == expected, "n = \(n)")
        }
    }

    @Test func fastExpIsWithinTwoUlpOfLibm() {
        var rng = Xoshiro256(seed: 31)
        var worst = 0.0
        TPEMath.exp2Table.withUnsafeBufferPointer { table in
            var xs: [Double] = [0, -0.0, -1e-300, -Double.ulpOfOne, -0.5, -1, -36, -60, -699.9, -700]
            for _ in 0..<200_000 { xs.append(-rng.uniform(0, 1) * rng.uniform(0, 700)) }
            for x in xs {
                let exact = exp(x)
                let fast = TPEMath.fastExp(x, table)
                worst = max(worst, abs(fast - exact) / exact.ulp)
            }
            #expect(TPEMath.fastExp(-701, table) == 0)
        }
        #expect(worst <= 2, "worst error \(worst) ulp")
    }

    @Test func categoricalPseudoCounts() {
        // counts [2, 1, 0] + prior_weight * K * (1/K) = [3, 2, 1] / 6.
        let p = TPEModel.categoricalPosterior([0, 0, 1], [1.0 / 3, 1.0 / 3, 1.0 / 3], priorWeight: 1, linearForgetting: 25)
        #expect(close(p, [0.5, 1.0 / 3, 1.0 / 6]))
        // pchoice probabilities scale the pseudo-counts: counts [1, 0] + 2 * [0.1, 0.9] * 1.
        let q = TPEModel.categoricalPosterior([0], [0.1, 0.9], priorWeight: 1, linearForgetting: 25)
        #expect(close(q, [1.2 / 3, 1.8 / 3]))
    }
}
