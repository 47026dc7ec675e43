/// Population Based Training (Jaderberg et al., 2017) as Ray Tune's `PopulationBasedTraining`
/// (ray/tune/schedulers/pbt.py) does it, rule for rule (`docs/engine.md` lists each rule):
///
/// - A result counts once `time_attr` reaches `burn_in_period` and `perturbation_interval` has
///   passed since the trial's last perturbation; then its score (the metric, negated for `min`),
///   time and result are the trial's latest.
/// - Quantiles: the trials with a score that have not ended, sorted by score (Python's stable
///   sort, NaN included); `ceil(n * quantile_fraction)` of them (at most `floor(n / 2)`) at each
///   end; none with fewer than two trials (with a fraction of 0, Python's `trials[-0:]` makes every
///   trial "upper").
/// - Asynchronous (the default): the reporting trial alone is perturbed. In the upper quantile its
///   checkpoint is kept (``TrialRequest/save(_:)``); otherwise it keeps none. In the lower quantile
///   it clones a trial drawn from the upper quantile, if that trial kept a checkpoint: the clone's
///   configuration, explored (``explore(_:_:rng:)``), and its kept checkpoint (``TrialRequest/exploit(_:)``);
///   it pauses at once and resumes from the clone's checkpoint, with the clone's perturbation and
///   training times. Otherwise it pauses when trials wait to run, else continues.
/// - Synchronous (`synch`): a trial at its perturbation time pauses until every live trial is;
///   then all trials are perturbed together (upper quantile first, then the rest, the lower
///   quantile last; a PAUSED trial in the upper quantile keeps its latest checkpoint), and the next
///   synchronisation time moves to `max(next + interval, the latest training time)`.
/// - ``chooseTrial(among:)``: the waiting trial with the least training time (the first such in
///   creation order); in synchronous mode only those before the next synchronisation time.
/// - Explore (Ray's `_explore`), key by key in the order of `hyperparam_mutations`: a list is
///   resampled with `resample_probability` or when the value is not in it, else shifted one place
///   left or right (clamped); a domain or a function is resampled with `resample_probability`, else
///   multiplied by one of `perturbation_factors` (an integer value stays an integer, truncated);
///   nested mutations recurse; then the front end's `custom_explore_fn` (``PBTFrontEndQuery``).
///
/// Ray draws from Python's global `random`; this scheduler draws from its own seeded streams (one
/// per perturbation, so a restored scheduler draws on as the original would).
public struct PopulationBasedTraining: TrialScheduler {
    /// The scheduler's name in saved state.
    public static let kind = "pbt"

    /// The result field that measures progress.
    public let timeAttr: String
    /// Trials are considered for perturbation every this much `time_attr`.
    public let perturbationInterval: Double
    /// No perturbation before this much `time_attr`.
    public let burnInPeriod: Double
    /// How each configuration key is perturbed (Ray's `hyperparam_mutations`).
    public let mutations: [MutationEntry]
    /// The fraction of trials in each of the bottom and top quantiles (0 to 0.5).
    public let quantileFraction: Double
    /// The probability of resampling a value rather than perturbing it.
    public let resampleProbability: Double
    /// The factors a continuous value is multiplied by (one drawn per perturbation).
    public let perturbationFactors: [JSONValue]
    /// Whether the front end's `custom_explore_fn` finishes every explore.
    public let customExplore: Bool
    /// Whether a result without `time_attr` or the metric is an error (else it is skipped).
    public let requireAttrs: Bool
    /// Synchronous PBT.
    public let synch: Bool
    /// The seed of the scheduler's random streams.
    public let seed: UInt64
    /// The front end's scheduler number its callback answers for (function mutations, a custom explore).
    public let frontEndID: Int?
    var properties: SearchProperties
    /// Every trial's state, by id, and the ids in the order they were added (Ray's dict order).
    var states: [String: TrialState] = [:]
    var order: [String] = []
    /// Each trial's place in ``order``.
    var slotOf: [String: Int] = [:]
    /// Along ``order``: each trial's last score while it is scored and has not ended (the trials
    /// Ray's `_quantiles` ranks), else nil; kept with ``states`` by ``refreshSlot(_:)``.
    var ranked: [Double?] = []
    /// Ray's `_next_perturbation_sync`.
    var nextPerturbationSync: Double
    /// How many random streams were used.
    var draws: UInt64 = 0
    /// How many checkpoints were kept (Ray's `_num_checkpoints`).
    public private(set) var numCheckpoints = 0
    /// How many exploits were made (Ray's `_num_perturbations`).
    public private(set) var numPerturbations = 0
    var requests: [TrialRequest] = []
    var callback: SchedulerCallback?
    /// PB2's bandit (``PopulationBasedTraining/pb2(timeAttr:metric:mode:perturbationInterval:hyperparamBounds:quantileFraction:customExplore:requireAttrs:synch:seed:frontEndID:)``):
    /// its data and its explore step replace PBT's mutations.
    var bandit: PB2Bandit?
    /// The saved state's name of the scheduler: "pbt", or "pb2" with a bandit.
    var stateKind: String { bandit == nil ? Self.kind : Self.pb2Kind }

