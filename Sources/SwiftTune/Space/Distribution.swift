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
/// draws random values the way its own library does. (How a searcher models a distribution is
/// the searcher's own business.)
public struct Distribution: Sendable, Hashable {
    /// The distribution's name; its raw value is the `"type"` in the JSON space format.
    public enum Kind: String, Sendable, CaseIterable {
        // hyperopt's hp.*
        /// `hp.uniform(low, high)`: uniform on [low, high).
        case uniform
        /// `hp.quniform(low, high, q)`: uniform, rounded to a multiple of q.
        case quniform
        /// `hp.loguniform(low, high)`: exp(uniform(low, high)); the bounds are logs.
        case loguniform
        /// `hp.qloguniform(low, high, q)`: loguniform, rounded to a multiple of q.
        case qloguniform
        /// `hp.normal(mu, sigma)`: a normal draw.
        case normal
        /// `hp.qnormal(mu, sigma, q)`: normal, rounded to a multiple of q.
        case qnormal
        /// `hp.lognormal(mu, sigma)`: exp(normal(mu, sigma)).
        case lognormal
        /// `hp.qlognormal(mu, sigma, q)`: lognormal, rounded to a multiple of q.
        case qlognormal
        /// `hp.randint(low, high)`: an integer on [low, high) (high excluded).
        case randint
        /// `hp.uniformint(low, high, q)`: quniform with an integer q, returned as an integer.
        case uniformint
        // Ray Tune's tune.*
        /// `tune.uniform(lower, upper)`: uniform on [lower, upper).
        case tuneUniform = "tune.uniform"
        /// `tune.quniform(lower, upper, q)`: uniform, rounded to a multiple of q.
        case tuneQuniform = "tune.quniform"
        /// `tune.loguniform(lower, upper, base)`: log-uniform on [lower, upper) (plain bounds).
        case tuneLoguniform = "tune.loguniform"
        /// `tune.qloguniform(lower, upper, q, base)`: log-uniform, rounded to a multiple of q.
        case tuneQloguniform = "tune.qloguniform"
        /// `tune.randn(mean, sd)`: a normal draw.
        case tuneRandn = "tune.randn"
        /// `tune.qrandn(mean, sd, q)`: normal, rounded to a multiple of q.
        case tuneQrandn = "tune.qrandn"
        /// `tune.randint(lower, upper)`: an integer on [lower, upper) (upper excluded).
        case tuneRandint = "tune.randint"
        /// `tune.qrandint(lower, upper, q)`: an integer on [lower, upper] (upper included), a multiple of q.
        case tuneQrandint = "tune.qrandint"
        /// `tune.lograndint(lower, upper, base)`: a log-uniform integer on [lower, upper).
        case tuneLograndint = "tune.lograndint"
        /// `tune.qlograndint(lower, upper, q, base)`: a log-uniform integer on [lower, upper], a multiple of q.
        case tuneQlograndint = "tune.qlograndint"
        // Optuna's distributions (what Ray's `OptunaSearch` converts Tune domains into). In JSON:
        // `{"type": "optuna.float" | "optuna.int", "low": .., "high": .., "step": .., "log": ..}`;
        // the log variants are that JSON with `"log": true`.
        /// `optuna.distributions.FloatDistribution(low, high, step=q)`: uniform on [low, high]
        /// (high excluded without a step), on the grid low + k * step with one.
        case optunaFloat = "optuna.float"
        /// `FloatDistribution(low, high, log=True)`: log-uniform on [low, high).
        case optunaFloatLog = "optuna.float.log"
        /// `IntDistribution(low, high, step=q)`: an integer of low + k * step in [low, high] (q default 1).
        case optunaInt = "optuna.int"
        /// `IntDistribution(low, high, log=True)`: a log-uniform integer in [low, high] (step 1).
        case optunaIntLog = "optuna.int.log"

        /// The JSON names of the two main arguments.
        var argumentNames: (String, String) {
            switch self {
            case .uniform, .quniform, .loguniform, .qloguniform, .randint, .uniformint: return ("low", "high")
            case .normal, .qnormal, .lognormal, .qlognormal: return ("mu", "sigma")
            case .tuneRandn, .tuneQrandn: return ("mean", "sd")
            case .optunaFloat, .optunaFloatLog, .optunaInt, .optunaIntLog: return ("low", "high")
            default: return ("lower", "upper")
            }
        }

