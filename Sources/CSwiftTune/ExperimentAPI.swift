#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Creates an experiment from a JSON configuration
/// `{"metric": "mean_loss", "mode": "min", "num_samples": 10, "max_concurrent_trials": null,
///   "stop": {"training_iteration": 10}, "time_budget_s": null, "max_failures": 0, "fail_fast": false,
///   "stopper": null}`
/// (every key optional; "metric" and "mode" null or absent for none: random and grid search and
/// FIFO need none, TPE, ASHA and the median stopping rule fail with Ray's message without them;
/// "stop": a trial stops once any key's value is >= its threshold, or its result has "done" != 0;
/// "stopper": Ray's stoppers, e.g. `{"type": "maximum_iteration", "max_iter": 10}`, see
/// docs/engine.md, with `{"type": "callback", "id": N}` for the caller's own, asked through
/// `st_experiment_set_stopper`; "max_failures": retries of a failed trial, -1 forever;
/// "fail_fast": the first failure ends the experiment),
/// a searcher and an optional scheduler (NULL: FIFO). The experiment takes a copy of the
/// searcher's and the scheduler's current state: the caller still owns and frees both handles.
/// On success `*out_experiment` owns a handle to free with `st_experiment_free`.
/// Returns `ST_OK`, `ST_INVALID_ARGUMENT`, `ST_INVALID_JSON` or `ST_INVALID_CONFIG`.
@c(st_experiment_new)
public func stExperimentNew(_ config_json: UnsafePointer<CChar>?, _ searcher: OpaquePointer?, _ scheduler: OpaquePointer?,
                            _ out_experiment: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_experiment, "out_experiment")
        let config = try ExperimentConfig(json: json(config_json, "config_json"))
        let limiter = try object(searcher, SearcherHandle.self, "searcher").limiter.withLock { $0 }
        let sched: any TrialScheduler = try scheduler.map { try object($0, SchedulerHandle.self, "scheduler").scheduler.withLock { $0 } } ?? FIFOScheduler()
        target.pointee = retain(ExperimentHandle(try Experiment(config: config, limiter: limiter, scheduler: sched)))
        return .ST_OK
    }
}

/// Asks what to do next. `*out_action` is `ST_NEXT_START` (then `*out_trial_id` and `*out_config`
/// are the trial's id and configuration JSON, both freed by the caller with `st_free`),
/// `ST_NEXT_WAIT` or `ST_NEXT_FINISHED` (both strings NULL). `out_trial_id` and `out_config` may
/// be NULL if not wanted. Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_next)
public func stExperimentNext(_ experiment: OpaquePointer?, _ out_action: UnsafeMutablePointer<Int32>?,
                             _ out_trial_id: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                             _ out_config: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let action = try outScalar(out_action, "out_action")
        out_trial_id?.pointee = nil
        out_config?.pointee = nil
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        switch try e.experiment.next() {
        case let .start(id, configuration):
            let idText = try cString(id)
            guard let configText = strdup(configuration.serialized()) else {
                free(idText)
                throw CError(.ST_ERROR, "out of memory")
            }
            action.pointee = st_next_action.ST_NEXT_START.rawValue
            if let out_trial_id { out_trial_id.pointee = idText } else { free(idText) }
            if let out_config { out_config.pointee = configText } else { free(configText) }
        case .wait: action.pointee = st_next_action.ST_NEXT_WAIT.rawValue
        case .finished: action.pointee = st_next_action.ST_NEXT_FINISHED.rawValue
        }
        return .ST_OK
    }
}