    /// Ray's `_PBTTrialState`, with the trial's configuration and whether it ended.
    struct TrialState: Sendable, Equatable {
        var lastScore: Double?
        var lastCheckpoint: Kept = .none
        var lastPerturbationTime = 0.0
        var lastTrainTime = 0.0
        var configuration: JSONValue
        var finished = false
    }

    /// Ray's `last_checkpoint`: none, a save under way (Ray's future), or a checkpoint.
    enum Kept: String, Sendable, Equatable {
        case none, requested, available
    }

    /// A PBT scheduler with Ray's defaults.
    /// - Throws: ``ScheduleError`` for Ray's invalid settings (no mutations and no custom explore, a
    ///   quantile fraction outside [0, 0.5], a perturbation interval that is not positive).
    public init(timeAttr: String = "time_total_s", metric: String? = nil, mode: Mode? = nil, perturbationInterval: Double = 60,
                burnInPeriod: Double = 0, mutations: [MutationEntry] = [], quantileFraction: Double = 0.25,
                resampleProbability: Double = 0.25, perturbationFactors: [JSONValue] = [.double(1.2), .double(0.8)],
                customExplore: Bool = false, requireAttrs: Bool = true, synch: Bool = false, seed: UInt64 = 0,
                frontEndID: Int? = nil) throws(ScheduleError) {
        if mutations.isEmpty && !customExplore {
            throw ScheduleError("You must specify at least one of `hyperparam_mutations` or `custom_explore_fn` to use PBT.")
        }
        try self.init(timeAttr: timeAttr, metric: metric, mode: mode, perturbationInterval: perturbationInterval,
                      burnInPeriod: burnInPeriod, mutations: mutations, quantileFraction: quantileFraction,
                      resampleProbability: resampleProbability, perturbationFactors: perturbationFactors,
                      customExplore: customExplore, requireAttrs: requireAttrs, synch: synch, seed: seed,
                      frontEndID: frontEndID, bandit: nil)
    }

    /// The settings checked as Ray checks them; with a bandit, PB2.
    init(timeAttr: String, metric: String?, mode: Mode?, perturbationInterval: Double, burnInPeriod: Double,
         mutations: [MutationEntry], quantileFraction: Double, resampleProbability: Double, perturbationFactors: [JSONValue],
         customExplore: Bool, requireAttrs: Bool, synch: Bool, seed: UInt64, frontEndID: Int?, bandit: PB2Bandit?) throws(ScheduleError) {
        guard quantileFraction >= 0 && quantileFraction <= 0.5 else {
            throw ScheduleError("You must set `quantile_fraction` to a value between 0 and0.5. Current value: '\(quantileFraction)'")
        }
        guard perturbationInterval > 0 else {
            throw ScheduleError("perturbation_interval must be a positive number greater than 0. Current value: '\(perturbationInterval)'")
        }
        guard !perturbationFactors.isEmpty, perturbationFactors.allSatisfy({ $0.doubleValue != nil }) else {
            throw ScheduleError("perturbation_factors must be a non-empty list of numbers")
        }
        if (customExplore || Self.hasFunctions(mutations)) && frontEndID == nil {
            throw ScheduleError("function mutations and custom_explore_fn need the front end's scheduler number ('callback_id')")
        }
        self.timeAttr = timeAttr
        self.perturbationInterval = perturbationInterval
        self.burnInPeriod = burnInPeriod
        self.mutations = mutations
        self.quantileFraction = quantileFraction
        self.resampleProbability = resampleProbability
        self.perturbationFactors = perturbationFactors
        self.customExplore = customExplore
        self.requireAttrs = requireAttrs
        self.synch = synch
        self.seed = seed
        self.frontEndID = frontEndID
        self.bandit = bandit
        properties = SearchProperties(metric: metric, mode: mode)
        nextPerturbationSync = Swift.max(perturbationInterval, burnInPeriod)
    }

    static func hasFunctions(_ m: [MutationEntry]) -> Bool {
        m.contains { e in
            switch e.mutation {
            case .function: return true
            case .nested(let inner): return hasFunctions(inner)
            case .values, .domain: return false
            }
        }
    }

    /// Takes the experiment's metric and mode (see ``TrialScheduler/setSearchProperties(metric:mode:)``).
    public mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {
        try properties.set(metric: metric, mode: mode, scheduler: "PopulationBasedTraining")
    }

    /// Needs the trial's configuration: use ``onTrialAdd(_:number:configuration:)``.
    public mutating func onTrialAdd(_ trialID: String) throws(ScheduleError) {
        try onTrialAdd(trialID, number: order.count, configuration: .object([]))
    }

