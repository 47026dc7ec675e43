/// A trial's status, with Ray Tune's names.
public enum TrialStatus: String, Sendable, Equatable, CaseIterable {
    /// Waiting to run: new, or retried after a failure, or restored.
    case pending = "PENDING"
    /// Running.
    case running = "RUNNING"
    /// Stopped for now by a scheduler; it runs again later.
    case paused = "PAUSED"
    /// Ended: completed, or stopped early.
    case terminated = "TERMINATED"
    /// Failed with no retry left.
    case error = "ERROR"
}

/// How a trial's run ended, as the front end that ran it tells the engine.
public enum TrialEnd: Sendable, Equatable {
    /// The objective returned.
    case completed
    /// The objective stopped because a report was answered `.stop` or `.pause`.
    case stopped
    /// The objective raised, or its worker died.
    case failed(String)
}

/// Everything the engine knows about one trial.
public struct TrialRecord: Sendable, Equatable {
    /// The trial's id (`trial_00000`, ...).
    public let id: String
    /// The configuration the objective receives; a scheduler may change it (Population Based
    /// Training's exploit, ``TrialRequest``): the next run of the trial gets the new one.
    public internal(set) var configuration: JSONValue
    /// The configuration the trial was created with, when a scheduler changed it since (nil: unchanged).
    public internal(set) var initialConfiguration: JSONValue?
    /// The trial's status.
    public internal(set) var status: TrialStatus
    /// The trial's place in creation order (0, 1, ...): front ends number trials by it (Ray's
    /// trial names end in it) and never parse `id`.
    public internal(set) var number: Int = 0
    /// Every reported result, in order (each with `training_iteration` and `time_total_s`).
    public internal(set) var results: [Metrics] = []
    {
        didSet { if results.count < resultsKept { resultsKept = results.count } }
    }
    /// How many of `results` are unchanged since the state journal last looked (``TrialTable``):
    /// results are only appended or dropped from the end, so these are a prefix of both.
    var resultsKept = Int.max
    /// The failure message of an ERROR trial.
    public internal(set) var errorMessage: String?
    /// Whether a scheduler or stop criterion ended the trial before its objective returned.
    public internal(set) var stoppedEarly = false
    /// How many runs of the trial failed (each retried while `maxFailures` allows).
    public internal(set) var numFailures = 0
    /// The front end's name for the trial's latest checkpoint, reported with a result.
    public internal(set) var checkpoint: String?
    /// The trial whose checkpoint ``checkpoint`` is, when it is another trial's (Population Based
    /// Training's exploit clones one); nil for the trial's own. Front ends look the name up there.
    public internal(set) var checkpointOwner: String?
    /// How many of `results` the latest checkpoint covers (0 without one): a trial resuming
    /// from it keeps these and reports the rest again.
    public internal(set) var checkpointResults = 0
    /// The trainable's iteration count (Ray's `Trainable._iteration`): one more with every result,
    /// back to ``checkpointIteration`` when a run resumes from the latest checkpoint (a retry, a
    /// pause, a restore), so a resumed run's results count on from the checkpoint's, as in Ray.
    var iteration = 0
    /// The `training_iteration` of the result the latest checkpoint was saved with (0 without one).
    var checkpointIteration = 0
    /// The `time_total_s` of the result the latest checkpoint was saved with (0 without one).
    var checkpointTime = 0.0
    /// The checkpoint a scheduler asked to keep (``TrialRequest/save(_:)``, ``TrialRequest/keepLatest(_:)``),
    /// which other trials may clone.
    var kept: KeptCheckpoint?
    /// Whether the checkpoint a scheduler asked to keep is still being saved (a front end that
    /// saves on demand, ``ExperimentConfig/savesOnDemand``).
    var keepPending = false
    /// A clone whose kept checkpoint this trial takes once its save ends (an exploit that came
    /// first); the trial does not start before.
    var exploitFrom: String?
    /// Whether the current run ended by an exploit: it pauses without saving a checkpoint of its own.
    var exploited = false
    /// Whether the front end is asked to save a checkpoint with the latest result (a scheduler's
    /// ``TrialRequest/save(_:)``).
    var saveAsked = false
    /// Whether the searcher was told the trial's outcome (a resumed ERROR trial was).
    var searcherTold = false
    /// Seconds of running time before the current run (a paused or restored trial runs again).
    var timeBefore = 0.0
    /// When the current run started, on the engine's clock.
    var runStart = 0.0
    /// The decision that ends the current run, once a report got one.
    var decision: SchedulerDecision?
    /// The GPUs (device indices) the current run holds (``TrialResources``); empty when not running.
    public internal(set) var gpuIDs: [Int] = []