        /// Whether the kind takes a quantisation step `q`.
        var takesQ: Bool {
            switch self {
            case .quniform, .qloguniform, .qnormal, .qlognormal, .uniformint,
                .tuneQuniform, .tuneQloguniform, .tuneQrandn, .tuneQrandint, .tuneQlograndint,
                .optunaFloat, .optunaInt:
                return true
            default: return false
            }
        }

        /// Whether `q` may be left out (then 1).
        var qIsOptional: Bool { self == .uniformint || self == .tuneQrandint || isOptuna }

        /// Whether the kind is one of Optuna's distributions (bounds both included, a single value
        /// allowed, the step called "step" in JSON).
        public var isOptuna: Bool {
            switch self {
            case .optunaFloat, .optunaFloatLog, .optunaInt, .optunaIntLog: return true
            default: return false
            }
        }

        /// The JSON name of the quantisation step: Optuna's "step", otherwise "q".
        var stepKey: String { isOptuna ? "step" : "q" }

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
            case .randint, .uniformint, .tuneRandint, .tuneQrandint, .tuneLograndint, .tuneQlograndint,
                .optunaInt, .optunaIntLog: return true
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

    /// Which distribution, and so which library's meaning of `a`, `b` and `q`.
    public var kind: Kind
    /// First argument: `low`, `mu`, `lower` or `mean`.
    public var a: Double
    /// Second argument: `high`, `sigma`, `upper` or `sd`.
    public var b: Double
    /// Quantisation step, for the kinds that take one.
    public var q: Double?
    /// Ray's logarithm base (accepted and kept, but it does not change a log-uniform distribution).
    public var base: Double?

    /// A distribution with these arguments, unchecked: ``SearchSpace/init(_:)`` validates them.
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
        try validateArguments(label: label)
        try validateDrawsAreFinite(label: label)
    }

    /// Every value the distribution can draw must be a finite number (a saved state holding an
    /// infinite one would not restore, and TPE's kernels would break on it): bounds whose range,
    /// exponential or quotient by q overflows are refused. Normal draws reach at most 12.01 standard
    /// deviations here (the polar method on 53-bit uniforms), so 13 bounds them.
    func validateDrawsAreFinite(label: String) throws(SpaceError) {
        func bad(_ m: String) -> SpaceError { .invalidDistribution(label: label, message: "\(kind.rawValue): \(m)") }
        let (an, bn) = kind.argumentNames
        let logMax = log(Double.greatestFiniteMagnitude)  // 709.78...
        var largest: Double  // the largest magnitude a draw can have before it is quantised
        switch kind {
        case .normal, .qnormal, .tuneRandn, .tuneQrandn:
            largest = abs(a) + 13 * b
            guard largest.isFinite else { throw bad("\(an) and \(bn) are too large: draws would overflow to infinity") }
        case .lognormal, .qlognormal:
            guard a + 13 * b <= logMax else {
                throw bad("\(an) + 13 * \(bn) must be at most \(logMax) (exp of a draw must be a finite number), got \(JSONValue.format(a + 13 * b))")
            }
            largest = exp(a + 13 * b)
        case .loguniform, .qloguniform:
            guard b <= logMax else {
                throw bad("\(bn) must be at most \(logMax) (exp(\(bn)) must be a finite number), got \(JSONValue.format(b))")
            }
            largest = exp(b)
        default:
            guard (b - a).isFinite else { throw bad("the range from \(an) to \(bn) is too wide: draws would overflow to infinity") }
            largest = max(abs(a), abs(b))
        }
        if let q, !(largest / q).isFinite || !((largest / q).rounded(.up) * q).isFinite {
            throw bad("q (\(JSONValue.format(q))) is too small for the range: quantised draws would overflow to infinity")
        }
    }

