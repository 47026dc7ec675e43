#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// TPE's view of a search space: the prior each parameter maps to. The space itself (Space/)
// knows nothing of TPE; everything TPE-specific about a distribution is here.

/// The prior of one parameter in the form TPE works with.
enum Prior: Sendable, Equatable {
    /// A numeric prior: `mu`, `sigma` and optional bounds, all in the estimator's space (logs
    /// for log distributions); `q` in the value's own space.
    case numeric(NumericPrior)
    /// A categorical prior over `probabilities.count` values; the value of index i is offset + i.
    case categorical([Double], offset: Int)
}

/// Where TPE's adaptive Parzen estimator works for one numeric parameter.
struct NumericPrior: Sendable, Equatable {
    /// The prior component's mean: the middle of the bounds, or the normal's mu.
    var mu: Double
    /// The prior component's bandwidth: the width of the bounds, or the normal's sigma.
    var sigma: Double
    /// Truncation bounds (nil for the normal families).
    var low: Double?
    var high: Double?
    /// Whether the estimator works on the logs of the values.
    var log: Bool
    /// The quantisation step of the values, if any.
    var q: Double?

    /// A prior on [low, high]: mu the middle, sigma the width (hyperopt's uniform families).
    static func bounded(_ low: Double, _ high: Double, log: Bool, q: Double?) -> NumericPrior {
        NumericPrior(mu: 0.5 * (low + high), sigma: high - low, low: low, high: high, log: log, q: q)
    }

    /// An untruncated prior with this mu and sigma (hyperopt's normal families).
    static func unbounded(_ mu: Double, _ sigma: Double, log: Bool, q: Double?) -> NumericPrior {
        NumericPrior(mu: mu, sigma: sigma, low: nil, high: nil, log: log, q: q)
    }

    /// Maps an observed value into the estimator's space (hyperopt: log, with quantised log values
    /// clamped up to exp(low), or to 1e-12, before the log).
    func toEstimatorSpace(_ x: Double) -> Double {
        guard log else { return x }
        if q != nil {
            let floorValue = low.map { Swift.max(TPEMath.eps, exp($0)) } ?? TPEMath.eps
            return TPEMath.ln(Swift.max(x, floorValue))
        }
        return TPEMath.ln(x)
    }
}

extension Distribution {
    /// The prior that hyperopt's TPE uses for this distribution (Ray's kinds as Ray's
    /// `HyperOptSearch` converts them).
    var prior: Prior {
        let qq = q ?? 1
        switch kind {
        case .uniform, .tuneUniform: return .numeric(.bounded(a, b, log: false, q: nil))
        case .quniform, .tuneQuniform: return .numeric(.bounded(a, b, log: false, q: qq))
        case .loguniform: return .numeric(.bounded(a, b, log: true, q: nil))
        case .qloguniform: return .numeric(.bounded(a, b, log: true, q: qq))
        case .tuneLoguniform: return .numeric(.bounded(log(a), log(b), log: true, q: nil))
        case .tuneQloguniform: return .numeric(.bounded(log(a), log(b), log: true, q: qq))
        case .normal, .tuneRandn: return .numeric(.unbounded(a, b, log: false, q: nil))
        case .qnormal, .tuneQrandn: return .numeric(.unbounded(a, b, log: false, q: qq))
        case .lognormal: return .numeric(.unbounded(a, b, log: true, q: nil))
        case .qlognormal: return .numeric(.unbounded(a, b, log: true, q: qq))
        case .randint:
            return .categorical(Array(repeating: 1 / (b - a), count: Int(b - a)), offset: Int(a))
        case .uniformint: return .numeric(.bounded(a, b, log: false, q: qq))
        case .tuneRandint:
            // Ray: hp.uniformint(lower, upper - 1). A single value cannot be a bounded mixture.
            if b - a == 1 { return .categorical([1], offset: Int(a)) }
            return .numeric(.bounded(a, b - 1, log: false, q: 1))
        case .tuneQrandint:
            // Ray's qrandint includes `upper`; Ray's HyperOptSearch passes upper - 1, which can never
            // suggest it. swifttune keeps the documented range (a deliberate difference).
            return .numeric(.bounded(a, b, log: false, q: qq))
        case .tuneLograndint:
            if b - a == 1 { return .categorical([1], offset: Int(a)) }
            return .numeric(.bounded(log(a), log(b - 1), log: true, q: 1))
        case .tuneQlograndint: return .numeric(.bounded(log(a), log(b), log: true, q: qq))
        // Optuna's distributions are refused by `TPESearch.init` (their grids start at `low`, not
        // at 0 as hyperopt's q does); these priors only keep the switch whole.
        case .optunaFloat, .optunaInt: return .numeric(.bounded(a, Swift.max(optunaHigh, a.nextUp), log: false, q: q))
        case .optunaFloatLog, .optunaIntLog: return .numeric(.bounded(log(a), log(Swift.max(optunaHigh, a.nextUp)), log: true, q: q))
        }
    }

    /// Whether ``prior`` is `.numeric` (the same case analysis, without building the prior: a
    /// categorical prior allocates its probabilities). `ObservationIndex` asks it per value.
    var hasNumericPrior: Bool {
        switch kind {
        case .randint: return false
        case .tuneRandint, .tuneLograndint: return b - a != 1
        default: return true
        }
    }
}

extension SearchSpace.Parameter {
    /// The prior TPE uses for the parameter: its distribution's, or for a choice a categorical
    /// prior over the option indices with the option probabilities.
    var prior: Prior {
        switch domain {
        case .numeric(let d): return d.prior
        case .choice(let p): return .categorical(p, offset: 0)
        }
    }

    /// Whether ``prior`` is `.numeric`, without building it.
    var hasNumericPrior: Bool {
        if case .numeric(let d) = domain { return d.hasNumericPrior }
        return false
    }
}

extension SearchSpace {
    /// The prior of every parameter, by parameter index. O(P + the sizes of `randint` ranges):
    /// TPESearch computes it once, not per suggestion.
    var priors: [Prior] { parameters.map(\.prior) }
}
