#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A search space as Ray's `TuneBOHB.convert_search_space` hands it to BOHB: one ConfigSpace
/// 0.7.1 hyperparameter per parameter, in ConfigSpace's order (sorted by name), each with its
/// vector form (the `Configuration.get_array()` entry BOHB's density models see).
///
/// - `tune.uniform`, `tune.quniform`, `tune.loguniform`, `tune.qloguniform`:
///   `UniformFloatHyperparameter` (quantised bounds rounded inwards to multiples of q, as Ray does);
///   the vector is the position in [0, 1] on the (log) scale of the range (widened by
///   q / 2 - 0.0001 on both sides when quantised).
/// - `tune.randint`, `tune.lograndint` (upper bound made inclusive), `tune.qrandint`,
///   `tune.qlograndint`: `UniformIntegerHyperparameter`, whose vector lives on the range widened
///   by 0.49999 on both sides.
/// - `tune.randn`, `tune.qrandn`: `NormalFloatHyperparameter` without bounds: the vector is the
///   value itself (not in [0, 1]).
/// - `tune.choice` of constants: `CategoricalHyperparameter`: the vector is the option's index.
struct SpaceVector: Sendable, Equatable {
    /// One ConfigSpace hyperparameter and the space parameter it stands for.
    struct Entry: Sendable, Equatable {
        /// The parameter's label, ConfigSpace's name.
        let label: String
        /// The parameter's index in ``SearchSpace/parameters``.
        let parameter: Int
        /// The hyperparameter.
        let kind: Kind
    }

    /// ConfigSpace's hyperparameter classes Ray's converter produces, with the fields their
    /// transforms read (`lo`/`hi` are ConfigSpace's `_lower`/`_upper`: the vector's scale).
    enum Kind: Sendable, Equatable {
        /// `UniformFloatHyperparameter(lower, upper, q, log)`.
        case uniformFloat(lower: Double, upper: Double, q: Double?, log: Bool, lo: Double, hi: Double)
        /// `UniformIntegerHyperparameter(lower, upper, q, log)`; `lo`/`hi` are those of its inner
        /// float hyperparameter on [lower - 0.49999, upper + 0.49999].
        case uniformInteger(lower: Double, upper: Double, q: Double?, log: Bool, lo: Double, hi: Double)
        /// `NormalFloatHyperparameter(mu, sigma, q)`, without bounds or log.
        case normalFloat(mu: Double, sigma: Double, q: Double?)
        /// `CategoricalHyperparameter` with this many choices (uniform weights).
        case categorical(count: Int)

        /// hpbandster's `vartypes` entry: the number of choices of a categorical, else 0.
        var levels: Int {
            if case .categorical(let n) = self { return n }
            return 0
        }
    }

    /// The hyperparameters, sorted by name as ConfigSpace keeps them.
    let entries: [Entry]
    /// How many parameters the space has (the length of a values array).
    let parameterCount: Int

    /// The number of hyperparameters (the length of a vector).
    var count: Int { entries.count }

    /// Converts a space as Ray's `TuneBOHB.convert_search_space` does, refusing with Ray's (or
    /// ConfigSpace's) message what Ray refuses. O(P log P) for P parameters.
    /// - Throws: ``SearchError/invalidOption(_:)``.
    init(_ space: SearchSpace) throws(SearchError) {
        try Self.checkDelimiters(space.root, nested: false)
        var entries: [Entry] = []
        for (i, p) in space.parameters.enumerated() {
            entries.append(Entry(label: p.label, parameter: i, kind: try Self.kind(of: p, in: space)))
        }
        guard !entries.isEmpty else {
            throw .invalidOption("Trying to sample a configuration from TuneBOHB, but no search space has been defined. "
                + "Either pass the `space` argument when instantiating the search algorithm, or pass a `param_space` to `tune.Tuner()`.")
        }
        // ConfigSpace sorts hyperparameters by name (Python compares strings by code point).
        self.entries = entries.sorted { a, b in
            a.label.unicodeScalars.lexicographicallyPrecedes(b.label.unicodeScalars) { $0.value < $1.value }
        }
        parameterCount = space.parameters.count
    }