/// Reports an intermediate result of a running trial: `count` metric names and values (the hot
/// path: no JSON), and `checkpoint`, the name of a checkpoint saved with this result, or NULL for
/// none (copied; not empty): it becomes the trial's latest checkpoint, the one a retried, paused or
/// restored trial resumes from (see `st_experiment_trial`'s "checkpoint"). NaN and infinite values
/// are recorded (they never make a trial "best"). The engine adds `training_iteration` (1, 2, and so on
/// over the trial's results) and `time_total_s` (the trial's running time, across its runs) when
/// the result lacks them. Every out-pointer may be NULL if not wanted: `*out_decision` is
/// `ST_CONTINUE`, `ST_STOP` or `ST_PAUSE`; `*out_training_iteration` and `*out_time_total_s` are
/// the values the result was recorded with (NaN when a report after an `ST_STOP` or `ST_PAUSE`
/// answer is not recorded); `*out_should_checkpoint` is 1 when a checkpoint is due with this
/// result (the experiment's "checkpoint_frequency" and "checkpoint_at_end", or a pause), else 0:
/// a front end that can save on demand saves one and gives it to `st_experiment_attach_checkpoint`.
/// Returns `ST_OK`, `ST_UNKNOWN_TRIAL`, `ST_INVALID_TRIAL_STATE` (not running) or
/// `ST_INVALID_ARGUMENT`.
@c(st_experiment_report)
public func stExperimentReport(_ experiment: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                               _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<Double>?,
                               _ count: Int32, _ checkpoint: UnsafePointer<CChar>?, _ out_decision: UnsafeMutablePointer<Int32>?,
                               _ out_training_iteration: UnsafeMutablePointer<Double>?,
                               _ out_time_total_s: UnsafeMutablePointer<Double>?,
                               _ out_should_checkpoint: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        let id = try string(trial_id, "trial_id")
        let metrics = try metricsArgument(names, values, count)
        let answer = try e.experiment.reportResult(id, metrics, checkpoint: checkpointArgument(checkpoint))
        write(answer, out_decision, out_training_iteration, out_time_total_s)
        out_should_checkpoint?.pointee = answer.shouldCheckpoint ? 1 : 0
        return .ST_OK
    }
}

/// Attaches `checkpoint` (a name, copied; not empty), saved after the running trial's latest
/// result, as the trial's latest checkpoint: the one a retried, paused or restored trial resumes
/// from, covering every result recorded so far. For checkpoints a front end saves when
/// `st_experiment_report` answered `*out_should_checkpoint == 1` (or when the user asked for one).
/// The trial must be RUNNING (its last report may have been answered `ST_STOP` or `ST_PAUSE`).
/// Returns `ST_OK`, `ST_UNKNOWN_TRIAL`, `ST_INVALID_TRIAL_STATE` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_attach_checkpoint)
public func stExperimentAttachCheckpoint(_ experiment: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                                         _ checkpoint: UnsafePointer<CChar>?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        let id = try string(trial_id, "trial_id")
        guard let name = try checkpointArgument(checkpoint) else { throw CError(.ST_INVALID_ARGUMENT, "checkpoint is NULL") }
        try e.experiment.attachCheckpoint(id, name)
        return .ST_OK
    }
}

/// The optional checkpoint name of a report.
func checkpointArgument(_ checkpoint: UnsafePointer<CChar>?) throws -> String? {
    guard let checkpoint else { return nil }
    let name = try string(checkpoint, "checkpoint")
    guard !name.isEmpty else { throw CError(.ST_INVALID_ARGUMENT, "checkpoint is empty (give NULL for no checkpoint)") }
    return name
}

/// Writes a report's answer into the out-pointers given.
@inline(__always)
func write(_ answer: ReportAnswer, _ out_decision: UnsafeMutablePointer<Int32>?,
           _ out_training_iteration: UnsafeMutablePointer<Double>?, _ out_time_total_s: UnsafeMutablePointer<Double>?) {
    out_decision?.pointee = decisionCode(answer.decision)
    out_training_iteration?.pointee = answer.trainingIteration
    out_time_total_s?.pointee = answer.timeTotalS
}