    /// Ray's `on_trial_add`: a fresh state; keys of `hyperparam_mutations` missing from the
    /// configuration are sampled from them (Ray's `_fill_config`), the new configuration requested.
    public mutating func onTrialAdd(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        var config = configuration
        if let bandit {
            // PB2's `_fill_config`: a bounded key the configuration lacks is drawn uniformly.
            var rng = Xoshiro256(seed: seed, stream: (1 << 40) + UInt64(number))
            var filled = false
            for b in bandit.bounds where config.value(at: b.path) == nil {
                config = config.setting(path: b.path, .double(b.low + (b.high - b.low) * rng.nextDouble()))
                filled = true
            }
            if filled { requests.append(.configure(trialID: trialID, configuration: config)) }
        }
        var missing: [MutationEntry] = []
        for entry in mutations where configuration[entry.key] == nil { missing.append(entry) }
        if !missing.isEmpty {
            var rng = Xoshiro256(seed: seed, stream: (1 << 40) + UInt64(number))
            var samples: [[String]] = []
            for entry in missing { config = try fill(config, entry, path: [], rng: &rng, samples: &samples) }
            if !samples.isEmpty { config = try askFrontEnd(trialID, config, samples: samples, custom: false) }
            requests.append(.configure(trialID: trialID, configuration: config))
        }
        if states[trialID] == nil { appendToOrder(trialID) }
        states[trialID] = TrialState(configuration: config)
        refreshSlot(trialID)
    }

    /// `trialID` joins ``order`` (and ``ranked``).
    mutating func appendToOrder(_ trialID: String) {
        slotOf[trialID] = order.count
        order.append(trialID)
        ranked.append(nil)
    }

    /// ``ranked`` takes `trialID`'s state.
    mutating func refreshSlot(_ trialID: String) {
        guard let k = slotOf[trialID] else { return }
        ranked[k] = states[trialID].flatMap { $0.finished ? nil : $0.lastScore }
    }

    /// Ray requeues a failed trial through `on_trial_add`: its state starts afresh.
    public mutating func onTrialRetry(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        states[trialID] = TrialState(configuration: states[trialID]?.configuration ?? configuration)
        if slotOf[trialID] == nil { appendToOrder(trialID) }
        refreshSlot(trialID)
    }

