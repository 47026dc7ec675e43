/// What the engine answers to a reported result (``ExperimentCore/reportResult(_:_:checkpoint:now:)``):
/// its decision and the automatic fields it recorded the result with.
public struct ReportAnswer: Sendable, Equatable {
    /// Whether the trial goes on.
    public var decision: SchedulerDecision
    /// The result's `training_iteration`: the reported one, or the engine's count of the trial's
    /// results (1, 2, ...) when the result lacks it. NaN for a report not recorded (after a
    /// `.stop` or `.pause` answer).
    public var trainingIteration: Double
    /// The result's `time_total_s`: the reported one, or the trial's running time on the
    /// engine's clock (across its runs) when the result lacks it. NaN for a report not recorded.
    public var timeTotalS: Double
    /// Whether a checkpoint is due with this result (``ExperimentConfig/checkpointDue(trainingIteration:decision:)``):
    /// a front end that can save on demand (a class trainable) saves one and attaches it with
    /// ``ExperimentCore/attachCheckpoint(_:_:)``. False for a report not recorded.
    public var shouldCheckpoint: Bool

    /// An answer with these values.
    public init(decision: SchedulerDecision, trainingIteration: Double, timeTotalS: Double, shouldCheckpoint: Bool = false) {
        self.decision = decision
        self.trainingIteration = trainingIteration
        self.timeTotalS = timeTotalS
        self.shouldCheckpoint = shouldCheckpoint
    }
}

/// Why a trial's metric cannot be used (the engine then tells the searcher the trial failed and
/// never makes it "best" unless asked to keep non-finite scores).
public enum MetricProblem: String, Sendable, Equatable, CaseIterable {
    /// The trial's last result has no value of the experiment's metric (or it has no result).
    case missing
    /// The value is NaN or infinite.
    case notFinite = "not_finite"

    /// The problem with `metric` in `result`, nil when its value is a finite number. This is the
    /// engine's one rule for a usable metric.
    public static func of(_ result: Metrics?, metric: String) -> MetricProblem? {
        guard let v = result?[metric] else { return .missing }
        return v.isFinite ? nil : .notFinite
    }

    /// The searcher's outcome of a trial that ended with this last result (an experiment without
    /// a metric has only searchers that learn nothing from it: they hear it failed).
    static func outcome(_ result: Metrics?, metric: String?) -> TrialOutcome {
        if let metric, of(result, metric: metric) == nil, let v = result?[metric] { return .completed(v) }
        return .failed
    }
}

/// What became of a trial when a run of it ended (``ExperimentCore/finish(_:_:now:)``'s answer).
public struct TrialFinish: Sendable, Equatable {
    /// The trial's status now: `.pending` (a failed run that is retried), `.paused`,
    /// `.terminated` or `.error`.
    public var status: TrialStatus
    /// How many runs of the trial failed so far (this one included).
    public var numFailures: Int
    /// For a run that ended without failing: why the trial's last result cannot be used, if it
    /// cannot (for a TERMINATED trial the searcher was told it failed). Nil for a failed run.
    public var metricProblem: MetricProblem?

    /// Whether a failed run is retried (the trial is PENDING again).
    public var retried: Bool { status == .pending }

    /// An answer with these values.
    public init(status: TrialStatus, numFailures: Int, metricProblem: MetricProblem?) {
        self.status = status
        self.numFailures = numFailures
        self.metricProblem = metricProblem
    }
}
