
/// The experiment engine, safe to share between threads and tasks: ``ExperimentCore`` behind a
/// lock, with a monotonic clock. Front ends (the Swift ``Tuner``, the C run loop, Python's
/// executors) only ask it what to run next, report results, and say how runs ended.
public final class Experiment: Sendable {
    private let core: Locked<ExperimentCore>
    private let origin = ContinuousClock.now

    /// An engine for `config` with `searcher` (no concurrency limit of its own) and `scheduler`.
    /// - Throws: ``ExperimentError`` when the configuration is invalid or disagrees with the searcher or scheduler.
    public init(config: ExperimentConfig, searcher: any Searcher, scheduler: any TrialScheduler = FIFOScheduler()) throws(ExperimentError) {
        core = Locked(try ExperimentCore(config: config, searcher: searcher, scheduler: scheduler))
    }

    /// An engine for `config` with a searcher behind its concurrency limiter, and `scheduler`.
    /// - Throws: ``ExperimentError`` when the configuration is invalid or disagrees with the searcher or scheduler.
    public init(config: ExperimentConfig, limiter: ConcurrencyLimiter, scheduler: any TrialScheduler = FIFOScheduler()) throws(ExperimentError) {
        core = Locked(try ExperimentCore(config: config, limiter: limiter, scheduler: scheduler))
    }

    /// Restores an experiment from ``saveState()`` (see ``ExperimentCore/init(restoring:options:)``).
    public init(restoring state: JSONValue, options: ResumeOptions = ResumeOptions()) throws(ExperimentError) {
        core = Locked(try ExperimentCore(restoring: state, options: options))
    }

    /// Seconds since this object was created, on a monotonic clock.
    public var now: Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// What the experiment optimises and when it ends.
    public var config: ExperimentConfig { core.withLock { $0.config } }

    /// What to do next: start a trial, wait, or finish (see ``ExperimentCore/next(now:)``).
    public func next() throws(ExperimentError) -> NextAction {
        let t = now
        return try core.withLock { (c: inout ExperimentCore) throws(ExperimentError) -> NextAction in try c.next(now: t) }
    }

    /// Records an intermediate result and answers whether the trial goes on (see
    /// ``ExperimentCore/report(_:_:checkpoint:now:)``).
    public func report(_ trialID: String, _ metrics: Metrics, checkpoint: String? = nil) throws(ExperimentError) -> SchedulerDecision {
        try reportResult(trialID, metrics, checkpoint: checkpoint).decision
    }

    /// ``report(_:_:checkpoint:)`` with the automatic fields the engine recorded the result with.
    public func reportResult(_ trialID: String, _ metrics: Metrics, checkpoint: String? = nil) throws(ExperimentError) -> ReportAnswer {
        let t = now
        return try core.withLock { (c: inout ExperimentCore) throws(ExperimentError) -> ReportAnswer in
            try c.reportResult(trialID, metrics, checkpoint: checkpoint, now: t)
        }
    }

    /// Makes a checkpoint saved after the trial's latest result its latest checkpoint (see
    /// ``ExperimentCore/attachCheckpoint(_:_:)``).
    public func attachCheckpoint(_ trialID: String, _ checkpoint: String) throws(ExperimentError) {
        try core.withLock { (c: inout ExperimentCore) throws(ExperimentError) in try c.attachCheckpoint(trialID, checkpoint) }
    }

    /// Ends the current run of a trial (see ``ExperimentCore/finish(_:_:now:)``).
    /// - Returns: what became of the trial.
    @discardableResult
    public func finish(_ trialID: String, _ end: TrialEnd) throws(ExperimentError) -> TrialFinish {
        let t = now
        return try core.withLock { (c: inout ExperimentCore) throws(ExperimentError) -> TrialFinish in try c.finish(trialID, end, now: t) }
    }

