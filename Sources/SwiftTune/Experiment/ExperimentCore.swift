/// What an experiment optimises and when it ends (Ray's `TuneConfig` and `RunConfig.stop`).
public struct ExperimentConfig: Sendable, Equatable {
    /// The metric searchers, schedulers and "best" use; nil for none (as in Ray, random search,
    /// grid search and FIFO need none: trials are ranked when asked, with a metric then).
    public var metric: String?
    /// Whether the metric is minimised or maximised; nil for none.
    public var mode: Mode?
    /// How many trials to run; -1 runs new trials until the time budget is spent (it then needs
    /// `timeBudgetS`; stop criteria end single trials, not the experiment).
    public var numSamples: Int
    /// At most this many trials running at once (Ray's `max_concurrent_trials`); nil is no limit
    /// beyond the searcher's ``ConcurrencyLimiter``.
    public var maxConcurrentTrials: Int?
    /// Ray's dict form of `RunConfig.stop`: a trial stops once any key's value is at least its
    /// threshold, whatever the key and the mode (``ResultThresholds``).
    public var stop: [String: Double]
    /// Ray's `Stopper` form of `RunConfig.stop`, as its specification (``StopperSpec``); nil for none.
    public var stopper: JSONValue?
    /// The experiment stops creating trials, and stops running ones, after this many seconds.
    public var timeBudgetS: Double?
    /// How many times a failed trial runs again (Ray's `FailureConfig.max_failures`): from its
    /// latest checkpoint, or from the start without one. 0 never retries; -1 retries forever.
    public var maxFailures: Int
    /// Ray's `FailureConfig.fail_fast`: the first failure ends the experiment (no new trials; every
    /// running trial's next report answers `.stop`). Needs `maxFailures == 0`.
    public var failFast: Bool
    /// Ray's `CheckpointConfig.checkpoint_frequency`: a checkpoint is due at every
    /// `training_iteration` that is a multiple of it (0: never). See ``checkpointDue(trainingIteration:decision:)``.
    public var checkpointFrequency: Int = 0
    /// Ray's `CheckpointConfig.checkpoint_at_end`: a checkpoint is due with a trial's last result
    /// (the one answered `.stop`).
    public var checkpointAtEnd: Bool = false
    /// What the machine offers and each trial takes (``TrialResources``); nil: resources bound nothing.
    public var resources: TrialResources?
    /// With a scheduler that chooses which waiting trial starts (``TrialScheduler/choosesTrials``):
    /// how many PENDING trials the searcher may have created ahead (Ray's `max_pending_trials`: 1
    /// for a searcher that learns, 200 for random and grid search), so the scheduler sees them.
    public var maxPendingTrials: Int = 1
    /// Whether the front end saves a checkpoint when a report's answer asks for one
    /// (``ReportAnswer/shouldCheckpoint``; a class trainable does, a function reports its own):
    /// then a checkpoint a scheduler asks to keep (``TrialRequest/save(_:)``) is awaited, else
    /// it is the one reported with the result, or none.
    public var savesOnDemand: Bool = false

    /// A configuration; the values are checked when an engine is built with it.
    public init(metric: String?, mode: Mode?, numSamples: Int = 1, maxConcurrentTrials: Int? = nil,
                stop: [String: Double] = [:], timeBudgetS: Double? = nil, maxFailures: Int = 0, failFast: Bool = false,
                stopper: JSONValue? = nil) {
        self.metric = metric
        self.mode = mode
        self.numSamples = numSamples
        self.maxConcurrentTrials = maxConcurrentTrials
        self.stop = stop
        self.timeBudgetS = timeBudgetS
        self.maxFailures = maxFailures
        self.failFast = failFast
        self.stopper = stopper
    }

