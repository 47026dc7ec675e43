/// The Tree-structured Parzen Estimator exactly as hyperopt's `tpe.suggest` does it (the
/// algorithm behind Ray Tune's `HyperOptSearch`). See `docs/tpe.md` for the rules and for the
/// few places where swifttune deliberately differs.
///
/// ```swift
/// var tpe = try TPESearch(space: SearchSpace(["x": .uniform(-5, 5)]), mode: .min, seed: 1)
/// for n in 0..<100 {
///     let s = try tpe.suggest(trialID: "t\(n)")
///     let x = s.configuration["x"]!.doubleValue!
///     try tpe.tell(trialID: s.trialID, .completed((x - 3) * (x - 3)))
/// }
/// ```
public struct TPESearch: Searcher {
    /// TPE learns from the metric: an experiment with it needs a metric and a mode.
    public var metricUser: String? { "TPESearch" }

    /// hyperopt's `tpe.suggest` options, with its defaults.
    public struct Options: Sendable, Equatable {
        /// Below this many trials (pending and finished, not failed) suggestions are random
        /// (hyperopt: `n_startup_jobs`; Ray: `n_initial_points`).
        public var nInitialPoints: Int = 20
        /// Candidates drawn from l(x) per parameter (`n_EI_candidates`).
        public var nEICandidates: Int = 24
        /// Fraction for the split: n_below = min(ceil(gamma * sqrt(N)), 25).
        public var gamma: Double = 0.25
        /// Weight of the prior component and pseudo-count of categories.
        public var priorWeight: Double = 1.0
        /// The newest this-many observations keep weight 1; older ones are ramped down (0 = off).
        public var linearForgetting: Int = 25
        /// swifttune's opt-in constant liar (not hyperopt's: off by default): running trials stay
        /// bad observations (as in hyperopt) but do not count towards `nInitialPoints` or the
        /// split's N, and never join the good group (Optuna's rule). See docs/tpe.md.
        public var constantLiar: Bool = false

        /// Options with hyperopt's defaults for whatever is not given; ``TPESearch/init(space:mode:options:pointsToEvaluate:seed:)``
        /// validates them.
        public init(nInitialPoints: Int = 20, nEICandidates: Int = 24, gamma: Double = 0.25,
                    priorWeight: Double = 1.0, linearForgetting: Int = 25, constantLiar: Bool = false) {
            self.nInitialPoints = nInitialPoints
            self.nEICandidates = nEICandidates
            self.gamma = gamma
            self.priorWeight = priorWeight
            self.linearForgetting = linearForgetting
            self.constantLiar = constantLiar
        }

        /// Checks every option's range; the message names the option as Ray and hyperopt spell it.
        func validate() throws(SearchError) {
            guard nInitialPoints >= 0 else { throw .invalidOption("n_initial_points must be >= 0, got \(nInitialPoints)") }
            guard nEICandidates >= 1 else { throw .invalidOption("n_EI_candidates must be >= 1, got \(nEICandidates)") }
            guard gamma.isFinite, gamma > 0, gamma <= 1 else { throw .invalidOption("gamma must be in (0, 1], got \(gamma)") }
            guard priorWeight.isFinite, priorWeight > 0 else { throw .invalidOption("prior_weight must be positive, got \(priorWeight)") }
            guard linearForgetting >= 0 else { throw .invalidOption("linear_forgetting must be >= 0, got \(linearForgetting)") }
        }

        /// The options as saved in the searcher's state.
        var json: JSONValue {
            ["n_initial_points": .int(Int64(nInitialPoints)), "n_EI_candidates": .int(Int64(nEICandidates)),
             "gamma": .double(gamma), "prior_weight": .double(priorWeight), "linear_forgetting": .int(Int64(linearForgetting)),
             "constant_liar": .bool(constantLiar)]
        }

        /// Reads the options of a saved state (not validated: the caller validates).
        init(json: JSONValue) throws(SearchError) {
            func int(_ k: String) throws(SearchError) -> Int {
                guard let v = json[k]?.intValue else { throw .invalidState("option '\(k)' must be an integer") }
                return Int(v)
            }
            func double(_ k: String) throws(SearchError) -> Double {
                guard let v = json[k]?.doubleValue else { throw .invalidState("option '\(k)' must be a number") }
                return v
            }
            self.init(nInitialPoints: try int("n_initial_points"), nEICandidates: try int("n_EI_candidates"),
                      gamma: try double("gamma"), priorWeight: try double("prior_weight"),
                      linearForgetting: try int("linear_forgetting"),
                      constantLiar: json["constant_liar"] == .bool(true))  // absent in states saved before the option
        }
    }

