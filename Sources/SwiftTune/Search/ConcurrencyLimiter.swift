/// Ray Tune's `ConcurrencyLimiter`: at most `maxConcurrent` suggestions of the wrapped searcher
/// unfinished at once. With `batch`, outcomes are held back and told to the searcher only when
/// every trial of the current batch has finished (so the searcher learns from whole batches), and
/// the batch's slots stay taken until then.
public struct ConcurrencyLimiter: Sendable {
    /// The wrapped searcher, as told so far.
    public private(set) var searcher: any Searcher
    /// How many suggestions may be unfinished at once.
    public let maxConcurrent: Int
    /// Whether outcomes are told in whole batches (Ray's `batch=True`).
    public let batch: Bool
    /// Trials suggested and not yet told to the searcher, in suggestion order. O(n) (listed).
    public var live: [String] { liveIDs.elements }
    /// ``live`` as a set that keeps its order: O(1) membership and removal.
    private var liveIDs = OrderedIDSet()
    /// Finished trials of the current batch, waiting for the rest of it.
    var held: [(id: String, outcome: TrialOutcome, errored: Bool, groupMean: Double?)] = []
    /// Whether the wrapped searcher said it has no more suggestions (``Proposal/finished``).
    public private(set) var finished = false

    /// - Throws: ``SearchError/invalidOption(_:)`` unless `maxConcurrent > 0`.
    public init(_ searcher: any Searcher, maxConcurrent: Int, batch: Bool = false) throws(SearchError) {
        guard maxConcurrent > 0 else { throw .invalidOption("max_concurrent must be a positive integer, got \(maxConcurrent)") }
        self.searcher = searcher
        self.maxConcurrent = maxConcurrent
        self.batch = batch
    }

    /// Whether a new suggestion may be made now. O(1).
    public var hasCapacity: Bool { liveIDs.count < maxConcurrent }

    /// Whether `trialID` is live (suggested and not yet told). O(1).
    public func isLive(_ trialID: String) -> Bool { liveIDs.contains(trialID) }

    /// A suggestion for a new trial, or nil while `maxConcurrent` are unfinished.
    /// Nil too when the searcher holds back or has finished (then ``finished`` is true).
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion? {
        guard hasCapacity, !finished else { return nil }
        switch try searcher.propose(trialID: trialID) {
        case .suggestion(let s):
            liveIDs.append(trialID)
            return s
        case .notNow:
            return nil
        case .finished:
            finished = true
            return nil
        }
    }

    /// Passes an intermediate result of a live trial to a searcher that hears them (Ray's
    /// `on_trial_result`, which the limiter forwards for its live trials).
    public mutating func observe(trialID: String, _ result: Metrics) throws(SearchError) {
        guard searcher.observesResults, liveIDs.contains(trialID) else { return }
        try searcher.observe(trialID: trialID, result)
    }

    /// Records a trial evaluated elsewhere in the wrapped searcher (Ray's `add_evaluated_point`,
    /// which Ray's `ConcurrencyLimiter` forwards): it takes no slot.
    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        try searcher.addEvaluated(trialID: trialID, configuration: configuration, outcome)
    }

    /// Reports how a trial ended; unknown trials are ignored, as in Ray. O(1) amortized (O(held) with `batch`).
    public mutating func tell(trialID: String, _ outcome: TrialOutcome, errored: Bool = false,
                              groupMean: Double? = nil) throws(SearchError) {
        guard liveIDs.contains(trialID) else { return }
        if batch {
            guard !held.contains(where: { $0.id == trialID }) else { throw .trialAlreadyFinished(trialID) }
            held.append((trialID, outcome, errored, groupMean))
            guard held.count == liveIDs.count else { return }
            for h in held { try searcher.tell(trialID: h.id, h.outcome, errored: h.errored, groupMean: h.groupMean) }
            held = []
            liveIDs.removeAll()
        } else {
            try searcher.tell(trialID: trialID, outcome, errored: errored, groupMean: groupMean)
            liveIDs.remove(trialID)
        }
    }

    /// Gives the front end's searcher callback to the wrapped searcher (``Searcher/attach(_:)``).
    public mutating func attach(_ callback: @escaping SearcherCallback) { searcher.attach(callback) }

    /// Ray's `ConcurrencyLimiter.on_pause`: the searcher hears it.
    public mutating func onTrialPause(_ trialID: String) { searcher.onTrialPause(trialID) }

    /// Ray's `ConcurrencyLimiter.on_unpause`: the searcher hears it.
    public mutating func onTrialUnpause(_ trialID: String) { searcher.onTrialUnpause(trialID) }

    /// The limiter's state (options, live trials, held outcomes) with the wrapped searcher's.
    public func saveState() -> JSONValue {
        .object(ownState + [("searcher", searcher.saveState())])
    }

    /// The limiter's own members of ``saveState()``: all but the searcher's. O(live trials).
    public var ownState: [(String, JSONValue)] {
        [("limiter", 1), ("max_concurrent", .int(Int64(maxConcurrent))), ("batch", .bool(batch)),
         ("live", .array(live.map { .string($0) })),
         ("held", .array(held.map { h in
             .object([("id", .string(h.id)), ("outcome", h.outcome.json)] + (h.errored ? [("errored", true)] : [])
                     + (h.groupMean.map { [("group_mean", $0.isNaN ? .null : .double($0))] } ?? []))
         })),
         ("finished", .bool(finished))]
    }

    /// The wrapped searcher's ``Searcher/takeStateChanges()``.
    public mutating func takeSearcherChanges() -> [StatePatch.Op]? { searcher.takeStateChanges() }

    /// The wrapped searcher's ``Searcher/forgetStateChanges()``.
    public mutating func forgetSearcherChanges() { searcher.forgetStateChanges() }

    /// Restores a limiter, and the searcher it wraps, from ``saveState()``.
    /// - Throws: ``SearchError/invalidState(_:)`` for a malformed or inconsistent state.
    public init(restoring state: JSONValue) throws(SearchError) {
        guard state["limiter"]?.intValue == 1, let maxConcurrent = state["max_concurrent"]?.intValue,
              case .bool(let batch) = state["batch"], let live = state["live"]?.arrayValue,
              let held = state["held"]?.arrayValue, let searcher = state["searcher"]
        else { throw .invalidState("malformed concurrency limiter state") }
        try self.init(try restoreSearcher(searcher), maxConcurrent: Int(maxConcurrent), batch: batch)
        finished = state["finished"] == .bool(true)  // absent in states saved before front-end searchers
        for l in live {
            guard let id = l.stringValue else { throw .invalidState("malformed concurrency limiter state") }
            guard liveIDs.append(id) else { throw .invalidState("a trial is live twice in the concurrency limiter state") }
        }
        for h in held {
            guard let id = h["id"]?.stringValue, let o = h["outcome"] else { throw .invalidState("malformed concurrency limiter state") }
            guard liveIDs.contains(id), !self.held.contains(where: { $0.id == id }) else {
                throw .invalidState("held outcome of trial '\(id)', which is not a live trial (or held twice)")
            }
            let mean: Double? = h["group_mean"].map { $0.doubleValue ?? .nan }
            self.held.append((id, try TrialOutcome(json: o), h["errored"] == .bool(true), mean))
        }
        guard self.held.isEmpty || (batch && self.held.count < liveIDs.count) else {
            throw .invalidState("held outcomes in a limiter that is not batching, or a whole batch held")
        }
    }
}
