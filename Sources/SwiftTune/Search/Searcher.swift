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
    /// A suggestion for a new trial, or why there is none now: a searcher of the front end
    /// (``CallbackSearcher``) may hold back (Ray's `suggest` returning None) or be done
    /// (`Searcher.FINISHED`). swifttune's own searchers always suggest.
    mutating func propose(trialID: String) throws(SearchError) -> Proposal
    /// Whether ``observe(trialID:_:)`` does anything (the engine skips the call otherwise).
    var observesResults: Bool { get }
    /// Hears an intermediate result of a live trial (Ray's `on_trial_result`).
    mutating func observe(trialID: String, _ result: Metrics) throws(SearchError)
    /// ``tell(trialID:_:)``, saying too whether the trial ended in an error (Ray's
    /// `on_trial_complete(..., error=True)`) rather than without a usable metric, and, for the
    /// primary trial of a ``Repeater``'s group, the mean of the group's metric values (NaN: none).
    mutating func tell(trialID: String, _ outcome: TrialOutcome, errored: Bool, groupMean: Double?) throws(SearchError)
    /// What changed in ``saveState()`` since the last call or ``forgetStateChanges()``, as patch
    /// operations on it (paths from the searcher's state), for the state journal; nil when the
    /// searcher does not track its changes (the journal then compares its whole state).
    mutating func takeStateChanges() -> [StatePatch.Op]?
    /// The state was just saved whole: later ``takeStateChanges()`` calls patch that state.
    mutating func forgetStateChanges()
    /// Takes the front end's callback, for a searcher that asks the front end (``CallbackSearcher``,
    /// or a wrapper around one); swifttune's own searchers ignore it.
    mutating func attach(_ callback: @escaping SearcherCallback)
    /// The scheduler paused the trial (Ray's `on_pause`, which `HyperBandForBOHB` calls). By default nothing.
    mutating func onTrialPause(_ trialID: String)
    /// The scheduler resumed the trial (Ray's `on_unpause`). By default nothing.
    mutating func onTrialUnpause(_ trialID: String)
}

extension Searcher {
    /// Not tracked: the journal compares the whole state.
    public mutating func takeStateChanges() -> [StatePatch.Op]? { nil }
    /// Nothing to forget.
    public mutating func forgetStateChanges() {}
    /// Searchers do not learn from the metric unless they say so.
    public var metricUser: String? { nil }
    /// Always a suggestion.
    public mutating func propose(trialID: String) throws(SearchError) -> Proposal { .suggestion(try suggest(trialID: trialID)) }
    /// Intermediate results do not change swifttune's own searchers (as in hyperopt).
    public var observesResults: Bool { false }
    /// Nothing.
    public mutating func observe(trialID: String, _ result: Metrics) throws(SearchError) {}
    /// ``tell(trialID:_:)``: the outcome says enough.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome, errored: Bool, groupMean: Double?) throws(SearchError) {
        try tell(trialID: trialID, outcome)
    }
    /// Nothing: swifttune's own searchers ask no front end.
    public mutating func attach(_ callback: @escaping SearcherCallback) {}
    /// Nothing.
    public mutating func onTrialPause(_ trialID: String) {}
    /// Nothing.
    public mutating func onTrialUnpause(_ trialID: String) {}
}

/// What ``Searcher/propose(trialID:)`` answers.
public enum Proposal: Sendable, Equatable {
    /// A configuration for the new trial.
    case suggestion(Suggestion)
    /// None now; ask again later (after a trial ends).
    case notNow
    /// None ever again: the search is over.
    case finished
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