    /// Records are equal when what they say about the trial is (the engine's run bookkeeping aside).
    public static func == (a: TrialRecord, b: TrialRecord) -> Bool {
        a.id == b.id && a.number == b.number && a.configuration == b.configuration && a.status == b.status && a.results == b.results
            && a.errorMessage == b.errorMessage && a.stoppedEarly == b.stoppedEarly && a.numFailures == b.numFailures
            && a.checkpoint == b.checkpoint && a.checkpointResults == b.checkpointResults
            && a.checkpointOwner == b.checkpointOwner && a.initialConfiguration == b.initialConfiguration
    }

    /// Gives the trial a new configuration (kept from its next run on), remembering the first.
    mutating func configure(_ newConfiguration: JSONValue) {
        if initialConfiguration == nil && newConfiguration != configuration { initialConfiguration = configuration }
        configuration = newConfiguration
    }

    /// The latest checkpoint as another trial would take it.
    var latestKept: KeptCheckpoint? {
        checkpoint.map { KeptCheckpoint(name: $0, owner: checkpointOwner ?? id, iteration: checkpointIteration, time: checkpointTime) }
    }

    /// Makes `kept` (another trial's, or this trial's own) the latest checkpoint, covering every
    /// result recorded so far: the next run resumes from its iteration and running time.
    mutating func adopt(_ kept: KeptCheckpoint) {
        checkpoint = kept.name
        checkpointOwner = kept.owner == id ? nil : kept.owner
        checkpointIteration = kept.iteration
        checkpointTime = kept.time
        checkpointResults = results.count
    }

    /// Drops the results after the latest checkpoint (all of them without one), for a run that
    /// resumes from it; the running time goes back to the checkpoint's.
    mutating func rewindToCheckpoint() {
        if results.count > checkpointResults { results.removeLast(results.count - checkpointResults) }
        timeBefore = checkpoint == nil ? 0 : checkpointTime
        iteration = checkpointIteration
        decision = nil
    }

    /// After a pause: the next run resumes from the latest checkpoint (Ray restores the trainable
    /// from it), so the iteration count and running time go back to the checkpoint's; the results
    /// after it stay recorded (Ray's result files keep them, and the resumed run reports those
    /// iterations again).
    mutating func resumeFromCheckpoint() {
        iteration = checkpointIteration
        timeBefore = checkpoint == nil ? 0 : checkpointTime
    }

    /// Makes the latest result's checkpoint the trial's latest.
    mutating func checkpointed(_ name: String) {
        checkpointed(name, time: results.last?["time_total_s"], iteration: results.last?["training_iteration"])
    }

    /// ``checkpointed(_:)`` when the caller has the latest result's `time_total_s` and
    /// `training_iteration` at hand.
    mutating func checkpointed(_ name: String, time: Double?, iteration reported: Double?) {
        checkpoint = name
        checkpointOwner = nil
        checkpointTime = time ?? 0
        checkpointResults = results.count
        checkpointIteration = reported.flatMap { $0.isFinite && abs($0) < 1e15 ? Int($0) : nil } ?? iteration
    }

    /// The latest result.
    public var lastResult: Metrics? { results.last }
    /// How many results were reported.
    public var numReports: Int { results.count }

    /// The best value of `metric` over the trial's results (NaN ignored), in the direction of `mode`.
    public func bestValue(of metric: String, mode: Mode) -> Double? {
        let values = results.compactMap { $0[metric] }.filter { !$0.isNaN }
        return mode == .min ? values.min() : values.max()
    }

    /// Ray's per-trial score for `get_best_result(scope:)`.
    func score(_ metric: String, _ mode: Mode, _ scope: ResultScope) -> Double? {
        let values = results.compactMap { $0[metric] }
        guard let last = values.last else { return nil }
        func mean(_ xs: ArraySlice<Double>) -> Double { xs.reduce(0, +) / Double(xs.count) }
        switch scope {
        case .last: return last
        case .avg: return mean(values[...])
        case .last5Avg: return mean(values.suffix(5))
        case .last10Avg: return mean(values.suffix(10))
        case .all: return mode == .min ? values.min() : values.max()
        }
    }
}

