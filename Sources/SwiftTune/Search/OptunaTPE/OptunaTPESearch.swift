/// The Tree-structured Parzen Estimator as Optuna 5.0's `TPESampler` does it (the algorithm
/// behind Ray Tune's `OptunaSearch`): a second rule set beside hyperopt's (``TPESearch``). Its
/// space holds Optuna's distributions (`optuna.float`, `optuna.int`) and choices; see
/// `docs/tpe-optuna.md` for each rule and the few deliberate differences.
///
/// ```swift
/// var tpe = try OptunaTPESearch(space: SearchSpace(["x": .optunaFloat(-5, 5)]), mode: .min, seed: 1)
/// for n in 0..<100 {
///     let s = try tpe.suggest(trialID: "t\(n)")
///     let x = s.configuration["x"]!.doubleValue!
///     try tpe.tell(trialID: s.trialID, .completed((x - 3) * (x - 3)))
/// }
/// ```
public struct OptunaTPESearch: Searcher {
    /// Optuna's EPS: the kernels' smallest width without the magic clip.
    static let eps = 1e-12

    /// A trial's latest intermediate value (Optuna keeps the first value told for a step).
    public struct Report: Sendable, Equatable {
        /// The step (Ray's `training_iteration`).
        public var step: Double
        /// The metric's value at that step.
        public var value: Double

        /// A report of `value` at `step`.
        public init(step: Double, value: Double) {
            self.step = step
            self.value = value
        }
    }

    /// TPE learns from the metric: an experiment with it needs a metric and a mode.
    public var metricUser: String? { "OptunaSearch" }
    /// It hears intermediate results: they rank the trials that end without a metric (pruned).
    public var observesResults: Bool { true }

    /// The space the searcher draws from.
    public let space: SearchSpace
    /// Whether the metric is minimised or maximised.
    public let mode: Mode
    /// The sampler's options.
    public let options: Options
    /// The seed of every random draw (each trial draws from its own stream of it).
    public let seed: UInt64
    /// The metric whose intermediate values are recorded (Ray's `OptunaSearch.metric`).
    public let metric: String
    /// Optuna's view of each parameter (derived from `space`; not saved).
    let domains: [OptunaDomain]
    /// Every trial suggested or added, and the points still to hand out.
    var log: TrialLog
    /// By trial id, the latest intermediate value reported.
    var lastReport: [String: Report] = [:]
    /// By running trial id, the relative values drawn for parameters the trial does not use.
    var unusedRelative: [String: [Int: Double]] = [:]

    /// - Parameters:
    ///   - metric: the key of the results whose values are the trial's intermediate values.
    ///   - pointsToEvaluate: configurations handed out first, by value (Optuna's `enqueue_trial`).
    ///   - seed: the same seed, options and history give the same suggestion on every machine.
    /// - Throws: ``SearchError/invalidOption(_:)`` for an option out of range, or a parameter
    ///   whose distribution Optuna has not (hyperopt's or Ray's kinds, weighted choices).
    public init(space: SearchSpace, mode: Mode = .min, options: Options = Options(), metric: String = "_metric",
                pointsToEvaluate: [JSONValue] = [], seed: UInt64 = 0) throws(SearchError) {
        try options.validate()
        self.space = space
        self.mode = mode
        self.options = options
        self.seed = seed
        self.metric = metric
        domains = try Self.domains(space)
        log = TrialLog()
        log.points = try validatedPoints(pointsToEvaluate, space)
    }

