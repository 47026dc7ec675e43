/// The history a searcher keeps: every trial it suggested, in creation order, with its assignment
/// and how it ended; plus the points still to hand out first. Shared by the searchers.
struct TrialLog: Sendable, Equatable {
    enum State: Sendable, Equatable {
        case pending
        case completed(Double)  // the metric as told
        case completedWithoutMetric
        case failed
    }

    struct Record: Sendable, Equatable {
        var id: String
        var values: [Double]  // by parameter index; NaN where inactive
        var state: State
    }

    private(set) var records: [Record] = []
    private var indexByID: [String: Int] = [:]
    /// Points (by value) still to be handed out before the searcher's own suggestions.
    var points: [JSONValue] = []
    /// Ray's `constant_grid_search`: the first `blocked` points come in blocks of `block` (a grid's
    /// combinations) whose left-out parameters are drawn once per block; 0 is no blocks.
    var block = 0
    var blocked = 0
    /// How many points were handed out.
    var pointsHanded = 0
    /// What the state journal last saw: how many records and handed points, and the earlier
    /// records whose outcome came since (``takeChanges(space:)``).
    private var seen = JournalSeen()

    /// The journal's marks; equal whatever they hold (a restored log equals the one saved).
    private struct JournalSeen: Sendable, Equatable {
        var records = 0
        var handed = 0
        var finished: [Int] = []
        static func == (_: JournalSeen, _: JournalSeen) -> Bool { true }
    }

    /// How many suggestions were made: the stream number of the next suggestion's generator.
    var count: Int { records.count }

    func contains(_ id: String) -> Bool { indexByID[id] != nil }

    /// The record of trial `id`, if it has one. O(1).
    func record(_ id: String) -> Record? { indexByID[id].map { records[$0] } }

    mutating func append(_ id: String, _ values: [Double]) {
        indexByID[id] = records.count
        records.append(Record(id: id, values: values, state: .pending))
    }

    mutating func finish(_ id: String, _ outcome: TrialOutcome) throws(SearchError) {
        guard let i = indexByID[id] else { throw .unknownTrial(id) }
        guard records[i].state == .pending else { throw .trialAlreadyFinished(id) }
        switch outcome {
        case .completed(let v): records[i].state = v.isNaN ? .failed : .completed(v)
        case .completedWithoutMetric: records[i].state = .completedWithoutMetric
        case .failed: records[i].state = .failed
        }
        if i < seen.records { seen.finished.append(i) }
    }

    /// The next suggestion: the next given point if any is left (parameters it leaves out drawn
    /// from the prior), otherwise `propose`, which sees the log as it is before this trial.
    /// Validates the id first; changes nothing on error.
    ///
    /// `propose` must not keep the log: the new trial is appended after it returns, and a log
    /// still referenced then would be copied whole.
    mutating func suggest(_ id: String, space: SearchSpace, seed: UInt64,
                          propose: (TrialLog, inout Xoshiro256) -> (values: [Double], configuration: JSONValue)) throws(SearchError) -> Suggestion {
        guard !contains(id) else { throw .duplicateTrial(id) }
        var rng = Xoshiro256(seed: seed, stream: UInt64(count))
        let made: (values: [Double], configuration: JSONValue)
        if let point = points.first {
            let values: [Double]
            // In a block, every point draws what it leaves out from the block's own stream (beyond
            // the trials' streams), so the block's points share those values.
            var fill = block > 0 && pointsHanded < blocked
                ? Xoshiro256(seed: seed, stream: (1 << 40) + UInt64(pointsHanded / block)) : rng
            do {
                values = try space.match(point, fillMissing: { i in space.drawPrior(i, &fill) })
            } catch {
                throw .space(error)
            }
            made = space.build { values[$0] }
            points.removeFirst()
            pointsHanded += 1
        } else {
            made = propose(self, &rng)
        }
        append(id, made.values)
        var assignment: [String: Double] = [:]
        for (i, v) in made.values.enumerated() where !v.isNaN { assignment[space.parameters[i].label] = v }
        return Suggestion(trialID: id, configuration: made.configuration, assignment: assignment)
    }

    /// Records a trial that was evaluated elsewhere (Ray's `add_evaluated_point`), given by value.
    mutating func addEvaluated(_ id: String, _ configuration: JSONValue, _ outcome: TrialOutcome, space: SearchSpace) throws(SearchError) {
        guard !contains(id) else { throw .duplicateTrial(id) }
        let values: [Double]
        do { values = try space.match(configuration, fillMissing: nil) } catch { throw .space(error) }
        append(id, values)
        try finish(id, outcome)
    }

