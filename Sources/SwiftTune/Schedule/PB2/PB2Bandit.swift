#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// PB2's explore step (Population Based Bandits, Parker-Holder et al. 2020), rule for rule as
/// Ray Tune's `PB2` (ray/tune/schedulers/pb2.py and pb2_utils.py) does it; `docs/engine.md`
/// lists the rules and each deliberate difference.
///
/// - Data (Ray's `_save_trial_state`): every result that counts for PBT adds a row
///   (trial, time, the configuration's values at the bounded keys, score).
/// - Explore (Ray's `_explore`), when a trial clones another: rows stably sorted by time; within
///   each (trial, values) group the change of score and of time since the group's previous row;
///   rows whose time advanced kept, with `R_before` = score - change and `y` = change / time change;
///   the last 1,000 rows. Without a row of the cloned trial the clone's configuration is kept as
///   it is. Otherwise the new values come from ``selectConfiguration(_:_:newPoint:rng:)`` and are
///   cast to the type of the clone's values (float32-rounded floats, truncated ints), and a row
///   (exploiting trial, the clone's time, the new values, the clone's score) is added.
/// - Running trials (Ray's `current`): the values chosen since the data's latest time last grew;
///   a second Gaussian process that includes them (with target 0) gives the acquisition's variance.
/// - Select (Ray's `_select_config`): the rows to keep (``selectLength(_:_:)``); time and
///   `R_before` scaled by their range in the kept rows, hyperparameters by their bounds (each by
///   `(x - min) / (max - min + 1e-8)`); `y` standardised and clipped to [-2, 2]; the Gaussian
///   process (``TimeVaryingGP``) fitted; UCB `mean + sqrt(0.2 + max(0, log(0.4 n))) * variance`
///   maximised over [0, 1]^d from 10 uniform starts; the best mapped back into the bounds.
///
/// Ray draws the starts from NumPy's global generator; swifttune from the perturbation's own
/// seeded stream.
struct PB2Bandit: Sendable, Equatable {
    /// One key of `hyperparam_bounds` (its path in the configuration) and its bounds.
    struct Bound: Sendable, Equatable {
        /// The key's path in nested configurations.
        var path: [String]
        /// The lower bound.
        var low: Double
        /// The upper bound.
        var high: Double
    }

    /// One row of Ray's dataframe.
    struct Row: Sendable, Equatable {
        /// The trial.
        var trial: String
        /// Its `time_attr`.
        var time: Double
        /// Its configuration's values at the bounds' keys.
        var values: [Double]
        /// Its score (the metric, negated for `min`).
        var reward: Double
    }

    /// The bounded keys, in the order of `hyperparam_bounds` (flattened).
    let bounds: [Bound]
    /// Ray's `data`.
    var rows: [Row] = []
    /// Ray's `current`: the values chosen for trials restarted at the latest time.
    var current: [[Double]]?
    /// Ray's `last_exploration_time`.
    var lastExplorationTime = 0.0

    /// Ray caps the data the Gaussian process sees at the last 1,000 rows.
    static let maxRows = 1_000
    /// Ray's `select_length` keeps every row below 200.
    static let minLength = 200

    /// Records a counted result (Ray's `_save_trial_state`).
    /// - Throws: ``ScheduleError`` when a bounded key is missing from the configuration or not a number.
    mutating func record(trial: String, time: Double, configuration: JSONValue, score: Double) throws(ScheduleError) {
        rows.append(Row(trial: trial, time: time, values: try values(of: configuration), reward: score))
    }

    /// The configuration's values at the bounded keys.
    func values(of configuration: JSONValue) throws(ScheduleError) -> [Double] {
        var out: [Double] = []
        for b in bounds {
            guard let v = configuration.value(at: b.path) else {
                throw ScheduleError("KeyError: '\(b.path.joined(separator: "/"))' (hyperparam_bounds names a key the configuration lacks)")
            }
            guard let x = v.pythonNumber else {
                throw ScheduleError("PB2: the configuration's '\(b.path.joined(separator: "/"))' is \(v), not a number")
            }
            out.append(x)
        }
        return out
    }

    /// Ray's `PB2._get_new_config`: the configuration `trial` takes when it clones `clone`.
    mutating func newConfiguration(trial: String, clone: String, cloneConfiguration: JSONValue,
                                   rng: inout Xoshiro256) throws(ScheduleError) -> JSONValue {
        if Self.maxTime(rows) > lastExplorationTime { current = nil }
        let config = try explore(trial: trial, clone: clone, cloneConfiguration: cloneConfiguration, rng: &rng)
        let chosen = try values(of: config)
        let latest = Self.maxTime(rows)
        if latest > lastExplorationTime {
            lastExplorationTime = latest
            current = [chosen]
        } else {
            current = (current ?? []) + [chosen]
        }
        return config
    }

