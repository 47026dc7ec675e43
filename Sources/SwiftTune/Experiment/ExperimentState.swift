/// The versioned JSON form of a whole experiment: configuration, trials with every result, the
/// searcher behind its limiter, the scheduler, and the time already spent.
extension ExperimentCore {
    /// The version of the saved-state format this engine writes and reads.
    public static let stateVersion: Int64 = 1

    /// The experiment's state at `now`. Restoring it gives back every trial; trials RUNNING now come
    /// back PENDING with their configuration and latest checkpoint (the results after it dropped,
    /// as they will be reported again).
    public func saveState(now: Double) -> JSONValue {
        return .object([
            ("format", "swifttune.experiment"), ("version", .int(Self.stateVersion)),
            ("config", config.json),
            ("elapsed_s", .double(elapsed(now: now))),
            ("created", .int(Int64(created))),
            ("limiter", limiter.saveState()),
            ("scheduler", scheduler.saveState()),
            ("stopper", stopperState),
            ("exploits", .array(exploits.map(\.json))),
            ("trials", .array(trials.map { t in
                let (members, results) = Self.savedForm(t)
                return .object(members + [("results", .array(results.map(TrialRecord.json)))])
            })),
        ])
    }

    /// A trial as ``saveState(now:)`` writes it: its members but "results", and the results it
    /// keeps (a RUNNING trial is saved PENDING, rewound to its latest checkpoint). Members that
    /// may be absent are written as null, so a journal's "merge" of them replaces the old values.
    static func savedForm(_ t: TrialRecord) -> (members: [(String, JSONValue)], results: ArraySlice<Metrics>) {
        var t = t
        let running = t.status == .running
        if running { t.rewindToCheckpoint() }
        let m: [(String, JSONValue)] = [
            ("id", .string(t.id)), ("configuration", t.configuration),
            ("status", .string(running ? TrialStatus.pending.rawValue : t.status.rawValue)),
            ("time_s", .double(t.timeBefore)),
            ("stopped_early", .bool(t.stoppedEarly)),
            ("error", t.errorMessage.map { .string($0) } ?? .null),
            ("num_failures", .int(Int64(t.numFailures))),
            ("checkpoint", t.checkpoint.map { .string($0) } ?? .null),
            ("checkpoint_results", .int(Int64(t.checkpointResults))),
            ("iteration", .int(Int64(t.iteration))),
            ("checkpoint_iteration", .int(Int64(t.checkpointIteration))),
            ("checkpoint_time", .double(t.checkpointTime)),
            ("checkpoint_trial", t.checkpointOwner.map { .string($0) } ?? .null),
            ("initial_configuration", t.initialConfiguration ?? .null),
            ("kept_checkpoint", t.kept?.json ?? .null),
            ("searcher_told", .bool(t.searcherTold)),
        ]
        return (m, t.results[...])
    }

