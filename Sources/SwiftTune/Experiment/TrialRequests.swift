/// What a scheduler asks of trials' checkpoints and configurations (``TrialRequest``: Population
/// Based Training's saves and exploits), carried out by the engine, and the exploits' log.
extension ExperimentCore {
    /// Carries out the requests the scheduler made in its last hooks, in order. `reporting` is the
    /// trial whose result is being decided (its latest result is the one `save` keeps; an exploit
    /// of it pauses its run).
    mutating func applySchedulerRequests(reporting: String?) throws(ExperimentError) {
        while true {
            let requests = scheduler.takeTrialRequests()
            if requests.isEmpty { return }
            for request in requests {
                switch request {
                case .configure(let id, let configuration):
                    let i = try requestedIndex(id)
                    table[i].configure(configuration)
                case .save(let id):
                    let i = try requestedIndex(id)
                    let t = table[i]
                    if t.checkpoint != nil && t.checkpointOwner == nil && t.checkpointResults == t.results.count && !t.results.isEmpty {
                        try keep(i, t.latestKept)
                    } else if config.savesOnDemand && t.status == .running && t.decision == nil {
                        table[i].keepPending = true
                        table[i].saveAsked = true
                    } else {
                        try keep(i, nil)
                    }
                case .keepLatest(let id):
                    let i = try requestedIndex(id)
                    let t = table[i]
                    if config.savesOnDemand && t.status == .running && t.decision == .pause && t.checkpointResults < t.results.count {
                        table[i].keepPending = true  // Ray's pause is saving it
                    } else {
                        try keep(i, t.latestKept)
                    }
                case .exploit(let exploit):
                    try apply(exploit, reporting: reporting)
                }
            }
        }
    }

    func requestedIndex(_ id: String) throws(ExperimentError) -> Int {
        guard let i = indexByID[id] else { throw .schedule(ScheduleError("the scheduler asked about unknown trial '\(id)'")) }
        return i
    }

    /// Records the checkpoint kept of trial `i` (nil: none) and tells the scheduler; trials whose
    /// exploit waited for it take it.
    mutating func keep(_ i: Int, _ kept: KeptCheckpoint?) throws(ExperimentError) {
        table[i].kept = kept
        table[i].keepPending = false
        let id = table[i].id
        try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.onCheckpointKept(id, available: kept != nil) }
        guard waitingExploits > 0 else { return }
        for j in trials.indices where table[j].exploitFrom == id {
            table[j].exploitFrom = nil
            waitingExploits -= 1
            if let kept { table[j].adopt(kept) }
        }
    }

    /// A pending save of trial `i` that will not come (its next result came first, or its run
    /// ended without it): nothing is kept.
    mutating func dropPendingKeep(_ i: Int) throws(ExperimentError) {
        if table[i].keepPending { try keep(i, nil) }
        table[i].saveAsked = false
    }

    mutating func apply(_ e: Exploit, reporting: String?) throws(ExperimentError) {
        let i = try requestedIndex(e.trial)
        let c = try requestedIndex(e.clone)
        // Ray's policy row: each trial's last result as Ray's trial holds it (the reporting
        // trial's result is recorded after the scheduler's decision, so its previous one).
        func lastIteration(_ k: Int) -> Int {
            let results = table[k].results
            let last = table[k].id == reporting ? results.dropLast().last : results.last
            return last?["training_iteration"].flatMap { $0.isFinite && abs($0) < 1e15 ? Int($0) : nil } ?? 0
        }
        exploits.append(ExploitEvent(exploit: e, trialIteration: lastIteration(i), cloneIteration: lastIteration(c)))
        table[i].configure(e.configuration)
        if table[i].exploitFrom != nil {
            table[i].exploitFrom = nil
            waitingExploits -= 1
        }
        if let kept = table[c].kept {
            table[i].adopt(kept)
        } else if table[c].keepPending {
            table[i].exploitFrom = e.clone
            waitingExploits += 1
        }
        if table[i].status == .running && table[i].decision == nil {
            // Ray's pause_trial(should_checkpoint=False): the run ends now, resuming from the clone's.
            table[i].exploited = true
        }
    }

    /// The exploits made since the last call, with Ray's policy fields, taken: a front end writes
    /// them to its policy logs (Ray's `pbt_global.txt`, `pbt_policy_<trial>.txt`).
    public mutating func takeExploits() -> [ExploitEvent] {
        defer { exploitsTaken = exploits.count }
        return Array(exploits[exploitsTaken...])
    }
}

/// One exploit as Ray's policy logs record it: the ``Exploit`` and the `training_iteration` of
/// the last result of each trial when it happened.
public struct ExploitEvent: Sendable, Equatable {
    /// The exploit.
    public var exploit: Exploit
    /// The exploiting trial's last recorded `training_iteration` before the result that caused it (0 for none).
    public var trialIteration: Int
    /// The clone's last `training_iteration`.
    public var cloneIteration: Int

    /// An event.
    public init(exploit: Exploit, trialIteration: Int, cloneIteration: Int) {
        self.exploit = exploit
        self.trialIteration = trialIteration
        self.cloneIteration = cloneIteration
    }

    /// `{"trial", "clone", "trial_iteration", "clone_iteration", "clone_config", "config", "operations"}`.
    public var json: JSONValue {
        .object([("trial", .string(exploit.trial)), ("clone", .string(exploit.clone)),
                 ("trial_iteration", .int(Int64(trialIteration))), ("clone_iteration", .int(Int64(cloneIteration))),
                 ("clone_config", exploit.cloneConfiguration), ("config", exploit.configuration),
                 ("operations", exploit.operations)])
    }

    /// Reads ``json``; nil when malformed.
    public init?(json: JSONValue) {
        guard let trial = json["trial"]?.stringValue, let clone = json["clone"]?.stringValue,
              let ti = json["trial_iteration"]?.intValue, let ci = json["clone_iteration"]?.intValue,
              let cloneConfig = json["clone_config"], let config = json["config"] else { return nil }
        self.init(exploit: Exploit(trial: trial, clone: clone, cloneConfiguration: cloneConfig, configuration: config,
                                   operations: json["operations"] ?? .object([])),
                  trialIteration: Int(clamping: ti), cloneIteration: Int(clamping: ci))
    }
}