    /// Optuna's view of every parameter of `space`.
    static func domains(_ space: SearchSpace) throws(SearchError) -> [OptunaDomain] {
        var out: [OptunaDomain] = []
        for p in space.parameters {
            if case .choice(let probabilities) = p.domain, let first = probabilities.first,
               probabilities.contains(where: { abs($0 - first) > 1e-12 }) {
                throw .invalidOption("Optuna's TPE has no weighted choices ('\(p.label)' has option probabilities); use an unweighted choice")
            }
            guard let d = OptunaDomain(p) else {
                let kind: String
                if case .numeric(let dist) = p.domain { kind = dist.kind.rawValue } else { kind = "choice" }
                throw .invalidOption("Optuna's TPE takes Optuna's distributions (optuna.float, optuna.int) and choices; '\(p.label)' is \(kind) (OptunaSearch converts Ray's domains as Ray does)")
            }
            out.append(d)
        }
        return out
    }

    /// Restores a searcher from ``saveState()``; it continues exactly where the saved one was.
    public init(restoring state: JSONValue) throws(SearchError) {
        let saved = try SavedState(state, searcher: "optuna_tpe")
        let options = try Options(json: saved.json["options"] ?? .null)
        try options.validate()
        space = saved.space
        mode = saved.mode
        seed = saved.seed
        self.options = options
        guard let m = saved.json["metric"]?.stringValue else { throw .invalidState("'metric' must be a string") }
        metric = m
        domains = try Self.domains(saved.space)
        log = saved.log
        for (id, r) in saved.json["reports"]?.objectValue ?? [] {
            guard let pair = r.arrayValue, pair.count == 2, let step = pair[0].doubleValue, let value = pair[1].doubleValue else {
                throw .invalidState("report of trial '\(id)' must be [step, value]")
            }
            guard log.contains(id) else { throw .invalidState("report of unknown trial '\(id)'") }
            lastReport[id] = Report(step: step, value: value)
        }
        for (id, u) in saved.json["unused_relative"]?.objectValue ?? [] {
            guard log.record(id)?.state == .pending else { throw .invalidState("unused relative values of a trial not running: '\(id)'") }
            var values: [Int: Double] = [:]
            for (label, v) in u.objectValue ?? [] {
                guard let i = space.index(of: label), let x = v.doubleValue else { throw .invalidState("trial '\(id)': bad relative value '\(label)'") }
                values[i] = x
            }
            unusedRelative[id] = values
        }
    }

    /// The searcher's whole state as JSON: space, mode, seed, options, metric, the points still
    /// to hand out, every trial with its assignment and outcome, the trials' latest
    /// intermediate values, and the running trials' unused relative values. O(N) for N trials.
    public func saveState() -> JSONValue {
        let reports: [(String, JSONValue)] = lastReport.keys.sorted().map { id in
            let r = lastReport[id]!
            return (id, .array([.double(r.step), .double(r.value)]))
        }
        let unused: [(String, JSONValue)] = unusedRelative.keys.sorted().map { id in
            let u = unusedRelative[id]!
            return (id, .object(u.keys.sorted().map { (space.parameters[$0].label, .double(u[$0]!)) }))
        }
        return .object(SavedState.header(searcher: "optuna_tpe", space: space, mode: mode, seed: seed)
            + [("options", options.json), ("metric", .string(metric)), ("points_to_evaluate", .array(log.points)),
               ("trials", log.json(space: space)), ("reports", .object(reports)), ("unused_relative", .object(unused))])
    }

    /// Records an intermediate result (Ray's `on_trial_result` -> `trial.report(metric, step)`):
    /// the metric at `training_iteration`; a step already reported keeps its first value.
    public mutating func observe(trialID: String, _ result: Metrics) throws(SearchError) {
        guard let r = log.record(trialID) else { throw .unknownTrial(trialID) }
        guard r.state == .pending, let value = result[metric], let step = result["training_iteration"] else { return }
        if let last = lastReport[trialID], !(step > last.step) { return }
        lastReport[trialID] = Report(step: step, value: value)
    }

