#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// hyperopt's `anneal.suggest`, rule for rule: each new trial picks one of the best trials so
/// far (a geometric draw over the trials sorted by loss) and draws every parameter from its
/// prior narrowed around that trial's value, more narrowly the more trials have the parameter.
/// See `docs/anneal.md` for the rules and where swifttune deliberately differs.
///
/// ```swift
/// var anneal = try AnnealSearch(space: SearchSpace(["x": .uniform(-5, 5)]), seed: 1)
/// for n in 0..<100 {
///     let s = try anneal.suggest(trialID: "t\(n)")
///     let x = s.configuration["x"]!.doubleValue!
///     try anneal.tell(trialID: s.trialID, .completed((x - 3) * (x - 3)))
/// }
/// ```
public struct AnnealSearch: Searcher {
    /// Annealing learns from the metric: an experiment with it needs a metric and a mode.
    public var metricUser: String? { "AnnealSearch" }

    /// hyperopt's `AnnealingAlgo` options, with its defaults.
    public struct Options: Sendable, Equatable {
        /// The mean of the geometric distribution over ranks that picks the trial to explore
        /// around (`avg_best_idx`; the pick is the draw minus one, so rank 0 is the best).
        public var avgBestIndex: Double = 2.0
        /// How fast the neighbourhood shrinks: with T trials having a parameter, its width is the
        /// prior's divided by 1 + T * `shrinkCoef` (`shrink_coef`).
        public var shrinkCoef: Double = 0.1

        /// Options with hyperopt's defaults for whatever is not given.
        public init(avgBestIndex: Double = 2.0, shrinkCoef: Double = 0.1) {
            self.avgBestIndex = avgBestIndex
            self.shrinkCoef = shrinkCoef
        }

        /// Checks the ranges (numpy's `geometric` needs 0 < 1 / avg_best_idx <= 1).
        func validate() throws(SearchError) {
            guard avgBestIndex.isFinite, avgBestIndex >= 1 else {
                throw .invalidOption("avg_best_idx must be a finite number >= 1, got \(avgBestIndex)")
            }
            guard shrinkCoef.isFinite, shrinkCoef >= 0 else {
                throw .invalidOption("shrink_coef must be a finite number >= 0, got \(shrinkCoef)")
            }
        }

        /// The options as saved in the searcher's state.
        var json: JSONValue { ["avg_best_idx": .double(avgBestIndex), "shrink_coef": .double(shrinkCoef)] }
    }

    /// The space the searcher draws from.
    public let space: SearchSpace
    /// Whether the metric is minimised or maximised.
    public let mode: Mode
    /// The options.
    public let options: Options
    /// The seed of every random draw (each trial draws from its own stream of it).
    public let seed: UInt64
    /// The order in which hyperopt's evaluator draws the parameters (derived from `space`).
    let order: [Int]
    /// Every trial suggested or added, and the points still to hand out.
    var log: TrialLog

    /// - Parameters:
    ///   - pointsToEvaluate: configurations (by value) handed out first, in order.
    ///   - seed: the same seed, options and history give the same suggestion on every machine.
    /// - Throws: ``SearchError/invalidOption(_:)`` for an option out of range or a distribution
    ///   that is not one of hyperopt's `hp` kinds (annealing has rules for those only).
    public init(space: SearchSpace, mode: Mode = .min, options: Options = Options(),
                pointsToEvaluate: [JSONValue] = [], seed: UInt64 = 0) throws(SearchError) {
        try options.validate()
        try Self.check(space)
        self.space = space
        self.mode = mode
        self.options = options
        self.seed = seed
        order = Self.drawOrder(space)
        log = TrialLog()
        log.points = try validatedPoints(pointsToEvaluate, space)
    }

    /// Restores a searcher from ``saveState()``; it continues exactly where the saved one was.
    public init(restoring state: JSONValue) throws(SearchError) {
        let saved = try SavedState(state, searcher: "anneal")
        guard let a = state["options"]?["avg_best_idx"]?.doubleValue, let s = state["options"]?["shrink_coef"]?.doubleValue else {
            throw .invalidState("'options' must hold numbers 'avg_best_idx' and 'shrink_coef'")
        }
        let options = Options(avgBestIndex: a, shrinkCoef: s)
        try options.validate()
        try Self.check(saved.space)
        space = saved.space
        mode = saved.mode
        seed = saved.seed
        self.options = options
        order = Self.drawOrder(saved.space)
        log = saved.log
    }

