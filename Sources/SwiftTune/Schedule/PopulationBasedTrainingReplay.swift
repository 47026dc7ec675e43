/// Replays a Population Based Training policy on one trial, as Ray Tune's
/// `PopulationBasedTrainingReplay` does: the trial starts with the policy's first configuration
/// and, at each change point (a `training_iteration`), pauses and resumes from the checkpoint of
/// that result with the next configuration. The policy is read by the front end from Ray's
/// `pbt_policy_<trial>.txt` (the chain of exploits that led to the trial, latest last).
public struct PopulationBasedTrainingReplay: TrialScheduler {
    /// The scheduler's name in saved state.
    public static let kind = "pbt_replay"

    /// One change of the policy: from `step` (a `training_iteration`) on, `configuration`.
    public struct Change: Sendable, Equatable {
        /// The `training_iteration` at which the configuration changes.
        public var step: Double
        /// The configuration from then on.
        public var configuration: JSONValue
        /// A change.
        public init(step: Double, configuration: JSONValue) {
            self.step = step
            self.configuration = configuration
        }
    }

    /// The configuration the trial starts with (nil: the trial's own, with an empty policy).
    public let initialConfiguration: JSONValue?
    /// The changes, in order.
    public let policy: [Change]
    /// The trial replayed, once added.
    var trial: String?
    /// How many changes were applied.
    public private(set) var numPerturbations = 0
    var requests: [TrialRequest] = []

    /// A replay of `policy` starting from `initialConfiguration`.
    public init(initialConfiguration: JSONValue?, policy: [Change]) {
        self.initialConfiguration = initialConfiguration
        self.policy = policy
    }

    /// Takes the experiment's metric and mode: the replay needs neither.
    public mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {}

    /// Needs the configuration: see ``onTrialAdd(_:number:configuration:)``.
    public mutating func onTrialAdd(_ trialID: String) throws(ScheduleError) {
        try onTrialAdd(trialID, number: 0, configuration: .object([]))
    }

    /// Ray's `on_trial_add`: one trial only; it takes the policy's first configuration.
    public mutating func onTrialAdd(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        if let trial, trial != trialID {
            throw ScheduleError("More than one trial added to PBT replay run. This means the same schedule will be trained "
                                + "multiple times. Do you want to set `n_samples=1`?")
        }
        trial = trialID
        let empty = configuration.objectValue?.isEmpty ?? true
        if policy.isEmpty {
            if empty {
                throw ScheduleError("No replay policy found and trial initialized without a valid config. Either pass a `config` "
                                    + "argument to `tune.Tuner()`or consider not using PBT replay for this run.")
            }
            return
        }
        if let initialConfiguration { requests.append(.configure(trialID: trialID, configuration: initialConfiguration)) }
    }

    /// Ray's `on_trial_result`: at the next change point, pause (the trial resumes from this
    /// result's checkpoint) with the next configuration.
    public mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) throws(ScheduleError) -> SchedulerDecision {
        guard let step = result["training_iteration"], numPerturbations < policy.count else { return .continue }
        let change = policy[numPerturbations]
        if step < change.step { return .continue }
        requests.append(.configure(trialID: trialID, configuration: change.configuration))
        numPerturbations += 1
        return .pause
    }

    /// The trial ended.
    public mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) throws(ScheduleError) {}
    /// The trial failed.
    public mutating func onTrialRemove(_ trialID: String) throws(ScheduleError) {}

    /// The configuration changes decided since the last call.
    public mutating func takeTrialRequests() -> [TrialRequest] {
        defer { requests = [] }
        return requests
    }

    /// The scheduler's whole state as JSON (restored by ``init(restoring:)``).
    public func saveState() -> JSONValue {
        .object([("scheduler", .string(Self.kind)), ("initial_configuration", initialConfiguration ?? .null),
                 ("policy", .array(policy.map { .array([.double($0.step), $0.configuration]) })),
                 ("trial", trial.map { .string($0) } ?? .null), ("num_perturbations", .int(Int64(numPerturbations)))])
    }

    /// Restores a scheduler from ``saveState()``.
    /// - Throws: ``ScheduleError`` with the source ``ScheduleError/Source/savedState``.
    public init(restoring state: JSONValue) throws(ScheduleError) {
        guard state["scheduler"]?.stringValue == Self.kind, let n = state["num_perturbations"]?.intValue else {
            throw ScheduleError.state("not a PBT replay state")
        }
        do { try self.init(spec: state) } catch { throw error.inSavedState }
        guard n >= 0, n <= policy.count else { throw ScheduleError.state("malformed PBT replay state") }
        trial = state["trial"]?.stringValue
        numPerturbations = Int(n)
    }

    /// Reads `{"initial_configuration": {...} | null, "policy": [[step, {...}], ...]}`.
    init(spec: JSONValue) throws(ScheduleError) {
        guard let items = (spec["policy"] ?? .array([])).arrayValue else { throw ScheduleError("'policy' must be a list of [step, configuration]") }
        var policy: [Change] = []
        for item in items {
            guard let pair = item.arrayValue, pair.count == 2, let step = pair[0].doubleValue, pair[1].objectValue != nil else {
                throw ScheduleError("each change of 'policy' must be [step, configuration], got \(item)")
            }
            policy.append(Change(step: step, configuration: pair[1]))
        }
        let initial = spec["initial_configuration"].flatMap { $0 == .null ? nil : $0 }
        if let initial, initial.objectValue == nil { throw ScheduleError("'initial_configuration' must be an object") }
        self.init(initialConfiguration: initial, policy: policy)
    }
}
