#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How Optuna's TPE sees one parameter: a categorical of K options (its internal value is the
/// option's index) or a number with Optuna's bounds, step and log flag.
enum OptunaDomain: Sendable, Equatable {
    /// A choice among `count` options.
    case categorical(count: Int)
    /// A float or integer distribution (`FloatDistribution` / `IntDistribution`).
    case numeric(Numeric)

    /// Optuna's numeric distribution, with `high` already moved onto the step grid.
    struct Numeric: Sendable, Equatable {
        let low: Double
        let high: Double
        /// The grid step (integers: at least 1); nil for a continuous float.
        let step: Double?
        let log: Bool

        /// The kernels' support in the estimator's space: widened by half a step when stepped,
        /// in logs when `log` (Optuna's `adapted_low` / `adapted_high`).
        var adaptedLow: Double {
            let l = step.map { low - $0 / 2 } ?? low
            return log ? naturalLog(l) : l
        }
        var adaptedHigh: Double {
            let h = step.map { high + $0 / 2 } ?? high
            return log ? naturalLog(h) : h
        }
        /// A drawn value of the estimator's space mapped back (exp when `log`) and, when
        /// stepped, rounded half to even onto the grid and clipped (Optuna's sample()).
        func untransform(_ x: Double) -> Double {
            let v = log ? exp(x) : x
            guard let step else { return v }
            return Swift.min(Swift.max(low + ((v - low) / step).rounded(.toNearestOrEven) * step, low), high)
        }
    }

    /// Whether the distribution holds one value only (Optuna's `single()`): such a parameter is
    /// that value, never sampled.
    var isSingle: Bool {
        switch self {
        case .categorical(let k): return k <= 1
        case .numeric(let n): return n.low == n.high
        }
    }

    /// The single value (the option index 0, or `low`).
    var singleValue: Double {
        switch self {
        case .categorical: return 0
        case .numeric(let n): return n.low
        }
    }

    /// Optuna's view of a parameter of a swifttune space, or nil for a distribution Optuna has
    /// not (hyperopt's and Ray's kinds: `OptunaSearch` converts Ray's domains before they get here).
    init?(_ p: SearchSpace.Parameter) {
        switch p.domain {
        case .choice(let probabilities): self = .categorical(count: probabilities.count)
        case .numeric(let d):
            switch d.kind {
            case .optunaFloat: self = .numeric(Numeric(low: d.a, high: d.optunaHigh, step: d.q, log: false))
            case .optunaFloatLog: self = .numeric(Numeric(low: d.a, high: d.b, step: nil, log: true))
            case .optunaInt: self = .numeric(Numeric(low: d.a, high: d.optunaHigh, step: d.q ?? 1, log: false))
            case .optunaIntLog: self = .numeric(Numeric(low: d.a, high: d.b, step: 1, log: true))
            default: return nil
            }
        }
    }
}

/// `log` under a name that the `log` flag of `Numeric` does not shadow.
@inline(__always)
func naturalLog(_ x: Double) -> Double { log(x) }
