/// A searcher's JSON specification, read and checked: the algorithm, its space and options, and
/// the concurrency limit it runs behind (what `st_searcher_new` builds).
///
/// `{"algorithm": "tpe" | "random", "space": SPACE_DOCUMENT, "mode": "min" | "max", "seed": 0,
/// "points_to_evaluate": [...], "max_concurrent": N, "batch": false, "n_initial_points": 20,
/// "n_EI_candidates": 24, "gamma": 0.25, "prior_weight": 1.0, "linear_forgetting": 25}`: only
/// "algorithm" and "space" are required; the TPE options apply to "tpe" only; without
/// "max_concurrent" there is no concurrency limit. Random search also takes
/// `"constant_grid_block": K, "constant_grid_points": N` (Ray's `constant_grid_search`: the
/// first N points, in blocks of K, share what each block draws).
///
/// `{"algorithm": "anneal", "space": ..., "mode": ..., "seed": ..., "points_to_evaluate": [...],
/// "avg_best_idx": 2.0, "shrink_coef": 0.1, "max_concurrent": N}`: ``AnnealSearch`` (hyperopt's
/// `anneal.suggest`).
///
/// `{"algorithm": "bohb", "space": ..., "mode": ..., "seed": ..., "points_to_evaluate": [...],
/// "metric": "loss", "min_points_in_model": null, "top_n_percent": 15, "num_samples": 64,
/// "random_fraction": 0.333, "bandwidth_factor": 3, "min_bandwidth": 0.001, "max_concurrent": N}`:
/// ``BOHBSearch`` (Ray's `TuneBOHB`); "max_concurrent" is then BOHB's own limit on running
/// trials (Ray's `set_max_concurrency` takes it over from the limiter, which then limits nothing),
/// and "metric" the metric of the results it learns from (default `_metric`).
///
/// `{"algorithm": "optuna_tpe", "space": ..., "mode": ..., "seed": ..., "points_to_evaluate": [...],
/// "metric": "_metric", "optuna": {"n_startup_trials": 10, "n_ei_candidates": 24, "prior_weight": 1.0,
/// "consider_magic_clip": true, "consider_endpoints": false, "multivariate": true, "group": false,
/// "constant_liar": true, "gamma": {"rule": "linear", "fraction": 0.1, "cap": 25}, "weights": "default"},
/// "max_concurrent": N}`: ``OptunaTPESearch`` (Ray's `OptunaSearch` with Optuna's `TPESampler`);
/// "metric" names the results whose values are the trials' intermediate values.
///
/// `{"algorithm": "callback", "id": N, "mode": ..., "max_concurrent": ..., "batch": ...}`: a
/// searcher of the front end (``CallbackSearcher``), asked through its callback with this id; it
/// has no "space", "seed" or points of its own.
///
/// Either may be wrapped in Ray's `Repeater`: `"repeat": {"repeat": 3, "set_index": true,
/// "max_concurrent": N, "batch": false}` (the last two a limiter between the searcher and the
/// repeater, Ray's `Repeater(ConcurrencyLimiter(...))`; the top-level ones stay the outer limiter).
public struct SearcherSpec: Sendable {
    /// The search algorithms a specification names.
    public enum Algorithm: String, Sendable, Equatable, CaseIterable {
        /// ``TPESearch``.
        case tpe
        /// ``RandomSearch``.
        case random
        /// ``AnnealSearch``: hyperopt's `anneal.suggest`.
        case anneal
        /// ``CallbackSearcher``: the front end's.
        case callback
        /// ``BOHBSearch``: Ray's `TuneBOHB`.
        case bohb
        /// ``OptunaTPESearch``: Optuna's `TPESampler`, as Ray's `OptunaSearch` runs it.
        case optunaTPE = "optuna_tpe"
    }

    /// The TPE options a specification may set, by their JSON names.
    public static let tpeOptionNames = ["n_initial_points", "n_EI_candidates", "gamma", "prior_weight", "linear_forgetting",
                                        "constant_liar"]
    /// The BOHB options a specification may set, by their JSON names ("max_concurrent" is shared
    /// with the limiter's).
    public static let bohbOptionNames = ["metric", "min_points_in_model", "top_n_percent", "num_samples", "random_fraction",
                                         "bandwidth_factor", "min_bandwidth"]
    /// The annealing options a specification may set, by their JSON names.
    public static let annealOptionNames = ["avg_best_idx", "shrink_coef"]
    /// Every key a specification may have.
    public static let keys: Set<String> = Set(["algorithm", "space", "mode", "seed", "points_to_evaluate", "max_concurrent",
                                               "batch", "id", "repeat", "constant_grid_block", "constant_grid_points", "optuna", "evaluated_points"]
                                              + tpeOptionNames + bohbOptionNames + annealOptionNames)

