/// What the engine asks a ``CallbackSearcher``'s front end.
public enum SearchQuery: Sendable, Equatable {
    /// Ray's `suggest(trial_id)`.
    case suggest(trialID: String)
    /// Ray's `on_trial_result(trial_id, result)`: a result the engine recorded for a live trial.
    case result(trialID: String, result: Metrics)
    /// Ray's `on_trial_complete(trial_id, result, error)`: the trial ended (with an error, or
    /// not: the front end has its last result); for a ``Repeater``'s group, the mean of its
    /// metric values, which Ray passes as the result (`{metric: mean}`).
    case complete(trialID: String, errored: Bool, groupMean: Double?)
}

/// What the front end answers to a ``SearchQuery``.
public enum SearchReply: Sendable, Equatable {
    /// The configuration suggested (JSON, a dict), for `.suggest`.
    case configuration(JSONValue)
    /// No suggestion now (Ray's `suggest` returned None).
    case notNow
    /// No suggestion ever again (`Searcher.FINISHED`).
    case finished
    /// Done: the answer to `.result` and `.complete`.
    case done
}

/// The front end's answer to the engine's question to its searcher number `searcherID`.
public typealias SearcherCallback = @Sendable (_ searcherID: Int, _ query: SearchQuery) throws(SearchError) -> SearchReply

/// A searcher that lives in the front end (a user's Ray `Searcher` subclass): the engine stays the
/// loop (it decides when to suggest, which trials are live, what to tell) and asks the front end
/// through the callback attached with ``ConcurrencyLimiter/attach(_:)``. Its memory of trials is
/// the front end's; its configurations are taken as given (no space to check them against).
public struct CallbackSearcher: Searcher {
    /// Which of the front end's searchers this is.
    public let id: Int
    /// An empty space: the front end's searcher has its own.
    public let space: SearchSpace
    /// The experiment's mode (the front end's searcher applies its own).
    public let mode: Mode
    var callback: SearcherCallback?
    /// Trials suggested and not yet told (to refuse a second `tell`, as every searcher does).
    var pending: Set<String> = []

    /// The front end's searcher number `id`, asked once a callback is attached.
    /// - Throws: ``SearchError/space(_:)`` only if the empty space could not be built.
    public init(id: Int, mode: Mode) throws(SearchError) {
        self.id = id
        self.mode = mode
        do { space = try SearchSpace(.dict([])) } catch { throw .space(error) }
    }

    /// Whether a callback is attached.
    public var isAttached: Bool { callback != nil }

    /// Takes the callback.
    public mutating func attach(_ callback: @escaping SearcherCallback) { self.callback = callback }

    func ask(_ query: SearchQuery) throws(SearchError) -> SearchReply {
        guard let callback else {
            throw .frontEnd("searcher callback \(id) is not set: the experiment has a front-end searcher and no "
                                 + "callback was given (st_experiment_set_searcher)")
        }
        return try callback(id, query)
    }

    /// The front end's suggestion, or why there is none.
    public mutating func propose(trialID: String) throws(SearchError) -> Proposal {
        guard !pending.contains(trialID) else { throw .duplicateTrial(trialID) }
        switch try ask(.suggest(trialID: trialID)) {
        case .configuration(let c):
            guard c.objectValue != nil else { throw .frontEnd("searcher \(id) suggested \(c), which is not a dict") }
            pending.insert(trialID)
            return .suggestion(Suggestion(trialID: trialID, configuration: c, assignment: [:]))
        case .notNow, .done: return .notNow
        case .finished: return .finished
        }
    }

    /// ``propose(trialID:)``, a hold-back or the end of the search an error.
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        guard case .suggestion(let s) = try propose(trialID: trialID) else {
            throw .frontEnd("searcher \(id) has no suggestion for trial '\(trialID)'")
        }
        return s
    }

    /// The front end hears every result.
    public var observesResults: Bool { true }

    /// Ray's `on_trial_result`.
    public mutating func observe(trialID: String, _ result: Metrics) throws(SearchError) {
        guard pending.contains(trialID) else { return }
        _ = try ask(.result(trialID: trialID, result: result))
    }

    /// Ray's `on_trial_complete`, as an outcome that is not an error.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try tell(trialID: trialID, outcome, errored: false, groupMean: nil)
    }

    /// Ray's `on_trial_complete(trial_id, result, error)`.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome, errored: Bool, groupMean: Double?) throws(SearchError) {
        guard pending.contains(trialID) else { throw .unknownTrial(trialID) }
        _ = try ask(.complete(trialID: trialID, errored: errored, groupMean: groupMean))
        pending.remove(trialID)
    }

    /// Ray's `add_evaluated_point` belongs to the front end's searcher.
    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        throw .frontEnd("searcher \(id) is the front end's: add evaluated points to it there")
    }

    /// The id, mode and open trials (the front end saves its searcher's own state).
    public func saveState() -> JSONValue {
        .object([("searcher", "callback"), ("version", 1), ("id", .int(Int64(id))), ("mode", .string(mode.rawValue)),
                 ("open", .array(pending.sorted().map { .string($0) }))])
    }

    /// Reads ``saveState()``; the callback is attached again afterwards.
    /// - Throws: ``SearchError/invalidState(_:)`` for a malformed state.
    public init(restoring state: JSONValue) throws(SearchError) {
        guard state["searcher"]?.stringValue == "callback", state["version"]?.intValue == 1,
              let id = state["id"]?.intValue, id >= 0, id <= Int64(Int32.max),
              let m = state["mode"]?.stringValue, let mode = Mode(rawValue: m), let open = state["open"]?.arrayValue
        else { throw .invalidState("malformed callback searcher state") }
        try self.init(id: Int(id), mode: mode)
        for o in open {
            guard let t = o.stringValue else { throw .invalidState("malformed callback searcher state") }
            self.pending.insert(t)
        }
    }
}

extension ExperimentCore {
    /// Gives the front end's callback to the experiment's ``CallbackSearcher`` (it replaces an
    /// earlier one). With one of swifttune's own searchers the callback is never called.
    public mutating func setSearcherCallback(_ callback: @escaping SearcherCallback) {
        limiter.attach(callback)
    }
}
