/// Ray Tune's `Repeater`: each configuration of the wrapped searcher runs `repeatCount` times (as
/// trials of one group, each with its index in the group as `__trial_index__` when `setIndex`);
/// the searcher hears of the group's first ("primary") trial only, once every trial of the group
/// has ended, with the mean of the group's metric values (missing ones left out, Ray's `nanmean`).
/// The searcher sits behind a concurrency limiter of its own (unbounded unless Ray's
/// `Repeater(ConcurrencyLimiter(...))`), which counts groups.
public struct Repeater: Searcher {
    /// The key of a trial's index in its group (Ray's `TRIAL_INDEX`).
    public static let trialIndexKey = "__trial_index__"

    /// The wrapped searcher behind its own limiter.
    public private(set) var inner: ConcurrencyLimiter
    /// How many trials each configuration runs as.
    public let repeatCount: Int
    /// Whether configurations carry `__trial_index__`.
    public let setIndex: Bool

    /// One configuration's trials: who they are and the values they ended with.
    struct Group: Sendable, Equatable {
        var primary: String
        var configuration: JSONValue
        var assignment: [String: Double]
        var members: [String]
        /// Each ended trial's metric value (NaN: none); keyed by trial id.
        var scores: [String: Double] = [:]
    }
    /// Groups not yet told to the searcher, in creation order.
    var groups: [Group] = []
    /// The primary id of the group new trials join while it is not full.
    var current: String?

    /// - Throws: ``SearchError/invalidOption(_:)`` unless `repeatCount >= 1`.
    public init(_ inner: ConcurrencyLimiter, repeatCount: Int = 1, setIndex: Bool = true) throws(SearchError) {
        guard repeatCount >= 1 else { throw .invalidOption("repeat must be a positive integer, got \(repeatCount)") }
        self.inner = inner
        self.repeatCount = repeatCount
        self.setIndex = setIndex
    }

    /// The wrapped searcher's space.
    public var space: SearchSpace { inner.searcher.space }
    /// The wrapped searcher's mode.
    public var mode: Mode { inner.searcher.mode }
    /// The wrapped searcher's need of a metric.
    public var metricUser: String? { inner.searcher.metricUser }

    func groupIndex(_ trialID: String) -> Int? { groups.firstIndex { $0.members.contains(trialID) } }

    /// A new trial of the current group, or the first of a new one (the searcher's suggestion).
    public mutating func propose(trialID: String) throws(SearchError) -> Proposal {
        guard groupIndex(trialID) == nil else { throw .duplicateTrial(trialID) }
        let g: Int
        if let current, let i = groups.firstIndex(where: { $0.primary == current }), groups[i].members.count < repeatCount {
            groups[i].members.append(trialID)
            g = i
        } else {
            guard let s = try inner.suggest(trialID: trialID) else { return inner.finished ? .finished : .notNow }
            groups.append(Group(primary: trialID, configuration: s.configuration, assignment: s.assignment, members: [trialID]))
            current = trialID
            g = groups.count - 1
        }
        var configuration = groups[g].configuration
        if setIndex, var members = configuration.objectValue {
            members.removeAll { $0.0 == Self.trialIndexKey }
            members.append((Self.trialIndexKey, .int(Int64(groups[g].members.count - 1))))
            configuration = .object(members)
        }
        return .suggestion(Suggestion(trialID: trialID, configuration: configuration, assignment: groups[g].assignment))
    }