    /// pandas' `max` of the times (NaN skipped; NaN when there is none).
    static func maxTime(_ rows: [Row]) -> Double {
        var m = Double.nan
        for r in rows where !r.time.isNaN { m = m.isNaN ? r.time : Swift.max(m, r.time) }
        return m
    }

    /// One row of the processed data: time, score before the change, the values, the change per time.
    struct Point: Sendable {
        var trial: String
        var time: Double
        var before: Double
        var values: [Double]
        var reward: Double
        var change: Double
    }

    /// Ray's `_explore` (see the type's comment).
    mutating func explore(trial: String, clone: String, cloneConfiguration: JSONValue,
                          rng: inout Xoshiro256) throws(ScheduleError) -> JSONValue {
        let points = Self.process(rows)
        guard let base = points.last(where: { $0.trial == clone }) else { return cloneConfiguration }
        let x = points.map { [$0.time, $0.before] + $0.values }
        let y = points.map(\.change)
        let new = try selectConfiguration(x, y, newPoint: [base.time, base.before], rng: &rng)
        var config = cloneConfiguration
        var values: [Double] = []
        for (i, b) in bounds.enumerated() {
            guard let old = config.value(at: b.path) else {
                throw ScheduleError("KeyError: '\(b.path.joined(separator: "/"))' (hyperparam_bounds names a key the configuration lacks)")
            }
            let rounded = Double(Float(new[i]))
            let cast: JSONValue
            switch old {
            case .int:
                guard rounded.isFinite, abs(rounded) < 9.2e18 else { throw ScheduleError("PB2: cannot convert \(rounded) to int") }
                cast = .int(Int64(rounded))
            case .bool: cast = .bool(rounded != 0)
            case .double: cast = .double(rounded)
            default:
                throw ScheduleError("PB2: the configuration's '\(b.path.joined(separator: "/"))' is \(old), not a number")
            }
            config = config.setting(path: b.path, cast)
            values.append(cast.pythonNumber ?? rounded)
        }
        rows.append(Row(trial: trial, time: base.time, values: values, reward: base.reward))
        return config
    }

    /// Ray's dataframe steps in `_explore`: stable sort by time, the per-group changes, the rows
    /// whose time advanced, the change per unit of time, the last 1,000.
    static func process(_ rows: [Row]) -> [Point] {
        struct Group: Hashable {
            var trial: String
            var values: [Double]
        }
        // Stable sort by time, NaN last (pandas' na_position="last").
        let order = rows.indices.sorted { a, b in
            let ta = rows[a].time, tb = rows[b].time
            if ta.isNaN || tb.isNaN { return !ta.isNaN && tb.isNaN ? true : (ta.isNaN == tb.isNaN ? a < b : false) }
            return ta < tb || (ta == tb && a < b)
        }
        var previous: [Group: (reward: Double, time: Double)] = [:]
        var points: [Point] = []
        for i in order {
            let r = rows[i]
            // pandas' groupby drops rows whose key has a NaN: their change is NaN.
            guard !r.values.contains(where: \.isNaN) else { continue }
            let key = Group(trial: r.trial, values: r.values)
            defer { previous[key] = (r.reward, r.time) }
            guard let prev = previous[key] else { continue }
            let dy = r.reward - prev.reward
            let dt = r.time - prev.time
            guard dt > 0 else { continue }
            let change = dy / dt
            guard !change.isNaN else { continue }
            points.append(Point(trial: r.trial, time: r.time, before: r.reward - dy, values: r.values, reward: r.reward, change: change))
        }
        return Array(points.suffix(maxRows))
    }

    /// `(v - min) / (max - min + 1e-8)` column by column, with each column's min and max given.
    static func normalize(_ row: [Double], low: [Double], high: [Double]) -> [Double] {
        var out = row
        for c in 0..<row.count {
            let span: Double = high[c] - low[c] + 1e-8
            out[c] = (row[c] - low[c]) / span
        }
        return out
    }

