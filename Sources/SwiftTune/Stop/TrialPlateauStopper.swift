/// Ray's `TrialPlateauStopper(metric, std=0.01, num_results=4, grace_period=4,
/// metric_threshold=None, mode=None)`: stops a trial whose last `num_results` values of `metric`
/// have a (population) standard deviation below `std`, once it has had `grace_period` results and,
/// with a `metric_threshold`, once its latest value is at or past it in the direction of `mode`.
/// A result without the metric enters the window as a missing value: the window's deviation is
/// then infinite (Ray's `np.std` fails on `None` and counts it as infinite).
public struct TrialPlateauStopper: Stopper, Equatable {
    /// The metric watched.
    public let metric: String
    /// The deviation below which a trial has plateaued.
    public let std: Double
    /// How many latest values the deviation is taken over.
    public let numResults: Int
    /// Results a trial has before it can stop.
    public let gracePeriod: Int
    /// The value a trial's latest result must reach first, if any.
    public let metricThreshold: Double?
    /// The direction `metricThreshold` is reached in.
    public let mode: Mode?
    /// Results seen per trial.
    public private(set) var iterations: [String: Int] = [:]
    /// The latest `numResults` values per trial (nil: the result lacked the metric).
    public private(set) var window: [String: [Double?]] = [:]

    /// A stopper with Ray's argument check.
    /// - Throws: ``StopError`` with Ray's message when a `metricThreshold` (other than 0, which Ray
    ///   takes as none here) comes without a mode.
    public init(metric: String, std: Double = 0.01, numResults: Int = 4, gracePeriod: Int = 4,
                metricThreshold: Double? = nil, mode: Mode? = nil) throws(StopError) {
        if let t = metricThreshold, t != 0 || t.isNaN, mode == nil {
            throw StopError("When specifying a `metric_threshold`, the `mode` argument has to be one of [min, max]. Got: None")
        }
        self.metric = metric
        self.std = std
        self.numResults = numResults
        self.gracePeriod = gracePeriod
        self.metricThreshold = metricThreshold
        self.mode = mode
    }

    /// Ray's rule, in Ray's order (see the type). O(`numResults`).
    public mutating func shouldStop(trialID: String, result: Metrics) throws(StopError) -> Bool {
        let value = result[metric]
        var w = window[trialID, default: []]
        w.append(value)
        if w.count > Swift.max(numResults, 0) { w.removeFirst(w.count - Swift.max(numResults, 0)) }
        window[trialID] = w
        iterations[trialID, default: 0] += 1
        if iterations[trialID]! < gracePeriod { return false }
        if w.count < numResults { return false }
        if let threshold = metricThreshold, let mode {
            guard let v = value else {
                throw StopError("TrialPlateauStopper: the result has no '\(metric)' to compare with metric_threshold",
                                missingKey: metric)
            }
            if mode == .min && v > threshold { return false }
            if mode == .max && v < threshold { return false }
        }
        let values = w.compactMap { $0 }
        let deviation = values.count == w.count ? populationStd(values) : .infinity
        return deviation < std
    }

    /// Never.
    public mutating func stopAll(now: Double) throws(StopError) -> Bool { false }

    /// `{"iter": {trial: count}, "results": {trial: [value or null]}}`.
    public func saveState() -> JSONValue {
        .object([("iter", countsJSON(iterations)),
                 ("results", .object(window.sorted { $0.key < $1.key }.map { ($0.key, .array($0.value.map { $0.map { .double($0) } ?? .null })) }))])
    }

    /// Reads ``saveState()``.
    public mutating func restoreState(_ state: JSONValue) throws(StopError) {
        iterations = try counts(from: state["iter"], "TrialPlateauStopper")
        guard let members = state["results"]?.objectValue else { throw StopError("TrialPlateauStopper: malformed saved state") }
        var w: [String: [Double?]] = [:]
        for (k, v) in members {
            guard let items = v.arrayValue else { throw StopError("TrialPlateauStopper: malformed results of trial '\(k)'") }
            w[k] = items.map { $0.doubleValue }
        }
        window = w
    }
}