    func validate() throws(ExperimentError) {
        if metric?.isEmpty == true { throw .invalidConfig("metric must not be empty") }
        guard numSamples == -1 || numSamples >= 0 else { throw .invalidConfig("num_samples must be >= 0, or -1 for no limit; got \(numSamples)") }
        if let m = maxConcurrentTrials, m <= 0 { throw .invalidConfig("max_concurrent_trials must be positive, got \(m)") }
        if let t = timeBudgetS, !(t >= 0) { throw .invalidConfig("time_budget_s must be >= 0, got \(t)") }
        if numSamples == -1 && timeBudgetS == nil {
            throw .invalidConfig("num_samples=-1 needs time_budget_s to end the experiment (stop criteria end single trials)")
        }
        for (k, v) in stop where v.isNaN { throw .invalidConfig("stop criterion '\(k)' is NaN") }
        guard maxFailures >= -1 else { throw .invalidConfig("max_failures must be >= 0, or -1 to retry forever; got \(maxFailures)") }
        if failFast && maxFailures != 0 { throw .invalidConfig("max_failures must be 0 if fail_fast=True (got \(maxFailures))") }
        guard checkpointFrequency >= 0 else { throw .invalidConfig("checkpoint_frequency must be >= 0, got \(checkpointFrequency)") }
        guard maxPendingTrials >= 1 else { throw .invalidConfig("max_pending_trials must be >= 1, got \(maxPendingTrials)") }
        try resources?.validate()
    }

    /// How many trials may run at once: the smallest of `maxConcurrentTrials` and what the
    /// resources hold (nil: neither bounds them).
    public var maxRunning: Int? {
        switch (maxConcurrentTrials, resources?.maxConcurrent) {
        case let (a?, b?): return Swift.min(a, b)
        case let (a, b): return a ?? b
        }
    }
}

/// What the engine tells a front end to do next.
public enum NextAction: Sendable, Equatable {
    /// Run the objective for this trial with this configuration.
    case start(trialID: String, configuration: JSONValue)
    /// Nothing to start now (the concurrency limit is reached); ask again after a trial ends.
    case wait
    /// No trial will start any more; finish the running ones.
    case finished
}

/// Errors of the experiment engine. A call that throws changes nothing.
public enum ExperimentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration is invalid (the message says which option).
    case invalidConfig(String)
    /// No trial has this id.
    case unknownTrial(String)
    /// The trial is not RUNNING (its id and status).
    case trialNotRunning(String, TrialStatus)
    /// The searcher refused a call.
    case search(SearchError)
    /// The scheduler refused its settings (an option, or a saved state being restored).
    case schedule(ScheduleError)
    /// A saved state cannot be restored.
    case invalidState(String)
    /// A stopper could not decide (a value it needs is missing, a front end's callback failed).
    case stopper(StopError)

    /// The message, naming the option or trial at fault.
    public var description: String {
        switch self {
        case .invalidConfig(let m): return "invalid experiment configuration: \(m)"
        case .unknownTrial(let id): return "unknown trial '\(id)'"
        case let .trialNotRunning(id, status): return "trial '\(id)' is not running (it is \(status.rawValue))"
        case .search(let e): return e.description
        case .schedule(let e): return e.description
        case .invalidState(let m): return "invalid experiment state: \(m)"
        case .stopper(let e): return "stopper: \(e.message)"
        }
    }
}

