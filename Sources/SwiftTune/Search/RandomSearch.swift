/// Random search: every suggestion is an independent draw from the space's priors (after the
/// given points to evaluate), each distribution drawn the way its own library draws it.
public struct RandomSearch: Searcher {
    /// The space the searcher draws from.
    public let space: SearchSpace
    /// Whether the metric is minimised or maximised (random search does not use it).
    public let mode: Mode
    /// The seed of every random draw (each trial draws from its own stream of it, numbered by
    /// the trial's place in creation order).
    public let seed: UInt64
    /// Every trial suggested or added, and the points still to hand out.
    var log: TrialLog

    /// - Parameters:
    ///   - pointsToEvaluate: configurations (by value, as in Ray) to hand out first, in order;
    ///     parameters a point leaves out are drawn at random.
    ///   - seed: the same seed, space and calls give the same suggestions on every machine.
    ///   - constantGridBlock: Ray's `constant_grid_search`: the first `constantGridPoints` points
    ///     come in blocks of this many (a grid's combinations), and the parameters they leave out
    ///     are drawn once per block, the same for each of its points (0: every point draws its own).
    public init(space: SearchSpace, mode: Mode = .min, pointsToEvaluate: [JSONValue] = [], seed: UInt64 = 0,
                constantGridBlock: Int = 0, constantGridPoints: Int = 0) throws(SearchError) {
        guard constantGridBlock >= 0, constantGridPoints >= 0 else {
            throw .invalidOption("constant grid blocks must be >= 0, got \(constantGridBlock) and \(constantGridPoints)")
        }
        self.space = space
        self.mode = mode
        self.seed = seed
        log = TrialLog()
        log.points = try validatedPoints(pointsToEvaluate, space)
        log.block = constantGridBlock
        log.blocked = constantGridPoints
    }

    /// Restores a searcher from ``saveState()``.
    public init(restoring state: JSONValue) throws(SearchError) {
        let saved = try SavedState(state, searcher: "random")
        space = saved.space
        mode = saved.mode
        seed = saved.seed
        log = saved.log
        if let g = state["constant_grid"] {
            guard let b = g["block"]?.intValue, let n = g["points"]?.intValue, let h = g["handed"]?.intValue,
                  b >= 0, n >= 0, h >= 0 else { throw .invalidState("malformed 'constant_grid'") }
            log.block = Int(b)
            log.blocked = Int(n)
            log.pointsHanded = Int(h)
        }
    }

    /// The next trial's configuration: the next point to evaluate if any is left, otherwise a
    /// draw from the space. O(P) for P parameters.
    /// - Throws: ``SearchError/duplicateTrial(_:)`` for an id already used.
    public mutating func suggest(trialID: String) throws(SearchError) -> Suggestion {
        let space = self.space
        return try log.suggest(trialID, space: space, seed: seed) { _, rng in space.sample(&rng) }
    }

    /// Reports how a suggested trial ended (kept for the saved state). O(1).
    /// - Throws: ``SearchError/unknownTrial(_:)`` or ``SearchError/trialAlreadyFinished(_:)``.
    public mutating func tell(trialID: String, _ outcome: TrialOutcome) throws(SearchError) {
        try log.finish(trialID, outcome)
    }

    /// Records a trial evaluated elsewhere (Ray's `add_evaluated_point`), by value.
    public mutating func addEvaluated(trialID: String, configuration: JSONValue, _ outcome: TrialOutcome) throws(SearchError) {
        try log.addEvaluated(trialID, configuration, outcome, space: space)
    }

    /// What changed in ``saveState()`` since the last call: trials added or finished, points
    /// handed out. O(changes).
    public mutating func takeStateChanges() -> [StatePatch.Op]? { log.takeChanges(space: space, grid: true) }

    /// The state was saved whole: later ``takeStateChanges()`` calls patch it.
    public mutating func forgetStateChanges() { log.forgetChanges() }

    /// The searcher's whole state as JSON: space, mode, seed, the points still to hand out, and
    /// every trial. O(N) for N trials.
    public func saveState() -> JSONValue {
        var grid: [(String, JSONValue)] = []
        if log.block > 0 {
            grid = [("constant_grid", .object([("block", .int(Int64(log.block))), ("points", .int(Int64(log.blocked))),
                                               ("handed", .int(Int64(log.pointsHanded)))]))]
        }
        return .object(SavedState.header(searcher: "random", space: space, mode: mode, seed: seed)
            + [("points_to_evaluate", .array(log.points)), ("trials", log.json(space: space))] + grid)
    }
}