    /// The algorithm.
    public var algorithm: Algorithm
    /// The space searched.
    public var space: SearchSpace
    /// Whether the metric is minimised (the default) or maximised.
    public var mode: Mode
    /// The seed of the searcher's random streams (default 0).
    public var seed: UInt64
    /// Points handed out first, by value (Ray's `points_to_evaluate`).
    public var pointsToEvaluate: [JSONValue]
    /// The concurrency limit; nil is none.
    public var maxConcurrent: Int?
    /// Whether the limiter tells outcomes batch by batch.
    public var batch: Bool
    /// TPE's options (the defaults for random search, which takes none).
    public var tpeOptions: TPESearch.Options
    /// Annealing's options (its defaults for the other algorithms, which take none).
    public var annealOptions = AnnealSearch.Options()
    /// BOHB's options (its `maxConcurrent` is the spec's "max_concurrent"; defaults for the others).
    public var bohbOptions = BOHBSearch.Options()
    /// The metric BOHB reads from results, and whose values are Optuna's intermediate values
    /// (default `_metric`).
    public var bohbMetric = "_metric"
    /// Trials evaluated before the search (Ray's `add_evaluated_point` and `evaluated_rewards`),
    /// recorded in the searcher in order as trials `__evaluated_<n>`.
    public var evaluatedPoints: [(configuration: JSONValue, outcome: TrialOutcome, report: OptunaTPESearch.Report?)] = []
    /// Optuna's TPE options (Optuna's defaults unless "optuna" sets them).
    public var optunaOptions = OptunaTPESearch.Options()
    /// The front end's id of a callback searcher (0 for the others).
    public var callbackID: Int = 0
    /// Random search's Ray `constant_grid_search`: blocks of this many of the first
    /// ``constantGridPoints`` points share their drawn values (0: none). See ``RandomSearch``.
    public var constantGridBlock = 0
    /// How many of the points come in blocks.
    public var constantGridPoints = 0
    /// Ray's `Repeater` around the searcher, and the limiter between them.
    public var repeater: (repeatCount: Int, setIndex: Bool, maxConcurrent: Int?, batch: Bool)?