/// The experiment engine as a value: the trial table, the searcher behind its concurrency limiter,
/// the scheduler, stop rules and the clock. Not thread-safe by itself: ``Experiment`` wraps it in
/// a lock. Times are seconds on the caller's monotonic clock.
public struct ExperimentCore: Sendable {
    /// What the experiment optimises and when it ends.
    public let config: ExperimentConfig
    /// The searcher behind its concurrency limiter.
    public internal(set) var limiter: ConcurrencyLimiter
    /// The trial scheduler.
    public internal(set) var scheduler: any TrialScheduler
    /// Every trial, in creation order.
    public var trials: [TrialRecord] { table.records }
    /// The trials, noting which change for the state journal: every change goes through it.
    var table = TrialTable()
    /// What the state journal last handed out (``takeStateChanges(now:)``).
    var marks = JournalMarks()
    var indexByID: [String: Int] = [:]
    /// How many trials were created.
    var created = 0
    /// Seconds the experiment ran before the current session (restored experiments).
    var elapsedBefore = 0.0
    /// When the current session started, once it has.
    var sessionStart: Double?
    /// The number of RUNNING trials.
    public internal(set) var runningCount = 0
    /// The PENDING trials' places in ``trials``, in creation order (kept as statuses change;
    /// not saved: a restored experiment rebuilds it).
    var pendingIndices = TrialIndexSet()
    /// The PAUSED trials' places in ``trials``, in creation order (as ``pendingIndices``).
    var pausedIndices = TrialIndexSet()
    /// The changes to ``pendingIndices`` and ``pausedIndices``, counted, the latest with their
    /// trials: a scheduler that chooses may keep what it worked out from the waiting trials while
    /// they stay, or look again only at the trials that changed (``WaitingTrials/stamp``).
    var waitingChanges = WaitingChanges()
    /// The number of PENDING and PAUSED trials.
    var waitingCount: Int { pendingIndices.count + pausedIndices.count }
    /// The trial whose failure ended the experiment (``ExperimentConfig/failFast``).
    public internal(set) var failedFast: String?
    /// The experiment's stopper (``ExperimentConfig/stopper``), with what it counted.
    public internal(set) var stopper: (any Stopper)?
    /// Whether the stopper stopped the experiment (its `stop_all`).
    public internal(set) var stoppedAll = false
    /// The GPUs and the running trials holding them (``TrialResources``).
    var gpus: GPUPool
    /// With a scheduler that chooses: the waiting trials queued to start, in Ray's staging order
    /// (``nextChosen(now:)``); not saved (a restored experiment queues its trials again).
    var staged = StagedTrials()
    /// The waiting trials the scheduler stopped (``TrialScheduler/takeStopRequests()``), for the
    /// front end (``takeStoppedWaiting()``); not saved (their status is).
    var stoppedWaiting: [String] = []
    /// Running trials the scheduler stopped while they paused: the scheduler was told then, not
    /// again when their run ends.
    var leftScheduler: Set<String> = []
    /// ``ExperimentConfig/maxRunning``, computed once.
    let maxRunning: Int?
    /// Running trials whose run a `.pause` answer ends: Ray counts them PAUSED already.
    var pausingCount = 0
    /// Every exploit of the experiment, in order (Population Based Training's policy log; saved).
    public internal(set) var exploits: [ExploitEvent] = []
    /// How many of ``exploits`` the front end took (``takeExploits()``); not saved.
    var exploitsTaken = 0
    /// How many trials wait for a clone's checkpoint being saved (``TrialRecord/exploitFrom``).
    var waitingExploits = 0

    /// - Parameters:
    ///   - searcher: a searcher, or a ``ConcurrencyLimiter`` around one (the limiter's bound
    ///     applies on top of `maxConcurrentTrials`).
    public init(config: ExperimentConfig, searcher: any Searcher, scheduler: any TrialScheduler = FIFOScheduler()) throws(ExperimentError) {
        let limiter: ConcurrencyLimiter
        do { limiter = try ConcurrencyLimiter(searcher, maxConcurrent: Int.max) } catch { throw .search(error) }
        try self.init(config: config, limiter: limiter, scheduler: scheduler)
    }

    /// An engine for `config` with a searcher behind its concurrency limiter.
    /// - Throws: ``ExperimentError/invalidConfig(_:)`` for an invalid configuration or a searcher of the other mode,
    ///   ``ExperimentError/schedule(_:)`` for a scheduler built for another metric or mode.
    public init(config: ExperimentConfig, limiter: ConcurrencyLimiter, scheduler: any TrialScheduler = FIFOScheduler()) throws(ExperimentError) {
        try config.validate()
        if let mode = config.mode, limiter.searcher.mode != mode {
            throw .invalidConfig("the searcher's mode is \(limiter.searcher.mode.rawValue) but the experiment's is \(mode.rawValue)")
        }
        if let name = limiter.searcher.metricUser, config.metric == nil || config.mode == nil {
            throw .invalidConfig(Self.undefinedMetricMode(name, config))
        }
        self.stopper = try Self.makeStopper(config)
        var scheduler = scheduler
        do { try scheduler.setSearchProperties(metric: config.metric, mode: config.mode) } catch { throw .schedule(error) }
        self.config = config
        self.limiter = limiter
        self.scheduler = scheduler
        let r = config.resources
        gpus = GPUPool(devices: TrialResources.devices(r?.available[TrialResources.gpu] ?? 0),
                       perTrial: r?.perTrial[TrialResources.gpu] ?? 0)
        maxRunning = config.maxRunning
    }

