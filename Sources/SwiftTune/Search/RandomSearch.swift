/// Random search: every suggestion is an independent draw from the space's priors (after the
/// given points to evaluate), each distribution drawn the way its own library draws it.
public struct RandomSearch: Searcher {
    public let space: SearchSpace
    public let mode: Mode
    public let seed: UInt64
    var log: TrialLog

    /// - Parameters:
    ///   - pointsToEvaluate: configurations (by value, as in Ray) to hand out first, in order;
    ///     parameters a point leaves out are drawn at random.
    ///   - seed: the same seed, space and calls give the same suggestions on every machine.
    public init(space: SearchSpace, mode: Mode = .min, pointsToEvaluate: [JSONValue] = [], seed: UInt64 = 0) throws(SearchError) {
        self.space = space
        self.mode = mode
        self.seed = seed
        log = TrialLog()
        log.points = try validatedPoints(pointsToEvaluate, space)
    }

    /// Restores a searcher from ``saveState()``.
    public init(restoring state: JSONValue) throws(SearchError) {
        let saved = try SavedState(state, searcher: "random")
        space = saved.space
        mode = saved.mode
        seed = saved.seed
        log = saved.log
    }

    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        let space = self.space
        return try log.suggest(trialID, space: space, seed: seed) { _, rng in space.sample(&rng) }
    }

    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try log.finish(trialID, outcome)
    }

    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        try log.addEvaluated(trialID, configuration, outcome, space: space)
    }

    public func saveState() -> JSONValue {
        .object(SavedState.header(searcher: "random", space: space, mode: mode, seed: seed)
            + [("points_to_evaluate", .array(log.points)), ("trials", log.json(space: space))])
    }
}

/// Checks that every point fits the space (parameters may be left out).
func validatedPoints(_ points: [JSONValue], _ space: SearchSpace) throws(SearchError) -> [JSONValue] {
    for (n, p) in points.enumerated() {
        do {
            _ = try space.match(p, fillMissing: { _ in 0 })
        } catch {
            throw .invalidOption("points_to_evaluate[\(n)]: \(error)")
        }
    }
    return points
}
