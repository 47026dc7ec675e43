/// Optuna's TPE for a study whose parameters appear as its trials ask for them (Optuna's
/// define-by-run): what `swifttune.optuna.TPESampler` runs inside ordinary Optuna studies, and
/// `OptunaSearch` with a define-by-run space. The front end mirrors the study's trials into it
/// (``setTrial(number:state:params:report:unusedRelative:)``, only those that changed) and asks
/// Optuna's three questions: the relative search space, a relative sample, an independent sample.
/// The rules are ``OptunaTPESearch``'s (docs/tpe-optuna.md).
public struct OptunaTPEStudy: Sendable {
    /// A trial's state as Optuna has it.
    public enum TrialState: String, Sendable {
        /// Asked and not told (Optuna's RUNNING; WAITING trials are not mirrored).
        case running
        /// Told with a value.
        case complete
        /// Pruned (ranked by its latest intermediate value).
        case pruned
        /// Failed (left out of every model).
        case fail
    }

    /// One of Optuna's distributions: `FloatDistribution`, `IntDistribution` or a categorical of
    /// `choices` options (its values are the options' indices).
    public enum ParameterDistribution: Sendable, Hashable {
        /// `FloatDistribution(low, high, log=log, step=step)`.
        case float(low: Double, high: Double, step: Double?, log: Bool)
        /// `IntDistribution(low, high, log=log, step=step)`.
        case int(low: Double, high: Double, step: Double, log: Bool)
        /// `CategoricalDistribution(choices)` with this many choices.
        case categorical(choices: Int)

        /// The distribution as a swifttune space distribution (nil for a categorical), validated.
        func numeric(_ name: String) throws(SearchError) -> Distribution? {
            let d: Distribution
            switch self {
            case let .float(low, high, step, log): d = Distribution(kind: log ? .optunaFloatLog : .optunaFloat, low, high, q: step)
            case let .int(low, high, step, log): d = Distribution(kind: log ? .optunaIntLog : .optunaInt, low, high, q: log && step == 1 ? nil : step)
            case .categorical(let k):
                guard k >= 1 else { throw .invalidOption("parameter '\(name)': a categorical distribution needs choices") }
                return nil
            }
            do { try d.validate(label: name) } catch { throw .space(error) }
            return d
        }
    }

    /// The sampler's options (Optuna's `TPESampler` arguments).
    public let options: OptunaTPESearch.Options
    /// The study's direction (the first one's when there are several).
    public let mode: Mode
    /// The study's directions, one per objective: with two or more, Optuna's multi-objective
    /// TPE (the good group by non-domination and hypervolume, its observations all weighing 1).
    public let directions: [Mode]
    /// The seed: trial n's draws come from streams of (seed, n).
    public let seed: UInt64
    /// A `gamma` function of the caller's (Optuna's `TPESampler(gamma=...)`): the size of the
    /// good group for n finished trials, in place of `options.gamma`; a negative answer is 0.
    public var gammaFunction: (@Sendable (Int) -> Int)? = nil
    /// A `weights` function of the caller's (`TPESampler(weights=...)`): the weights of a
    /// group's n observations in trial order (n non-negative, finite numbers, not all zero when
    /// n > 0), in place of `options.weights`; an answer of another length is not used.
    public var weightsFunction: (@Sendable (Int) -> [Double])? = nil

    /// Registered parameters ("slots"): a name with one distribution.
    private(set) var names: [String] = []
    private var distributions: [ParameterDistribution] = []
    private var numeric: [Distribution?] = []
    var domains: [OptunaDomain] = []
    private var slotByKey: [String: Int] = [:]
    /// The mirrored trials, in number order (a record's id is its number).
    private(set) var records: [TrialLog.Record] = []
    private(set) var numbers: [Int] = []
    private var positionByNumber: [Int: Int] = [:]
    private var reports: [Int: OptunaTPESearch.Report] = [:]  // by number
    private var objectiveValues: [Int: [Double]] = [:]  // by number: a complete trial's values (several objectives)
    private var violations: [Int: Double] = [:]  // by number: a finished infeasible trial's constraint violation
    private var unusedRelative: [Int: [Int: Double]] = [:]  // by number
    /// How often each (trial, slot) was sampled: a question asked again for the same trial
    /// draws afresh (Optuna's generator moves on), the first time from the trial's own stream.
    private var draws: [UInt64: UInt64] = [:]