    /// Reads a specification. Errors name the key at fault; the algorithm's own checks of its
    /// options come from ``makeLimiter()``.
    /// - Throws: ``SpecError/invalid(_:)`` for the specification, ``SpecError/space(_:)`` for its space.
    public init(json spec: JSONValue) throws(SpecError) {
        let members = try SpecReader.members(spec, "the searcher specification")
        for (k, _) in members where !Self.keys.contains(k) { throw .invalid("unknown searcher option '\(k)'") }
        let read = SpecReader(spec: spec)
        guard let name = spec["algorithm"]?.stringValue else {
            throw .invalid("'algorithm' must be \"tpe\", \"random\", \"anneal\", \"bohb\", \"optuna_tpe\" or \"callback\"")
        }
        if name != "optuna_tpe", spec["optuna"] != nil { throw .invalid("'optuna' holds the options of \"optuna_tpe\" only") }
        if name != "bohb", let k = Self.bohbOptionNames.first(where: { spec[$0] != nil && !(name == "optuna_tpe" && $0 == "metric") }) {
            throw .invalid("'\(k)' is a BOHB option; \(name == "tpe" ? "TPE" : name == "random" ? "random search" : "a callback searcher") takes none")
        }
        if name != "anneal", let k = Self.annealOptionNames.first(where: { spec[$0] != nil }) {
            throw .invalid("'\(k)' is an option of \"anneal\" only")
        }
        if name == "callback" {
            for k in ["space", "seed", "points_to_evaluate"] + Self.tpeOptionNames where spec[k] != nil {
                throw .invalid("'\(k)' is not an option of a callback searcher (the front end's searcher has its own)")
            }
            guard let id = try read.int("id"), id >= 0, id <= Int64(Int32.max) else {
                throw .invalid("a callback searcher needs an 'id' from 0 to \(Int32.max)")
            }
            callbackID = Int(id)
            do { space = try SearchSpace(.dict([])) } catch { throw .space(error) }
        } else {
            guard spec["id"] == nil else { throw .invalid("'id' is an option of a callback searcher only") }
            guard let spaceJSON = spec["space"] else { throw .invalid("'space' is required") }
            do { space = try SearchSpace(json: spaceJSON) } catch { throw .space(error) }
        }
        mode = try read.mode("mode") ?? .min
        seed = try read.int("seed").map { UInt64(bitPattern: $0) } ?? 0
        pointsToEvaluate = []
        if let p = spec["points_to_evaluate"] {
            guard let items = p.arrayValue else { throw .invalid("'points_to_evaluate' must be an array") }
            pointsToEvaluate = items
        }
        var o = TPESearch.Options()
        switch Algorithm(rawValue: name) {
        case .bohb?:
            for k in Self.tpeOptionNames where spec[k] != nil { throw .invalid("'\(k)' is a TPE option; BOHB takes none") }
            if let m = spec["metric"] {
                guard let v = m.stringValue, !v.isEmpty else { throw .invalid("'metric' must be a non-empty string") }
                bohbMetric = v
            }
            if let m = spec["min_points_in_model"], m != .null {
                guard let v = m.intValue else { throw .invalid("'min_points_in_model' must be an integer or null") }
                bohbOptions.minPointsInModel = Int(clamping: v)
            }
            if let v = try read.int("top_n_percent") { bohbOptions.topNPercent = Int(clamping: v) }
            if let v = try read.int("num_samples") { bohbOptions.numSamples = Int(clamping: v) }
            if let v = try read.double("random_fraction") { bohbOptions.randomFraction = v }
            if let v = try read.double("bandwidth_factor") { bohbOptions.bandwidthFactor = v }
            if let v = try read.double("min_bandwidth") { bohbOptions.minBandwidth = v }
        case .tpe?:
            if let v = try read.int("n_initial_points") { o.nInitialPoints = Int(v) }
            if let v = try read.int("n_EI_candidates") { o.nEICandidates = Int(v) }
            if let v = try read.double("gamma") { o.gamma = v }
            if let v = try read.double("prior_weight") { o.priorWeight = v }
            if let v = try read.int("linear_forgetting") { o.linearForgetting = Int(v) }
            if let v = try read.bool("constant_liar") { o.constantLiar = v }
        case .anneal?:
            for k in Self.tpeOptionNames where spec[k] != nil { throw .invalid("'\(k)' is a TPE option; annealing takes avg_best_idx and shrink_coef") }
            if let v = try read.double("avg_best_idx") { annealOptions.avgBestIndex = v }
            if let v = try read.double("shrink_coef") { annealOptions.shrinkCoef = v }
        case .random?:
            for k in Self.tpeOptionNames where spec[k] != nil { throw .invalid("'\(k)' is a TPE option; random search takes none") }
            constantGridBlock = Int(clamping: try read.int("constant_grid_block") ?? 0)
            constantGridPoints = Int(clamping: try read.int("constant_grid_points") ?? 0)
        case .optunaTPE?:
            for k in Self.tpeOptionNames where spec[k] != nil {
                throw .invalid("'\(k)' is an option of hyperopt's TPE; Optuna's takes its options in 'optuna'")
            }
            if let m = spec["metric"] {
                guard let v = m.stringValue, !v.isEmpty else { throw .invalid("'metric' must be a non-empty string") }
                bohbMetric = v
            }
            if let o = spec["optuna"] {
                _ = try SpecReader.members(o, "'optuna'")
                do { optunaOptions = try OptunaTPESearch.Options(json: o) } catch { throw .search(error) }
            }
        case .callback?:
            break
        case nil:
            throw .invalid("unknown algorithm '\(name)': use \"tpe\", \"random\", \"anneal\", \"bohb\", \"optuna_tpe\" or \"callback\"")
        }
        guard let algorithm = Algorithm(rawValue: name) else { throw .invalid("unknown algorithm '\(name)'") }
        if algorithm != .random, spec["constant_grid_block"] != nil || spec["constant_grid_points"] != nil {
            throw .invalid("'constant_grid_block' and 'constant_grid_points' are options of random search only")
        }
        self.algorithm = algorithm
        tpeOptions = o
        maxConcurrent = try read.int("max_concurrent").map { Int($0) }
        if algorithm == .bohb {
            bohbOptions.maxConcurrent = maxConcurrent ?? 0
            if case .bool(true)? = spec["batch"] { throw .invalid("'batch' is not an option of BOHB (TuneBOHB limits concurrency itself)") }
        }
        if let r = spec["repeat"] {
            let keys: Set<String> = ["repeat", "set_index", "max_concurrent", "batch"]
            let members = try SpecReader.members(r, "'repeat'")
            for (k, _) in members where !keys.contains(k) { throw .invalid("unknown option '\(k)' of 'repeat'") }
            let rr = SpecReader(spec: r)
            guard let n = try rr.int("repeat"), n >= 1, n <= Int64(Int32.max) else {
                throw .invalid("'repeat' needs a positive integer 'repeat'")
            }
            repeater = (Int(n), try rr.bool("set_index") ?? true, try rr.int("max_concurrent").map { Int($0) },
                        try rr.bool("batch") ?? false)
        }
        if let e = spec["evaluated_points"] {
            guard algorithm != .callback else { throw .invalid("'evaluated_points' is not an option of a callback searcher") }
            guard let items = e.arrayValue else { throw .invalid("'evaluated_points' must be an array") }
            for (n, item) in items.enumerated() {
                guard let config = item["configuration"], config.objectValue != nil else {
                    throw .invalid("evaluated point \(n) needs a 'configuration' object")
                }
                let outcome: TrialOutcome
                switch item["outcome"]?.stringValue {
                case "completed":
                    guard let v = item["value"]?.doubleValue else { throw .invalid("evaluated point \(n) is completed without a numeric 'value'") }
                    outcome = .completed(v)
                case "no_metric": outcome = .completedWithoutMetric
                case "failed": outcome = .failed
                default: throw .invalid("evaluated point \(n): 'outcome' must be \"completed\", \"no_metric\" or \"failed\"")
                }
                var report: OptunaTPESearch.Report? = nil
                if let r = item["report"] {
                    guard algorithm == .optunaTPE else { throw .invalid("evaluated point \(n): 'report' is for \"optuna_tpe\" only") }
                    guard let pair = r.arrayValue, pair.count == 2, let step = pair[0].doubleValue, let value = pair[1].doubleValue else {
                        throw .invalid("evaluated point \(n): 'report' must be [step, value]")
                    }
                    report = OptunaTPESearch.Report(step: step, value: value)
                }
                evaluatedPoints.append((config, outcome, report))
            }
        }
        batch = false
        if let b = spec["batch"] {
            guard case .bool(let v) = b else { throw .invalid("'batch' must be true or false") }
            batch = v
        }
    }