    /// Ray's `on_trial_result`.
    public mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) throws(ScheduleError) -> SchedulerDecision {
        guard let metric = properties.metric, let mode = properties.mode else { return .continue }
        guard let time = result[timeAttr] else {
            if requireAttrs {
                throw ScheduleError("Cannot find time_attr \(timeAttr) in trial result of trial '\(trialID)'. Make sure that this "
                                    + "attribute is returned in the results of your Trainable.If this error is expected, you can "
                                    + "change this to a warning message by setting PBT(require_attrs=False)")
            }
            return .continue
        }
        guard let value = result[metric] else {
            if requireAttrs {
                throw ScheduleError("Cannot find metric \(metric) in trial result of trial '\(trialID)'. Make sure that this "
                                    + "attribute is returned in the results of your Trainable.If this error is expected, you can "
                                    + "change this to a warning message by setting PBT(require_attrs=False)")
            }
            return .continue
        }
        guard states[trialID] != nil else { throw ScheduleError("PopulationBasedTraining: unknown trial '\(trialID)'") }
        if time < burnInPeriod { return .continue }
        if time - states[trialID]!.lastPerturbationTime < perturbationInterval { return .continue }
        let score = (mode == .max ? 1.0 : -1.0) * value
        states[trialID]!.lastScore = score
        refreshSlot(trialID)
        states[trialID]!.lastTrainTime = time
        try bandit?.record(trial: trialID, time: time, configuration: states[trialID]!.configuration, score: score)

        if !synch {
            states[trialID]!.lastPerturbationTime = time
            let decision: SchedulerDecision = context.hasWaitingTrials ? .pause : .continue
            let exploited: Bool
            if let standing = standing(of: trialID) {
                exploited = try checkpointOrExploit(trialID, reporting: trialID, standing: standing)
            } else {
                let (lower, upper) = quantiles()
                exploited = try checkpointOrExploit(trialID, reporting: trialID, upper: upper, lower: lower)
            }
            return exploited ? .pause : decision
        }
        let live = order.filter { !(states[$0]?.finished ?? true) }
        if !live.contains(where: { $0 != trialID && (states[$0]?.lastTrainTime ?? 0) < nextPerturbationSync }) {
            let (lower, upper) = quantiles()
            let lowerSet = Set(lower), upperSet = Set(upper)
            let middle = order.filter { !lowerSet.contains($0) && !upperSet.contains($0) }
            for t in upper + middle + lower {
                states[t]?.lastPerturbationTime = time
                _ = try checkpointOrExploit(t, reporting: trialID, upper: upper, lower: lower)
            }
            let latest = order.compactMap { states[$0]?.lastTrainTime }.max() ?? 0
            nextPerturbationSync = Swift.max(nextPerturbationSync + perturbationInterval, latest)
        }
        return .pause
    }

    /// Ray's `_quantiles`: (lower, upper).
    func quantiles() -> (lower: [String], upper: [String]) {
        let scored = order.filter { states[$0].map { $0.lastScore != nil && !$0.finished } ?? false }
        guard scored.count > 1 else { return ([], []) }
        let sorted = pythonSortedIndices(scored.map { states[$0]?.lastScore ?? 0 }).map { scored[$0] }
        var k = Int((Double(sorted.count) * quantileFraction).rounded(.up))
        if Double(k) > Double(sorted.count) / 2 { k = sorted.count / 2 }
        // Python's trials[-0:] is every trial.
        return (Array(sorted.prefix(k)), k == 0 ? sorted : Array(sorted.suffix(k)))
    }

    /// Where one trial stands in Ray's `_quantiles`, worked out without sorting the population
    /// (``standing(of:)``): whether it is in the upper or the lower quantile, how many trials the
    /// upper one holds, and its trial at an index (in ascending order of score).
    struct Standing {
        var inUpper: Bool
        var inLower: Bool
        var upperCount: Int
        var upperAt: (Int) -> String
    }

    /// ``quantiles()`` for `trialID` alone, in O(n) (the lower quantile's trial also picks its
    /// clone by a selection, O(n) on average): the ranked trials' order is by score, ties in
    /// ``order``, which is Python's sort whenever no score is NaN. Nil when one is (the full
    /// sort, ``quantiles()``, decides then, as CPython's comparisons do).
    func standing(of trialID: String) -> Standing? {
        guard let me = slotOf[trialID] else { return nil }
        var keys: [(score: Double, slot: Int)] = []
        keys.reserveCapacity(ranked.count)
        for (slot, score) in ranked.enumerated() {
            guard let score else { continue }
            if score.isNaN { return nil }
            keys.append((score, slot))
        }
        let n = keys.count
        guard n > 1 else { return Standing(inUpper: false, inLower: false, upperCount: 0, upperAt: { _ in "" }) }
        var k = Int((Double(n) * quantileFraction).rounded(.up))
        if Double(k) > Double(n) / 2 { k = n / 2 }
        let first = k == 0 ? 0 : n - k  // Python's trials[-0:] is every trial
        var rank: Int?  // nil: the trial is not ranked (in neither quantile)
        if let mine = ranked[me] {
            var below = 0
            for key in keys where key.score < mine || (key.score == mine && key.slot < me) { below += 1 }
            rank = below
        }
        let order = self.order
        return Standing(inUpper: rank.map { $0 >= first } ?? false, inLower: rank.map { $0 < k } ?? false,
                        upperCount: n - first) { r in
            order[Self.select(keys, rank: first + r).slot]
        }
    }

    /// The key of rank `rank` (0 for the smallest) among distinct `keys`, by score then slot:
    /// Hoare's selection, the pivot a median of three.
    static func select(_ keys: [(score: Double, slot: Int)], rank: Int) -> (score: Double, slot: Int) {
        func less(_ a: (score: Double, slot: Int), _ b: (score: Double, slot: Int)) -> Bool {
            a.score < b.score || (a.score == b.score && a.slot < b.slot)
        }
        var a = keys
        var lo = 0, hi = a.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if less(a[mid], a[lo]) { a.swapAt(mid, lo) }
            if less(a[hi], a[lo]) { a.swapAt(hi, lo) }
            if less(a[hi], a[mid]) { a.swapAt(hi, mid) }
            let pivot = a[mid]
            var i = lo, j = hi
            while i <= j {
                while less(a[i], pivot) { i += 1 }
                while less(pivot, a[j]) { j -= 1 }
                if i <= j {
                    a.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if rank <= j { hi = j } else if rank >= i { lo = i } else { return a[rank] }
        }
        return a[rank]
    }

    /// Ray's `_checkpoint_or_exploit` with the quantiles listed.
    mutating func checkpointOrExploit(_ trialID: String, reporting: String, upper: [String], lower: [String]) throws(ScheduleError) -> Bool {
        try checkpointOrExploit(trialID, reporting: reporting, standing: Standing(
            inUpper: upper.contains(trialID), inLower: lower.contains(trialID), upperCount: upper.count, upperAt: { upper[$0] }))
    }

    /// Ray's `_checkpoint_or_exploit`; true when `trialID` was exploited.
    mutating func checkpointOrExploit(_ trialID: String, reporting: String, standing: Standing) throws(ScheduleError) -> Bool {
        if standing.inUpper {
            requests.append(trialID == reporting ? .save(trialID) : .keepLatest(trialID))
            states[trialID]?.lastCheckpoint = .requested
            numCheckpoints += 1
        } else {
            states[trialID]?.lastCheckpoint = .none
        }
        guard standing.inLower else { return false }
        var rng = Xoshiro256(seed: seed, stream: draws)
        draws += 1
        let clone = standing.upperAt(Int(rng.below(UInt64(standing.upperCount))))
        guard let cloneState = states[clone], cloneState.lastCheckpoint != .none else { return false }
        var samples: [[String]] = []
        var config: JSONValue, operations: JSONValue
        if bandit != nil {
            // PB2: the bandit chooses the values; no operations to log.
            config = try bandit!.newConfiguration(trial: trialID, clone: clone, cloneConfiguration: cloneState.configuration, rng: &rng)
            operations = .object([])
        } else {
            (config, operations) = try explore(cloneState.configuration, mutations, path: [], rng: &rng, samples: &samples)
        }
        if !samples.isEmpty || customExplore {
            config = try askFrontEnd(trialID, config, samples: samples, custom: customExplore)
        }
        requests.append(.exploit(Exploit(trial: trialID, clone: clone, cloneConfiguration: cloneState.configuration,
                                         configuration: config, operations: operations)))
        numPerturbations += 1
        states[trialID]?.configuration = config
        states[trialID]?.lastPerturbationTime = cloneState.lastPerturbationTime
        states[trialID]?.lastTrainTime = cloneState.lastTrainTime
        return true
    }

    /// Ray's `_explore` of `config` (an object) by `mutations`, without the front end's part:
    /// the keys whose function is resampled are listed in `samples` (their paths), to be filled in.
    func explore(_ config: JSONValue, _ mutations: [MutationEntry], path: [String], rng: inout Xoshiro256,
                 samples: inout [[String]]) throws(ScheduleError) -> (JSONValue, JSONValue) {
        var out = config
        var operations: [(String, JSONValue)] = []
        for entry in mutations {
            let key = entry.key
            let old = config[key]
            let keyPath = path + [key]
            switch entry.mutation {
            case .nested(let inner):
                guard let sub = old, sub.objectValue != nil else {
                    throw ScheduleError("hyperparam_mutations nests '\(keyPath.joined(separator: "."))' but the configuration's value is not a dict")
                }
                let (newSub, ops) = try explore(sub, inner, path: keyPath, rng: &rng, samples: &samples)
                out = out.setting(key, newSub)
                operations.append((key, ops))
            case .values(let values):
                guard !values.isEmpty else { throw ScheduleError("hyperparam_mutations['\(key)'] is an empty list") }
                let index = old.flatMap { o in values.firstIndex { pythonEqual($0, o) } }
                if rng.nextDouble() < resampleProbability || index == nil {
                    out = out.setting(key, values[Int(rng.below(UInt64(values.count)))])
                    operations.append((key, "resample"))
                } else if let index {
                    let shift = rng.below(2) == 0 ? -1 : 1
                    let newIndex = Swift.min(Swift.max(index + shift, 0), values.count - 1)
                    out = out.setting(key, values[newIndex])
                    operations.append((key, .string("shift \(shift == -1 ? "left" : "right")\(newIndex == index ? " (noop)" : "")")))
                }
            case .domain, .function:
                guard let old else { throw ScheduleError("KeyError: '\(key)' (hyperparam_mutations perturbs a key the configuration lacks)") }
                var new: JSONValue
                if rng.nextDouble() < resampleProbability {
                    if case .domain(let node) = entry.mutation {
                        new = try Self.sample(node, &rng)
                    } else {
                        new = .null
                        samples.append(keyPath)
                    }
                    operations.append((key, "resample"))
                } else {
                    let factor = perturbationFactors[Int(rng.below(UInt64(perturbationFactors.count)))]
                    new = try Self.multiply(old, factor, key: key)
                    operations.append((key, .string("* \(pythonRepr(factor))")))
                }
                // Ray: a value that started as an integer (a Python int or bool) stays one.
                if Self.isPythonInt(old) { new = Self.truncated(new) }
                out = out.setting(key, new)
            }
        }
        return (out, .object(operations))
    }

    /// Ray's `_fill_config` of a key the configuration lacks.
    func fill(_ config: JSONValue, _ entry: MutationEntry, path: [String], rng: inout Xoshiro256,
              samples: inout [[String]]) throws(ScheduleError) -> JSONValue {
        switch entry.mutation {
        case .function:
            samples.append(path + [entry.key])
            return config.setting(entry.key, .null)
        case .domain(let node):
            return config.setting(entry.key, try Self.sample(node, &rng))
        case .values(let values):
            guard !values.isEmpty else { throw ScheduleError("hyperparam_mutations['\(entry.key)'] is an empty list") }
            return config.setting(entry.key, values[Int(rng.below(UInt64(values.count)))])
        case .nested(let inner):
            var sub: JSONValue = .object([])
            for e in inner { sub = try fill(sub, e, path: path + [entry.key], rng: &rng, samples: &samples) }
            return config.setting(entry.key, sub)
        }
    }

    /// The front end fills in the resampled functions' values (at `samples`) and, with `custom`,
    /// applies its `custom_explore_fn`.
    mutating func askFrontEnd(_ trialID: String, _ config: JSONValue, samples: [[String]], custom: Bool) throws(ScheduleError) -> JSONValue {
        guard let callback, let frontEndID else {
            throw ScheduleError.frontEnd("PopulationBasedTraining needs the front end's callback for its function mutations or custom_explore_fn")
        }
        let query = ScheduleQuery.explore(trialID: trialID, configuration: config,
                                          samples: samples.map { .array($0.map { .string($0) }) }, custom: custom)
        guard case .configuration(let out) = try callback(frontEndID, query), out.objectValue != nil else {
            throw ScheduleError.frontEnd("the front end answered a PBT explore with something other than a configuration")
        }
        return out
    }

    static func sample(_ node: SpaceNode, _ rng: inout Xoshiro256) throws(ScheduleError) -> JSONValue {
        let space: SearchSpace
        do { space = try SearchSpace(.dict([SpaceNode.DictEntry("value", node)])) } catch {
            throw ScheduleError("hyperparam_mutations: \(error)")
        }
        return space.sample(&rng).configuration["value"] ?? .null
    }

    static func isPythonInt(_ v: JSONValue) -> Bool {
        switch v {
        case .int, .bool: return true
        default: return false
        }
    }

    static func truncated(_ v: JSONValue) -> JSONValue {
        switch v {
        case .double(let d) where d.isFinite && abs(d) < 9.2e18: return .int(Int64(d))
        case .bool(let b): return .int(b ? 1 : 0)
        default: return v
        }
    }

    static func multiply(_ value: JSONValue, _ factor: JSONValue, key: String) throws(ScheduleError) -> JSONValue {
        switch (value, factor) {
        case let (.int(a), .int(b)): return .int(a &* b)
        case let (.bool(a), .int(b)): return .int(a ? b : 0)
        default:
            guard let a = value.pythonNumber, let b = factor.doubleValue else {
                throw ScheduleError("TypeError: hyperparam_mutations['\(key)'] multiplies \(value) by \(factor)")
            }
            return .double(a * b)
        }
    }

    /// The trial ended.
    public mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) throws(ScheduleError) {
        states[trialID]?.finished = true
        refreshSlot(trialID)
    }

    /// The trial failed (or was stopped while waiting).
    public mutating func onTrialRemove(_ trialID: String) throws(ScheduleError) {
        states[trialID]?.finished = true
        refreshSlot(trialID)
    }

    /// Ray's future resolved: the kept checkpoint exists, or not.
    public mutating func onCheckpointKept(_ trialID: String, available: Bool) throws(ScheduleError) {
        if states[trialID]?.lastCheckpoint == .requested { states[trialID]?.lastCheckpoint = available ? .available : .none }
    }

    /// Chooses which waiting trial starts (Ray's `choose_trial_to_run`).
    public var choosesTrials: Bool { true }

    /// Ray's `choose_trial_to_run`: the least trained waiting trial (the first on ties).
    public mutating func chooseTrial(among waiting: [WaitingTrial]) throws(ScheduleError) -> String? {
        var best: (String, Double)?
        for w in waiting {
            let t = states[w.id]?.lastTrainTime ?? 0
            if synch && !(t < nextPerturbationSync) { continue }
            if best == nil || t < best!.1 { best = (w.id, t) }
        }
        return best?.0
    }

    /// The saves and exploits decided since the last call.
    public mutating func takeTrialRequests() -> [TrialRequest] {
        defer { requests = [] }
        return requests
    }

    /// Takes the front end's callback (for function mutations and `custom_explore_fn`).
    public mutating func attach(_ callback: @escaping SchedulerCallback) throws(ScheduleError) {
        self.callback = callback
    }

    /// The scheduler's whole state as JSON (restored by ``init(restoring:)``).
    public func saveState() -> JSONValue {
        .object([("scheduler", .string(stateKind)), ("spec", bandit.map { pb2Spec($0) } ?? spec)] + properties.json
                + (bandit.map { [("pb2", $0.stateJSON)] } ?? []) + [
            ("next_perturbation_sync", .double(nextPerturbationSync)), ("draws", .int(Int64(bitPattern: draws))),
            ("num_checkpoints", .int(Int64(numCheckpoints))), ("num_perturbations", .int(Int64(numPerturbations))),
            ("trials", .array(order.compactMap { id in
                states[id].map { s in
                    // A save under way is lost with the run it belonged to: none is kept.
                    .object([("id", .string(id)), ("last_score", s.lastScore.map { .double($0) } ?? .null),
                             ("last_checkpoint", .bool(s.lastCheckpoint == .available)),
                             ("last_perturbation_time", .double(s.lastPerturbationTime)),
                             ("last_train_time", .double(s.lastTrainTime)), ("configuration", s.configuration),
                             ("finished", .bool(s.finished))])
                }
            })),
        ])
    }

    /// The settings as the specification gives them (``SchedulerSpec``), `type` aside.
    var spec: JSONValue {
        var m: [(String, JSONValue)] = [("time_attr", .string(timeAttr)), ("perturbation_interval", .double(perturbationInterval)),
                                        ("burn_in_period", .double(burnInPeriod)),
                                        ("hyperparam_mutations", MutationEntry.json(mutations)),
                                        ("quantile_fraction", .double(quantileFraction)),
                                        ("resample_probability", .double(resampleProbability)),
                                        ("perturbation_factors", .array(perturbationFactors)),
                                        ("custom_explore", .bool(customExplore)), ("require_attrs", .bool(requireAttrs)),
                                        ("synch", .bool(synch)), ("seed", .int(Int64(bitPattern: seed)))]
        if let frontEndID { m.append(("callback_id", .int(Int64(frontEndID)))) }
        return .object(m)
    }

    /// Restores a scheduler from ``saveState()``.
    /// - Throws: ``ScheduleError`` with the source ``ScheduleError/Source/savedState``.
    public init(restoring state: JSONValue) throws(ScheduleError) {
        let kind = state["scheduler"]?.stringValue
        guard kind == Self.kind || kind == Self.pb2Kind, let spec = state["spec"] else { throw ScheduleError.state("not a PBT state") }
        do {
            if kind == Self.pb2Kind { try self.init(pb2Spec: spec) } else { try self.init(spec: spec) }
        } catch {
            throw error.inSavedState
        }
        if kind == Self.pb2Kind {
            guard let saved = state["pb2"] else { throw ScheduleError.state("a PB2 state without its data ('pb2')") }
            try bandit?.restore(saved)
        }
        properties = try SearchProperties(json: state)
        guard let sync = state["next_perturbation_sync"]?.doubleValue, let draws = state["draws"]?.intValue,
              let checkpoints = state["num_checkpoints"]?.intValue, let perturbations = state["num_perturbations"]?.intValue,
              let items = state["trials"]?.arrayValue
        else { throw ScheduleError.state("malformed PBT state") }
        nextPerturbationSync = sync
        self.draws = UInt64(bitPattern: draws)
        numCheckpoints = Int(clamping: checkpoints)
        numPerturbations = Int(clamping: perturbations)
        for item in items {
            guard let id = item["id"]?.stringValue, let pt = item["last_perturbation_time"]?.doubleValue,
                  let tt = item["last_train_time"]?.doubleValue, let config = item["configuration"],
                  case .bool(let kept)? = item["last_checkpoint"], case .bool(let finished)? = item["finished"], states[id] == nil
            else { throw ScheduleError.state("malformed PBT trial state") }
            appendToOrder(id)
            states[id] = TrialState(lastScore: item["last_score"]?.doubleValue, lastCheckpoint: kept ? .available : .none,
                                    lastPerturbationTime: pt, lastTrainTime: tt, configuration: config, finished: finished)
            refreshSlot(id)
        }
    }

    /// Builds the scheduler from its specification's options (``SchedulerSpec``).
    init(spec read: JSONValue) throws(ScheduleError) {
        let o = SpecOptions(read)
        let mutations = try MutationEntry.entries(read["hyperparam_mutations"] ?? .object([]), path: "hyperparam_mutations")
        var factors: [JSONValue] = [.double(1.2), .double(0.8)]
        if let f = read["perturbation_factors"], f != .null {
            guard let items = f.arrayValue else { throw ScheduleError("'perturbation_factors' must be a list of numbers") }
            factors = items
        }
        try self.init(timeAttr: o.timeAttr, metric: o.metric, mode: o.mode(),
                      perturbationInterval: o.num("perturbation_interval", 60), burnInPeriod: o.num("burn_in_period", 0),
                      mutations: mutations, quantileFraction: o.num("quantile_fraction", 0.25),
                      resampleProbability: o.num("resample_probability", 0.25), perturbationFactors: factors,
                      customExplore: o.flag("custom_explore", false), requireAttrs: o.flag("require_attrs", true),
                      synch: o.flag("synch", false), seed: o.seed, frontEndID: o.frontEndID())
    }

    /// The options PBT's and PB2's specifications share, read with their checks.
    struct SpecOptions {
        let read: JSONValue
        init(_ read: JSONValue) { self.read = read }

        /// A number option, `d` when absent or null.
        func num(_ k: String, _ d: Double) throws(ScheduleError) -> Double {
            guard let v = read[k], v != .null else { return d }
            guard let x = v.doubleValue else { throw ScheduleError("'\(k)' must be a number, got \(v)") }
            return x
        }

        /// A boolean option, `d` when absent or null.
        func flag(_ k: String, _ d: Bool) throws(ScheduleError) -> Bool {
            guard let v = read[k], v != .null else { return d }
            guard case .bool(let b) = v else { throw ScheduleError("'\(k)' must be true or false, got \(v)") }
            return b
        }

        /// The front end's scheduler number ("callback_id"), or nil.
        func frontEndID() throws(ScheduleError) -> Int? {
            guard let id = read["callback_id"], id != .null else { return nil }
            guard let n = id.intValue, n >= 0, n <= Int64(Int32.max) else { throw ScheduleError("'callback_id' must be 0 to \(Int32.max)") }
            return Int(n)
        }

        /// "mode", or nil.
        func mode() throws(ScheduleError) -> Mode? {
            guard let m = read["mode"]?.stringValue else { return nil }
            guard let parsed = Mode(rawValue: m) else { throw ScheduleError("`mode` must be 'min' or 'max'.") }
            return parsed
        }

        var timeAttr: String { read["time_attr"]?.stringValue ?? "time_total_s" }
        var metric: String? { read["metric"]?.stringValue }
        var seed: UInt64 { UInt64(bitPattern: read["seed"]?.intValue ?? 0) }
    }
}

