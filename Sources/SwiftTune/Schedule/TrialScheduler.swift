/// One reported result of a trial: numeric values by name (`mean_loss`, `training_iteration`, ...).
public typealias Metrics = [String: Double]

/// What a scheduler (or a stop criterion) says about a running trial after one of its results.
public enum SchedulerDecision: String, Sendable, Equatable {
    /// Keep running.
    case `continue`
    /// Stop the trial now; it ends TERMINATED with its results so far.
    case stop
    /// Stop the trial for now; it is resumed (restarted with the same configuration) later.
    case pause
}

/// What the engine tells a scheduler about the experiment when it asks for a decision.
public struct SchedulerContext: Sendable, Equatable {
    /// Whether trials are waiting to run (PENDING or PAUSED): a scheduler may yield to them.
    public var hasWaitingTrials: Bool
    /// A context with this value.
    public init(hasWaitingTrials: Bool = false) { self.hasWaitingTrials = hasWaitingTrials }
}

/// An invalid scheduler setting or saved state; ``source`` says which.
public struct ScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the bad value came from.
    public enum Source: Sendable, Equatable {
        /// An option the scheduler was built with (a specification, an initializer's argument).
        case option
        /// A saved state being restored (``TrialScheduler/init(restoring:)``).
        case savedState
        /// A front end's scheduler (``CallbackScheduler``): its callback failed, is not set, or
        /// answered what a scheduler may not.
        case frontEnd
    }

    /// What is wrong, without the source.
    public var message: String
    /// Where the bad value came from.
    public var source: Source

    /// An error of `source` (by default an option) with this message.
    public init(_ message: String, source: Source = .option) {
        self.message = message
        self.source = source
    }

    /// An error in a saved state.
    public static func state(_ message: String) -> ScheduleError { ScheduleError(message, source: .savedState) }

    /// An error of a front end's scheduler.
    public static func frontEnd(_ message: String) -> ScheduleError { ScheduleError(message, source: .frontEnd) }

    /// The same error, attributed to a saved state (an option error met while restoring one).
    public var inSavedState: ScheduleError { ScheduleError(message, source: .savedState) }

    /// The message; for a saved state prefixed with "invalid saved scheduler state: ".
    public var description: String { source == .savedState ? "invalid saved scheduler state: \(message)" : message }
}