    /// Ray's `standardize`: `(y - mean) / (std + 1e-8)` (population std), clipped to [-2, 2].
    static func standardize(_ y: [Double]) -> [Double] {
        let n = Double(y.count)
        let mean = y.reduce(0, +) / n
        let std = (y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        return y.map { Swift.min(Swift.max(($0 - mean) / (std + 1e-8), -2), 2) }
    }

    /// The scaling of the rows' columns: time and score by their range in `x`, the values by their bounds.
    func limits(_ x: [[Double]]) -> (low: [Double], high: [Double]) {
        var low = [Double.infinity, .infinity] + bounds.map { Swift.min($0.low, $0.high) }
        var high = [-Double.infinity, -.infinity] + bounds.map { Swift.max($0.low, $0.high) }
        for row in x {
            for c in 0..<2 {
                low[c] = Swift.min(low[c], row[c])
                high[c] = Swift.max(high[c], row[c])
            }
        }
        return (low, high)
    }

    /// Ray's `select_length`: every row when there are fewer than 200; otherwise the number of
    /// latest rows (200, 210, ...) whose fitted Gaussian process has the highest log marginal
    /// likelihood (the first such).
    func selectLength(_ x: [[Double]], _ y: [Double]) throws(ScheduleError) -> Int {
        guard x.count >= Self.minLength else { return x.count }
        var scores: [Double] = []
        var length = Self.minLength
        while length <= x.count {
            let xs = Array(x.suffix(length)), ys = Array(y.suffix(length))
            let (low, high) = limits(xs)
            let gp = try TimeVaryingGP(fitting: xs.map { Self.normalize($0, low: low, high: high) }, targets: Self.standardize(ys))
            scores.append(gp.logMarginalLikelihood)
            length += 10
        }
        var best = 0
        for i in scores.indices where scores[i] > scores[best] { best = i }
        return Self.minLength + 10 * best
    }

    /// Ray's `_select_config`: the new values (in the bounds' units, float32-rounded by the caller).
    func selectConfiguration(_ xAll: [[Double]], _ yAll: [Double], newPoint: [Double],
                             rng: inout Xoshiro256) throws(ScheduleError) -> [Double] {
        let length = try selectLength(xAll, yAll)
        let x = Array(xAll.suffix(length)), y = Array(yAll.suffix(length))
        let (low, high) = limits(x)
        let xn = x.map { Self.normalize($0, low: low, high: high) }
        let yn = Self.standardize(y)
        let fixed = Self.normalize(newPoint, low: Array(low.prefix(2)), high: Array(high.prefix(2)))
        let model = try TimeVaryingGP(fitting: xn, targets: yn)
        var varianceModel = model
        if let current, !current.isEmpty {
            let boundLow = Array(low.dropFirst(2)), boundHigh = Array(high.dropFirst(2))
            let extra = current.map { fixed + Self.normalize($0, low: boundLow, high: boundHigh) }
            varianceModel = try TimeVaryingGP(fitting: xn + extra, targets: yn + [Double](repeating: 0, count: extra.count))
        }
        let unit = Self.maximizeAcquisition(model, varianceModel, fixed: fixed, dimensions: bounds.count, rng: &rng)
        var out = unit
        for i in 0..<bounds.count {
            let span: Double = high[i + 2] - low[i + 2]
            out[i] = unit[i] * span + low[i + 2]
        }
        return out
    }

    /// Ray's `optimize_acq` of `UCB`: 10 starts drawn uniformly in [0, 1]^d, each run by SciPy's
    /// L-BFGS-B without a gradient (`minimize(lambda x: -UCB(x), x0, bounds=[(0, 1)] * d,
    /// method="L-BFGS-B", options={"maxiter": 200, "maxfun": 200})`: forward differences, their
    /// evaluations counted against `maxfun`), the best kept (it must beat -999), clipped to [0, 1].
    static func maximizeAcquisition(_ model: TimeVaryingGP, _ varianceModel: TimeVaryingGP, fixed: [Double],
                                    dimensions: Int, rng: inout Xoshiro256) -> [Double] {
        let kappa = (0.2 + Swift.max(0, log(0.4 * Double(model.rows.count)))).squareRoot()
        func ucb(_ x: [Double]) -> Double {
            let point = fixed + x
            return model.predict(point, gradients: false).mean + kappa * varianceModel.predict(point, gradients: false).variance
        }
        var best = -999.0
        // Ray starts from the first training row (its hyperparameter columns, here).
        var bestX = Array(varianceModel.rows[0].dropFirst(2))
        let optimizer = BoundedLBFGS(maxIterations: 200, maxEvaluations: 200)
        let zeros = [Double](repeating: 0, count: dimensions), ones = [Double](repeating: 1, count: dimensions)
        for _ in 0..<10 {
            let start = (0..<dimensions).map { _ in rng.nextDouble() }
            let result = optimizer.minimize(start, lower: zeros, upper: ones, valueOnly: { -ucb($0) })
            let value = ucb(result.x)
            if value > best {
                best = value
                bestX = result.x
            }
        }
        return bestX.map { Swift.min(Swift.max($0, 0), 1) }
    }
}

extension JSONValue {
    /// The value at a path of object keys, or nil.
    func value(at path: [String]) -> JSONValue? {
        var v: JSONValue? = self
        for key in path { v = v?[key] }
        return v
    }

    /// An object with the value at `path` set (objects created along the way).
    func setting(path: [String], _ value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        if path.count == 1 { return setting(key, value) }
        let inner = self[key].flatMap { $0.objectValue != nil ? $0 : nil } ?? .object([])
        return setting(key, inner.setting(path: Array(path.dropFirst()), value))
    }
}
