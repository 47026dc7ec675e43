/// PB2 (Population Based Bandits) is Population Based Training whose explore step is a
/// Gaussian-process bandit (``PB2Bandit``) over `hyperparam_bounds`, as Ray's `PB2` subclasses
/// its `PopulationBasedTraining`: the same quantiles, exploits, checkpoints and trial choice, no
/// resampling, and `custom_explore_fn` applied to the bandit's configuration.
extension PopulationBasedTraining {
    /// PB2's name in saved state.
    public static let pb2Kind = "pb2"

    /// A PB2 scheduler with Ray's defaults. `hyperparamBounds` maps each key to `[low, high]` (or
    /// to an object of nested keys), in order; keys a trial's configuration lacks are drawn
    /// uniformly from their bounds.
    /// - Throws: ``ScheduleError`` with Ray's messages for missing or malformed bounds, and
    ///   PBT's for the other settings.
    public static func pb2(timeAttr: String = "time_total_s", metric: String? = nil, mode: Mode? = nil,
                           perturbationInterval: Double = 60, hyperparamBounds: JSONValue, quantileFraction: Double = 0.25,
                           customExplore: Bool = false, requireAttrs: Bool = true, synch: Bool = false, seed: UInt64 = 0,
                           frontEndID: Int? = nil) throws(ScheduleError) -> PopulationBasedTraining {
        let bounds = try Self.bounds(hyperparamBounds, path: [])
        guard !bounds.isEmpty else { throw ScheduleError("`hyperparam_bounds` must be specified to use PB2 scheduler.") }
        return try PopulationBasedTraining(timeAttr: timeAttr, metric: metric, mode: mode, perturbationInterval: perturbationInterval,
                                           burnInPeriod: 0, mutations: [], quantileFraction: quantileFraction,
                                           resampleProbability: 0, perturbationFactors: [.double(1.2), .double(0.8)],
                                           customExplore: customExplore, requireAttrs: requireAttrs, synch: synch, seed: seed,
                                           frontEndID: frontEndID, bandit: PB2Bandit(bounds: bounds))
    }

    /// Reads `hyperparam_bounds` (Ray's `_validate_hyperparam_bounds` of the flattened keys).
    static func bounds(_ json: JSONValue, path: [String]) throws(ScheduleError) -> [PB2Bandit.Bound] {
        guard let members = json.objectValue else { throw ScheduleError("`hyperparam_bounds` must be a dict") }
        var out: [PB2Bandit.Bound] = []
        for (key, value) in members {
            let at = path + [key]
            if value.objectValue != nil {
                out += try bounds(value, path: at)
                continue
            }
            guard let pair = value.arrayValue, pair.count == 2, let low = pair[0].pythonNumber, let high = pair[1].pythonNumber,
                  low.isFinite, high.isFinite else {
                throw ScheduleError("`hyperparam_bounds` values must either be a list or tuple of size 2, but got \(value) instead "
                                    + "for the param '\(at.joined(separator: "/"))'")
            }
            guard low <= high else {
                throw ScheduleError("`hyperparam_bounds` values must be of the form [low, high] where low <= high, but got "
                                    + "\(value) instead for param '\(at.joined(separator: "/"))'.")
            }
            out.append(PB2Bandit.Bound(path: at, low: low, high: high))
        }
        return out
    }

    /// The bounds as the specification gives them.
    static func boundsJSON(_ bounds: [PB2Bandit.Bound]) -> JSONValue {
        var root: JSONValue = .object([])
        for b in bounds { root = root.setting(path: b.path, .array([.double(b.low), .double(b.high)])) }
        return root
    }

    /// Builds PB2 from its specification (``SchedulerSpec``, type "pb2").
    init(pb2Spec read: JSONValue) throws(ScheduleError) {
        let o = SpecOptions(read)
        self = try Self.pb2(timeAttr: o.timeAttr, metric: o.metric, mode: o.mode(), perturbationInterval: o.num("perturbation_interval", 60),
                            hyperparamBounds: read["hyperparam_bounds"] ?? .object([]), quantileFraction: o.num("quantile_fraction", 0.25),
                            customExplore: o.flag("custom_explore", false), requireAttrs: o.flag("require_attrs", true),
                            synch: o.flag("synch", false), seed: o.seed, frontEndID: o.frontEndID())
    }

    /// PB2's settings as the specification gives them, `type` aside.
    func pb2Spec(_ bandit: PB2Bandit) -> JSONValue {
        var m: [(String, JSONValue)] = [("time_attr", .string(timeAttr)), ("perturbation_interval", .double(perturbationInterval)),
                                        ("hyperparam_bounds", Self.boundsJSON(bandit.bounds)),
                                        ("quantile_fraction", .double(quantileFraction)),
                                        ("custom_explore", .bool(customExplore)), ("require_attrs", .bool(requireAttrs)),
                                        ("synch", .bool(synch)), ("seed", .int(Int64(bitPattern: seed)))]
        if let frontEndID { m.append(("callback_id", .int(Int64(frontEndID)))) }
        return .object(m)
    }

    /// The rows of PB2's data (Ray's `data`: trial, time, the bounded values, score), oldest first.
    public var pb2Data: [(trial: String, time: Double, values: [Double], score: Double)] {
        bandit?.rows.map { ($0.trial, $0.time, $0.values, $0.reward) } ?? []
    }
}

extension PB2Bandit {
    /// The bandit's data as saved state.
    var stateJSON: JSONValue {
        .object([
            ("rows", .array(rows.map { r in
                .array([.string(r.trial), .double(r.time), .array(r.values.map { .double($0) }), .double(r.reward)])
            })),
            ("current", current.map { .array($0.map { .array($0.map { .double($0) }) }) } ?? .null),
            ("last_exploration_time", .double(lastExplorationTime)),
        ])
    }

    /// Restores ``stateJSON``.
    mutating func restore(_ state: JSONValue) throws(ScheduleError) {
        func numbers(_ v: JSONValue?) -> [Double]? {
            guard let items = v?.arrayValue else { return nil }
            var out: [Double] = []
            for i in items {
                guard let x = i.doubleValue else { return nil }
                out.append(x)
            }
            return out.count == bounds.count ? out : nil
        }
        guard let items = state["rows"]?.arrayValue, let last = state["last_exploration_time"]?.doubleValue
        else { throw ScheduleError.state("malformed PB2 data") }
        var restored: [Row] = []
        for item in items {
            guard let r = item.arrayValue, r.count == 4, let trial = r[0].stringValue, let time = r[1].doubleValue,
                  let values = numbers(r[2]), let reward = r[3].doubleValue
            else { throw ScheduleError.state("malformed PB2 data row") }
            restored.append(Row(trial: trial, time: time, values: values, reward: reward))
        }
        var cur: [[Double]]? = nil
        if let c = state["current"], c != .null {
            guard let list = c.arrayValue else { throw ScheduleError.state("malformed PB2 'current'") }
            var rowsOut: [[Double]] = []
            for v in list {
                guard let x = numbers(v) else { throw ScheduleError.state("malformed PB2 'current'") }
                rowsOut.append(x)
            }
            cur = rowsOut
        }
        rows = restored
        current = cur
        lastExplorationTime = last
    }
}