func metricsArgument(_ names: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<Double>?, _ count: Int32) throws -> Metrics {
    guard count >= 0 else { throw CError(.ST_INVALID_ARGUMENT, "count is negative (\(count))") }
    var metrics: Metrics = [:]
    guard count > 0 else { return metrics }
    guard let names else { throw CError(.ST_INVALID_ARGUMENT, "names is NULL") }
    guard let values else { throw CError(.ST_INVALID_ARGUMENT, "values is NULL") }
    metrics.reserveCapacity(Int(count))
    for k in 0..<Int(count) {
        let name = try string(names[k], "names[\(k)]")
        guard !name.isEmpty else { throw CError(.ST_INVALID_ARGUMENT, "names[\(k)] is empty") }
        metrics[name] = values[k]
    }
    return metrics
}

func decisionCode(_ d: SchedulerDecision) -> Int32 {
    switch d {
    case .continue: return st_decision.ST_CONTINUE.rawValue
    case .stop: return st_decision.ST_STOP.rawValue
    case .pause: return st_decision.ST_PAUSE.rawValue
    }
}

/// Ends the current run of a trial: `end` is `ST_END_COMPLETED`, `ST_END_STOPPED` (after a report
/// answered `ST_STOP` or `ST_PAUSE`) or `ST_END_FAILED` with `message` (may be NULL). The engine
/// decides what becomes of the trial and says so through the out-pointers (each may be NULL if
/// not wanted; left unchanged on error): `*out_status` is its `st_trial_status` now
/// (`ST_TRIAL_PENDING`: a failed run that is retried, from its latest checkpoint;
/// `ST_TRIAL_PAUSED`; `ST_TRIAL_TERMINATED`; `ST_TRIAL_ERROR`: failed with no retry left);
/// `*out_num_failures` how many of its runs failed so far; `*out_metric` an `st_metric_status`
/// saying whether its last result has a usable value of the experiment's metric (for a run that
/// did not fail; `ST_METRIC_OK` for one that did): a TERMINATED trial without one was told to the
/// searcher as failed. Returns `ST_OK`, `ST_UNKNOWN_TRIAL`, `ST_INVALID_TRIAL_STATE` (not running)
/// or `ST_INVALID_ARGUMENT`.
@c(st_experiment_finish)
public func stExperimentFinish(_ experiment: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?, _ end: Int32,
                               _ message: UnsafePointer<CChar>?, _ out_status: UnsafeMutablePointer<Int32>?,
                               _ out_num_failures: UnsafeMutablePointer<Int32>?, _ out_metric: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        let id = try string(trial_id, "trial_id")
        let how: TrialEnd
        switch st_trial_end(rawValue: end) {
        case .ST_END_COMPLETED?: how = .completed
        case .ST_END_STOPPED?: how = .stopped
        case .ST_END_FAILED?: how = .failed(message.flatMap { String(validatingCString: $0) } ?? "the trial failed")
        case nil: throw CError(.ST_INVALID_ARGUMENT, "end \(end) is not an st_trial_end")
        }
        let finish = try e.experiment.finish(id, how)
        out_status?.pointee = statusCode(finish.status)
        out_num_failures?.pointee = Int32(clamping: finish.numFailures)
        out_metric?.pointee = metricCode(finish.metricProblem)
        return .ST_OK
    }
}

/// The `st_trial_status` of a status.
func statusCode(_ s: TrialStatus) -> Int32 {
    switch s {
    case .pending: return st_trial_status.ST_TRIAL_PENDING.rawValue
    case .running: return st_trial_status.ST_TRIAL_RUNNING.rawValue
    case .paused: return st_trial_status.ST_TRIAL_PAUSED.rawValue
    case .terminated: return st_trial_status.ST_TRIAL_TERMINATED.rawValue
    case .error: return st_trial_status.ST_TRIAL_ERROR.rawValue
    }
}