/// Decides which running trials continue, Ray Tune's `TrialScheduler`. Schedulers are value
/// types driven by the experiment engine, which calls them under its lock. The hooks may throw
/// only for a front end's scheduler (``CallbackScheduler``), whose callback can fail; swifttune's
/// own schedulers never do.
public protocol TrialScheduler: Sendable {
    /// The scheduler's name in saved state (`"fifo"`, `"asha"`, `"median_stopping_rule"`).
    static var kind: String { get }
    /// The experiment's metric and mode (Ray's `set_search_properties`): a scheduler built
    /// without them takes these; one built with different ones is an error.
    mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError)
    /// A new trial was created.
    mutating func onTrialAdd(_ trialID: String) throws(ScheduleError)
    /// A trial was added to the trial table (Ray's `on_trial_add`), with its place in creation
    /// order and its configuration. By default ``onTrialAdd(_:)``.
    mutating func onTrialAdd(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError)
    /// The decision on a running trial after one of its results.
    mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) throws(ScheduleError) -> SchedulerDecision
    /// The trial ended (completed or stopped) with this last result.
    mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) throws(ScheduleError)
    /// The trial failed.
    mutating func onTrialRemove(_ trialID: String) throws(ScheduleError)
    /// A failed run of the trial runs again (Ray's `on_trial_error`, then `on_trial_add` of the
    /// requeued trial). By default nothing: swifttune's schedulers keep the trial as it was.
    mutating func onTrialRetry(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError)
    /// A waiting (PENDING or PAUSED) trial started running. Ray has no such hook: a scheduler uses
    /// it to know, without asking, that a trial no longer waits (Ray's schedulers read
    /// `trial.status`, as HyperBandForBOHB's pause rule does). By default nothing.
    mutating func onTrialStart(_ trialID: String)
    /// The trials of a restored experiment, in creation order (Ray adds every restored trial to
    /// its scheduler again). By default nothing: swifttune's schedulers restore their own state.
    mutating func onTrialsRestored(_ trials: [TrialRecord]) throws(ScheduleError)
    /// What the scheduler adds to the result it was just told of (Ray's schedulers that write into
    /// the result dict: `HyperBandForBOHB`'s `hyperband_info`), taken; nil for nothing. By default nil.
    mutating func takeResultInfo() -> JSONValue?
    /// The trials the scheduler paused (true) or resumed (false) that the searcher is to hear of
    /// (Ray's `searcher.on_pause` / `on_unpause`), in order, taken. By default none.
    mutating func takeSearcherNotes() -> [(trial: String, paused: Bool)]
    /// Whether the scheduler chooses which waiting trial starts (Ray's `choose_trial_to_run`);
    /// without, the engine starts PENDING trials first, then new ones, then PAUSED ones (what
    /// Ray's `FIFOScheduler.choose_trial_to_run` amounts to). By default false.
    var choosesTrials: Bool { get }
    /// The id of the waiting trial (one of `waiting`, PENDING or PAUSED, in creation order) to start
    /// now, or nil for none (PENDING trials then start anyway, as in Ray). Asked only when
    /// ``choosesTrials``.
    mutating func chooseTrial(among waiting: [WaitingTrial]) throws(ScheduleError) -> String?
    /// ``chooseTrial(among:)`` with the waiting trials as a view of the engine's table (the engine
    /// asks this one): a scheduler that needs only some of them, or their statuses by id, need not
    /// list them all. By default it lists them and asks ``chooseTrial(among:)``.
    mutating func chooseTrial(from waiting: WaitingTrials) throws(ScheduleError) -> String?
    /// The waiting (PAUSED or PENDING) trials the scheduler stopped in the hooks called since the
    /// last call (Ray's `tune_controller.stop_trial`), taken: the engine ends each TERMINATED and
    /// tells the scheduler (``onTrialRemove(_:)``) and the searcher. By default none.
    mutating func takeStopRequests() -> [String]
    /// The requests about trials' checkpoints and configurations the scheduler made in the hooks
    /// called since the last call (Population Based Training's saves and exploits), taken: the
    /// engine carries them out in order. By default none.
    mutating func takeTrialRequests() -> [TrialRequest]
    /// Whether the checkpoint the scheduler asked to keep of a trial (``TrialRequest/save(_:)``,
    /// ``TrialRequest/keepLatest(_:)``) exists: told once it is known (at once, or when the front
    /// end's save ends). By default nothing.
    mutating func onCheckpointKept(_ trialID: String, available: Bool) throws(ScheduleError)
    /// Takes the front end's callback (a ``CallbackScheduler``; swifttune's schedulers ignore it).
    mutating func attach(_ callback: @escaping SchedulerCallback) throws(ScheduleError)
    /// The scheduler's whole state as JSON.
    func saveState() -> JSONValue
    /// Restores a scheduler from ``saveState()``; its errors have the source ``ScheduleError/Source/savedState``.
    init(restoring state: JSONValue) throws(ScheduleError)
}

/// What a scheduler asks the engine to do with a trial's checkpoint or configuration
/// (``TrialScheduler/takeTrialRequests()``).
public enum TrialRequest: Sendable, Equatable {
    /// Keep the checkpoint of the trial's latest result (Ray's `_schedule_trial_save`): the one
    /// reported with it, or, from a front end that saves on demand, the one it is now asked to
    /// save; none when neither comes.
    case save(String)
    /// Keep the trial's latest checkpoint, whatever result it was saved with (a PAUSED trial's).
    case keepLatest(String)
    /// The trial takes a new configuration from its next run on (Ray's `trial.set_config`).
    case configure(trialID: String, configuration: JSONValue)
    /// Population Based Training's exploit: the trial takes the clone's kept checkpoint and a new
    /// configuration; a running one pauses at once without saving (it resumes from the clone's).
    case exploit(Exploit)
}

