/// Ray Tune's `ConcurrencyLimiter`: at most `maxConcurrent` suggestions of the wrapped searcher
/// unfinished at once. With `batch`, outcomes are held back and told to the searcher only when
/// every trial of the current batch has finished (so the searcher learns from whole batches), and
/// the batch's slots stay taken until then.
public struct ConcurrencyLimiter: Sendable {
    public private(set) var searcher: any Searcher
    public let maxConcurrent: Int
    public let batch: Bool
    /// Trials suggested and not yet told to the searcher, in suggestion order.
    public private(set) var live: [String] = []
    /// Finished trials of the current batch, waiting for the rest of it.
    var held: [(id: String, outcome: TrialOutcome)] = []

    /// - Throws: ``SearchError/invalidOption(_:)`` unless `maxConcurrent > 0`.
    public init(_ searcher: any Searcher, maxConcurrent: Int, batch: Bool = false) throws(SearchError) {
        guard maxConcurrent > 0 else { throw .invalidOption("max_concurrent must be a positive integer, got \(maxConcurrent)") }
        self.searcher = searcher
        self.maxConcurrent = maxConcurrent
        self.batch = batch
    }

    /// Whether a new suggestion may be made now.
    public var hasCapacity: Bool { live.count < maxConcurrent }

    /// A suggestion for a new trial, or nil while `maxConcurrent` are unfinished.
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion? {
        guard hasCapacity else { return nil }
        let s = try searcher.suggest(trialID: trialID)
        live.append(trialID)
        return s
    }

    /// Reports how a trial ended; unknown trials are ignored, as in Ray.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        guard live.contains(trialID) else { return }
        if batch {
            guard !held.contains(where: { $0.id == trialID }) else { throw .trialAlreadyFinished(trialID) }
            held.append((trialID, outcome))
            guard held.count == live.count else { return }
            for h in held { try searcher.tell(trialID: h.id, h.outcome) }
            held = []
            live = []
        } else {
            try searcher.tell(trialID: trialID, outcome)
            live.removeAll { $0 == trialID }
        }
    }

    public func saveState() -> JSONValue {
        .object([("limiter", 1), ("max_concurrent", .int(Int64(maxConcurrent))), ("batch", .bool(batch)),
                 ("live", .array(live.map { .string($0) })),
                 ("held", .array(held.map { h in .object([("id", .string(h.id)), ("outcome", h.outcome.json)]) })),
                 ("searcher", searcher.saveState())])
    }

    public init(restoring state: JSONValue) throws(SearchError) {
        guard state["limiter"]?.intValue == 1, let maxConcurrent = state["max_concurrent"]?.intValue,
              case .bool(let batch) = state["batch"], let live = state["live"]?.arrayValue,
              let held = state["held"]?.arrayValue, let searcher = state["searcher"]
        else { throw .invalidState("malformed concurrency limiter state") }
        try self.init(try restoreSearcher(searcher), maxConcurrent: Int(maxConcurrent), batch: batch)
        for l in live {
            guard let id = l.stringValue else { throw .invalidState("malformed concurrency limiter state") }
            self.live.append(id)
        }
        guard Set(self.live).count == self.live.count else { throw .invalidState("a trial is live twice in the concurrency limiter state") }
        for h in held {
            guard let id = h["id"]?.stringValue, let o = h["outcome"] else { throw .invalidState("malformed concurrency limiter state") }
            guard self.live.contains(id), !self.held.contains(where: { $0.id == id }) else {
                throw .invalidState("held outcome of trial '\(id)', which is not a live trial (or held twice)")
            }
            self.held.append((id, try TrialOutcome(json: o)))
        }
        guard self.held.isEmpty || (batch && self.held.count < self.live.count) else {
            throw .invalidState("held outcomes in a limiter that is not batching, or a whole batch held")
        }
    }
}

/// Restores any of swifttune's searchers from its saved state.
public func restoreSearcher(_ state: JSONValue) throws(SearchError) -> any Searcher {
    switch state["searcher"]?.stringValue {
    case "tpe": return try TPESearch(restoring: state)
    case "random": return try RandomSearch(restoring: state)
    default: throw .invalidState("unknown searcher state '\(state["searcher"]?.stringValue ?? "none")'")
    }
}

extension TrialOutcome {
    var json: JSONValue {
        switch self {
        case .completed(let v): return ["completed": .double(v)]
        case .completedWithoutMetric: return "completed_without_metric"
        case .failed: return "failed"
        }
    }

    init(json: JSONValue) throws(SearchError) {
        if let v = json["completed"]?.doubleValue { self = .completed(v); return }
        switch json.stringValue {
        case "completed_without_metric": self = .completedWithoutMetric
        case "failed": self = .failed
        default: throw .invalidState("malformed trial outcome \(json)")
        }
    }
}