    /// What changed in ``saveState()`` since the last call: trials added or finished, points
    /// handed out. O(changes).
    public mutating func takeStateChanges() -> [StatePatch.Op]? { log.takeChanges(space: space) }

    /// The state was saved whole: later ``takeStateChanges()`` calls patch it.
    public mutating func forgetStateChanges() { log.forgetChanges() }

    /// The searcher's whole state as JSON: space, mode, seed, options, the points still to hand
    /// out, and every trial. O(N) for N trials.
    public func saveState() -> JSONValue {
        .object(SavedState.header(searcher: "anneal", space: space, mode: mode, seed: seed)
            + [("options", options.json), ("points_to_evaluate", .array(log.points)), ("trials", log.json(space: space))])
    }

    /// Reports how a suggested trial ended. O(1).
    /// - Throws: ``SearchError/unknownTrial(_:)`` or ``SearchError/trialAlreadyFinished(_:)``.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try log.finish(trialID, outcome)
    }

    /// Records a trial evaluated elsewhere, by value; it counts like the searcher's own.
    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        try log.addEvaluated(trialID, configuration, outcome, space: space)
    }

    /// The next trial's configuration: the next point to evaluate if any is left, otherwise
    /// annealing's draw. O(P * N log N) for P parameters and N trials.
    /// - Throws: ``SearchError/duplicateTrial(_:)`` for an id already used.
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        let (space, order, options, mode) = (self.space, self.order, self.options, self.mode)
        return try log.suggest(trialID, space: space, seed: seed) { log, rng in
            let values = Self.draw(log: log, space: space, order: order, options: options, mode: mode, &rng)
            return space.build { values[$0] }
        }
    }

    // MARK: - The rules

    /// Refuses distributions that are not hyperopt's (annealing's handlers are per `hp` kind).
    static func check(_ space: SearchSpace) throws(SearchError) {
        for p in space.parameters {
            guard case .numeric(let d) = p.domain else { continue }
            switch d.kind {
            case .uniform, .quniform, .loguniform, .qloguniform, .normal, .qnormal, .lognormal, .qlognormal, .randint, .uniformint:
                continue
            default:
                throw .invalidOption("AnnealSearch (hyperopt's anneal) has rules for hyperopt's hp distributions only; "
                                     + "'\(p.label)' is \(d.kind.rawValue): use hp.* in the space, or TPESearch / RandomSearch")
            }
        }
    }

    /// hyperopt's evaluation order of the parameters: its evaluator pops the labels from a stack
    /// in reverse-sorted order, and a conditional parameter waits for the choices above it.
    static func drawOrder(_ space: SearchSpace) -> [Int] {
        var order: [Int] = []
        var placed = Array(repeating: false, count: space.parameters.count)
        func place(_ i: Int) {
            guard !placed[i] else { return }
            for c in space.parameters[i].conditions { place(c.parameter) }
            placed[i] = true
            order.append(i)
        }
        // Python orders strings by code point (Swift's `<` compares canonically equivalent forms alike).
        let byLabel = space.parameters.indices.sorted { a, b in
            space.parameters[b].label.unicodeScalars.lexicographicallyPrecedes(space.parameters[a].label.unicodeScalars) {
                $0.value < $1.value
            }
        }
        for i in byLabel { place(i) }
        return order
    }

    /// One suggestion's values, by parameter index (NaN where inactive).
    static func draw(log: TrialLog, space: SearchSpace, order: [Int], options: Options, mode: Mode,
                     _ rng: inout Xoshiro256) -> [Double] {
        let records = log.records
        // A trial's loss: the metric (negated for "max"); infinite while running or without a metric
        // (hyperopt's STATUS_FAIL result). A failed trial (its objective raised) is left out, as hyperopt's
        // Trials drops errored documents.
        let losses: [Double] = records.map { r in
            if case .completed(let v) = r.state { return mode == .min ? v : -v }
            return .infinity
        }
        var values = Array(repeating: Double.nan, count: space.parameters.count)
        var bestTrials: [Int] = []  // the trials picked so far for this suggestion, in order
        for i in order {
            let p = space.parameters[i]
            guard p.conditions.allSatisfy({ values[$0.parameter] == Double($0.option) }) else { continue }
            // The trials that have this parameter, in creation order.
            var having: [Int] = []
            for (n, r) in records.enumerated() where !r.values[i].isNaN && r.state != .failed { having.append(n) }
            guard !having.isEmpty else {
                values[i] = space.drawPrior(i, &rng)
                continue
            }
            let reference: Int
            if let t = bestTrials.first(where: { r in having.contains(r) }) {
                reference = t
            } else {
                // numpy's geometric(1 / avg_best_idx) - 1, clipped to the last rank.
                let rank = min(geometric(1 / options.avgBestIndex, &rng) - 1, having.count - 1)
                let sorted = having.sorted { a, b in losses[a] < losses[b] || (losses[a] == losses[b] && a < b) }
                reference = sorted[rank]
                bestTrials.append(reference)
            }
            let shrink = 1 / (1 + Double(having.count) * options.shrinkCoef)
            values[i] = neighbour(p.domain, records[reference].values[i], shrink: shrink, &rng)
        }
        return values
    }

    /// A draw of numpy's `geometric(p)`: the number of Bernoulli(p) trials up to the first success (>= 1).
    static func geometric(_ p: Double, _ rng: inout Xoshiro256) -> Int {
        guard p < 1 else { return 1 }
        let u = rng.nextDouble()
        let k = ceil(log1p(-u) / log1p(-p))
        return k.isFinite && k >= 1 ? Int(min(k, 1e15)) : 1
    }

    /// A value near `v` from the prior narrowed by `shrink` (hyperopt's `hp_<kind>` handlers).
    static func neighbour(_ domain: SearchSpace.Parameter.Domain, _ v: Double, shrink: Double, _ rng: inout Xoshiro256) -> Double {
        func quantize(_ x: Double, _ q: Double) -> Double { (x / q).rounded(.toNearestOrEven) * q }
        switch domain {
        case .choice(let p):
            // hp_categorical / hp_randint: (1 - shrink) on the reference's option, shrink times the prior.
            var w = p.map { shrink * $0 }
            if let k = Int(exactly: v), w.indices.contains(k) { w[k] += 1 - shrink }
            return Double(rng.categorical(w))
        case .numeric(let d):
            let q = d.q ?? 1
            switch d.kind {
            case .uniform, .quniform, .uniformint, .loguniform, .qloguniform:
                // hp_uniform: a window of the prior's width times shrink, centred on the reference
                // (its log for the log kinds) and shifted to lie inside the bounds.
                let logScale = d.kind == .loguniform || d.kind == .qloguniform
                let mid = logScale ? naturalLog(v) : v
                let half = 0.5 * (d.b - d.a) * shrink
                let centre = min(max(mid, d.a + half), d.b - half)
                let x = rng.uniform(centre - half, centre + half)
                switch d.kind {
                case .uniform: return x
                case .quniform, .uniformint: return quantize(x, q)
                case .loguniform: return exp(x)
                default: return quantize(exp(x), q)
                }
            case .normal: return rng.normal(v, d.b * shrink)
            case .qnormal: return quantize(rng.normal(v, d.b * shrink), q)
            case .lognormal: return exp(rng.normal(naturalLog(v), d.b * shrink))
            case .qlognormal: return quantize(exp(rng.normal(naturalLog(1e-16 + v), d.b * shrink)), q)
            case .randint:
                // hp_randint: (1 - shrink) on the reference's value, shrink spread evenly.
                let n = Int(d.b - d.a)
                var w = Array(repeating: shrink / Double(n), count: n)
                    if let k = Int(exactly: v - d.a), w.indices.contains(k) { w[k] += 1 - shrink }
                return d.a + Double(rng.categorical(w))
            default:
                return d.sample(&rng)  // refused by check(_:)
            }
        }
    }
}