/// The `st_metric_status` of a metric problem.
func metricCode(_ p: MetricProblem?) -> Int32 {
    switch p {
    case nil: return st_metric_status.ST_METRIC_OK.rawValue
    case .missing?: return st_metric_status.ST_METRIC_MISSING.rawValue
    case .notFinite?: return st_metric_status.ST_METRIC_NOT_FINITE.rawValue
    }
}

/// Writes every trial as a JSON array into `*out_json` (freed with `st_free`); each trial is
/// `{"id", "status", "configuration", "results", "last_result", "num_reports", "error", "stopped_early",
/// "num_failures", "checkpoint"}`. A PENDING trial that ran before (retried, restored) keeps the
/// results up to its "checkpoint" (the latest one reported, or null): resume from there.
/// Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_trials)
public func stExperimentTrials(_ experiment: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        target.pointee = try cString(JSONValue.array(e.experiment.trials.map(\.json)).serialized())
        return .ST_OK
    }
}

/// Writes every trial as `st_experiment_trials` does, but with the number of each trial's results
/// (`"num_results"`) in place of `"results"`, into `*out_json` (freed with `st_free`): the cheap
/// way to list trials of a long experiment (`st_experiment_trial` gives one trial's results).
/// Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_trial_summaries)
public func stExperimentTrialSummaries(_ experiment: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        target.pointee = try cString(JSONValue.array(e.experiment.trials.map(\.summaryJSON)).serialized())
        return .ST_OK
    }
}

/// Takes the ids of the PENDING and PAUSED trials the scheduler ended since the last call (Ray's
/// `tune_controller.stop_trial`, as HyperBand's halvings do: each is now TERMINATED and its
/// searcher and scheduler were told) and writes them into `*out_json` as a JSON array of strings
/// (freed with `st_free`; `[]` for none), so a front end can tell its callbacks. Returns `ST_OK`
/// or `ST_INVALID_ARGUMENT`.
@c(st_experiment_take_stopped)
public func stExperimentTakeStopped(_ experiment: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        target.pointee = try cString(JSONValue.array(e.experiment.takeStoppedWaiting().map { .string($0) }).serialized())
        return .ST_OK
    }
}

/// Takes the exploits the experiment's scheduler made since the last call (Population Based
/// Training: a trial took another's checkpoint and a new configuration) and writes them into
/// `*out_json` as a JSON array (freed with `st_free`; `[]` for none), each `{"trial", "clone",
/// "trial_iteration", "clone_iteration", "clone_config", "config", "operations"}` (Ray's policy log
/// rows: each trial's last `training_iteration`, the clone's configuration, the new one, and how
/// each mutated key changed). A restored experiment hands over all of its exploits again at the
/// first call, so a front end can rewrite its policy logs from them. Returns `ST_OK` or
/// `ST_INVALID_ARGUMENT`.
@c(st_experiment_take_exploits)
public func stExperimentTakeExploits(_ experiment: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        target.pointee = try cString(JSONValue.array(e.experiment.takeExploits().map(\.json)).serialized())
        return .ST_OK
    }
}

/// Writes one trial as JSON into `*out_json` (freed with `st_free`).
/// Returns `ST_OK`, `ST_UNKNOWN_TRIAL` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_trial)
public func stExperimentTrial(_ experiment: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                              _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        let id = try string(trial_id, "trial_id")
        guard let t = e.experiment.trial(id) else { throw CError(.ST_UNKNOWN_TRIAL, "unknown trial '\(id)'") }
        target.pointee = try cString(t.json.serialized())
        return .ST_OK
    }
}

