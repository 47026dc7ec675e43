#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A numeric distribution of one hyperparameter, with the parameters exactly as the user gave
/// them to hyperopt's `hp` or Ray Tune's sampling functions.
///
/// Both families are kept apart because their arguments mean different things: hyperopt's
/// `loguniform(low, high)` takes the logs of the bounds, Ray's `loguniform(lower, upper)` the
/// bounds themselves; Ray's `randint` excludes its upper bound, `qrandint` includes it. Each kind
/// draws random values the way its own library does, and maps to the prior that hyperopt's TPE
/// uses for it (for Ray's kinds: the conversion Ray's `HyperOptSearch` performs).
public struct Distribution: Sendable, Hashable {
    /// The distribution's name; its raw value is the `"type"` in the JSON space format.
    public enum Kind: String, Sendable, CaseIterable {
        // hyperopt's hp.*
        case uniform, quniform, loguniform, qloguniform
        case normal, qnormal, lognormal, qlognormal
        case randint, uniformint
        // Ray Tune's tune.*
        case tuneUniform = "tune.uniform", tuneQuniform = "tune.quniform"
        case tuneLoguniform = "tune.loguniform", tuneQloguniform = "tune.qloguniform"
        case tuneRandn = "tune.randn", tuneQrandn = "tune.qrandn"
        case tuneRandint = "tune.randint", tuneQrandint = "tune.qrandint"
        case tuneLograndint = "tune.lograndint", tuneQlograndint = "tune.qlograndint"

        /// The JSON names of the two main arguments.
        var argumentNames: (String, String) {
            switch self {
            case .uniform, .quniform, .loguniform, .qloguniform, .randint, .uniformint: return ("low", "high")
            case .normal, .qnormal, .lognormal, .qlognormal: return ("mu", "sigma")
            case .tuneRandn, .tuneQrandn: return ("mean", "sd")
            default: return ("lower", "upper")
            }
        }

        /// Whether the kind takes a quantisation step `q`.
        var takesQ: Bool {
            switch self {
            case .quniform, .qloguniform, .qnormal, .qlognormal, .uniformint,
                .tuneQuniform, .tuneQloguniform, .tuneQrandn, .tuneQrandint, .tuneQlograndint:
                return true
            default: return false
            }
        }

        /// Whether `q` may be left out (then 1).
        var qIsOptional: Bool { self == .uniformint || self == .tuneQrandint }

        /// Whether the kind takes Ray's (ignored) logarithm `base`.
        var takesBase: Bool {
            switch self {
            case .tuneLoguniform, .tuneQloguniform, .tuneLograndint, .tuneQlograndint: return true
            default: return false
            }
        }

        /// Whether the values are integers.
        public var isInteger: Bool {
            switch self {
            case .randint, .uniformint, .tuneRandint, .tuneQrandint, .tuneLograndint, .tuneQlograndint: return true
            default: return false
            }
        }

        /// Whether the arguments are a location and a scale (normal families) rather than bounds.
        var isNormal: Bool {
            switch self {
            case .normal, .qnormal, .lognormal, .qlognormal, .tuneRandn, .tuneQrandn: return true
            default: return false
            }
        }
    }

    public var kind: Kind
    /// First argument: `low`, `mu`, `lower` or `mean`.
    public var a: Double
    /// Second argument: `high`, `sigma`, `upper` or `sd`.
    public var b: Double
    /// Quantisation step, for the kinds that take one.
    public var q: Double?
    /// Ray's logarithm base (accepted and kept, but it does not change a log-uniform distribution).
    public var base: Double?

    public init(kind: Kind, _ a: Double, _ b: Double, q: Double? = nil, base: Double? = nil) {
        self.kind = kind
        self.a = a
        self.b = b
        self.q = q
        self.base = base
    }

    /// Whether the parameter's values are integers.
    public var isInteger: Bool { kind.isInteger }

