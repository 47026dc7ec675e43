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

        public init(nInitialPoints: Int = 20, nEICandidates: Int = 24, gamma: Double = 0.25,
                    priorWeight: Double = 1.0, linearForgetting: Int = 25) {
            self.nInitialPoints = nInitialPoints
            self.nEICandidates = nEICandidates
            self.gamma = gamma
            self.priorWeight = priorWeight
            self.linearForgetting = linearForgetting
        }

        func validate() throws(SearchError) {
            guard nInitialPoints >= 0 else { throw .invalidOption("n_initial_points must be >= 0, got \(nInitialPoints)") }
            guard nEICandidates >= 1 else { throw .invalidOption("n_EI_candidates must be >= 1, got \(nEICandidates)") }
            guard gamma.isFinite, gamma > 0, gamma <= 1 else { throw .invalidOption("gamma must be in (0, 1], got \(gamma)") }
            guard priorWeight.isFinite, priorWeight > 0 else { throw .invalidOption("prior_weight must be positive, got \(priorWeight)") }
            guard linearForgetting >= 0 else { throw .invalidOption("linear_forgetting must be >= 0, got \(linearForgetting)") }
        }

        var json: JSONValue {
            ["n_initial_points": .int(Int64(nInitialPoints)), "n_EI_candidates": .int(Int64(nEICandidates)),
             "gamma": .double(gamma), "prior_weight": .double(priorWeight), "linear_forgetting": .int(Int64(linearForgetting))]
        }

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
                      linearForgetting: try int("linear_forgetting"))
        }
    }

    /// hyperopt's cap on the size of the good group (`gamma_cap`, = its default linear forgetting).
    static let gammaCap = 25

    public let space: SearchSpace
    public let mode: Mode
    public let options: Options
    public let seed: UInt64
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
        self.space = space
        self.mode = mode
        self.options = options
        self.seed = seed
        log = TrialLog()
        log.points = try validatedPoints(pointsToEvaluate, space)
    }

    /// Restores a searcher from ``saveState()``; it continues exactly where the saved one was.
    public init(restoring state: JSONValue) throws(SearchError) {
        let saved = try SavedState(state, searcher: "tpe")
        let options = try Options(json: saved.json["options"] ?? .null)
        try options.validate()
        space = saved.space
        mode = saved.mode
        seed = saved.seed
        self.options = options
        log = saved.log
    }

    public func saveState() -> JSONValue {
        .object(SavedState.header(searcher: "tpe", space: space, mode: mode, seed: seed)
            + [("options", options.json), ("points_to_evaluate", .array(log.points)), ("trials", log.json(space: space))])
    }

    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try log.finish(trialID, outcome)
    }

    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        try log.addEvaluated(trialID, configuration, outcome, space: space)
    }

    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        index.sync(with: log.records, space: space)
        let (space, mode, options, index) = (self.space, self.mode, self.options, self.index)
        return try log.suggest(trialID, space: space, seed: seed) { log, rng in
            guard let model = TPEModel(log: log, index: index, space: space, mode: mode, options: options) else {
                return space.sample(&rng)
            }
            return space.build { i in model.decide(i, &rng) }
        }
    }
}

/// For every numeric parameter, the values it took in every trial of the log, in ascending
/// order (ties in trial order), kept up to date as trials are added, so that a suggestion
/// splits them into TPE's two groups in O(N) instead of sorting them again.
struct ObservationIndex: Sendable, Equatable {
    var values: [[Double]] = []
    var trials: [[Int32]] = []
    /// How many records of the log are in the index.
    var synced = 0

    mutating func sync(with records: [TrialLog.Record], space: SearchSpace) {
        if values.isEmpty {
            values = Array(repeating: [], count: space.parameters.count)
            trials = Array(repeating: [], count: space.parameters.count)
        }
        while synced < records.count {
            let t = Int32(synced)
            for (i, x) in records[synced].values.enumerated() where !x.isNaN {
                guard case .numeric = space.parameters[i].prior else { continue }
                // After every equal value: trials arrive in order, so ties stay in trial order.
                var lo = 0
                var hi = values[i].count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if values[i][mid] <= x { lo = mid + 1 } else { hi = mid }
                }
                values[i].insert(x, at: lo)
                trials[i].insert(t, at: lo)
            }
            synced += 1
        }
    }
}

