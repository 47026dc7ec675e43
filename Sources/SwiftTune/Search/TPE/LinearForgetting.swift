// hyperopt's linear forgetting: older observations weigh less in TPE's estimators, both the
// Parzen mixtures of numeric parameters and the category counts of categorical ones.

extension GaussianMixture {
    /// hyperopt's `linear_forgetting_weights(n, lf)`: nil (all ones) when n <= lf, otherwise a ramp
    /// `linspace(1/n, 1, n - lf)` for the oldest observations followed by `lf` ones. O(n).
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
        /// How many of the oldest observations are on the ramp (n - lf).
        let rampCount: Int
        /// The ramp's first weight, 1/n.
        let start: Double
        /// The ramp's step between consecutive weights.
        let step: Double

        /// The weights of n observations of which the newest lf keep weight 1.
        init(n: Int, lf: Int) {
            rampCount = n - lf
            start = 1.0 / Double(n)
            step = rampCount > 1 ? (1.0 - start) / Double(rampCount - 1) : 0
        }

        /// The weight of the j-th oldest observation.
        @inline(__always) func weight(_ j: Int) -> Double {
            if j < rampCount - 1 { return start + Double(j) * step }
            return j == rampCount - 1 && rampCount == 1 ? start : 1.0  // linspace ends at 1
        }
    }
}