/// Writes the best trial by Ray's rules as JSON into `*out_json` (freed with `st_free`), or the
/// JSON `null` when no trial has a usable value. `metric` and `mode` ("min"/"max") may be NULL for
/// the experiment's own; `scope` is "last" (NULL), "avg", "last-5-avg", "last-10-avg" or "all";
/// `filter_nan_and_inf` non-zero skips non-finite scores. Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_best_trial)
public func stExperimentBestTrial(_ experiment: OpaquePointer?, _ metric: UnsafePointer<CChar>?, _ mode: UnsafePointer<CChar>?,
                                  _ scope: UnsafePointer<CChar>?, _ filter_nan_and_inf: Int32,
                                  _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        let m = try metric.map { try string($0, "metric") }
        var md: Mode? = nil
        if let mode {
            let text = try string(mode, "mode")
            guard let parsed = Mode(rawValue: text) else { throw CError(.ST_INVALID_ARGUMENT, "mode must be \"min\" or \"max\", got \"\(text)\"") }
            md = parsed
        }
        var sc = ResultScope.last
        if let scope {
            let text = try string(scope, "scope")
            guard let parsed = ResultScope(rawValue: text) else {
                throw CError(.ST_INVALID_ARGUMENT, "scope must be one of last, avg, last-5-avg, last-10-avg, all; got \"\(text)\"")
            }
            sc = parsed
        }
        let best = e.experiment.bestTrial(metric: m, mode: md, scope: sc, filterNaNAndInf: filter_nan_and_inf != 0)
        target.pointee = try cString((best?.json ?? .null).serialized())
        return .ST_OK
    }
}

/// Writes the whole experiment as versioned JSON into `*out_json` (freed with `st_free`).
/// Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_save)
public func stExperimentSave(_ experiment: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        target.pointee = try cString(e.experiment.saveState().serialized())
        return .ST_OK
    }
}

/// Restores an experiment from `st_experiment_save` output into a new handle; trials that were
/// running come back pending. Returns `ST_OK`, `ST_INVALID_JSON`, `ST_INVALID_STATE` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_restore)
public func stExperimentRestore(_ state_json: UnsafePointer<CChar>?, _ out_experiment: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_experiment, "out_experiment")
        let experiment = try Experiment(restoring: json(state_json, "state_json"))
        target.pointee = retain(ExperimentHandle(experiment))
        return .ST_OK
    }
}

/// `st_experiment_restore` with Ray's `Tuner.restore` flags in `options_json` (NULL for the
/// defaults): `{"unfinished": "resume" | "skip", "errored": "skip" | "resume" | "restart"}`.
/// "unfinished": "skip" ends PENDING and PAUSED trials TERMINATED as they stand; "errored":
/// "resume" runs ERROR trials again from their latest checkpoint, "restart" from the start.
/// Returns `ST_OK`, `ST_INVALID_JSON`, `ST_INVALID_CONFIG` (bad options), `ST_INVALID_STATE` or
/// `ST_INVALID_ARGUMENT`.
@c(st_experiment_resume)
public func stExperimentResume(_ state_json: UnsafePointer<CChar>?, _ options_json: UnsafePointer<CChar>?,
                               _ out_experiment: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_experiment, "out_experiment")
        let options = try options_json.map { try ResumeOptions(json: json($0, "options_json")) } ?? ResumeOptions()
        let experiment = try Experiment(restoring: json(state_json, "state_json"), options: options)
        target.pointee = retain(ExperimentHandle(experiment))
        return .ST_OK
    }
}

/// Frees an experiment handle. NULL is ignored.
@c(st_experiment_free)
public func stExperimentFree(_ experiment: OpaquePointer?) { release(experiment, ExperimentHandle.self) }


/// Writes into `*out_count` how many trials may run at once: the smallest of the configuration's
/// "max_concurrent_trials" and what its "resources" hold (each trial taking "per_trial" of
/// "available"), or -1 when neither bounds them (the searcher's concurrency limiter may bound them
/// further). Front ends size their pools of workers by it. Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_experiment_max_running)
public func stExperimentMaxRunning(_ experiment: OpaquePointer?, _ out_count: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        guard let out_count else { throw CError(.ST_INVALID_ARGUMENT, "out_count is NULL") }
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        out_count.pointee = e.experiment.config.maxRunning.map { Int32(clamping: $0) } ?? -1
        return .ST_OK
    }
}