/// One exploit of Population Based Training: `trial` clones `clone`'s kept checkpoint and runs on
/// with `configuration` (the clone's, perturbed: `operations` says how, key by key).
public struct Exploit: Sendable, Equatable {
    /// The trial that takes the clone's state.
    public var trial: String
    /// The trial cloned.
    public var clone: String
    /// The clone's configuration at the exploit.
    public var cloneConfiguration: JSONValue
    /// The new configuration of `trial`.
    public var configuration: JSONValue
    /// How each mutated key changed (`"resample"`, `"* 1.2"`, `"shift left"`, ...; nested objects
    /// for nested keys), as Ray logs it.
    public var operations: JSONValue

    /// An exploit.
    public init(trial: String, clone: String, cloneConfiguration: JSONValue, configuration: JSONValue, operations: JSONValue) {
        self.trial = trial
        self.clone = clone
        self.cloneConfiguration = cloneConfiguration
        self.configuration = configuration
        self.operations = operations
    }
}

/// A trial that waits to run, as a scheduler choosing among them sees it.
public struct WaitingTrial: Sendable, Equatable {
    /// The trial's id.
    public var id: String
    /// PENDING or PAUSED.
    public var status: TrialStatus
    /// A waiting trial.
    public init(id: String, status: TrialStatus) {
        self.id = id
        self.status = status
    }
}

extension TrialScheduler {
    /// ``onTrialAdd(_:)``: swifttune's schedulers need only the id.
    public mutating func onTrialAdd(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        try onTrialAdd(trialID)
    }
    /// Nothing: swifttune's schedulers keep a retried trial as it was.
    public mutating func onTrialRetry(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {}
    /// Nothing.
    public mutating func onTrialStart(_ trialID: String) {}
    /// Nothing: swifttune's schedulers restore their own state.
    public mutating func onTrialsRestored(_ trials: [TrialRecord]) throws(ScheduleError) {}
    /// Nil: nothing added to results.
    public mutating func takeResultInfo() -> JSONValue? { nil }
    /// None.
    public mutating func takeSearcherNotes() -> [(trial: String, paused: Bool)] { [] }
    /// False: the engine's order (PENDING, new, PAUSED).
    public var choosesTrials: Bool { false }
    /// None.
    public mutating func takeStopRequests() -> [String] { [] }
    /// None.
    public mutating func takeTrialRequests() -> [TrialRequest] { [] }
    /// Nothing.
    public mutating func onCheckpointKept(_ trialID: String, available: Bool) throws(ScheduleError) {}
    /// Swifttune's schedulers take no callback.
    public mutating func attach(_ callback: @escaping SchedulerCallback) throws(ScheduleError) {}
    /// Nil (never asked unless ``choosesTrials``).
    public mutating func chooseTrial(among waiting: [WaitingTrial]) throws(ScheduleError) -> String? { nil }
    /// ``chooseTrial(among:)`` of the listed waiting trials.
    public mutating func chooseTrial(from waiting: WaitingTrials) throws(ScheduleError) -> String? {
        try chooseTrial(among: waiting.list)
    }
}

/// Restores any of swifttune's schedulers from its saved state. Every error it throws has the
/// source ``ScheduleError/Source/savedState``.
public func restoreScheduler(_ state: JSONValue) throws(ScheduleError) -> any TrialScheduler {
    do throws(ScheduleError) {
        switch state["scheduler"]?.stringValue {
        case FIFOScheduler.kind: return try FIFOScheduler(restoring: state)
        case ASHAScheduler.kind: return try ASHAScheduler(restoring: state)
        case MedianStoppingRule.kind: return try MedianStoppingRule(restoring: state)
        case HyperBandScheduler.kind: return try HyperBandScheduler(restoring: state)
        case HyperBandForBOHB.kind: return try HyperBandForBOHB(restoring: state)
        case PopulationBasedTraining.kind, PopulationBasedTraining.pb2Kind: return try PopulationBasedTraining(restoring: state)
        case PopulationBasedTrainingReplay.kind: return try PopulationBasedTrainingReplay(restoring: state)
        case CallbackScheduler.kind: return try CallbackScheduler(restoring: state)
        default: throw ScheduleError("unknown scheduler state \(state["scheduler"].map { "\($0)" } ?? "without a 'scheduler'")")
        }
    } catch {
        throw error.inSavedState
    }
}

/// The metric and mode a scheduler was built with, merged with the experiment's.
struct SearchProperties: Sendable, Equatable {
    var metric: String?
    var mode: Mode?

