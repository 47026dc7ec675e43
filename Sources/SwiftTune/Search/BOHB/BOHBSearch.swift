/// BOHB's model (Falkner et al. 2018) behind Ray Tune's `TuneBOHB`: hpbandster's config
/// generator over the space as Ray's `convert_search_space` hands it to ConfigSpace, with
/// `TuneBOHB`'s bookkeeping of running and paused trials. It learns from intermediate results
/// that carry a budget (HyperBandForBOHB's `hyperband_info/budget`), not from trial outcomes.
///
/// ```swift
/// var bohb = try BOHBSearch(space: SearchSpace(["x": .uniform(0, 1)]), mode: .min, metric: "loss", seed: 1)
/// let s = try bohb.suggest(trialID: "t0")
/// try bohb.observe(trialID: "t0", ["loss": 0.3, BOHBSearch.budgetKey: 1])
/// try bohb.tell(trialID: "t0", .completed(0.3))
/// ```
///
/// Random draws come from swifttune's ``Xoshiro256`` streams (one per suggestion, numbered by the
/// trial's place in creation order), not from NumPy's global generator as in hpbandster.
public struct BOHBSearch: Searcher {
    /// BOHB learns from the metric: an experiment with it needs a metric and a mode.
    public var metricUser: String? { "BOHBSearch" }

    /// The key of a result's budget: HyperBandForBOHB's `hyperband_info: {"budget": b}`, flattened.
    public static let budgetKey = "hyperband_info/budget"

    /// hpbandster BOHB's options (with its defaults) and `TuneBOHB`'s `max_concurrent`.
    public struct Options: Sendable, Equatable {
        /// Results a budget needs before it gets a model; nil is the number of parameters + 1, and
        /// anything smaller is raised to that (`min_points_in_model`).
        public var minPointsInModel: Int? = nil
        /// The percentage of a budget's results that make the good density (`top_n_percent`).
        public var topNPercent: Int = 15
        /// Candidates drawn per model-based suggestion (`num_samples`).
        public var numSamples: Int = 64
        /// The probability of a random suggestion once there is a model (`random_fraction`).
        public var randomFraction: Double = 1.0 / 3.0
        /// Widens the continuous bandwidths when drawing candidates (`bandwidth_factor`).
        public var bandwidthFactor: Double = 3
        /// The smallest bandwidth of a density (`min_bandwidth`).
        public var minBandwidth: Double = 1e-3
        /// At most this many running trials (paused ones do not count); <= 0 is no limit
        /// (`TuneBOHB(max_concurrent=...)`).
        public var maxConcurrent: Int = 0

        /// Options with hpbandster's defaults for whatever is not given; ``BOHBSearch`` validates them.
        public init(minPointsInModel: Int? = nil, topNPercent: Int = 15, numSamples: Int = 64,
                    randomFraction: Double = 1.0 / 3.0, bandwidthFactor: Double = 3, minBandwidth: Double = 1e-3,
                    maxConcurrent: Int = 0) {
            self.minPointsInModel = minPointsInModel
            self.topNPercent = topNPercent
            self.numSamples = numSamples
            self.randomFraction = randomFraction
            self.bandwidthFactor = bandwidthFactor
            self.minBandwidth = minBandwidth
            self.maxConcurrent = maxConcurrent
        }

        /// The option names, as hpbandster and Ray spell them.
        public static let names = ["min_points_in_model", "top_n_percent", "num_samples", "random_fraction",
                                   "bandwidth_factor", "min_bandwidth", "max_concurrent"]

