
/// Thrown by ``TrialSession/report(_:)`` when the engine ends the trial (a scheduler decision, a
/// stop criterion or the time budget). Let it propagate out of the objective; the ``Tuner``
/// records the trial as stopped (or paused), not failed.
public struct TrialStopped: Error, Sendable, Equatable {
    /// The decision that ended the trial: `.stop` or `.pause`.
    public let decision: SchedulerDecision
}

/// What a running objective sees: its trial, its configuration, and `report` (Ray's `tune.report`).
public struct TrialSession: Sendable {
    /// The trial's id.
    public let trialID: String
    /// The trial's configuration.
    public let configuration: JSONValue
    /// The checkpoint to resume from (Ray's `tune.get_checkpoint()`): the latest one reported
    /// before this run, when the trial runs again after a failure, a pause or a restore.
    public let checkpoint: String?
    /// The results the trial keeps from earlier runs (those up to `checkpoint`).
    public let previousResults: [Metrics]
    let experiment: Experiment

    /// Reports an intermediate result, with the name of a checkpoint saved with it if any (the
    /// objective owns what the name refers to, a file path for example).
    /// - Throws: ``TrialStopped`` when the trial must end now.
    public func report(_ metrics: Metrics, checkpoint: String? = nil) throws {
        let decision = try experiment.report(trialID, metrics, checkpoint: checkpoint)
        if decision != .continue { throw TrialStopped(decision: decision) }
    }
}

/// The finished experiment: every trial with its results (Ray's `ResultGrid`).
public struct ResultGrid: Sendable {
    /// The experiment's configuration.
    public let config: ExperimentConfig
    /// Every trial, in creation order.
    public let trials: [TrialRecord]

    /// Ray's `get_best_result`, by default on the experiment's metric and mode.
    public func bestResult(metric: String? = nil, mode: Mode? = nil, scope: ResultScope = .last,
                           filterNaNAndInf: Bool = true) -> TrialRecord? {
        guard let metric = metric ?? config.metric, let mode = mode ?? config.mode else { return nil }
        return trials.best(metric: metric, mode: mode, scope: scope, filterNaNAndInf: filterNaNAndInf)
    }

    /// Trials that ended in ERROR.
    public var errors: [TrialRecord] { trials.filter { $0.status == .error } }
}

/// Runs a Swift objective against the experiment engine on `workers` concurrent tasks, the Swift
/// counterpart of Ray's `tune.Tuner(...).fit()`.
///
/// ```swift
/// let tuner = try Tuner(
///     searcher: TPESearch(space: SearchSpace(["x": .uniform(-5, 5)]), mode: .min),
///     config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 100)
/// ) { session in
///     let x = session.configuration["x"]!.doubleValue!
///     try session.report(["loss": (x - 3) * (x - 3)])
/// }
/// let results = try await tuner.fit()
/// print(results.bestResult()!.configuration)
/// ```
public struct Tuner: Sendable {
    /// The objective: runs one trial, reporting through the session. A returned result is
    /// reported as the trial's final result (as a Ray function trainable returning a dict).
    public typealias Objective = @Sendable (TrialSession) async throws -> Metrics?

    /// The engine the tuner drives.
    public let experiment: Experiment
    /// How many objectives run at once.
    public let workers: Int
    let objective: Objective

    /// A tuner over a new experiment with `searcher` (no concurrency limit of its own).
    public init(searcher: any Searcher, config: ExperimentConfig, scheduler: any TrialScheduler = FIFOScheduler(),
                workers: Int = 4, objective: @escaping Objective) throws(ExperimentError) {
        try self.init(experiment: Experiment(config: config, searcher: searcher, scheduler: scheduler), workers: workers, objective: objective)
    }

    /// A tuner over a new experiment with a searcher behind its concurrency limiter.
    public init(limiter: ConcurrencyLimiter, config: ExperimentConfig, scheduler: any TrialScheduler = FIFOScheduler(),
                workers: Int = 4, objective: @escaping Objective) throws(ExperimentError) {
        try self.init(experiment: Experiment(config: config, limiter: limiter, scheduler: scheduler), workers: workers, objective: objective)
    }

    /// A tuner for an existing (for example restored) experiment.
    public init(experiment: Experiment, workers: Int = 4, objective: @escaping Objective) throws(ExperimentError) {
        guard workers > 0 else { throw .invalidConfig("workers must be positive, got \(workers)") }
        self.experiment = experiment
        self.workers = workers
        self.objective = objective
    }

    /// Runs trials until the engine says it is finished and every started trial has ended.
    public func fit() async throws -> ResultGrid {
        let signal = Signal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { try await self.work(signal) }
            }
            try await group.waitForAll()
        }
        return ResultGrid(config: experiment.config, trials: experiment.trials)
    }

    private func work(_ signal: Signal) async throws {
        while true {
            let generation = signal.generation
            switch try experiment.next() {
            case .finished:
                signal.notify()
                return
            case .wait:
                await signal.wait(unlessPast: generation)
            case let .start(id, configuration):
                defer { signal.notify() }
                try await run(id, configuration)
            }
        }
    }

    private func run(_ id: String, _ configuration: JSONValue) async throws {
        let record = experiment.trial(id)
        let session = TrialSession(trialID: id, configuration: configuration, checkpoint: record?.checkpoint,
                                   previousResults: record?.results ?? [], experiment: experiment)
        var end = TrialEnd.completed
        do {
            if let final = try await objective(session) { try session.report(final) }
        } catch is TrialStopped {
            end = .stopped
        } catch {
            end = .failed(String(describing: error))
        }
        // The trial is RUNNING and ours; an error here is the engine's (its searcher refused the outcome).
        try experiment.finish(id, end)
    }
}

/// Wakes waiting workers when a trial ends; the generation counter closes the gap between asking
/// the engine and starting to wait.
final class Signal: Sendable {
    private let state = Locked<(generation: Int, waiters: [CheckedContinuation<Void, Never>])>((0, []))

    var generation: Int { state.withLock { $0.generation } }

    func wait(unlessPast generation: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.generation != generation { return true }
                s.waiters.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    func notify() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation += 1
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}