    func validateArguments(label: String) throws(SpaceError) {
        let (an, bn) = kind.argumentNames
        func bad(_ m: String) -> SpaceError { .invalidDistribution(label: label, message: "\(kind.rawValue): \(m)") }
        guard a.isFinite else { throw bad("\(an) must be a finite number, got \(a)") }
        guard b.isFinite else { throw bad("\(bn) must be a finite number, got \(b)") }
        if kind.isOptuna {
            // Optuna's own checks, with its messages' substance.
            if let base { throw bad("takes no base, got \(base)") }
            if isInteger {
                guard a == a.rounded(), b == b.rounded() else { throw bad("low and high must be integers, got \(JSONValue.format(a)) and \(JSONValue.format(b))") }
            }
            guard a <= b else { throw bad("`low <= high` must hold, but got (low, high)=(\(JSONValue.format(a)), \(JSONValue.format(b)))") }
            if kind == .optunaFloatLog || kind == .optunaIntLog {
                guard a > 0 else { throw bad("`low > 0` must hold for a log distribution, but got low=\(JSONValue.format(a))") }
            }
            if let q {
                guard q.isFinite, q > 0 else { throw bad("`step > 0` must hold, but got step=\(JSONValue.format(q))") }
                if isInteger, q != q.rounded() { throw bad("step must be an integer, got \(JSONValue.format(q))") }
                if kind == .optunaIntLog, q != 1 {
                    throw bad("Samplers and other components in Optuna only accept step is 1 when `log` argument is True.")
                }
            }
            return
        }
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
        case .optunaFloat, .optunaFloatLog, .optunaInt, .optunaIntLog: return optunaRandom(&rng)
        }
    }

    /// Optuna's `RandomSampler` for this Optuna distribution: a uniform draw on the transformed
    /// bounds (logs for a log distribution, widened by half a step for a stepped one), mapped back
    /// as Optuna's `_untransform_numerical_param` does (rounded half to even onto the grid,
    /// clipped; an unstepped float stays below `high`). A single value is that value.
    func optunaRandom(_ rng: inout Xoshiro256) -> Double {
        let high = optunaHigh
        guard a < high else { return a }
        switch kind {
        case .optunaFloat:
            if let q {
                let x = rng.uniform(a - q / 2, high + q / 2)
                return min(max(((x - a) / q).rounded(.toNearestOrEven) * q + a, a), high)
            }
            return min(rng.uniform(a, high), high.nextDown)
        case .optunaFloatLog:
            return min(max(exp(rng.uniform(log(a), log(high))), a), high.nextDown)
        case .optunaInt:
            let step = q ?? 1
            let x = rng.uniform(a - step / 2, high + step / 2)
            return min(max(floor((x - a) / step + 0.5) * step + a, a), high)
        case .optunaIntLog:
            let x = exp(rng.uniform(log(a - 0.5), log(high + 0.5)))
            return min(max(x.rounded(.toNearestOrEven), a), high)
        default:
            return sample(&rng)
        }
    }

    /// The upper bound an Optuna distribution really has: with a step, the last grid point
    /// low + k * step not above `high` (Optuna's `_adjust_discrete_uniform_high` and
    /// `_adjust_int_uniform_high`, which replace `high` by it with a warning; a relative slack
    /// of 1e-9 steps stands in for Optuna's decimal arithmetic). `b` otherwise.
    var optunaHigh: Double {
        guard kind.isOptuna, let q, q > 0, b > a else { return b }
        let k = ((b - a) / q * (1 + 1e-12) + 1e-9).rounded(.down)
        let top = a + k * q
        // A range that the step divides keeps `high` as given (Optuna leaves it untouched).
        if abs(top - b) <= 1e-9 * q { return b }
        return Swift.min(b, top)
    }

    /// Whether `x` is a value this distribution can produce (used to check given points).
    func accepts(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        if isInteger, x != x.rounded() { return false }
        if kind.isNormal {
            if kind == .lognormal || kind == .qlognormal { return x >= 0 }
            return true
        }
        if kind.isOptuna {
            let high = optunaHigh
            guard x >= a, x <= high else { return false }
            if let q, kind == .optunaInt || kind == .optunaFloat {
                let k = (x - a) / q
                return abs(k - k.rounded()) <= 1e-9 * Swift.max(1, abs(k))
            }
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