    /// Restores an experiment from ``saveState(now:)``, then applies `options` (Ray's
    /// `Tuner.restore` flags; by default unfinished trials run again and ERROR trials stay).
    public init(restoring state: JSONValue, options: ResumeOptions = ResumeOptions()) throws(ExperimentError) {
        func bad(_ m: String) -> ExperimentError { .invalidState(m) }
        guard state["format"] == .string("swifttune.experiment") else { throw bad("not a swifttune experiment state") }
        guard state["version"]?.intValue == Self.stateVersion else { throw bad("unsupported version \(state["version"].map { "\($0)" } ?? "none")") }
        guard let c = state["config"] else { throw bad("malformed 'config'") }
        let config: ExperimentConfig
        do { config = try ExperimentConfig(json: c) } catch { throw bad("malformed 'config': \(error)") }
        guard let limiterJSON = state["limiter"], let schedulerJSON = state["scheduler"] else { throw bad("missing 'limiter' or 'scheduler'") }
        let limiter: ConcurrencyLimiter
        do { limiter = try ConcurrencyLimiter(restoring: limiterJSON) } catch { throw .search(error) }
        let scheduler: any TrialScheduler
        do { scheduler = try restoreScheduler(schedulerJSON) } catch { throw .schedule(error) }
        // A configuration or scheduler the engine refuses is a fault of the state, not an option.
        do { try self.init(config: config, limiter: limiter, scheduler: scheduler) } catch { throw bad("\(error)") }
        guard let elapsed = state["elapsed_s"]?.doubleValue, elapsed >= 0, let created = state["created"]?.intValue, created >= 0,
              let items = state["trials"]?.arrayValue
        else { throw bad("malformed 'elapsed_s', 'created' or 'trials'") }
        elapsedBefore = elapsed
        try restoreStopper(state["stopper"])
        self.created = Int(created)
        for item in items {
            guard let id = item["id"]?.stringValue, let configuration = item["configuration"],
                  let statusText = item["status"]?.stringValue, let status = TrialStatus(rawValue: statusText),
                  status != .running, let results = item["results"]?.arrayValue, let time = item["time_s"]?.doubleValue,
                  case .bool(let stoppedEarly) = item["stopped_early"]
            else { throw bad("malformed trial") }
            guard indexByID[id] == nil else { throw bad("trial '\(id)' appears twice") }
            var record = TrialRecord(id: id, configuration: configuration, status: status, number: trials.count)
            for r in results {
                guard let members = r.objectValue else { throw bad("malformed result of trial '\(id)'") }
                var metrics: Metrics = [:]
                for (k, v) in members {
                    guard let x = v.doubleValue else { throw bad("result '\(k)' of trial '\(id)' is not a number") }
                    metrics[k] = x
                }
                record.results.append(metrics)
            }
            record.timeBefore = time
            record.stoppedEarly = stoppedEarly
            record.errorMessage = item["error"]?.stringValue
            let unfinished = status == .pending || status == .paused
            // Fields added after version 1 came out, read with their defaults when absent.
            record.numFailures = Int(item["num_failures"]?.intValue ?? 0)
            record.checkpoint = item["checkpoint"]?.stringValue
            record.checkpointResults = Int(item["checkpoint_results"]?.intValue ?? 0)
            // Absent from states saved before pauses resumed from checkpoints: then every result counted.
            record.iteration = Int(clamping: item["iteration"]?.intValue ?? Int64(record.results.count))
            record.checkpointIteration = Int(clamping: item["checkpoint_iteration"]?.intValue ?? Int64(record.checkpointResults))
            // Absent from states saved before exploits: the time of the result the checkpoint came with.
            record.checkpointTime = item["checkpoint_time"]?.doubleValue
                ?? (record.checkpointResults > 0 && record.checkpointResults <= record.results.count
                    ? record.results[record.checkpointResults - 1]["time_total_s"] ?? 0 : 0)
            record.checkpointOwner = item["checkpoint_trial"]?.stringValue
            if let initial = item["initial_configuration"], initial != .null { record.initialConfiguration = initial }
            record.kept = KeptCheckpoint(json: item["kept_checkpoint"])
            if case .bool(let told)? = item["searcher_told"] { record.searcherTold = told } else { record.searcherTold = !unfinished }
            guard record.numFailures >= 0, record.checkpointResults >= 0, record.checkpointResults <= record.results.count,
                  record.checkpoint != nil || record.checkpointResults == 0
            else { throw bad("malformed checkpoint or failure count of trial '\(id)'") }
            // Unfinished trials the searcher waits for must be live in the limiter, others not.
            let awaited = unfinished && !record.searcherTold
            let live = limiter.isLive(id) && !limiter.held.contains(where: { $0.id == id })
            guard awaited == live else {
                throw bad("trial '\(id)' is \(status.rawValue) but the searcher \(awaited ? "has no such unfinished trial" : "still waits for it")")
            }
            indexByID[id] = trials.count
            statusChanged(trials.count, from: .running, to: status)
            table.append(record)
        }
        guard trials.count == self.created else { throw bad("'created' is \(created) but there are \(trials.count) trials") }
        if let log = state["exploits"] {
            guard let items = log.arrayValue else { throw bad("malformed 'exploits'") }
            for item in items {
                guard let event = ExploitEvent(json: item), indexByID[event.exploit.trial] != nil, indexByID[event.exploit.clone] != nil
                else { throw bad("malformed exploit \(item)") }
                exploits.append(event)
            }
        }
        for id in limiter.live where indexByID[id] == nil {
            throw bad("the searcher waits for trial '\(id)', which is not in the trial table")
        }
        let restored = trials
        try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.onTrialsRestored(restored) }
        try apply(options)
    }

    /// Ray's resume flags applied to a restored experiment.
    mutating func apply(_ options: ResumeOptions) throws(ExperimentError) {
        for i in trials.indices {
            switch table[i].status {
            case .pending where options.unfinished == .skip, .paused where options.unfinished == .skip:
                // Ends as it stands: the searcher and the scheduler hear its last result.
                var t = table[i]
                statusChanged(i, from: t.status, to: .terminated)
                t.status = .terminated
                if !t.searcherTold {
                    let outcome = MetricProblem.outcome(t.lastResult, metric: config.metric)
                    do { try limiter.tell(trialID: t.id, outcome) } catch { throw .search(error) }
                    t.searcherTold = true
                }
                let last = t.lastResult
                try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.onTrialComplete(t.id, last) }
                table[i] = t
            case .error where options.errored != .skip:
                var t = table[i]
                if options.errored == .restart {
                    t.checkpoint = nil
                    t.checkpointOwner = nil
                    t.checkpointResults = 0
                    t.checkpointIteration = 0
                    t.checkpointTime = 0
                    t.numFailures = 0
                }
                t.rewindToCheckpoint()
                t.errorMessage = nil
                statusChanged(i, from: t.status, to: .pending)
                t.status = .pending
                try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in
                    try s.onTrialAdd(t.id, number: t.number, configuration: t.configuration)
                }
                table[i] = t
                try applySchedulerRequests(reporting: nil)
            default:
                break
            }
        }
    }
}

/// What ``ExperimentCore/init(restoring:options:)`` does with unfinished and ERROR trials
/// (Ray's `Tuner.restore(resume_unfinished:, resume_errored:, restart_errored:)`).
public struct ResumeOptions: Sendable, Equatable {
    /// What becomes of unfinished (PENDING, PAUSED, interrupted) trials.
    public enum Unfinished: String, Sendable, Equatable {
        /// Run PENDING, PAUSED and interrupted RUNNING trials again, from their latest checkpoint.
        case resume
        /// End them TERMINATED as they stand.
        case skip
    }

    /// What becomes of ERROR trials.
    public enum Errored: String, Sendable, Equatable {
        /// Leave ERROR trials as they are.
        case skip
        /// Run them again from their latest checkpoint (the searcher already has their outcome).
        case resume
        /// Run them again from the start: results, checkpoint and failure count cleared.
        case restart
    }

    /// What becomes of unfinished trials (default: they run again).
    public var unfinished: Unfinished
    /// What becomes of ERROR trials (default: they stay).
    public var errored: Errored

    /// Options with Ray's defaults for whatever is not given.
    public init(unfinished: Unfinished = .resume, errored: Errored = .skip) {
        self.unfinished = unfinished
        self.errored = errored
    }
}