    /// Checks the arguments; the message names the parameter and says what is wrong.
    func validate(label: String) throws(SpaceError) {
        let (an, bn) = kind.argumentNames
        func bad(_ m: String) -> SpaceError { .invalidDistribution(label: label, message: "\(kind.rawValue): \(m)") }
        guard a.isFinite else { throw bad("\(an) must be a finite number, got \(a)") }
        guard b.isFinite else { throw bad("\(bn) must be a finite number, got \(b)") }
        if kind.takesQ {
            guard let q else { throw bad("q is required") }
            guard q.isFinite else { throw bad("q must be a finite number, got \(q)") }
            guard q > 0 else { throw bad("q must be positive, got \(q)") }
            if isInteger, q != q.rounded() { throw bad("q must be an integer, got \(q)") }
        } else if q != nil {
            throw bad("takes no q")
        }
        if let base {
            guard kind.takesBase else { throw bad("takes no base") }
            guard base.isFinite, base > 0, base != 1 else { throw bad("base must be positive and not 1, got \(base)") }
        }
        if kind.isNormal {
            guard b > 0 else { throw bad("\(bn) must be positive, got \(b)") }
            return
        }
        if isInteger {
            guard a == a.rounded() else { throw bad("\(an) must be an integer, got \(a)") }
            guard b == b.rounded() else { throw bad("\(bn) must be an integer, got \(b)") }
        }
        switch kind {
        case .tuneRandint, .tuneLograndint, .randint:
            guard a < b else { throw bad("\(an) (\(JSONValue.format(a))) must be less than \(bn) (\(JSONValue.format(b))), which is excluded") }
        default:
            guard a < b else { throw bad("\(an) (\(JSONValue.format(a))) must be less than \(bn) (\(JSONValue.format(b)))") }
        }
        switch kind {
        case .tuneLoguniform, .tuneQloguniform, .tuneLograndint, .tuneQlograndint:
            guard a > 0 else { throw bad("\(an) must be positive for a log distribution, got \(JSONValue.format(a))") }
        default: break
        }
    }

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
        }
    }

    /// A random draw the way the distribution's own library draws it.
    func sample(_ rng: inout Xoshiro256) -> Double {
        func quantize(_ x: Double, _ q: Double) -> Double { (x / q).rounded(.toNearestOrEven) * q }
        let qq = q ?? 1
        switch kind {
        case .uniform, .tuneUniform: return rng.uniform(a, b)
        case .quniform, .uniformint, .tuneQuniform: return quantize(rng.uniform(a, b), qq)
        case .loguniform: return exp(rng.uniform(a, b))
        case .qloguniform: return quantize(exp(rng.uniform(a, b)), qq)
        case .tuneLoguniform: return exp(rng.uniform(log(a), log(b)))
        case .tuneQloguniform: return quantize(exp(rng.uniform(log(a), log(b))), qq)
        case .normal, .tuneRandn: return rng.normal(a, b)
        case .qnormal, .tuneQrandn: return quantize(rng.normal(a, b), qq)
        case .lognormal: return exp(rng.normal(a, b))
        case .qlognormal: return quantize(exp(rng.normal(a, b)), qq)
        case .randint, .tuneRandint: return a + Double(rng.below(UInt64(b - a)))
        case .tuneQrandint:
            // Ray: an integer on [lower, upper], rounded to a multiple of q.
            return quantize(a + Double(rng.below(UInt64(b - a + 1))), qq)
        case .tuneLograndint:
            return min(floor(exp(rng.uniform(log(a), log(b)))), b - 1)
        case .tuneQlograndint: return quantize(exp(rng.uniform(log(a), log(b))), qq)
        }
    }

    /// Whether `x` is a value this distribution can produce (used to check given points).
    func accepts(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        if isInteger, x != x.rounded() { return false }
        if kind.isNormal {
            if kind == .lognormal || kind == .qlognormal { return x >= 0 }
            return true
        }
        let (lo, hi): (Double, Double)
        switch kind {
        case .loguniform, .qloguniform: (lo, hi) = (exp(a), exp(b))
        case .randint, .tuneRandint, .tuneLograndint: (lo, hi) = (a, b - 1)
        default: (lo, hi) = (a, b)
        }
        let slack = (q ?? 0) / 2  // quantised values may round past a bound by half a step
        return x >= lo - slack && x <= hi + slack
    }
}

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
    var mu: Double
    var sigma: Double
    var low: Double?
    var high: Double?
    var log: Bool
    var q: Double?

    static func bounded(_ low: Double, _ high: Double, log: Bool, q: Double?) -> NumericPrior {
        NumericPrior(mu: 0.5 * (low + high), sigma: high - low, low: low, high: high, log: log, q: q)
    }

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