        /// Checks the ranges hpbandster leaves unchecked but cannot use (see `docs/bohb.md`).
        func validate() throws(SearchError) {
            guard (0...100).contains(topNPercent) else { throw .invalidOption("top_n_percent must be in [0, 100], got \(topNPercent)") }
            guard randomFraction.isFinite else { throw .invalidOption("random_fraction must be a finite number, got \(JSONValue.format(randomFraction))") }
            guard bandwidthFactor.isFinite, bandwidthFactor > 0 else {
                throw .invalidOption("bandwidth_factor must be positive, got \(JSONValue.format(bandwidthFactor))")
            }
            guard minBandwidth.isFinite, minBandwidth > 0 else {
                throw .invalidOption("min_bandwidth must be positive, got \(JSONValue.format(minBandwidth))")
            }
        }

        /// The options as saved in the searcher's state.
        var json: JSONValue {
            .object([("min_points_in_model", minPointsInModel.map { .int(Int64($0)) } ?? .null),
                     ("top_n_percent", .int(Int64(topNPercent))), ("num_samples", .int(Int64(numSamples))),
                     ("random_fraction", .double(randomFraction)), ("bandwidth_factor", .double(bandwidthFactor)),
                     ("min_bandwidth", .double(minBandwidth)), ("max_concurrent", .int(Int64(maxConcurrent)))])
        }

        /// Reads the options of a saved state (not validated: the caller validates).
        init(json: JSONValue) throws(SearchError) {
            func int(_ k: String) throws(SearchError) -> Int {
                guard let v = json[k]?.intValue else { throw .invalidState("option '\(k)' must be an integer") }
                return Int(clamping: v)
            }
            func double(_ k: String) throws(SearchError) -> Double {
                guard let v = json[k]?.doubleValue else { throw .invalidState("option '\(k)' must be a number") }
                return v
            }
            var minPoints: Int? = nil
            if let m = json["min_points_in_model"], m != .null {
                guard let v = m.intValue else { throw .invalidState("option 'min_points_in_model' must be an integer or null") }
                minPoints = Int(clamping: v)
            }
            self.init(minPointsInModel: minPoints, topNPercent: try int("top_n_percent"), numSamples: try int("num_samples"),
                      randomFraction: try double("random_fraction"), bandwidthFactor: try double("bandwidth_factor"),
                      minBandwidth: try double("min_bandwidth"), maxConcurrent: try int("max_concurrent"))
        }
    }

    /// The space the searcher draws from.
    public let space: SearchSpace
    /// Whether the metric is minimised (losses are the metric) or maximised (its negation).
    public let mode: Mode
    /// The metric read from every result that has a budget (Ray's default `_metric` when only a
    /// mode is given); the engine sets the experiment's.
    public var metric: String
    /// The options.
    public let options: Options
    /// The seed of every random draw.
    public let seed: UInt64
    /// The trials suggested (with their values) and the points still to hand out.
    var log: TrialLog
    /// hpbandster's generator: results per budget and the models.
    var generator: BOHBGenerator
    /// Trials that count against ``Options/maxConcurrent`` (Ray's `TuneBOHB.running`).
    public private(set) var running: Set<String> = []
    /// Trials paused by the scheduler (Ray's `TuneBOHB.paused`).
    public private(set) var paused: Set<String> = []

    /// - Parameters:
    ///   - metric: the metric of the results (Ray's `metric`; `_metric` when not given).
    ///   - pointsToEvaluate: configurations (by value) handed out first, in order; parameters a
    ///     point leaves out are drawn from their prior.
    ///   - seed: the same seed, options and calls give the same suggestions on every machine.
    /// - Throws: ``SearchError/invalidOption(_:)`` for an option out of range, a point that does
    ///   not fit, or a space Ray's converter refuses (with Ray's or ConfigSpace's message).
    public init(space: SearchSpace, mode: Mode = .min, metric: String = "_metric", options: Options = Options(),
                pointsToEvaluate: [JSONValue] = [], seed: UInt64 = 0) throws(SearchError) {
        try options.validate()
        let vector = try SpaceVector(space)
        self.space = space
        self.mode = mode
        self.metric = metric
        self.options = options
        self.seed = seed
        log = TrialLog()
        log.points = try validatedPoints(pointsToEvaluate, space)
        generator = BOHBGenerator(vector: vector, options: options)
    }