/// The TPE model for one suggestion: the trials that count, their losses, and the good/bad split.
struct TPEModel {
    let space: SearchSpace
    let options: TPESearch.Options
    /// The searcher's trials; `counted` picks the ones that count, in creation order.
    let records: [TrialLog.Record]
    let counted: [Int]
    /// Whether each counted trial is in the good ("below") group.
    let isBelow: [Bool]
    let index: ObservationIndex?

    /// nil while fewer than `nInitialPoints` trials count (then the suggestion is random).
    /// `index`, when given, must hold every record of `log`.
    init?(log: TrialLog, index: ObservationIndex? = nil, space: SearchSpace, mode: Mode, options: TPESearch.Options) {
        var counted: [Int] = []
        var losses: [Double] = []
        counted.reserveCapacity(log.records.count)
        losses.reserveCapacity(log.records.count)
        for index in log.records.indices {
            let loss: Double
            switch log.records[index].state {
            case .failed: continue
            case .pending, .completedWithoutMetric: loss = .infinity
            case .completed(let v):
                if v.isNaN { continue }  // recorded as failed by `finish` and by restore; never ranked
                loss = mode == .min ? v : -v
            }
            counted.append(index)
            losses.append(loss)
        }
        let n = counted.count
        guard n >= options.nInitialPoints, n > 0 else { return nil }
        let nBelow = Swift.min(Int((options.gamma * Double(n).squareRoot()).rounded(.up)), TPESearch.gammaCap)
        // The n_below smallest losses, ties to the older trial (a stable sort's prefix), by
        // insertion into a short sorted list: O(N) for the at most 25 kept.
        let keep = Swift.min(nBelow, n)
        var best: [(loss: Double, index: Int)] = []
        best.reserveCapacity(keep + 1)
        for (i, l) in losses.enumerated() {
            if best.count == keep, let last = best.last, !(l < last.loss) { continue }
            var pos = best.count
            while pos > 0 && l < best[pos - 1].loss { pos -= 1 }
            best.insert((l, i), at: pos)
            if best.count > keep { best.removeLast() }
        }
        var isBelow = [Bool](repeating: false, count: n)
        for b in best { isBelow[b.index] = true }
        self.space = space
        self.options = options
        self.records = log.records
        self.counted = counted
        self.isBelow = isBelow
        self.index = index.flatMap { $0.synced == log.records.count ? $0 : nil }
    }

    /// Observations of parameter i (trials where it was active), split into below and above.
    func observations(_ i: Int, _ transform: (Double) -> Double) -> (below: [Double], above: [Double]) {
        var below: [Double] = []
        var above: [Double] = []
        for (t, index) in counted.enumerated() {
            let x = records[index].values[i]
            if x.isNaN { continue }
            if isBelow[t] { below.append(transform(x)) } else { above.append(transform(x)) }
        }
        return (below, above)
    }

    /// The value TPE picks for parameter i: the candidate drawn from l(x) with the largest
    /// log l(x) - log g(x) (the first one on ties).
    func decide(_ i: Int, _ rng: inout Xoshiro256) -> Double {
        switch space.parameters[i].prior {
        case let .categorical(p, offset):
            let (below, above) = observations(i) { $0 - Double(offset) }
            let lb = categoricalPosterior(below, p)
            let la = categoricalPosterior(above, p)
            var best = -1
            var bestScore = -Double.infinity
            for _ in 0..<options.nEICandidates {
                let c = rng.categorical(lb)
                let score = TPEMath.ln(lb[c]) - TPEMath.ln(la[c])
                if best < 0 || score > bestScore { best = c; bestScore = score }
            }
            return Double(best + offset)
        case .numeric(let prior):
            let b: GaussianMixture
            let a: GaussianMixture
            if let index {
                (b, a) = mixturesFromIndex(i, prior, index)
            } else {
                let (below, above) = observations(i) { prior.toEstimatorSpace($0) }
                b = mixture(below, prior)
                a = mixture(above, prior)
            }
            // The truncation masses are constants per mixture: they shift every candidate's score
            // alike, so they are left out of the comparison.
            let eb = GaussianMixture.Evaluator(b, normalized: false)
            let ea = GaussianMixture.Evaluator(a, normalized: false)
            var best = Double.nan
            var bestScore = -Double.infinity
            for _ in 0..<options.nEICandidates {
                let x = b.sample(&rng)
                var score = eb.logDensity(x) - ea.logDensity(x)
                if score.isNaN { score = -.infinity }  // both densities 0: no evidence either way
                if best.isNaN || score > bestScore { best = x; bestScore = score }
            }
            return best
        }
    }

