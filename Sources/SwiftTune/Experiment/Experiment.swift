import Synchronization

/// The experiment engine, safe to share between threads and tasks: ``ExperimentCore`` behind a
/// lock, with a monotonic clock. Front ends (the Swift ``Tuner``, the C run loop, Python's
/// executors) only ask it what to run next, report results, and say how runs ended.
public final class Experiment: Sendable {
    private let core: Mutex<ExperimentCore>
    private let origin = ContinuousClock.now

    public init(config: ExperimentConfig, searcher: any Searcher, scheduler: any TrialScheduler = FIFOScheduler()) throws(ExperimentError) {
        core = Mutex(try ExperimentCore(config: config, searcher: searcher, scheduler: scheduler))
    }

    public init(config: ExperimentConfig, limiter: ConcurrencyLimiter, scheduler: any TrialScheduler = FIFOScheduler()) throws(ExperimentError) {
        core = Mutex(try ExperimentCore(config: config, limiter: limiter, scheduler: scheduler))
    }

    /// Restores an experiment from ``saveState()`` (see ``ExperimentCore/init(restoring:options:)``).
    public init(restoring state: JSONValue, options: ResumeOptions = ResumeOptions()) throws(ExperimentError) {
        core = Mutex(try ExperimentCore(restoring: state, options: options))
    }

    /// Seconds since this object was created, on a monotonic clock.
    public var now: Double {
        let d = ContinuousClock.now - origin
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    public var config: ExperimentConfig { core.withLock { $0.config } }

    public func next() throws(ExperimentError) -> NextAction {
        let t = now
        return try core.withLock { (c: inout ExperimentCore) throws(ExperimentError) -> NextAction in try c.next(now: t) }
    }

    public func report(_ trialID: String, _ metrics: Metrics, checkpoint: String? = nil) throws(ExperimentError) -> SchedulerDecision {
        let t = now
        return try core.withLock { (c: inout ExperimentCore) throws(ExperimentError) -> SchedulerDecision in
            try c.report(trialID, metrics, checkpoint: checkpoint, now: t)
        }
    }

    public func finish(_ trialID: String, _ end: TrialEnd) throws(ExperimentError) {
        let t = now
        try core.withLock { (c: inout ExperimentCore) throws(ExperimentError) in try c.finish(trialID, end, now: t) }
    }

    /// Every trial, in creation order.
    public var trials: [TrialRecord] { core.withLock { $0.trials } }

    public func trial(_ id: String) -> TrialRecord? { core.withLock { $0.trial(id) } }

    public var runningCount: Int { core.withLock { $0.runningCount } }

    /// The trial whose failure ended the experiment, with ``ExperimentConfig/failFast``.
    public var failedFast: String? { core.withLock { $0.failedFast } }

    public func bestTrial(metric: String? = nil, mode: Mode? = nil, scope: ResultScope = .last,
                          filterNaNAndInf: Bool = true) -> TrialRecord? {
        core.withLock { $0.bestTrial(metric: metric, mode: mode, scope: scope, filterNaNAndInf: filterNaNAndInf) }
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