    /// Reports how a suggested trial ended: a metric value completes it (NaN fails it, as
    /// Optuna's `tell` does), no metric prunes it (Ray's `OptunaSearch`), failure fails it. O(1).
    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try log.finish(trialID, outcome)
        unusedRelative[trialID] = nil
    }

    /// ``tell(trialID:_:)``; a trial that errored without a metric fails (Ray: `FAIL`), one
    /// that ended without a metric otherwise is pruned.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome, errored: Bool, groupMean: Double?) throws(SearchError) {
        try tell(trialID: trialID, errored && outcome == .completedWithoutMetric ? .failed : outcome)
    }

    /// Records a trial evaluated elsewhere (Ray's `add_evaluated_point`), by value.
    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        try log.addEvaluated(trialID, configuration, outcome, space: space)
    }

    /// The next trial's configuration: the next point to evaluate if any is left; Optuna's
    /// random sampling while fewer than `nStartupTrials` trials are finished; otherwise the
    /// relative (joint) draw for the parameters every finished trial has (or each group's, with
    /// `group`), and an independent draw for each other parameter the configuration uses.
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        let (space, domains, options, mode) = (self.space, self.domains, self.options, self.mode)
        let split = OptunaTPESplit(log: log, mode: mode, options: options, lastReport: lastReport, unusedRelative: unusedRelative)
        var relative: [Int: Double] = [:]
        let suggestion = try log.suggest(trialID, space: space, seed: seed) { _, rng in
            guard split.finished.count >= options.nStartupTrials else { return space.sample(&rng) }
            let n = space.parameters.count
            if options.multivariate {
                let sets = options.group ? split.groups(parameterCount: n) : [split.intersection(parameterCount: n)]
                for set in sets {
                    let params = set.filter { !domains[$0].isSingle }
                    guard !params.isEmpty else { continue }
                    let values = Self.choose(params, split, domains, options, &rng)
                    for (p, v) in zip(params, values) { relative[p] = v }
                }
            }
            return space.build { i in
                if domains[i].isSingle { return domains[i].singleValue }
                if let v = relative[i] { return v }
                return Self.choose([i], split, domains, options, &rng)[0]
            }
        }
        if options.constantLiar, options.multivariate, let values = log.record(trialID)?.values {
            var unused: [Int: Double] = [:]
            for (p, v) in relative where values[p].isNaN { unused[p] = v }
            if !unused.isEmpty { unusedRelative[trialID] = unused }
        }
        return suggestion
    }

    /// TPE's choice for the parameters `params` together: `nEICandidates` draws from the good
    /// group's estimator, and the one with the largest log l(x) - log g(x) (the first on ties;
    /// a NaN score counts as the largest, as numpy's argmax takes it).
    static func choose(_ params: [Int], _ split: OptunaTPESplit, _ domains: [OptunaDomain], _ options: Options,
                       _ rng: inout Xoshiro256, weights custom: ((Int) -> [Double])? = nil) -> [Double] {
        let (belowObs, aboveObs) = split.observations(params)
        let ds = params.map { domains[$0] }
        // A weights function of the caller's, if it answers with n weights; else the option's rule.
        func weights(_ n: Int) -> [Double] {
            if let w = custom?(n), w.count == n { return w }
            return options.weights(n)
        }
        let nBelow = belowObs.first?.count ?? 0
        let belowWeights = split.multiObjective ? [Double](repeating: 1, count: nBelow) : weights(nBelow)
        let below = OptunaParzenEstimator(observations: belowObs, domains: ds, weights: belowWeights, options: options)
        let above = OptunaParzenEstimator(observations: aboveObs, domains: ds, weights: weights(aboveObs.first?.count ?? 0), options: options)
        let draws = below.sample(&rng, count: options.nEICandidates)
        let lb = below.logDensity(draws)
        let la = above.logDensity(draws)
        var best = 0
        var bestScore = -Double.infinity
        for s in lb.indices {
            let score = lb[s] - la[s]
            if score.isNaN { best = s; break }
            if score > bestScore { best = s; bestScore = score }
        }
        return draws.map { $0[best] }
    }
}
