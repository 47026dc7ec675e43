/// Ray's `ExperimentPlateauStopper(metric, std=0.001, top=10, mode="min", patience=0)`: keeps the
/// `top` best values of `metric` over every result of every trial; once there are `top` of them
/// and their (population) standard deviation is at most `std` for more than `patience` results in
/// a row, the experiment stops (and the trial whose result made it so).
public struct ExperimentPlateauStopper: Stopper, Equatable {
    /// The metric watched.
    public let metric: String
    /// The deviation at or below which the top values have plateaued.
    public let std: Double
    /// How many best values are kept.
    public let top: Int
    /// Which values are best.
    public let mode: Mode
    /// Results in a row with a plateau before the experiment stops.
    public let patience: Int
    /// The best values so far, sorted ascending.
    public private(set) var topValues: [Double] = []
    /// Results in a row with a plateau.
    public private(set) var iterations = 0

    /// A stopper with Ray's argument checks and messages.
    /// - Throws: ``StopError`` when `top` <= 1, `patience` < 0 or `std` <= 0.
    public init(metric: String, std: Double = 0.001, top: Int = 10, mode: Mode = .min, patience: Int = 0) throws(StopError) {
        guard top > 1 else { throw StopError("Top results to consider must be a positive integer greater than one.") }
        guard patience >= 0 else { throw StopError("Patience must be a strictly positive integer.") }
        guard std > 0 else { throw StopError("The standard deviation must be a strictly positive float number.") }
        self.metric = metric
        self.std = std
        self.top = top
        self.mode = mode
        self.patience = patience
    }

    /// Takes the result's value into the top values and answers ``stopAll(now:)``'s rule.
    /// - Throws: ``StopError`` naming the metric when the result lacks it (Ray: `KeyError`).
    public mutating func shouldStop(trialID: String, result: Metrics) throws(StopError) -> Bool {
        guard let v = result[metric] else {
            throw StopError("ExperimentPlateauStopper: the result has no '\(metric)'", missingKey: metric)
        }
        topValues.append(v)
        topValues.sort()
        if topValues.count > top {
            topValues = mode == .min ? Array(topValues.prefix(top)) : Array(topValues.suffix(top))
        }
        iterations = hasPlateaued ? iterations + 1 : 0
        return stopped
    }

    /// Whether the top values are full and within `std`.
    public var hasPlateaued: Bool { topValues.count == top && populationStd(topValues) <= std }

    var stopped: Bool { hasPlateaued && iterations >= patience }

    /// Whether the experiment stops.
    public mutating func stopAll(now: Double) throws(StopError) -> Bool { stopped }

    /// `{"top_values": [...], "iterations": n}`.
    public func saveState() -> JSONValue {
        .object([("top_values", .array(topValues.map { .double($0) })), ("iterations", .int(Int64(iterations)))])
    }

    /// Reads ``saveState()``.
    public mutating func restoreState(_ state: JSONValue) throws(StopError) {
        guard let values = state["top_values"]?.arrayValue, let n = state["iterations"]?.intValue, n >= 0 else {
            throw StopError("ExperimentPlateauStopper: malformed saved state")
        }
        var out: [Double] = []
        for v in values {
            guard let x = v.doubleValue else { throw StopError("ExperimentPlateauStopper: malformed saved state") }
            out.append(x)
        }
        topValues = out
        iterations = Int(n)
    }
}
