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
    /// The searcher's whole state as JSON (its space, options, seed and history); `restoreSearcher`
    /// reads it back.
    func saveState() -> JSONValue
    /// Records a trial evaluated elsewhere (Ray's `add_evaluated_point`): a complete configuration
    /// given by value and its outcome. It counts as a trial created now.
    mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError)
    /// The searcher's name in messages, and whether it learns from the metric (then an experiment
    /// needs a metric and a mode, as Ray's model-based searchers do); nil for one that does not.
    var metricUser: String? { get }
}

extension Searcher {
    /// Searchers do not learn from the metric unless they say so.
    public var metricUser: String? { nil }
}

/// A proposed configuration for one trial.
public struct Suggestion: Sendable, Equatable {
    /// The id the trial was suggested for.
    public let trialID: String
    /// The value the objective receives.
    public let configuration: JSONValue
    /// One number per active parameter, by label: a choice's option index, a numeric value.
    public let assignment: [String: Double]
}

/// Whether the metric is minimised or maximised.
public enum Mode: String, Sendable, Equatable, CaseIterable {
    /// Smaller values of the metric are better.
    case min
    /// Larger values of the metric are better.
    case max
}