    // MARK: saved state

    /// What changed in the searcher's saved `trials` and `points_to_evaluate` (and Ray's
    /// constant grid's count, when `grid`) since the last call or ``forgetChanges()``. O(changes).
    mutating func takeChanges(space: SearchSpace, grid: Bool = false) -> [StatePatch.Op] {
        var ops: [StatePatch.Op] = []
        for i in Set(seen.finished).sorted() {
            ops.append(.set([.key("trials"), .index(i)], Self.json(records[i], space: space)))
        }
        if records.count > seen.records {
            ops.append(.splice([.key("trials")], keep: seen.records, records[seen.records...].map { Self.json($0, space: space) }))
        }
        if pointsHanded > seen.handed {
            ops.append(.dropFirst([.key("points_to_evaluate")], pointsHanded - seen.handed))
            if grid && block > 0 { ops.append(.merge([.key("constant_grid")], [("handed", .int(Int64(pointsHanded)))])) }
        }
        forgetChanges()
        return ops
    }

    /// The state was saved whole: later ``takeChanges(space:grid:)`` calls patch it.
    mutating func forgetChanges() {
        seen.records = records.count
        seen.handed = pointsHanded
        seen.finished.removeAll(keepingCapacity: true)
    }

    static func json(_ r: Record, space: SearchSpace) -> JSONValue {
        var assignment: [(String, JSONValue)] = []
        for (i, v) in r.values.enumerated() where !v.isNaN {
            assignment.append((space.parameters[i].label, .double(v)))
        }
        var m: [(String, JSONValue)] = [("id", .string(r.id)), ("assignment", .object(assignment))]
        switch r.state {
        case .pending: m.append(("state", "pending"))
        case .completed(let v): m.append(("state", "completed")); m.append(("metric", .double(v)))
        case .completedWithoutMetric: m.append(("state", "completed_without_metric"))
        case .failed: m.append(("state", "failed"))
        }
        return .object(m)
    }

    func json(space: SearchSpace) -> JSONValue {
        .array(records.map { Self.json($0, space: space) })
    }

    init() {}

    init(json: JSONValue, points: JSONValue?, space: SearchSpace) throws(SearchError) {
        guard let items = json.arrayValue else { throw .invalidState("'trials' must be an array") }
        for (n, item) in items.enumerated() {
            guard let id = item["id"]?.stringValue else { throw .invalidState("trial \(n) has no string 'id'") }
            guard !contains(id) else { throw .invalidState("trial '\(id)' appears twice") }
            guard let a = item["assignment"]?.objectValue else { throw .invalidState("trial '\(id)' has no 'assignment' object") }
            var byLabel: [String: Double] = [:]
            for (label, v) in a {
                guard let x = v.doubleValue else { throw .invalidState("trial '\(id)': '\(label)' is not a number") }
                byLabel[label] = x
            }
            var values = Array(repeating: Double.nan, count: space.parameters.count)
            do {
                // Valid values for exactly the active parameters.
                let active = try space.assignment(of: space.configuration(for: byLabel))
                if let extra = byLabel.keys.sorted().first(where: { active[$0] == nil }) {
                    throw SearchError.invalidState("trial '\(id)': '\(extra)' is not active in this assignment")
                }
            } catch let e as SearchError {
                throw e
            } catch {
                throw .invalidState("trial '\(id)': \(error)")
            }
            for (label, x) in byLabel {
                guard let i = space.index(of: label) else { throw .invalidState("trial '\(id)': unknown parameter '\(label)'") }
                values[i] = x
            }
            append(id, values)
            switch item["state"]?.stringValue {
            case "pending": break
            case "completed":
                guard let v = item["metric"]?.doubleValue else { throw .invalidState("trial '\(id)' is completed without a 'metric'") }
                records[records.count - 1].state = v.isNaN ? .failed : .completed(v)  // as `finish` records it
            case "completed_without_metric": records[records.count - 1].state = .completedWithoutMetric
            case "failed": records[records.count - 1].state = .failed
            default: throw .invalidState("trial '\(id)' has an unknown 'state'")
            }
        }
        if let points {
            guard let p = points.arrayValue else { throw .invalidState("'points_to_evaluate' must be an array") }
            do { self.points = try validatedPoints(p, space) } catch { throw .invalidState("\(error)") }
        }
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