    /// - Parameters:
    ///   - directions: the objectives' directions when there are several (then `mode` is not
    ///     used). Optuna's defaults differ for such a study: `multivariate` false and the
    ///     uncapped `gamma` `.linear(fraction: 0.1, cap: nil)`; pass them in `options`.
    /// - Throws: ``SearchError/invalidOption(_:)`` for an option out of range or no directions.
    public init(options: OptunaTPESearch.Options = .init(), mode: Mode = .min, directions: [Mode]? = nil,
                seed: UInt64 = 0) throws(SearchError) {
        try options.validate()
        if let directions, directions.isEmpty { throw .invalidOption("a study needs at least one direction") }
        self.options = options
        self.mode = directions?.first ?? mode
        self.directions = directions ?? [mode]
        self.seed = seed
    }

    /// How many trials are mirrored.
    public var trialCount: Int { records.count }

    /// The slot of parameter `name` with `distribution`, registered on first use. A name asked
    /// with another distribution is another slot (trials of the one do not inform the other).
    /// - Throws: ``SearchError`` for a distribution Optuna would refuse.
    public mutating func slot(name: String, _ distribution: ParameterDistribution) throws(SearchError) -> Int {
        let key = "\(name)\u{0}\(distribution)"
        if let s = slotByKey[key] { return s }
        let d = try distribution.numeric(name)
        let domain: OptunaDomain
        if let d {
            guard let made = OptunaDomain(SearchSpace.Parameter(label: name, domain: .numeric(d), conditions: [])) else {
                throw .invalidOption("parameter '\(name)': not one of Optuna's distributions")
            }
            domain = made
        } else if case .categorical(let k) = distribution {
            domain = .categorical(count: k)
        } else {
            throw .invalidOption("parameter '\(name)': not one of Optuna's distributions")
        }
        let s = names.count
        names.append(name)
        distributions.append(distribution)
        numeric.append(d)
        domains.append(domain)
        slotByKey[key] = s
        return s
    }

    /// Mirrors trial `number` as it is now: its state, value (complete), parameters (slot,
    /// internal value), latest intermediate value, and, while running, the relative values it
    /// drew for parameters it does not use. O(log n) for a trial after every other, O(n) otherwise.
    /// - Parameters:
    ///   - values: a complete trial's values in a study of several objectives, one per direction
    ///     (then `value` is not used); a NaN among them counts as failed, as Optuna's `tell` has it.
    ///   - violation: a finished trial's constraint violation, the sum of its positive constraint
    ///     values (`trial.constraints`): above 0 the trial is infeasible, ranked after every
    ///     feasible one by this number (Optuna 5.0's constrained TPE). Ignored while running.
    /// - Throws: ``SearchError/invalidOption(_:)`` for an unknown slot or a complete trial without
    ///   its value (or values).
    public mutating func setTrial(number: Int, state: TrialState, value: Double? = nil, values objectives: [Double]? = nil,
                                  params: [(slot: Int, value: Double)], report: OptunaTPESearch.Report? = nil,
                                  unusedRelative unused: [(slot: Int, value: Double)] = [], violation: Double = 0) throws(SearchError) {
        var values = [Double](repeating: .nan, count: params.map { $0.slot + 1 }.max() ?? 0)
        for (s, v) in params {
            guard s >= 0 && s < names.count else { throw .invalidOption("trial \(number): unknown parameter slot \(s)") }
            values[s] = v
        }
        let recordState: TrialLog.State
        switch state {
        case .running: recordState = .pending
        case .complete where directions.count > 1:
            guard let objectives, objectives.count == directions.count else {
                throw .invalidOption("trial \(number) is complete without its \(directions.count) values")
            }
            recordState = objectives.contains(where: \.isNaN) ? .failed : .completed(objectives[0])
        case .complete:
            guard let value else { throw .invalidOption("trial \(number) is complete without a value") }
            recordState = value.isNaN ? .failed : .completed(value)
        case .pruned: recordState = .completedWithoutMetric
        case .fail: recordState = .failed
        }
        let record = TrialLog.Record(id: String(number), values: values, state: recordState)
        if let p = positionByNumber[number] {
            records[p] = record
        } else if let last = numbers.last, number < last {
            // Out of order (another worker's older trial): insert in place, renumber the positions.
            let p = numbers.firstIndex { $0 > number } ?? numbers.count
            numbers.insert(number, at: p)
            records.insert(record, at: p)
            for (i, n) in numbers.enumerated().dropFirst(p) { positionByNumber[n] = i }
        } else {
            positionByNumber[number] = numbers.count
            numbers.append(number)
            records.append(record)
        }
        reports[number] = report
        objectiveValues[number] = directions.count > 1 && state == .complete ? objectives : nil
        violations[number] = violation > 0 && (state == .complete || state == .pruned) ? violation : nil
        var u: [Int: Double] = [:]
        if state == .running { for (s, v) in unused where s >= 0 && s < names.count { u[s] = v } }
        unusedRelative[number] = u.isEmpty ? nil : u
    }