    /// Ray flattens the space with `flatten_dict(spec, prevent_delimiter=True)`, which refuses a
    /// "/" in any dictionary key it flattens (dictionaries nested in dictionaries, constant ones
    /// included; not those inside lists or inside a choice's options).
    private static func checkDelimiters(_ node: SpaceNode, nested: Bool) throws(SearchError) {
        func refuse() -> SearchError {
            .invalidOption("Found delimiter `/` in key when trying to flatten array. Please avoid using the delimiter in your specification.")
        }
        func checkConstant(_ v: JSONValue) throws(SearchError) {
            guard let members = v.objectValue else { return }
            for (k, m) in members {
                if k.contains("/") { throw refuse() }
                try checkConstant(m)
            }
        }
        switch node {
        case .dict(let entries):
            for e in entries {
                if e.key.contains("/") { throw refuse() }
                switch e.node {
                case .dict: try checkDelimiters(e.node, nested: true)
                case .constant(let v): try checkConstant(v)
                default: break
                }
            }
        case .constant(let v) where nested: try checkConstant(v)
        default: break
        }
    }

    /// The ConfigSpace hyperparameter Ray's converter makes of parameter `p`.
    private static func kind(of p: SearchSpace.Parameter, in space: SearchSpace) throws(SearchError) -> Kind {
        let name = p.label
        switch p.domain {
        case .choice(let probabilities):
            return try categorical(p, count: probabilities.count, space: space)
        case .numeric(let d):
            func quantised(_ q: Double) -> (Double, Double) {
                ((d.a / q).rounded(.up) * q, (d.b / q).rounded(.down) * q)
            }
            switch d.kind {
            case .tuneUniform: return try uniformFloat(name, d.a, d.b, q: nil, log: false)
            case .tuneLoguniform: return try uniformFloat(name, d.a, d.b, q: nil, log: true)
            case .tuneQuniform, .tuneQloguniform:
                let q = d.q ?? 1
                let (lo, hi) = quantised(q)
                return try uniformFloat(name, lo, hi, q: q, log: d.kind == .tuneQloguniform)
            case .tuneRandn: return .normalFloat(mu: d.a, sigma: d.b, q: nil)
            case .tuneQrandn: return .normalFloat(mu: d.a, sigma: d.b, q: d.q)
            case .tuneRandint: return try uniformInteger(name, d.a, d.b - 1, q: nil, log: false)
            case .tuneLograndint: return try uniformInteger(name, d.a, d.b - 1, q: nil, log: true)
            case .tuneQrandint, .tuneQlograndint:
                let q = d.q ?? 1
                let (lo, hi) = quantised(q)
                return try uniformInteger(name, lo, hi, q: q, log: d.kind == .tuneQlograndint)
            default:
                throw .invalidOption("TuneBOHB converts Ray Tune's sampling functions only: parameter '\(name)' is hyperopt's hp.\(d.kind.rawValue)")
            }
        }
    }

    /// ConfigSpace's `UniformFloatHyperparameter.__init__` checks and scale.
    private static func uniformFloat(_ name: String, _ lower: Double, _ upper: Double, q: Double?, log isLog: Bool) throws(SearchError) -> Kind {
        if lower >= upper {
            throw .invalidOption("Upper bound \(percentF(upper)) must be larger than lower bound \(percentF(lower)) for hyperparameter \(name)")
        }
        if isLog && lower <= 0 {
            throw .invalidOption("Negative lower bound (\(percentF(lower))) for log-scale hyperparameter \(name) is forbidden.")
        }
        var lo = lower, hi = upper
        if let q {
            lo = lower - (q / 2 - 0.0001)
            hi = upper + (q / 2 - 0.0001)
        }
        if isLog {
            lo = log(lo)
            hi = log(hi)
        }
        if let q {
            // np.round((upper - lower) % q, 10) not in (0, q), with Python's floored modulo.
            let m = pythonMod(upper - lower, q)
            let r = roundDecimals(m, 10)
            if r != 0 && r != q {
                throw .invalidOption("Upper bound (\(percentF(upper))) - lower bound (\(percentF(lower))) must be a multiple of q (\(percentF(q)))")
            }
        }
        return .uniformFloat(lower: lower, upper: upper, q: q, log: isLog, lo: lo, hi: hi)
    }

