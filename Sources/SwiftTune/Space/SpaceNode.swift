/// One node of a search space as the user writes it: constants, nested dictionaries and lists,
/// parameters, and choices whose options may themselves be spaces (conditional sub-spaces).
///
/// Ray Tune style, labels taken from the dictionary path:
/// ```swift
/// let space: SpaceNode = [
///     "steps": 100,
///     "width": .uniform(0, 20),
///     "height": .uniform(-100, 100),
///     "activation": .choice(["relu", "tanh"]),
/// ]
/// ```
/// hyperopt style, with explicit labels and a conditional branch:
/// ```swift
/// let space: SpaceNode = [
///     "activation": HP.choice("activation", [
///         ["activation": "relu", "mult": HP.uniform("mult", 1, 2)],
///         ["activation": "tanh"],
///     ]),
///     "width": HP.uniform("width", 0, 20),
/// ]
/// ```
public indirect enum SpaceNode: Sendable, Equatable {
    /// A fixed value, passed through to every configuration.
    case constant(JSONValue)
    /// A dictionary of sub-spaces, in the given key order.
    case dict([DictEntry])
    /// A list of sub-spaces.
    case list([SpaceNode])
    /// A numeric parameter. Without a label, the label is the node's path (`"a/b"`), as in Ray.
    case parameter(label: String?, Distribution)
    /// A categorical choice among options that are themselves spaces.
    case choice(Choice)

    /// One key and its sub-space in a ``SpaceNode/dict(_:)``.
    public struct DictEntry: Sendable, Equatable {
        /// The dictionary key.
        public var key: String
        /// The sub-space under the key.
        public var node: SpaceNode
        /// An entry for `key`.
        public init(_ key: String, _ node: SpaceNode) {
            self.key = key
            self.node = node
        }
    }

    /// A choice: hyperopt's `choice` / `pchoice` or Ray's `tune.choice`.
    public struct Choice: Sendable, Equatable {
        /// The label; nil takes the node's path (Ray style).
        public var label: String?
        /// The options, each a constant or a sub-space.
        public var options: [SpaceNode]
        /// Option probabilities for `pchoice`; nil is uniform.
        public var probabilities: [Double]?
        /// Which API spelled it, kept so that the JSON form round-trips (`choice`, `pchoice` or
        /// `tune.choice`).
        public var isTuneChoice: Bool

        /// A choice, unchecked: ``SearchSpace/init(_:)`` validates it.
        public init(label: String?, options: [SpaceNode], probabilities: [Double]? = nil, isTuneChoice: Bool = false) {
            self.label = label
            self.options = options
            self.probabilities = probabilities
            self.isTuneChoice = isTuneChoice
        }
    }
}

extension SpaceNode: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral
{
    /// A dictionary literal is a ``dict(_:)`` node, in the literal's key order.
    public init(dictionaryLiteral elements: (String, SpaceNode)...) {
        self = .dict(elements.map { DictEntry($0.0, $0.1) })
    }
    /// An array literal is a ``list(_:)`` node.
    public init(arrayLiteral elements: SpaceNode...) { self = .list(elements) }
    /// A string literal is a constant string.
    public init(stringLiteral value: String) { self = .constant(.string(value)) }
    /// An integer literal is a constant integer.
    public init(integerLiteral value: Int64) { self = .constant(.int(value)) }
    /// A float literal is a constant double.
    public init(floatLiteral value: Double) { self = .constant(.double(value)) }
    /// A boolean literal is a constant boolean.
    public init(booleanLiteral value: Bool) { self = .constant(.bool(value)) }
    /// `nil` is the constant null.
    public init(nilLiteral: ()) { self = .constant(.null) }
}

// MARK: - Ray Tune's sampling functions (label = path)