    /// The searcher the specification describes.
    /// - Throws: ``SpecError/search(_:)`` when the algorithm rejects an option or a point.
    public func makeSearcher() throws(SpecError) -> any Searcher {
        var searcher = try makeBareSearcher()
        for (n, p) in evaluatedPoints.enumerated() {
            let id = "__evaluated_\(n)"
            do { try searcher.addEvaluated(trialID: id, configuration: p.configuration, p.outcome) } catch { throw .search(error) }
            if let report = p.report, var optuna = searcher as? OptunaTPESearch {
                optuna.lastReport[id] = report  // Ray's intermediate_values: the latest ranks a pruned trial
                searcher = optuna
            }
        }
        return searcher
    }

    /// The searcher, before the evaluated points.
    func makeBareSearcher() throws(SpecError) -> any Searcher {
        do {
            switch algorithm {
            case .tpe: return try TPESearch(space: space, mode: mode, options: tpeOptions, pointsToEvaluate: pointsToEvaluate, seed: seed)
            case .random: return try RandomSearch(space: space, mode: mode, pointsToEvaluate: pointsToEvaluate, seed: seed,
                                                  constantGridBlock: constantGridBlock, constantGridPoints: constantGridPoints)
            case .anneal: return try AnnealSearch(space: space, mode: mode, options: annealOptions, pointsToEvaluate: pointsToEvaluate, seed: seed)
            case .callback: return try CallbackSearcher(id: callbackID, mode: mode)
            case .bohb: return try BOHBSearch(space: space, mode: mode, metric: bohbMetric, options: bohbOptions,
                                              pointsToEvaluate: pointsToEvaluate, seed: seed)
            case .optunaTPE: return try OptunaTPESearch(space: space, mode: mode, options: optunaOptions, metric: bohbMetric,
                                                        pointsToEvaluate: pointsToEvaluate, seed: seed)
            }
        } catch {
            throw .search(error)
        }
    }

    /// The searcher behind its concurrency limiter.
    /// - Throws: ``SpecError/search(_:)`` when the algorithm or the limiter rejects an option.
    public func makeLimiter() throws(SpecError) -> ConcurrencyLimiter {
        var searcher = try makeSearcher()
        do {
            if let r = repeater {
                let inner = try ConcurrencyLimiter(searcher, maxConcurrent: r.maxConcurrent ?? Int.max, batch: r.batch)
                searcher = try Repeater(inner, repeatCount: r.repeatCount, setIndex: r.setIndex)
            }
            // TuneBOHB takes the limit over (Ray's set_max_concurrency returns True): the limiter limits nothing.
            let outer = algorithm == .bohb ? Int.max : maxConcurrent ?? Int.max
            return try ConcurrencyLimiter(searcher, maxConcurrent: outer, batch: batch)
        } catch { throw .search(error) }
    }
}