    /// ConfigSpace's `UniformIntegerHyperparameter.__init__` checks, and the scale of its inner
    /// float hyperparameter.
    private static func uniformInteger(_ name: String, _ lower: Double, _ upper: Double, q: Double?, log isLog: Bool) throws(SearchError) -> Kind {
        if let q, pythonMod(upper - lower, q) != 0 {
            throw .invalidOption("Upper bound (\(percentD(upper))) - lower bound (\(percentD(lower))) must be a multiple of q (\(percentD(q)))")
        }
        if lower >= upper {
            // ConfigSpace's message names the bounds the other way round.
            throw .invalidOption("Upper bound \(percentD(lower)) must be larger than lower bound \(percentD(upper)) for hyperparameter \(name)")
        }
        if isLog && lower <= 0 {
            throw .invalidOption("Negative lower bound (\(percentD(lower))) for log-scale hyperparameter \(name) is forbidden.")
        }
        var lo = lower - 0.49999, hi = upper + 0.49999
        if isLog {
            lo = log(lo)
            hi = log(hi)
        }
        return .uniformInteger(lower: lower, upper: upper, q: q, log: isLog, lo: lo, hi: hi)
    }

    /// Ray's `tune.choice` becomes a `CategoricalHyperparameter(par, choices=categories)`;
    /// ConfigSpace counts the choices in a `Counter` (so they must be hashable and distinct by
    /// Python's equality, 1 == 1.0 == True) and refuses None.
    private static func categorical(_ p: SearchSpace.Parameter, count: Int, space: SearchSpace) throws(SearchError) -> Kind {
        guard let options = Self.options(of: p.label, in: space.root) else {
            throw .invalidOption("TuneBOHB converts Ray Tune's sampling functions only: choice '\(p.label)' is not a tune.choice")
        }
        guard options.isTuneChoice, options.probabilities == nil else {
            throw .invalidOption("TuneBOHB converts Ray Tune's sampling functions only: choice '\(p.label)' is hyperopt's hp.\(options.probabilities == nil ? "choice" : "pchoice")")
        }
        var values: [JSONValue] = []
        for o in options.options {
            switch o {
            case .constant(let v):
                switch v {
                case .array: throw .invalidOption("unhashable type: 'list'")
                case .object: throw .invalidOption("unhashable type: 'dict'")
                default: values.append(v)
                }
            case .dict: throw .invalidOption("unhashable type: 'dict'")
            case .list: throw .invalidOption("unhashable type: 'list'")
            case .parameter, .choice:
                throw .invalidOption("TuneBOHB does not support a sampled parameter as an option of choice '\(p.label)'")
            }
        }
        for v in values {
            let times = values.filter { pythonEqual($0, v) }.count
            if times > 1 {
                throw .invalidOption("Choices for categorical hyperparameters \(p.label) contain choice '\(pythonString(v))' \(times) times, while only a single oocurence is allowed.")
            }
            if v == .null { throw .invalidOption("Choice 'None' is not supported") }
        }
        return .categorical(count: count)
    }

    /// The choice node labelled `label` (Ray style: the label is its path).
    private static func options(of label: String, in root: SpaceNode) -> SpaceNode.Choice? {
        func find(_ node: SpaceNode, _ path: [String]) -> SpaceNode.Choice? {
            switch node {
            case .dict(let entries):
                for e in entries { if let c = find(e.node, path + [e.key]) { return c } }
            case .list(let items):
                for (i, item) in items.enumerated() { if let c = find(item, path + [String(i)]) { return c } }
            case .choice(let c):
                if (c.label ?? path.joined(separator: "/")) == label { return c }
                for (i, o) in c.options.enumerated() {
                    var optionPath = c.label.map { [$0] } ?? path
                    if case .dict = o {} else { optionPath.append(String(i)) }
                    if let found = find(o, optionPath) { return found }
                }
            default: break
            }
            return nil
        }
        return find(root, [])
    }

    // MARK: value <-> vector

    /// The vector entry of a value (ConfigSpace's `_inverse_transform`; a categorical's value is
    /// its option index): clipped to [0, 1] for uniform kinds, the value itself for a normal.
    static func encode(_ value: Double, _ kind: Kind) -> Double {
        switch kind {
        case let .uniformFloat(_, _, _, isLog, lo, hi), let .uniformInteger(_, _, _, isLog, lo, hi):
            var v = isLog ? log(value) : value
            v = (v - lo) / (hi - lo)
            return max(0.0, min(1.0, v))  // NaN stays NaN, as in NumPy
        case .normalFloat:
            return value
        case .categorical:
            return value
        }
    }