extension SpaceNode {
    /// `tune.uniform(lower, upper)`: a float uniform on [lower, upper).
    public static func uniform(_ lower: Double, _ upper: Double) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneUniform, lower, upper))
    }
    /// `tune.quniform(lower, upper, q)`: uniform, rounded to a multiple of q.
    public static func quniform(_ lower: Double, _ upper: Double, _ q: Double) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneQuniform, lower, upper, q: q))
    }
    /// `tune.loguniform(lower, upper, base)`: log-uniform on [lower, upper) (plain bounds).
    public static func loguniform(_ lower: Double, _ upper: Double, base: Double? = nil) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneLoguniform, lower, upper, base: base))
    }
    /// `tune.qloguniform(lower, upper, q, base)`.
    public static func qloguniform(_ lower: Double, _ upper: Double, _ q: Double, base: Double? = nil) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneQloguniform, lower, upper, q: q, base: base))
    }
    /// `tune.randn(mean, sd)`: a normal draw.
    public static func randn(_ mean: Double = 0, _ sd: Double = 1) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneRandn, mean, sd))
    }
    /// `tune.qrandn(mean, sd, q)`.
    public static func qrandn(_ mean: Double, _ sd: Double, _ q: Double) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneQrandn, mean, sd, q: q))
    }
    /// `tune.randint(lower, upper)`: an integer on [lower, upper) (upper excluded).
    public static func randint(_ lower: Int, _ upper: Int) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneRandint, Double(lower), Double(upper)))
    }
    /// `tune.qrandint(lower, upper, q)`: an integer on [lower, upper] (upper included), a multiple of q.
    public static func qrandint(_ lower: Int, _ upper: Int, _ q: Int = 1) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneQrandint, Double(lower), Double(upper), q: Double(q)))
    }
    /// `tune.lograndint(lower, upper, base)`: a log-uniform integer on [lower, upper).
    public static func lograndint(_ lower: Int, _ upper: Int, base: Double? = nil) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneLograndint, Double(lower), Double(upper), base: base))
    }
    /// `tune.qlograndint(lower, upper, q, base)`: log-uniform integer on [lower, upper], a multiple of q.
    public static func qlograndint(_ lower: Int, _ upper: Int, _ q: Int, base: Double? = nil) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: .tuneQlograndint, Double(lower), Double(upper), q: Double(q), base: base))
    }
    /// `tune.choice(categories)`: one of the categories, uniformly; categories may be sub-spaces.
    /// Optuna's `FloatDistribution(low, high, step=step, log=log)` (step and log exclusive).
    public static func optunaFloat(_ low: Double, _ high: Double, step: Double? = nil, log: Bool = false) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: log ? .optunaFloatLog : .optunaFloat, low, high, q: step))
    }
    /// Optuna's `IntDistribution(low, high, step=step, log=log)` (log needs step 1).
    public static func optunaInt(_ low: Int, _ high: Int, step: Int = 1, log: Bool = false) -> SpaceNode {
        .parameter(label: nil, Distribution(kind: log ? .optunaIntLog : .optunaInt, Double(low), Double(high), q: log && step == 1 ? nil : Double(step)))
    }
    public static func choice(_ categories: [SpaceNode]) -> SpaceNode {
        .choice(Choice(label: nil, options: categories, isTuneChoice: true))
    }
}

/// hyperopt's `hp` functions: every parameter has an explicit label, and `loguniform`'s bounds
/// are logs, as in hyperopt.
public enum HP {
    /// `hp.uniform(label, low, high)`: a float uniform on [low, high).
    public static func uniform(_ label: String, _ low: Double, _ high: Double) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .uniform, low, high))
    }
    /// `hp.quniform(label, low, high, q)`: uniform, rounded to a multiple of q.
    public static func quniform(_ label: String, _ low: Double, _ high: Double, _ q: Double) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .quniform, low, high, q: q))
    }
    /// `hp.loguniform(label, low, high)`: exp(uniform(low, high)); `low` and `high` are the logs
    /// of the bounds.
    public static func loguniform(_ label: String, _ low: Double, _ high: Double) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .loguniform, low, high))
    }
    /// `hp.qloguniform(label, low, high, q)`: loguniform, rounded to a multiple of q.
    public static func qloguniform(_ label: String, _ low: Double, _ high: Double, _ q: Double) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .qloguniform, low, high, q: q))
    }
    /// `hp.normal(label, mu, sigma)`: a normal draw.
    public static func normal(_ label: String, _ mu: Double, _ sigma: Double) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .normal, mu, sigma))
    }
    /// `hp.qnormal(label, mu, sigma, q)`: normal, rounded to a multiple of q.
    public static func qnormal(_ label: String, _ mu: Double, _ sigma: Double, _ q: Double) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .qnormal, mu, sigma, q: q))
    }
    /// `hp.lognormal(label, mu, sigma)`: exp(normal(mu, sigma)).
    public static func lognormal(_ label: String, _ mu: Double, _ sigma: Double) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .lognormal, mu, sigma))
    }
    /// `hp.qlognormal(label, mu, sigma, q)`: lognormal, rounded to a multiple of q.
    public static func qlognormal(_ label: String, _ mu: Double, _ sigma: Double, _ q: Double) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .qlognormal, mu, sigma, q: q))
    }
    /// `hp.randint(label, upper)`: an integer on [0, upper).
    public static func randint(_ label: String, _ upper: Int) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .randint, 0, Double(upper)))
    }
    /// `hp.randint(label, low, high)`: an integer on [low, high).
    public static func randint(_ label: String, _ low: Int, _ high: Int) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .randint, Double(low), Double(high)))
    }
    /// `hp.uniformint(label, low, high, q=1)`: `quniform` returned as an integer.
    public static func uniformint(_ label: String, _ low: Int, _ high: Int, q: Int = 1) -> SpaceNode {
        .parameter(label: label, Distribution(kind: .uniformint, Double(low), Double(high), q: Double(q)))
    }
    /// `hp.choice(label, options)`: options may be constants or sub-spaces.
    public static func choice(_ label: String, _ options: [SpaceNode]) -> SpaceNode {
        .choice(.init(label: label, options: options))
    }
    /// `hp.pchoice(label, [(p, option)])`: a choice with given probabilities (summing to 1).
    public static func pchoice(_ label: String, _ options: [(Double, SpaceNode)]) -> SpaceNode {
        .choice(.init(label: label, options: options.map(\.1), probabilities: options.map(\.0)))
    }
}