    /// Seconds the experiment has run (across restores).
    public func elapsed(now: Double) -> Double { elapsedBefore + (sessionStart.map { now - $0 } ?? 0) }

    func budgetExhausted(now: Double) -> Bool {
        guard let budget = config.timeBudgetS else { return false }
        return elapsed(now: now) >= budget
    }

    /// The trial with this id.
    public func trial(_ id: String) -> TrialRecord? { indexByID[id].map { table[$0] } }

    /// The next thing to do: start a trial (restored PENDING ones first, then new suggestions,
    /// then PAUSED ones when nothing new can start), wait, or finish.
    public mutating func next(now: Double) throws(ExperimentError) -> NextAction {
        if sessionStart == nil { sessionStart = now }
        if budgetExhausted(now: now) || failedFast != nil { return .finished }
        if try checkStopAll(now: now) { return .finished }
        if scheduler.choosesTrials { return try nextChosen(now: now) }
        let underCap = maxRunning.map { runningCount < $0 } ?? true
        if underCap, let i = pendingIndices.first {
            return start(i, now: now)
        }
        var moreSamples = self.moreSamples
        if moreSamples && underCap && limiter.hasCapacity {
            if try addSuggestedTrial() { return start(trials.count - 1, now: now) }
            moreSamples = !limiter.finished  // a front-end searcher may have said it is done
        }
        if underCap, let i = pausedIndices.first {
            return start(i, now: now)
        }
        if moreSamples || runningCount > 0 && waitingCount > 0 { return .wait }
        // Running trials may still pause, but the worker running each then resumes it itself.
        return .finished
    }

    /// Trial ids sort in creation order: `trial_00000`, `trial_00001`, ...
    static func trialID(_ n: Int) -> String {
        let digits = String(n)
        return "trial_" + String(repeating: "0", count: Swift.max(0, 5 - digits.count)) + digits
    }

    mutating func start(_ i: Int, now: Double) -> NextAction {
        if table[i].status == .paused { table[i].resumeFromCheckpoint() }
        statusChanged(i, from: table[i].status, to: .running)
        // Under the resources' bound a device always has room (GPUPool.capacity).
        table[i].gpuIDs = gpus.take() ?? []
        table[i].status = .running
        table[i].runStart = now
        table[i].decision = nil
        runningCount += 1
        scheduler.onTrialStart(table[i].id)
        return .start(trialID: table[i].id, configuration: table[i].configuration)
    }

    func runningIndex(_ id: String) throws(ExperimentError) -> Int {
        guard let i = indexByID[id] else { throw .unknownTrial(id) }
        guard table[i].status == .running else { throw .trialNotRunning(id, table[i].status) }
        return i
    }

    /// Records an intermediate result and answers whether the trial goes on. The engine adds
    /// `training_iteration` (1, 2, ... over the trial's reports) and `time_total_s` (its running
    /// time) when the result lacks them. Once a report was answered `.stop` or `.pause`, later
    /// reports of the same run get the same answer and are not recorded.
    /// - Parameter checkpoint: the front end's name for a checkpoint saved with this result; it
    ///   becomes the trial's latest checkpoint, which a retried, paused or restored trial resumes
    ///   from (the results after it are dropped when it does: they will be reported again).
    public mutating func report(_ id: String, _ metrics: Metrics, checkpoint: String? = nil, now: Double) throws(ExperimentError) -> SchedulerDecision {
        try reportResult(id, metrics, checkpoint: checkpoint, now: now).decision
    }