    /// The value of a vector entry (ConfigSpace's `_transform_scalar`, which `Configuration`
    /// uses; a categorical's value is its option index, rounded half to even as BOHB does).
    static func decode(_ vector: Double, _ kind: Kind) -> Double {
        switch kind {
        case let .uniformFloat(lower, upper, q, isLog, lo, hi):
            var s = vector * (hi - lo) + lo
            if isLog { s = exp(s) }
            if let q {
                s = ((s - lower) / q).rounded(.toNearestOrEven) * q + lower
                s = pyMin(s, upper)
                s = pyMax(s, lower)
            }
            return pyMin(upper, pyMax(lower, s))
        case let .uniformInteger(lower, upper, q, isLog, lo, hi):
            // The inner float hyperparameter's transform, then the integer's rounding.
            var s = vector * (hi - lo) + lo
            if isLog { s = exp(s) }
            s = pyMin(upper + 0.49999, pyMax(lower - 0.49999, s))
            if let q {
                s = ((s - lower) / q).rounded(.toNearestOrEven) * q + lower
                s = pyMin(s, upper)
                s = pyMax(s, lower)
            }
            return s.rounded(.toNearestOrEven)
        case let .normalFloat(_, _, q):
            guard let q else { return vector }
            return (vector / q).rounded(.toNearestOrEven) * q
        case .categorical:
            return vector.rounded(.toNearestOrEven)
        }
    }

    /// A random vector, drawn as ConfigSpace's `sample_configuration` draws one (from swifttune's
    /// generator, not NumPy's): a uniform position for a float, the position of a uniformly drawn
    /// integer (drawn through its widened float range, then mapped back), a normal draw for a
    /// normal, a uniform index for a categorical. O(count).
    func sample(_ rng: inout Xoshiro256) -> [Double] {
        entries.map { e in
            switch e.kind {
            case .uniformFloat: return rng.nextDouble()
            case .uniformInteger: return Self.encode(Self.decode(rng.nextDouble(), e.kind), e.kind)
            case let .normalFloat(mu, sigma, _): return rng.normal(mu, sigma)
            case .categorical(let n): return Double(rng.below(UInt64(n)))
            }
        }
    }

    /// The values of a vector, by parameter index (a choice by option index).
    func values(of vector: [Double]) -> [Double] {
        var values = Array(repeating: Double.nan, count: parameterCount)
        for (e, v) in zip(entries, vector) { values[e.parameter] = Self.decode(v, e.kind) }
        return values
    }

    /// The vector of values given by parameter index, as `Configuration(space, values)` computes
    /// it (NaN for a parameter without a value).
    func vector(of values: [Double]) -> [Double] {
        entries.map { e in
            let v = e.parameter < values.count ? values[e.parameter] : .nan
            return v.isNaN ? .nan : Self.encode(v, e.kind)
        }
    }
}

// MARK: - Python's arithmetic and formatting, as ConfigSpace's checks and messages use them

/// Python's `min(a, b)`: `a` unless `b < a` (so a NaN `a` stays).
@inline(__always) private func pyMin(_ a: Double, _ b: Double) -> Double { b < a ? b : a }
/// Python's `max(a, b)`: `a` unless `b > a`.
@inline(__always) private func pyMax(_ a: Double, _ b: Double) -> Double { b > a ? b : a }

/// Python's float `%`: the remainder with the sign of the divisor.
func pythonMod(_ a: Double, _ b: Double) -> Double {
    var m = fmod(a, b)
    if m != 0, (m < 0) != (b < 0) { m += b }
    return m
}

/// NumPy's `np.round(x, decimals)` for decimals >= 0: x * 10^d rounded half to even, divided back.
func roundDecimals(_ x: Double, _ decimals: Int) -> Double {
    let f = pow(10.0, Double(decimals))
    return (x * f).rounded(.toNearestOrEven) / f
}

/// Python's `"%f" % x`.
func percentF(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    return withVaList([x]) { args -> String in
        let n = Int(vsnprintf(nil, 0, "%f", args))
        return withVaList([x]) { args2 -> String in
            var buffer = [CChar](repeating: 0, count: n + 1)
            _ = vsnprintf(&buffer, n + 1, "%f", args2)
            return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}

/// Python's `"%d" % x` of an integral number.
func percentD(_ x: Double) -> String {
    if let n = Int64(exactly: x) { return String(n) }
    return percentF(x.rounded(.towardZero)).split(separator: ".").first.map(String.init) ?? "\(x)"
}

/// Python's `str()` of a choice (a number as Python prints it, True/False, a string as is).
func pythonString(_ v: JSONValue) -> String {
    switch v {
    case .null: return "None"
    case .string(let s): return s
    default: return pythonRepr(v)
    }
}
