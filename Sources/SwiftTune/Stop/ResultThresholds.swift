/// Ray's dict form of `RunConfig(stop={...})` (`Trial.should_stop`): a trial stops when its result
/// has `done` set, or when **any** key's value is at least its threshold (every key alike, no
/// direction: `{"mean_loss": -5}` stops at `mean_loss >= -5` whatever the mode). A key missing
/// from the result is skipped (Ray warns once; the front end says it). Stateless.
public struct ResultThresholds: Stopper, Equatable {
    /// The thresholds by result key.
    public let thresholds: [String: Double]

    /// The rule for these thresholds.
    public init(_ thresholds: [String: Double]) { self.thresholds = thresholds }

    /// Whether `result` has `done` set (non-zero) or reaches a threshold. O(keys).
    public func reached(_ result: Metrics) -> Bool {
        if let done = result["done"], done != 0, !done.isNaN { return true }
        for (key, threshold) in thresholds {
            if let v = result[key], v >= threshold { return true }
        }
        return false
    }

    /// ``reached(_:)``.
    public mutating func shouldStop(trialID: String, result: Metrics) throws(StopError) -> Bool { reached(result) }
    /// Never: the dict form stops single trials.
    public mutating func stopAll(now: Double) throws(StopError) -> Bool { false }
    /// Nothing to save.
    public func saveState() -> JSONValue { .null }
    /// Nothing to restore.
    public mutating func restoreState(_ state: JSONValue) throws(StopError) {}
}