    /// hyperopt's cap on the size of the good group (`gamma_cap`, = its default linear forgetting).
    static let gammaCap = 25

    /// The space the searcher draws from.
    public let space: SearchSpace
    /// Whether the metric is minimised or maximised.
    public let mode: Mode
    /// The searcher's TPE options.
    public let options: Options
    /// The seed of every random draw (each trial draws from its own stream of it, numbered by
    /// the trial's place in creation order).
    public let seed: UInt64
    /// The prior of each parameter of `space`, by index (derived from `space`; not saved).
    let priors: [Prior]
    /// Every trial suggested or added, and the points still to hand out.
    var log: TrialLog
    /// Numeric observations kept sorted across suggestions (derived from `log`; not saved).
    var index = ObservationIndex()

    /// - Parameters:
    ///   - pointsToEvaluate: configurations (by value, as in Ray; a choice by its option's value)
    ///     handed out first, in order; they then count as ordinary trials.
    ///   - seed: the same seed, options and history give the same suggestion on every machine.
    public init(space: SearchSpace, mode: Mode = .min, options: Options = Options(),
                pointsToEvaluate: [JSONValue] = [], seed: UInt64 = 0) throws(SearchError) {
        try options.validate()
        try space.refuseOptunaDistributions("TPESearch (hyperopt's TPE)", instead: "OptunaTPESearch (OptunaSearch in Python)")
        self.space = space
        self.mode = mode
        self.options = options
        self.seed = seed
        priors = space.priors
        log = TrialLog()
        log.points = try validatedPoints(pointsToEvaluate, space)
    }

    /// Restores a searcher from ``saveState()``; it continues exactly where the saved one was.
    public init(restoring state: JSONValue) throws(SearchError) {
        let saved = try SavedState(state, searcher: "tpe")
        let options = try Options(json: saved.json["options"] ?? .null)
        try options.validate()
        space = saved.space
        priors = saved.space.priors
        mode = saved.mode
        seed = saved.seed
        self.options = options
        log = saved.log
    }

    /// What changed in ``saveState()`` since the last call: trials added or finished, points
    /// handed out. O(changes).
    public mutating func takeStateChanges() -> [StatePatch.Op]? { log.takeChanges(space: space) }

    /// The state was saved whole: later ``takeStateChanges()`` calls patch it.
    public mutating func forgetStateChanges() { log.forgetChanges() }

    /// The searcher's whole state as JSON: space, mode, seed, options, the points still to hand
    /// out, and every trial with its assignment and outcome. O(N) for N trials.
    public func saveState() -> JSONValue {
        .object(SavedState.header(searcher: "tpe", space: space, mode: mode, seed: seed)
            + [("options", options.json), ("points_to_evaluate", .array(log.points)), ("trials", log.json(space: space))])
    }

    /// Reports how a suggested trial ended. O(1).
    /// - Throws: ``SearchError/unknownTrial(_:)`` or ``SearchError/trialAlreadyFinished(_:)``.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try log.finish(trialID, outcome)
    }

    /// Records a trial evaluated elsewhere (Ray's `add_evaluated_point`), by value; it counts as
    /// a trial created now and shapes later suggestions like the searcher's own.
    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        try log.addEvaluated(trialID, configuration, outcome, space: space)
    }

    /// The next trial's configuration: the next point to evaluate if any is left, a random draw
    /// while fewer than `nInitialPoints` trials count, otherwise TPE's choice. O(P * (N +
    /// nEICandidates * window)) for P parameters and N trials (see `TPEModel.decide`).
    /// - Throws: ``SearchError/duplicateTrial(_:)`` for an id already used.
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        index.sync(with: log.records, space: space)
        let (space, priors, mode, options, index) = (self.space, self.priors, self.mode, self.options, self.index)
        return try log.suggest(trialID, space: space, seed: seed) { log, rng in
            guard let model = TPEModel(log: log, index: index, space: space, priors: priors, mode: mode, options: options) else {
                return space.sample(&rng)
            }
            return space.build { i in model.decide(i, &rng) }
        }
    }
}
