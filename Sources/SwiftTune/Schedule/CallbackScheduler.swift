/// What the engine asks a ``CallbackScheduler``'s front end: Ray's `TrialScheduler` hooks.
public enum ScheduleQuery: Sendable, Equatable {
    /// Ray's `on_trial_add(tune_controller, trial)`: a trial joined the trial table (created, a
    /// failed run requeued, or restored), with its place in creation order and configuration.
    case add(trialID: String, number: Int, configuration: JSONValue)
    /// Ray's `on_trial_result(tune_controller, trial, result)`: the decision on a running trial
    /// after a result the engine recorded (not asked when a stopper or stop criterion stopped it).
    case result(trialID: String, result: Metrics)
    /// Ray's `on_trial_complete(tune_controller, trial, result)`: the trial completed or was
    /// stopped; the result is its last one (the front end has the whole of it), nil without one.
    case complete(trialID: String, result: Metrics?)
    /// Ray's `on_trial_error(tune_controller, trial)`: a run of the trial failed (it then ends
    /// ERROR, or runs again and is added again).
    case error(trialID: String)
    /// Ray's `choose_trial_to_run(tune_controller)`: which of the waiting trials (creation order)
    /// to start now, if any.
    case choose(waiting: [WaitingTrial])
    /// Not Ray's: one of swifttune's schedulers (``PopulationBasedTraining``) asks for the front
    /// end's part of an explore of `trialID`: a value at each path of `samples` (the front end's
    /// function resampled) and, with `custom`, its `custom_explore_fn` applied to the result.
    case explore(trialID: String, configuration: JSONValue, samples: [JSONValue], custom: Bool)
}

/// What the front end answers to a ``ScheduleQuery``.
public enum ScheduleReply: Sendable, Equatable {
    /// The decision, for `.result`.
    case decision(SchedulerDecision)
    /// The trial chosen (nil: none), for `.choose`.
    case chosen(String?)
    /// Done: the answer to `.add`, `.complete` and `.error`.
    case done
    /// The new configuration, for `.explore`.
    case configuration(JSONValue)
}

/// The front end's answer to the engine's question to its scheduler number `schedulerID`.
public typealias SchedulerCallback = @Sendable (_ schedulerID: Int, _ query: ScheduleQuery) throws(ScheduleError) -> ScheduleReply

/// A scheduler that lives in the front end (a user's Ray `TrialScheduler` subclass): the engine
/// stays the loop (it decides when trials start, records every result, applies stoppers, retries
/// and the resources) and asks the front end, through the callback attached with
/// ``ExperimentCore/setSchedulerCallback(_:)``, what Ray asks a scheduler: to hear a trial added,
/// completed or failed, to decide after a result, and to choose which waiting trial starts. Its
/// state is the front end's. Until a callback is attached the notifications wait in order (a
/// restored experiment tells its trials before the front end can attach one) and decisions fail.
public struct CallbackScheduler: TrialScheduler {
    /// The scheduler's name in saved state.
    public static let kind = "callback"
    /// Which of the front end's schedulers this is.
    public let id: Int
    var callback: SchedulerCallback?
    /// Notifications waiting for a callback.
    var backlog: [ScheduleQuery] = []

    /// The front end's scheduler number `id`, asked once a callback is attached.
    public init(id: Int) { self.id = id }

    /// Whether a callback is attached.
    public var isAttached: Bool { callback != nil }

    /// Takes the callback and hands it the notifications that waited for it, in order.
    /// - Throws: ``ScheduleError`` (source ``ScheduleError/Source/frontEnd``) when the callback fails on one
    ///   (the rest stay queued).
    public mutating func attach(_ callback: @escaping SchedulerCallback) throws(ScheduleError) {
        self.callback = callback
        while !backlog.isEmpty {
            _ = try callback(id, backlog[0])
            backlog.removeFirst()
        }
    }

    func ask(_ query: ScheduleQuery) throws(ScheduleError) -> ScheduleReply {
        guard let callback else {
            throw .frontEnd("scheduler callback \(id) is not set: the experiment has a front-end scheduler and no "
                            + "callback was given (st_experiment_set_scheduler)")
        }
        return try callback(id, query)
    }