extension TrialRecord {
    /// The trial as JSON: `{"id", "number", "status", "configuration", "results": [...], "last_result",
    /// "num_reports", "error", "stopped_early", "num_failures", "checkpoint", "checkpoint_trial",
    /// "initial_configuration", "gpu_ids"}` (results' keys sorted; "checkpoint_trial" the trial whose
    /// checkpoint "checkpoint" is when it is another's, else null; "initial_configuration" the
    /// configuration the trial was created with when a scheduler changed it, else null; "gpu_ids"
    /// the devices a running trial holds).
    public var json: JSONValue { json(withResults: true) }

    /// The trial as ``json`` has it, but with the number of its results (`"num_results"`) in place
    /// of `"results"`: what a front end needs to list trials, without the cost of every result.
    public var summaryJSON: JSONValue { json(withResults: false) }

    private func json(withResults: Bool) -> JSONValue {
        .object([("id", .string(id)), ("number", .int(Int64(number))), ("status", .string(status.rawValue)),
                 ("configuration", configuration),
                 withResults ? ("results", .array(results.map(Self.json))) : ("num_results", .int(Int64(results.count))),
                 ("last_result", lastResult.map(Self.json) ?? .null),
                 ("num_reports", .int(Int64(numReports))), ("error", errorMessage.map { .string($0) } ?? .null),
                 ("stopped_early", .bool(stoppedEarly)), ("num_failures", .int(Int64(numFailures))),
                 ("checkpoint", checkpoint.map { .string($0) } ?? .null),
                 ("checkpoint_trial", checkpointOwner.map { .string($0) } ?? .null),
                 ("initial_configuration", initialConfiguration ?? .null),
                 ("gpu_ids", .array(gpuIDs.map { .int(Int64($0)) }))])
    }

    static func json(_ m: Metrics) -> JSONValue {
        // One array, sorted in place (a result is written with every save of the state).
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(m.count)
        for (key, value) in m { members.append((key, .double(value))) }
        members.sort { $0.0 < $1.0 }
        return .object(members)
    }
}

/// A checkpoint a scheduler kept for other trials to clone (Population Based Training's
/// `last_checkpoint`): its front-end name, the trial it belongs to, and where a run resumed from
/// it starts counting (Ray restores the trainable's iteration and running time from it).
public struct KeptCheckpoint: Sendable, Equatable {
    /// The front end's name for the checkpoint.
    public var name: String
    /// The trial whose checkpoint it is.
    public var owner: String
    /// The `training_iteration` of the result it was saved with.
    public var iteration: Int
    /// The `time_total_s` of the result it was saved with.
    public var time: Double

    /// A kept checkpoint.
    public init(name: String, owner: String, iteration: Int, time: Double) {
        self.name = name
        self.owner = owner
        self.iteration = iteration
        self.time = time
    }

    var json: JSONValue {
        ["name": .string(name), "owner": .string(owner), "iteration": .int(Int64(iteration)), "time": .double(time)]
    }

    init?(json: JSONValue?) {
        guard let json, let name = json["name"]?.stringValue, let owner = json["owner"]?.stringValue,
              let iteration = json["iteration"]?.intValue, let time = json["time"]?.doubleValue else { return nil }
        self.init(name: name, owner: owner, iteration: Int(clamping: iteration), time: time)
    }
}

/// Which of a trial's results decide the best trial (Ray's `scope`).
public enum ResultScope: String, Sendable, CaseIterable {
    /// The last result.
    case last
    /// The mean of all results.
    case avg
    /// The mean of the last 5 results.
    case last5Avg = "last-5-avg"
    /// The mean of the last 10 results.
    case last10Avg = "last-10-avg"
    /// The best result (min or max by the mode).
    case all
}

extension Array where Element == TrialRecord {
    /// Ray's `get_best_trial`: the trial whose score under `scope` is best in the direction of
    /// `mode` (the first on ties); trials without the metric are skipped, and with
    /// `filterNaNAndInf` so are non-finite scores. A single trial is always the best.
    public func best(metric: String, mode: Mode, scope: ResultScope = .last, filterNaNAndInf: Bool = true) -> TrialRecord? {
        if count == 1 { return first }
        var best: (TrialRecord, Double)? = nil
        for t in self {
            guard let s = t.score(metric, mode, scope) else { continue }
            if filterNaNAndInf && !s.isFinite { continue }
            if let (_, b) = best {
                if (mode == .max && b < s) || (mode == .min && b > s) { best = (t, s) }
            } else {
                best = (t, s)
            }
        }
        return best?.0
    }
}
