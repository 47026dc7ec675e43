/// Ray's `MaximumIterationStopper(max_iter)`: counts the results the stopper sees per trial and
/// stops a trial at its `max_iter`-th (the count is the stopper's own, as in Ray, not
/// `training_iteration`; it carries over a restore).
public struct MaximumIterationStopper: Stopper, Equatable {
    /// Results per trial before it stops.
    public let maxIter: Double
    /// Results seen per trial.
    public private(set) var iterations: [String: Int] = [:]

    /// A stopper at `maxIter` results (Ray checks nothing; neither does this).
    public init(maxIter: Double) { self.maxIter = maxIter }

    /// Counts the result; true once the trial's count reaches `maxIter`. O(1).
    public mutating func shouldStop(trialID: String, result: Metrics) throws(StopError) -> Bool {
        iterations[trialID, default: 0] += 1
        return Double(iterations[trialID]!) >= maxIter
    }

    /// Never.
    public mutating func stopAll(now: Double) throws(StopError) -> Bool { false }
    /// `{"iter": {trial: count}}`.
    public func saveState() -> JSONValue { .object([("iter", countsJSON(iterations))]) }
    /// Reads ``saveState()``.
    public mutating func restoreState(_ state: JSONValue) throws(StopError) {
        iterations = try counts(from: state["iter"], "MaximumIterationStopper")
    }
}