    /// The generator of the next draw for (trial `number`, `part`): stream (number, part) of the
    /// seed the first time, a fresh one each time after.
    private mutating func generator(_ number: Int, _ part: UInt64) -> Xoshiro256 {
        let key = UInt64(truncatingIfNeeded: number) &<< 24 | part
        let n = draws[key, default: 0]
        draws[key] = n + 1
        return Xoshiro256(seed: seed &+ n &* 0xD1B5_4A32_D192_ED03, stream: key)
    }

    /// The split for sampling trial `number` (left out of the model). Without `ranked`, only
    /// which trials are finished and modelled: the good group is left empty, so neither the
    /// caller's gamma nor the multi-objective ranking runs (the relative search space needs neither).
    func split(for number: Int, ranked: Bool = true) -> OptunaTPESplit {
        let none: (Int) -> Int = { _ in 0 }
        let gamma: ((Int) -> Int)? = ranked ? gammaFunction : none
        return OptunaTPESplit(records: records, mode: mode, options: options, gamma: gamma, excluding: positionByNumber[number],
                              report: { reports[numbers[$0]] }, unused: { unusedRelative.isEmpty ? nil : unusedRelative[numbers[$0]] },
                              directions: directions, objectives: { objectiveValues[numbers[$0]] },
                              violation: { violations.isEmpty ? 0 : violations[numbers[$0]] ?? 0 })
    }

    /// Optuna's relative search space for a new trial: with `multivariate`, the parameters every
    /// finished trial has (one group) or, with `group`, the groups of parameters seen in exactly
    /// the same finished trials; single-valued ones left out. Empty otherwise.
    public func relativeSearchSpace(for number: Int) -> [[Int]] {
        guard options.multivariate else { return [] }
        let split = split(for: number, ranked: false)
        let sets = options.group ? split.groups(parameterCount: names.count) : [split.intersection(parameterCount: names.count)]
        return sets.map { $0.filter { !domains[$0].isSingle } }.filter { !$0.isEmpty }
    }

    /// Optuna's `sample_relative`: nil while fewer than `nStartupTrials` trials are finished
    /// (then every parameter is sampled independently, at random); otherwise TPE's joint choice
    /// for each group of the relative search space, restricted to `slots`, by slot.
    public mutating func sampleRelative(for number: Int, slots: [Int]) -> [Int: Double]? {
        let split = split(for: number)
        guard split.finished.count >= options.nStartupTrials else { return nil }
        let wanted = Set(slots)
        let sets = options.group ? split.groups(parameterCount: names.count) : [split.intersection(parameterCount: names.count)]
        var rng = generator(number, 0xFF_FFFF)
        var out: [Int: Double] = [:]
        for set in sets {
            let params = set.filter { wanted.contains($0) && !domains[$0].isSingle }
            guard !params.isEmpty else { continue }
            for (p, v) in zip(params, OptunaTPESearch.choose(params, split, domains, options, &rng, weights: weightsFunction)) {
                out[p] = v
            }
        }
        return out
    }

    /// Optuna's `sample_independent` for parameter `slot` of trial `number`: Optuna's random
    /// sampling while fewer than `nStartupTrials` trials are finished, otherwise TPE's choice from
    /// the trials that have the parameter. Its value: the number, or the option's index.
    public mutating func sampleIndependent(for number: Int, slot: Int) throws(SearchError) -> Double {
        guard slot >= 0 && slot < names.count else { throw .invalidOption("unknown parameter slot \(slot)") }
        if domains[slot].isSingle { return domains[slot].singleValue }
        var rng = generator(number, UInt64(slot & 0xFF_FFFE))
        let split = split(for: number)
        guard split.finished.count >= options.nStartupTrials else {
            if let d = numeric[slot] { return d.optunaRandom(&rng) }
            if case .categorical(let k) = domains[slot] { return Double(rng.below(UInt64(k))) }
            return domains[slot].singleValue
        }
        return OptunaTPESearch.choose([slot], split, domains, options, &rng, weights: weightsFunction)[0]
    }
}