    /// Takes the experiment's metric and mode where the scheduler has none (nil: the experiment
    /// has none); with only a mode the metric is Ray's anonymous `_metric`. A scheduler left
    /// without either fails with Ray's message (Ray raises it when the first trial is added).
    mutating func set(metric: String?, mode: Mode?, scheduler: String) throws(ScheduleError) {
        if let m = self.metric, let metric, m != metric {
            throw ScheduleError("\(scheduler) was built for metric '\(m)' but the experiment uses '\(metric)'")
        }
        if let m = self.mode, let mode, m != mode {
            throw ScheduleError("\(scheduler) was built for mode '\(m.rawValue)' but the experiment uses '\(mode.rawValue)'")
        }
        let newMetric = self.metric ?? metric
        let newMode = self.mode ?? mode
        let finalMetric = newMetric ?? (newMode != nil ? "_metric" : nil)
        guard let finalMetric, let newMode else {
            throw ScheduleError("\(scheduler) has been instantiated without a valid `metric` (\(newMetric ?? "None")) or "
                                + "`mode` (\(newMode?.rawValue ?? "None")) parameter. Either pass these parameters when "
                                + "instantiating the scheduler, or pass them as parameters to `tune.TuneConfig()`")
        }
        self.metric = finalMetric
        self.mode = newMode
    }

    var json: [(String, JSONValue)] {
        [("metric", metric.map { .string($0) } ?? .null), ("mode", mode.map { .string($0.rawValue) } ?? .null)]
    }

    init(metric: String?, mode: Mode?) {
        self.metric = metric
        self.mode = mode
    }

    init(json: JSONValue) throws(ScheduleError) {
        metric = json["metric"]?.stringValue
        if let m = json["mode"]?.stringValue {
            guard let mode = Mode(rawValue: m) else { throw ScheduleError("mode must be min or max", source: .savedState) }
            self.mode = mode
        }
    }
}

/// FIFO: runs every trial to its end (Ray's `FIFOScheduler`, the default).
public struct FIFOScheduler: TrialScheduler {
    /// The scheduler's name in saved state.
    public static let kind = "fifo"
    /// A FIFO scheduler.
    public init() {}
    /// Takes the experiment's metric and mode (see ``TrialScheduler/setSearchProperties(metric:mode:)``).
    public mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {}
    /// A new trial was created.
    public mutating func onTrialAdd(_ trialID: String) {}
    /// Always `.continue`. O(1).
    public mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) -> SchedulerDecision { .continue }
    /// The trial ended (completed or stopped) with this last result.
    public mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) {}
    /// The trial failed.
    public mutating func onTrialRemove(_ trialID: String) {}
    /// The scheduler's whole state as JSON (restored by ``init(restoring:)``).
    public func saveState() -> JSONValue { ["scheduler": .string(Self.kind)] }
    /// Restores a scheduler from ``saveState()``.
    /// - Throws: ``ScheduleError`` with the source ``ScheduleError/Source/savedState``.
    public init(restoring state: JSONValue) throws(ScheduleError) {
        guard state["scheduler"]?.stringValue == Self.kind else { throw ScheduleError("not a FIFO scheduler state", source: .savedState) }
    }
}