    /// The number of results recorded for each budget, in the order budgets were first seen.
    public var resultCounts: [(budget: Double, count: Int)] { generator.budgets.map { ($0.budget, $0.losses.count) } }

    /// The budgets that have a model, ascending.
    public var modelBudgets: [Double] { generator.models.keys.sorted() }

    // MARK: suggestions

    /// The next trial's configuration, whatever the number of running trials (``propose(trialID:)``
    /// applies ``Options/maxConcurrent``): the next point to evaluate if any is left, otherwise
    /// hpbandster's `get_config`. The trial counts as running. O(numSamples * n * d) with a model
    /// of n points and d parameters.
    /// - Throws: ``SearchError/duplicateTrial(_:)`` for an id already used.
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        let (space, generator) = (self.space, self.generator)
        let s = try log.suggest(trialID, space: space, seed: seed) { _, rng in
            let values = generator.vector.values(of: generator.getConfig(&rng).vector)
            return space.build { values[$0] }
        }
        running.insert(trialID)
        return s
    }

    /// Ray's `TuneBOHB.suggest`: ``Proposal/notNow`` while ``Options/maxConcurrent`` (> 0)
    /// trials are running, otherwise ``suggest(trialID:)``.
    public mutating func propose(trialID: String) throws(SearchError) -> Proposal {
        if options.maxConcurrent > 0 && running.count >= options.maxConcurrent { return .notNow }
        return .suggestion(try suggest(trialID: trialID))
    }

    // MARK: results

    /// BOHB hears intermediate results.
    public var observesResults: Bool { true }

    /// Ray's `on_trial_result`: the trial counts as running unless paused; a result with a budget
    /// (``budgetKey``) is recorded (hpbandster's `new_result`) with loss metric (min) or -metric
    /// (max) and the trial's configuration. O(n log n + n * d) for n results of the budget.
    /// - Throws: for a result with a budget, ``SearchError/unknownTrial(_:)`` or
    ///   ``SearchError/trialAlreadyFinished(_:)`` (Ray's KeyError), and
    ///   ``SearchError/invalidOption(_:)`` when the result lacks the metric.
    public mutating func observe(trialID: String, _ result: Metrics) throws(SearchError) {
        if let budget = result[Self.budgetKey] {
            guard let r = log.record(trialID) else { throw .unknownTrial(trialID) }
            guard r.state == .pending else { throw .trialAlreadyFinished(trialID) }
            guard let value = result[metric] else {
                throw .invalidOption("the result of trial '\(trialID)' has no metric '\(metric)' (BOHB reads it from every result with a budget)")
            }
            let loss = (mode == .max ? -1.0 : 1.0) * value
            generator.newResult(loss: loss, budget: budget, vector: generator.vector.vector(of: r.values), seed: seed)
        }
        if !paused.contains(trialID) { running.insert(trialID) }
    }

    /// Ray's `on_trial_complete`: the trial is neither running nor paused any more (its outcome
    /// does not change the model: BOHB learns from results). O(1).
    /// - Throws: ``SearchError/unknownTrial(_:)`` or ``SearchError/trialAlreadyFinished(_:)``.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try log.finish(trialID, outcome)
        paused.remove(trialID)
        running.remove(trialID)
    }

    /// Ray's `TuneBOHB` has no `add_evaluated_point` (the base `Searcher` raises
    /// NotImplementedError).
    /// - Throws: ``SearchError/invalidOption(_:)`` always.
    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        throw .invalidOption("TuneBOHB does not support add_evaluated_point (Ray raises NotImplementedError)")
    }

    /// Ray's `TuneBOHB.on_pause`: the scheduler paused the trial; it stops counting as running.
    public mutating func onTrialPause(_ trialID: String) {
        paused.insert(trialID)
        running.remove(trialID)
    }

    /// Ray's `TuneBOHB.on_unpause`: the trial runs again.
    public mutating func onTrialUnpause(_ trialID: String) {
        paused.remove(trialID)
        running.insert(trialID)
    }

    // MARK: saved state

    /// The searcher's whole state as JSON: space, mode, seed, metric, options, the points still to
    /// hand out, every trial, the running and paused trials, and every budget's vectors and
    /// losses (the models are refitted from them on restore). O(N * d) for N results.
    public func saveState() -> JSONValue {
        let budgets: [JSONValue] = generator.budgets.map { b in
            .object([("budget", .double(b.budget)),
                     ("vectors", .array(b.vectors.map { .array($0.map { .double($0) }) })),
                     ("losses", .array(b.losses.map { .double($0) }))])
        }
        return .object(SavedState.header(searcher: "bohb", space: space, mode: mode, seed: seed)
            + [("metric", .string(metric)), ("options", options.json), ("points_to_evaluate", .array(log.points)),
               ("trials", log.json(space: space)),
               ("running", .array(running.sorted().map { .string($0) })),
               ("paused", .array(paused.sorted().map { .string($0) })),
               ("budgets", .array(budgets))])
    }

    /// Restores a searcher from ``saveState()``; it continues exactly where the saved one was.
    /// - Throws: ``SearchError/invalidState(_:)`` for a malformed state.
    public init(restoring state: JSONValue) throws(SearchError) {
        let saved = try SavedState(state, searcher: "bohb")
        let options = try Options(json: saved.json["options"] ?? .null)
        do { try options.validate() } catch { throw .invalidState("\(error)") }
        guard let metric = state["metric"]?.stringValue else { throw .invalidState("'metric' must be a string") }
        let vector: SpaceVector
        do { vector = try SpaceVector(saved.space) } catch { throw .invalidState("\(error)") }
        func ids(_ key: String) throws(SearchError) -> Set<String> {
            guard let items = state[key]?.arrayValue else { throw .invalidState("'\(key)' must be an array of trial ids") }
            var out: Set<String> = []
            for item in items {
                guard let s = item.stringValue else { throw .invalidState("'\(key)' must be an array of trial ids") }
                out.insert(s)
            }
            return out
        }
        guard let items = state["budgets"]?.arrayValue else { throw .invalidState("'budgets' must be an array") }
        var budgets: [BOHBGenerator.BudgetData] = []
        for (n, item) in items.enumerated() {
            guard let b = item["budget"]?.doubleValue, !b.isNaN, !budgets.contains(where: { $0.budget == b }) else {
                throw .invalidState("budget \(n) has no distinct numeric 'budget'")
            }
            guard let vs = item["vectors"]?.arrayValue, let ls = item["losses"]?.arrayValue, vs.count == ls.count else {
                throw .invalidState("budget \(JSONValue.format(b)) needs as many 'vectors' as 'losses'")
            }
            var data = BOHBGenerator.BudgetData(budget: b)
            for v in vs {
                guard let row = v.arrayValue, row.count == vector.count else {
                    throw .invalidState("budget \(JSONValue.format(b)): every vector needs \(vector.count) numbers")
                }
                var xs: [Double] = []
                for x in row {
                    guard let d = x.doubleValue else { throw .invalidState("budget \(JSONValue.format(b)): every vector needs \(vector.count) numbers") }
                    xs.append(d)
                }
                data.vectors.append(xs)
            }
            for l in ls {
                guard let d = l.doubleValue, d.isFinite || d == .infinity else {
                    throw .invalidState("budget \(JSONValue.format(b)): losses must be finite numbers or Infinity")
                }
                data.losses.append(d)
            }
            budgets.append(data)
        }
        space = saved.space
        mode = saved.mode
        seed = saved.seed
        self.metric = metric
        self.options = options
        log = saved.log
        running = try ids("running")
        paused = try ids("paused")
        generator = BOHBGenerator(vector: vector, options: options, budgets: budgets, seed: saved.seed)
    }
}
