/// A one-dimensional Gaussian mixture as TPE builds it for one numeric parameter: components in
/// the estimator's space (logs for log distributions), optionally truncated to [low, high) there,
/// with values exponentiated (log) and rounded to multiples of q (quantised) on the way out.
///
/// The mixture is plain data; what TPE does with it is in the files beside this one:
/// `AdaptiveParzen.swift` fits it to observations, `MixtureSampling.swift` draws from it, and
/// `MixtureDensity.swift` evaluates its log density.
public struct GaussianMixture: Sendable, Equatable {
    /// The components' weights (non-negative; TPE's fit normalises them to sum to 1).
    public var weights: [Double]
    /// The components' means, in the estimator's space.
    public var mus: [Double]
    /// The components' standard deviations (bandwidths), in the estimator's space.
    public var sigmas: [Double]
    /// Lower truncation bound in the estimator's space (nil: none).
    public var low: Double?
    /// Upper truncation bound in the estimator's space (nil: none); draws are below it.
    public var high: Double?
    /// Values are exp of the mixture's draws.
    public var isLog: Bool
    /// Values are rounded to multiples of q (in the value's space).
    public var q: Double?

    /// A mixture of these components; the three arrays must have the same length.
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

    /// The mass of the truncation interval under the mixture (1 without bounds). O(components).
    public var acceptedMass: Double {
        guard low != nil || high != nil else { return 1 }
        let lo = low ?? -.infinity
        let hi = high ?? .infinity
        var p = 0.0
        for k in weights.indices { p += weights[k] * TPEMath.normalMass(lo, hi, mus[k], sigmas[k]) }
        return p
    }
}