    /// The below and above mixtures of numeric parameter i, the above one built from the sorted
    /// index in O(N): the same estimator as sorting the above observations (tested).
    func mixturesFromIndex(_ i: Int, _ prior: NumericPrior, _ index: ObservationIndex) -> (GaussianMixture, GaussianMixture) {
        // Below observations in trial order, and each above trial's rank in trial order among the
        // above trials where i is active (its linear-forgetting position).
        var below: [Double] = []
        var rank = [Int32](repeating: -1, count: records.count)
        var nAbove = 0
        for (k, r) in counted.enumerated() {
            let x = records[r].values[i]
            if x.isNaN { continue }
            if isBelow[k] {
                below.append(prior.toEstimatorSpace(x))
            } else {
                rank[r] = Int32(nAbove)
                nAbove += 1
            }
        }
        let lf = options.linearForgetting
        let forgetting = lf > 0 && nAbove > lf
        let ramp = GaussianMixture.LinearForgetting(n: nAbove, lf: lf)
        var ys = [Double]()
        var ws = [Double]()
        var ts = [Int32]()
        ys.reserveCapacity(nAbove)
        ws.reserveCapacity(nAbove)
        ts.reserveCapacity(nAbove)
        let values = index.values[i]
        let trials = index.trials[i]
        for k in values.indices {
            let t = Int(trials[k])
            let j = Int(rank[t])
            if j < 0 { continue }  // failed, or below
            ys.append(prior.toEstimatorSpace(values[k]))
            ws.append(forgetting ? ramp.weight(j) : 1)
            ts.append(Int32(t))
        }
        // The log transform with clamping can tie values that differed: restore (value, trial) order.
        for k in ys.indices.dropFirst() {
            var m = k
            while m > 0 && (ys[m - 1] > ys[m] || (ys[m - 1] == ys[m] && ts[m - 1] > ts[m])) {
                ys.swapAt(m - 1, m)
                ws.swapAt(m - 1, m)
                ts.swapAt(m - 1, m)
                m -= 1
            }
        }
        let above: GaussianMixture
        if ys.count >= 2 {
            let (w, mu, sigma, _) = GaussianMixture.adaptiveParzenSorted(
                ys, ws, priorWeight: options.priorWeight, priorMu: prior.mu, priorSigma: prior.sigma)
            above = GaussianMixture(weights: w, mus: mu, sigmas: sigma, low: prior.low, high: prior.high, isLog: prior.log, q: prior.q)
        } else {
            above = mixture(ys, prior)
        }
        return (mixture(below, prior), above)
    }

    func mixture(_ obs: [Double], _ prior: NumericPrior) -> GaussianMixture {
        let (w, mu, sigma, _) = GaussianMixture.adaptiveParzen(
            observations: obs, priorWeight: options.priorWeight, priorMu: prior.mu, priorSigma: prior.sigma,
            linearForgetting: options.linearForgetting)
        return GaussianMixture(weights: w, mus: mu, sigmas: sigma, low: prior.low, high: prior.high, isLog: prior.log, q: prior.q)
    }

    /// Normalised pseudo-counts: linear-forgetting-weighted counts + priorWeight * K * p.
    func categoricalPosterior(_ obs: [Double], _ p: [Double]) -> [Double] {
        TPEModel.categoricalPosterior(obs, p, priorWeight: options.priorWeight, linearForgetting: options.linearForgetting)
    }

    static func categoricalPosterior(_ obs: [Double], _ p: [Double], priorWeight: Double, linearForgetting: Int) -> [Double] {
        let k = p.count
        var counts = p.map { priorWeight * Double(k) * $0 }
        let w = GaussianMixture.linearForgettingWeights(obs.count, linearForgetting)
        for (n, x) in obs.enumerated() {
            let c = Int(x)
            if c >= 0 && c < k { counts[c] += w?[n] ?? 1 }
        }
        let total = counts.reduce(0, +)
        return counts.map { $0 / total }
    }
}