/// One key of `hyperparam_mutations` and how it is perturbed.
public struct MutationEntry: Sendable, Equatable {
    /// The configuration key.
    public var key: String
    /// How its value is perturbed.
    public var mutation: Mutation

    /// An entry.
    public init(_ key: String, _ mutation: Mutation) {
        self.key = key
        self.mutation = mutation
    }

    /// How a key of `hyperparam_mutations` is perturbed.
    public indirect enum Mutation: Sendable, Equatable {
        /// A list of allowed values (Ray's list or tuple): shifted to a neighbour, or resampled.
        case values([JSONValue])
        /// A Tune domain: multiplied by a perturbation factor, or resampled from it.
        case domain(SpaceNode)
        /// A function of the front end (Ray's callable): multiplied, or resampled by the front end.
        case function
        /// Nested mutations of a dict value.
        case nested([MutationEntry])
    }

    /// The JSON form: each key an object with one of `"values": [...]`, `"domain": NODE`,
    /// `"function": true`, `"nested": {...}`.
    static func json(_ entries: [MutationEntry]) -> JSONValue {
        .object(entries.map { e in
            switch e.mutation {
            case .values(let v): return (e.key, ["values": .array(v)])
            case .domain(let node): return (e.key, ["domain": node.json])
            case .function: return (e.key, ["function": true])
            case .nested(let inner): return (e.key, ["nested": json(inner)])
            }
        })
    }