    /// A notification: told now, or queued until a callback is attached.
    mutating func tell(_ query: ScheduleQuery) throws(ScheduleError) {
        guard callback != nil else {
            backlog.append(query)
            return
        }
        _ = try ask(query)
    }

    /// The front end keeps the metric and mode (Ray's `set_search_properties` is its own).
    public mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {}

    /// ``onTrialAdd(_:number:configuration:)`` without a number (-1) or configuration (JSON null):
    /// the engine always calls that one.
    public mutating func onTrialAdd(_ trialID: String) throws(ScheduleError) {
        try tell(.add(trialID: trialID, number: -1, configuration: .null))
    }

    /// Ray's `on_trial_add`.
    public mutating func onTrialAdd(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        try tell(.add(trialID: trialID, number: number, configuration: configuration))
    }

    /// Ray's `on_trial_result`: the front end's decision.
    public mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) throws(ScheduleError) -> SchedulerDecision {
        guard case .decision(let d) = try ask(.result(trialID: trialID, result: result)) else {
            throw .frontEnd("scheduler callback \(id) gave no decision for trial '\(trialID)'")
        }
        return d
    }

    /// Ray's `on_trial_complete`.
    public mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) throws(ScheduleError) {
        try tell(.complete(trialID: trialID, result: result))
    }

    /// Ray's `on_trial_error`.
    public mutating func onTrialRemove(_ trialID: String) throws(ScheduleError) {
        try tell(.error(trialID: trialID))
    }

    /// Ray's requeue of a failed trial: `on_trial_error`, then `on_trial_add`.
    public mutating func onTrialRetry(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        try tell(.error(trialID: trialID))
        try tell(.add(trialID: trialID, number: number, configuration: configuration))
    }

    /// Ray's `on_trial_add` of every restored trial (the front end's scheduler starts afresh).
    public mutating func onTrialsRestored(_ trials: [TrialRecord]) throws(ScheduleError) {
        for t in trials { try tell(.add(trialID: t.id, number: t.number, configuration: t.configuration)) }
    }

    /// The front end chooses which waiting trial starts.
    public var choosesTrials: Bool { true }

    /// Ray's `choose_trial_to_run`; the answer must be one of `waiting`, or nil.
    public mutating func chooseTrial(among waiting: [WaitingTrial]) throws(ScheduleError) -> String? {
        guard case .chosen(let chosen) = try ask(.choose(waiting: waiting)) else {
            throw .frontEnd("scheduler callback \(id) chose no trial (nor none)")
        }
        if let chosen, !waiting.contains(where: { $0.id == chosen }) {
            throw .frontEnd("choose_trial_to_run returned trial '\(chosen)', which is not PENDING or PAUSED; return one "
                            + "of the waiting trials (\(waiting.map(\.id).joined(separator: ", "))) or None")
        }
        return chosen
    }

    /// The id (the front end saves its scheduler's own state).
    public func saveState() -> JSONValue {
        .object([("scheduler", .string(Self.kind)), ("id", .int(Int64(id)))])
    }

    /// Reads ``saveState()``; the callback is attached again afterwards.
    /// - Throws: ``ScheduleError`` with the source ``ScheduleError/Source/savedState`` for a malformed state.
    public init(restoring state: JSONValue) throws(ScheduleError) {
        guard state["scheduler"]?.stringValue == Self.kind, let id = state["id"]?.intValue, id >= 0, id <= Int64(Int32.max)
        else { throw .state("malformed callback scheduler state") }
        self.init(id: Int(id))
    }
}

extension ExperimentCore {
    /// Gives the front end's callback to the experiment's ``CallbackScheduler`` (it replaces an
    /// earlier one) and tells it the notifications that waited (a restored experiment's trials).
    /// With one of swifttune's schedulers the callback is never called.
    /// - Throws: ``ExperimentError/schedule(_:)`` when the callback fails on a waiting notification.
    public mutating func setSchedulerCallback(_ callback: @escaping SchedulerCallback) throws(ExperimentError) {
        try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.attach(callback) }
    }
}
