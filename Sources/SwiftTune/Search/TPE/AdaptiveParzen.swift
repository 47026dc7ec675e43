// The adaptive Parzen estimator: how TPE fits a mixture to one parameter's observations.

extension GaussianMixture {
    /// With one observation, its bandwidth is this fraction of the prior's (hyperopt's
    /// `adaptive_parzen_normal`: `prior_sigma * 0.5`); with more, it is the larger gap to a neighbour.
    static let singleObservationSigmaFactor = 0.5

    /// Bandwidths are clipped from below at `priorSigma / min(this, 1 + components)`, hyperopt's
    /// `prior_sigma / min(100.0, 1.0 + len(mus))`: the more components, the narrower one may be,
    /// down to a hundredth of the prior's.
    static let minSigmaDivisorCap = 100.0

    /// The adaptive Parzen estimator of hyperopt's TPE (`adaptive_parzen_normal`), for
    /// observations in trial order (already in the estimator's space). See `docs/tpe.md`.
    /// O(n log n) for n observations (one sort).
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
                sigmas = [priorSigma, priorSigma * singleObservationSigmaFactor]
                weights = [priorWeight, 1]
            } else {
                priorPos = 1
                mus = [obs[0], priorMu]
                sigmas = [priorSigma * singleObservationSigmaFactor, priorSigma]
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
        let minSigma = priorSigma / Swift.min(minSigmaDivisorCap, 1.0 + Double(mus.count))
        for i in sigmas.indices { sigmas[i] = Swift.min(Swift.max(sigmas[i], minSigma), maxSigma) }
        sigmas[priorPos] = priorSigma
        let total = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= total }
        return (weights, mus, sigmas, priorPos)
    }

    /// The estimator for at least two observations already in stable ascending order, each with
    /// its linear-forgetting weight (which depends on its place in trial order). O(n): the caller
    /// keeps observations sorted (`ObservationIndex`) so that a suggestion does not sort them again.
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
}
