/// Whether the metric is minimised or maximised.
public enum Mode: String, Sendable, Equatable, CaseIterable {
    case min, max
}

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

/// A proposed configuration for one trial.
public struct Suggestion: Sendable, Equatable {
    public let trialID: String
    /// The value the objective receives.
    public let configuration: JSONValue
    /// One number per active parameter, by label: a choice's option index, a numeric value.
    public let assignment: [String: Double]
}

/// What went wrong in a searcher call. Nothing is changed when a call throws.
public enum SearchError: Error, Sendable, Equatable, CustomStringConvertible {
    case duplicateTrial(String)
    case unknownTrial(String)
    case trialAlreadyFinished(String)
    case invalidOption(String)
    case invalidState(String)
    case space(SpaceError)

    public var description: String {
        switch self {
        case .duplicateTrial(let id): return "trial '\(id)' was already suggested"
        case .unknownTrial(let id): return "unknown trial '\(id)': it was never suggested by this searcher"
        case .trialAlreadyFinished(let id): return "trial '\(id)' has already finished"
        case .invalidOption(let m): return "invalid option: \(m)"
        case .invalidState(let m): return "invalid saved state: \(m)"
        case .space(let e): return e.description
        }
    }
}

/// A search algorithm: proposes configurations for new trials and learns from their outcomes.
///
/// Searchers are value types. Every call either succeeds or throws and leaves the searcher
/// unchanged. A searcher's n-th suggestion depends only on its seed, its options and what it was
/// told before, so one restored from ``saveState()`` continues with exactly the suggestions the
/// original would have made.
public protocol Searcher: Sendable {
    /// The space the searcher draws from.
    var space: SearchSpace { get }
    /// Whether the metric told in ``tell(trialID:_:)`` is minimised or maximised.
    var mode: Mode { get }
    /// Proposes the configuration of a new trial with this (new, unique) id.
    mutating func suggest(trialID: String) throws(SearchError) -> Suggestion
    /// Reports how a suggested trial ended.
    mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError)
    /// The searcher's whole state as JSON (its space, options, seed and history).
    func saveState() -> JSONValue
    /// Records a trial evaluated elsewhere (Ray's `add_evaluated_point`): a complete configuration
    /// given by value and its outcome. It counts as a trial created now.
    mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError)
}