    /// ``report(_:_:checkpoint:now:)`` with the automatic fields the result was recorded with
    /// (the front end need not compute them).
    public mutating func reportResult(_ id: String, _ metrics: Metrics, checkpoint: String? = nil,
                                      now: Double) throws(ExperimentError) -> ReportAnswer {
        let i = try runningIndex(id)
        // The run already ended by a decision: as in Ray, later results are not recorded.
        if let d = table[i].decision { return ReportAnswer(decision: d, trainingIteration: .nan, timeTotalS: .nan) }
        if table[i].keepPending || table[i].saveAsked { try dropPendingKeep(i) }  // the save asked for did not come
        var result = metrics
        let iteration = result["training_iteration"] ?? Double(table[i].iteration + 1)
        let time = result["time_total_s"] ?? table[i].timeBefore + (now - table[i].runStart)
        result["training_iteration"] = iteration
        result["time_total_s"] = time
        // Ray's order: the stopper, then the dict rule; a stopped trial's result skips the scheduler.
        // A stopper that throws leaves the result unrecorded.
        var stopped = try stopperSaysStop(id, result)
        if !stopped { stopped = ResultThresholds(config.stop).reached(result) }
        table[i].results.append(result)
        table[i].iteration += 1
        if let checkpoint { table[i].checkpointed(checkpoint, time: time, iteration: iteration) }
        let context = SchedulerContext(hasWaitingTrials: hasWaitingTrials)
        var decision = stopped ? .stop : try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in
            try s.onTrialResult(id, result, context: context)
        }
        // What the scheduler wrote into its copy of the result (HyperBandForBOHB's budget) the
        // searcher sees, as in Ray (the result the front end logs does not have it).
        var observed = result
        if let budget = scheduler.takeResultInfo()?["budget"]?.doubleValue { observed["hyperband_info/budget"] = budget }
        try applySchedulerStops()
        try applySearcherNotes()
        try applySchedulerRequests(reporting: id)
        if table[i].decision == .stop { decision = .stop }
        if table[i].exploited && decision != .stop { decision = .pause }
        if decision == .continue && (budgetExhausted(now: now) || failedFast != nil) { decision = .stop }
        if decision == .continue, try checkStopAll(now: now) { decision = .stop }
        if decision != .stop {
            // Ray's order: a searcher hears the results of a trial that goes on (or pauses).
            do { try limiter.observe(trialID: id, observed) } catch { throw .search(error) }
        }
        if decision != .continue { table[i].decision = decision }
        if decision == .pause { pausingCount += 1 }
        // Ray's loop takes a step after every event, a result among them.
        if scheduler.choosesTrials {
            try rayStep(pausing: decision == .pause ? id : nil, create: !budgetExhausted(now: now) && failedFast == nil && !stoppedAll)
        }
        // An exploited run pauses without saving (it resumes from the clone's checkpoint).
        let save = !table[i].exploited && (table[i].saveAsked || config.checkpointDue(trainingIteration: iteration, decision: decision))
        table[i].saveAsked = false
        return ReportAnswer(decision: decision, trainingIteration: iteration, timeTotalS: time, shouldCheckpoint: save)
    }

    /// Keeps ``pendingIndices`` and ``pausedIndices`` in step with trial `i`'s status going from
    /// `old` to `new` (the caller sets the status).
    mutating func statusChanged(_ i: Int, from old: TrialStatus, to new: TrialStatus) {
        if old == new { return }
        waitingChanges.record(i)
        switch old {
        case .pending: pendingIndices.remove(i)
        case .paused: pausedIndices.remove(i)
        default: break
        }
        switch new {
        case .pending: pendingIndices.insert(i)
        case .paused: pausedIndices.insert(i)
        default: break
        }
    }

    /// Whether trials wait to run: PENDING or PAUSED ones, or running ones whose run a `.pause`
    /// answer ends (Ray marks them PAUSED at once).
    var hasWaitingTrials: Bool { waitingCount > 0 || pausingCount > 0 }

    /// Ends the current run of a trial. A run ended after a `.pause` answer leaves the trial
    /// PAUSED. A failed run is retried while ``ExperimentConfig/maxFailures`` allows: the trial goes
    /// back to PENDING, keeping the results up to its latest checkpoint (none without one), and
    /// the searcher hears nothing yet. Otherwise the trial is TERMINATED (or ERROR) and its outcome
    /// is told to the searcher (a last value of the metric that is NaN or infinite, or missing,
    /// counts as failed: ``MetricProblem``) and to the scheduler.
    /// - Returns: what became of the trial: its new status, failure count and metric problem.
    @discardableResult
    public mutating func finish(_ id: String, _ end: TrialEnd, now: Double) throws(ExperimentError) -> TrialFinish {
        let i = try runningIndex(id)
        if case .completed = end, table[i].decision == nil, let last = table[i].lastResult {
            // Ray's duplicate final result of a function that returned: the stopper sees it too.
            var final = last
            final["done"] = 1
            _ = try stopperSaysStop(id, final)
        }
        if table[i].keepPending || table[i].saveAsked { try dropPendingKeep(i) }
        if table[i].decision == .pause { pausingCount -= 1 }
        var trial = table[i]
        trial.exploited = false
        trial.timeBefore += now - trial.runStart
        let outcome: TrialOutcome
        var problem: MetricProblem? = nil
        switch end {
        case .failed(let message):
            trial.numFailures += 1
            if !config.failFast && (config.maxFailures == -1 || trial.numFailures <= config.maxFailures) {
                trial.rewindToCheckpoint()
                trial.status = .pending
                gpus.release(trial.gpuIDs)
                trial.gpuIDs = []
                table[i] = trial
                statusChanged(i, from: .running, to: .pending)
                runningCount -= 1
                try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in
                    try s.onTrialRetry(id, number: trial.number, configuration: trial.configuration)
                }
                try applySchedulerStops()
                try applySearcherNotes()
                try applySchedulerRequests(reporting: nil)
                return TrialFinish(status: .pending, numFailures: trial.numFailures, metricProblem: nil)
            }
            trial.status = .error
            trial.errorMessage = message
            outcome = .failed
        case .completed, .stopped:
            problem = config.metric.flatMap { MetricProblem.of(trial.lastResult, metric: $0) }
            if trial.decision == .pause {
                trial.status = .paused
                trial.resumeFromCheckpoint()
                gpus.release(trial.gpuIDs)
                trial.gpuIDs = []
                table[i] = trial
                statusChanged(i, from: .running, to: .paused)
                runningCount -= 1
                return TrialFinish(status: .paused, numFailures: trial.numFailures, metricProblem: problem)
            }
            trial.status = .terminated
            trial.stoppedEarly = trial.decision == .stop
            outcome = MetricProblem.outcome(trial.lastResult, metric: config.metric)
        }
        if trial.searcherTold {
            // Resumed after an error: the searcher already has its outcome (as in Ray).
        } else {
            let errored: Bool
            if case .failed = end { errored = true } else { errored = false }
            do { try limiter.tell(trialID: id, outcome, errored: errored) } catch { throw .search(error) }
            trial.searcherTold = true
        }
        let told = leftScheduler.remove(id) != nil
        if case .failed = end {
            if !told { try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.onTrialRemove(id) } }
            if config.failFast && failedFast == nil { failedFast = id }
        } else if !told {
            let last = trial.lastResult
            try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.onTrialComplete(id, last) }
        }
        gpus.release(trial.gpuIDs)
        trial.gpuIDs = []
        table[i] = trial
        runningCount -= 1
        try applySchedulerStops()
        try applySearcherNotes()
        return TrialFinish(status: trial.status, numFailures: trial.numFailures, metricProblem: problem)
    }

    /// Ray's best trial (see ``Swift/Array/best(metric:mode:scope:filterNaNAndInf:)``), by default
    /// on the experiment's metric and mode.
    public func bestTrial(metric: String? = nil, mode: Mode? = nil, scope: ResultScope = .last,
                          filterNaNAndInf: Bool = true) -> TrialRecord? {
        guard let metric = metric ?? config.metric, let mode = mode ?? config.mode else { return nil }
        return trials.best(metric: metric, mode: mode, scope: scope, filterNaNAndInf: filterNaNAndInf)
    }
}