    /// Gives the front end's stopper callback to the experiment's ``CallbackStopper``s (see
    /// ``ExperimentCore/setStopperCallback(_:)``). The engine calls it under its lock, on the
    /// thread of the `next`, `report` or `finish` call that asks: it must not call this experiment.
    public func setStopperCallback(_ callback: @escaping StopperCallback) {
        core.withLock { $0.setStopperCallback(callback) }
    }

    /// Gives the front end's searcher callback to the experiment's ``CallbackSearcher`` (see
    /// ``ExperimentCore/setSearcherCallback(_:)``). The engine calls it under its lock, on the
    /// thread of the `next`, `report` or `finish` call that asks: it must not call this experiment.
    public func setSearcherCallback(_ callback: @escaping SearcherCallback) {
        core.withLock { $0.setSearcherCallback(callback) }
    }

    /// Gives the front end's scheduler callback to the experiment's ``CallbackScheduler`` (see
    /// ``ExperimentCore/setSchedulerCallback(_:)``). The engine calls it under its lock, on the
    /// thread of the `next`, `report` or `finish` call that asks (and of this call, for a restored
    /// experiment's trials): it must not call this experiment.
    public func setSchedulerCallback(_ callback: @escaping SchedulerCallback) throws(ExperimentError) {
        try core.withLock { (c: inout ExperimentCore) throws(ExperimentError) in try c.setSchedulerCallback(callback) }
    }

    /// Every trial, in creation order.
    public var trials: [TrialRecord] { core.withLock { $0.trials } }

    /// The waiting trials the scheduler ended since the last call (``ExperimentCore/takeStoppedWaiting()``).
    public func takeStoppedWaiting() -> [String] { core.withLock { $0.takeStoppedWaiting() } }

    /// The exploits made since the last call (``ExperimentCore/takeExploits()``).
    public func takeExploits() -> [ExploitEvent] { core.withLock { $0.takeExploits() } }

    /// The trial with this id, or nil.
    public func trial(_ id: String) -> TrialRecord? { core.withLock { $0.trial(id) } }

    /// The number of RUNNING trials.
    public var runningCount: Int { core.withLock { $0.runningCount } }

    /// The trial whose failure ended the experiment, with ``ExperimentConfig/failFast``.
    public var failedFast: String? { core.withLock { $0.failedFast } }

    /// Ray's best trial (see ``ExperimentCore/bestTrial(metric:mode:scope:filterNaNAndInf:)``).
    public func bestTrial(metric: String? = nil, mode: Mode? = nil, scope: ResultScope = .last,
                          filterNaNAndInf: Bool = true) -> TrialRecord? {
        core.withLock { $0.bestTrial(metric: metric, mode: mode, scope: scope, filterNaNAndInf: filterNaNAndInf) }
    }

    /// The whole experiment as versioned JSON, after which ``stateChanges()`` patches it (see
    /// ``ExperimentCore/saveStateForJournal(now:)``). Rendered outside the lock, as ``saveState()``.
    public func saveStateForJournal() -> JSONValue {
        let t = now
        let snapshot = core.withLock { (c: inout ExperimentCore) -> ExperimentCore in
            let copy = c
            c.forgetStateChanges()
            return copy
        }
        return snapshot.saveState(now: t)
    }

    /// What changed since ``saveStateForJournal()`` or the previous call, as a patch of the state
    /// they left (see ``ExperimentCore/takeStateChanges(now:)``). O(what changed).
    public func stateChanges() -> StatePatch {
        let t = now
        return core.withLock { $0.takeStateChanges(now: t) }
    }

    /// The whole experiment as versioned JSON (see ``ExperimentCore/saveState(now:)``).
    public func saveState() -> JSONValue {
        let t = now
        // A copy of the engine (copy-on-write: cheap) is serialised outside the lock, so that
        // saving a large experiment does not hold up reports and new trials.
        let snapshot = core.withLock { $0 }
        return snapshot.saveState(now: t)
    }
}