    /// Reads ``json(_:)``.
    static func entries(_ json: JSONValue, path: String) throws(ScheduleError) -> [MutationEntry] {
        guard let members = json.objectValue else { throw ScheduleError("'\(path)' must be an object") }
        var out: [MutationEntry] = []
        for (key, spec) in members {
            let at = "\(path).\(key)"
            guard let form = spec.objectValue, form.count == 1, let (kind, value) = form.first else {
                throw ScheduleError("'\(at)' must be an object with one of 'values', 'domain', 'function', 'nested'")
            }
            switch kind {
            case "values":
                guard let items = value.arrayValue else { throw ScheduleError("'\(at).values' must be a list") }
                out.append(MutationEntry(key, .values(items)))
            case "domain":
                let node: SpaceNode
                do {
                    node = try SpaceNode(json: value, path: at)
                    _ = try SearchSpace(.dict([SpaceNode.DictEntry("value", node)]))
                } catch {
                    throw ScheduleError("\(error)")
                }
                out.append(MutationEntry(key, .domain(node)))
            case "function":
                out.append(MutationEntry(key, .function))
            case "nested":
                out.append(MutationEntry(key, .nested(try entries(value, path: at))))
            default:
                throw ScheduleError("'\(at)' must be an object with one of 'values', 'domain', 'function', 'nested'")
            }
        }
        return out
    }
}

/// Python's `==` between two JSON values (`1 == 1.0 == True`), for list membership.
func pythonEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if let x = a.pythonNumber, let y = b.pythonNumber { return x == y }
    switch (a, b) {
    case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { pythonEqual($0, $1) }
    case let (.object(x), .object(y)):
        return x.count == y.count && x.allSatisfy { k, v in b[k].map { pythonEqual(v, $0) } ?? false }
    default: return a == b
    }
}

/// A number as Python's `repr` writes it (`2`, `1.2`, `0.8`).
func pythonRepr(_ v: JSONValue) -> String {
    switch v {
    case .int(let i): return String(i)
    case .double(let d): return d.isFinite ? "\(d)" : (d.isNaN ? "nan" : (d > 0 ? "inf" : "-inf"))
    case .bool(let b): return b ? "True" : "False"
    default: return "\(v)"
    }
}

extension JSONValue {
    /// The value as a Python number (bools are ints), or nil.
    var pythonNumber: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// An object with `key` set to `value` (replaced in place, or appended); other values unchanged.
    func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard var members = objectValue else { return self }
        if let i = members.firstIndex(where: { $0.0 == key }) { members[i].1 = value } else { members.append((key, value)) }
        return .object(members)
    }
}
