/// How a trial ended, as told to a searcher.
public enum TrialOutcome: Sendable, Equatable {
    /// The trial finished with this value of the metric (in the metric's own direction; the
    /// searcher applies its ``Mode``). A NaN value is treated as ``failed``.
    case completed(Double)
    /// The trial finished without a value of the metric (hyperopt's `status: fail`): it stays in
    /// the model as a trial with the worst loss (+inf).
    case completedWithoutMetric
    /// The trial failed (the objective raised, the worker died): it is left out of the model.
    case failed
}

// The outcome as saved in a state (a batching limiter's held outcomes).
extension TrialOutcome {
    /// `{"completed": metric}`, `"completed_without_metric"` or `"failed"`.
    var json: JSONValue {
        switch self {
        case .completed(let v): return ["completed": .double(v)]
        case .completedWithoutMetric: return "completed_without_metric"
        case .failed: return "failed"
        }
    }

    /// Reads the form ``json`` writes.
    /// - Throws: ``SearchError/invalidState(_:)`` for anything else.
    init(json: JSONValue) throws(SearchError) {
        if let v = json["completed"]?.doubleValue { self = .completed(v); return }
        switch json.stringValue {
        case "completed_without_metric": self = .completedWithoutMetric
        case "failed": self = .failed
        default: throw .invalidState("malformed trial outcome \(json)")
        }
    }
}