    /// ``propose(trialID:)``; a hold-back or the end of the search is an error here.
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        guard case .suggestion(let s) = try propose(trialID: trialID) else {
            throw .invalidOption("the repeater's searcher has no suggestion for trial '\(trialID)'")
        }
        return s
    }

    /// ``tell(trialID:_:errored:)`` of a trial that did not fail.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try tell(trialID: trialID, outcome, errored: false, groupMean: nil)
    }

    /// Records the trial's metric value; once its group is complete, tells the searcher the mean
    /// for the primary trial (a group whose last trial failed is told as failed, as Ray passes
    /// that trial's `error`).
    public mutating func tell(trialID: String, _ outcome: TrialOutcome, errored: Bool, groupMean: Double?) throws(SearchError) {
        guard let g = groupIndex(trialID) else { throw .unknownTrial(trialID) }
        guard groups[g].scores[trialID] == nil else { throw .trialAlreadyFinished(trialID) }
        if case .completed(let v) = outcome { groups[g].scores[trialID] = v } else { groups[g].scores[trialID] = .nan }
        let group = groups[g]
        guard group.members.count == repeatCount, group.scores.count == repeatCount else { return }
        let values = group.scores.values.filter { !$0.isNaN }
        let mean = values.isEmpty ? Double.nan : values.reduce(0, +) / Double(values.count)
        groups.remove(at: g)
        if current == group.primary { current = nil }
        try inner.tell(trialID: group.primary, errored ? .failed : .completed(mean), errored: errored, groupMean: mean)
    }

    /// Gives the front end's searcher callback to the searcher it wraps.
    public mutating func attach(_ callback: @escaping SearcherCallback) { inner.attach(callback) }

    /// Ray's `Repeater` has no `add_evaluated_point`.
    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        throw .invalidOption("a Repeater takes no evaluated points: add them to the searcher it wraps")
    }

    /// The options, the open groups and the wrapped searcher's state.
    public func saveState() -> JSONValue {
        let open: [JSONValue] = groups.map { g in
            .object([("primary", .string(g.primary)), ("configuration", g.configuration),
                     ("assignment", .object(g.assignment.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })),
                     ("members", .array(g.members.map { .string($0) })),
                     ("scores", .object(g.members.compactMap { m in g.scores[m].map { (m, $0.isNaN ? .null : .double($0)) } }))])
        }
        return .object([("searcher", "repeater"), ("version", 1), ("repeat", .int(Int64(repeatCount))),
                        ("set_index", .bool(setIndex)), ("current", current.map { .string($0) } ?? .null),
                        ("groups", .array(open)), ("inner", inner.saveState())])
    }

    /// Restores a repeater from ``saveState()``.
    /// - Throws: ``SearchError/invalidState(_:)`` for a malformed state.
    public init(restoring state: JSONValue) throws(SearchError) {
        guard state["searcher"]?.stringValue == "repeater", state["version"]?.intValue == 1,
              let n = state["repeat"]?.intValue, n >= 1, n <= Int64(Int32.max), case .bool(let setIndex) = state["set_index"],
              let open = state["groups"]?.arrayValue, let innerState = state["inner"]
        else { throw .invalidState("malformed repeater state") }
        try self.init(try ConcurrencyLimiter(restoring: innerState), repeatCount: Int(n), setIndex: setIndex)
        current = state["current"]?.stringValue
        for item in open {
            guard let primary = item["primary"]?.stringValue, let configuration = item["configuration"],
                  let assignment = item["assignment"]?.objectValue, let members = item["members"]?.arrayValue,
                  let scores = item["scores"]?.objectValue
            else { throw .invalidState("malformed repeater group") }
            var g = Group(primary: primary, configuration: configuration, assignment: [:], members: [])
            for (k, v) in assignment {
                guard let d = v.doubleValue else { throw .invalidState("malformed repeater group") }
                g.assignment[k] = d
            }
            for m in members {
                guard let id = m.stringValue else { throw .invalidState("malformed repeater group") }
                g.members.append(id)
            }
            for (k, v) in scores {
                guard g.members.contains(k) else { throw .invalidState("a score of trial '\(k)', which is not in its group") }
                if v == .null { g.scores[k] = .nan } else if let d = v.doubleValue { g.scores[k] = d } else {
                    throw .invalidState("malformed repeater group")
                }
            }
            guard !g.members.isEmpty, g.members.count <= repeatCount, g.members.first == primary else {
                throw .invalidState("malformed repeater group")
            }
            groups.append(g)
        }
    }
}
