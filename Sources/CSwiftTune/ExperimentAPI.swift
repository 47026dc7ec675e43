#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Creates an experiment from a JSON configuration
/// `{"metric": "mean_loss", "mode": "min", "num_samples": 10, "max_concurrent_trials": null,
///   "stop": {"training_iteration": 10}, "time_budget_s": null, "max_failures": 0, "fail_fast": false}`
/// ("metric" and "mode" required; "max_failures": retries of a failed trial, -1 forever;
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
        let config = try experimentConfig(json(config_json, "config_json"))
        let limiter = try object(searcher, SearcherHandle.self, "searcher").limiter.withLock { $0 }
        let sched: any TrialScheduler = try scheduler.map { try object($0, SchedulerHandle.self, "scheduler").scheduler.withLock { $0 } } ?? FIFOScheduler()
        target.pointee = retain(ExperimentHandle(try Experiment(config: config, limiter: limiter, scheduler: sched)))
        return .ST_OK
    }
}

func experimentConfig(_ spec: JSONValue) throws -> ExperimentConfig {
    guard let members = spec.objectValue else { throw CError(.ST_INVALID_CONFIG, "the experiment configuration must be a JSON object") }
    let known: Set<String> = ["metric", "mode", "num_samples", "max_concurrent_trials", "stop", "time_budget_s", "max_failures", "fail_fast"]
    for (k, _) in members where !known.contains(k) { throw CError(.ST_INVALID_CONFIG, "unknown experiment option '\(k)'") }
    guard let metric = try stringOption(spec["metric"], "metric") else { throw CError(.ST_INVALID_CONFIG, "'metric' is required") }
    guard let mode = try modeOption(spec["mode"], "mode") else { throw CError(.ST_INVALID_CONFIG, "'mode' is required") }
    var stop: [String: Double] = [:]
    if let s = spec["stop"], s != .null {
        guard let items = s.objectValue else { throw CError(.ST_INVALID_CONFIG, "'stop' must be an object of thresholds") }
        for (k, v) in items {
            guard let x = v.doubleValue else { throw CError(.ST_INVALID_CONFIG, "stop threshold '\(k)' must be a number, got \(v)") }
            stop[k] = x
        }
    }
    return ExperimentConfig(metric: metric, mode: mode, numSamples: Int(try intOption(spec["num_samples"], "num_samples") ?? 1),
                            maxConcurrentTrials: try intOption(spec["max_concurrent_trials"], "max_concurrent_trials").map { Int($0) },
                            stop: stop, timeBudgetS: try doubleOption(spec["time_budget_s"], "time_budget_s"),
                            maxFailures: Int(try intOption(spec["max_failures"], "max_failures") ?? 0),
                            failFast: try boolOption(spec["fail_fast"], "fail_fast") ?? false)
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
/// path: no JSON). `*out_decision` is `ST_CONTINUE`, `ST_STOP` or `ST_PAUSE` (it may be NULL if not
/// wanted). NaN and infinite values are recorded (they never make a trial "best").
/// Returns `ST_OK`, `ST_UNKNOWN_TRIAL`, `ST_INVALID_TRIAL_STATE` (not running) or `ST_INVALID_ARGUMENT`.
@c(st_experiment_report)
public func stExperimentReport(_ experiment: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                               _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<Double>?,
                               _ count: Int32, _ out_decision: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        let id = try string(trial_id, "trial_id")
        let metrics = try metricsArgument(names, values, count)
        let d = try e.experiment.report(id, metrics)
        out_decision?.pointee = decisionCode(d)
        return .ST_OK
    }
}

/// `st_experiment_report` with the name of a checkpoint saved with this result (`checkpoint`, not
/// NULL, copied): it becomes the trial's latest checkpoint, the one a retried, paused or restored
/// trial resumes from (see `st_experiment_trial`'s "checkpoint"). Returns as `st_experiment_report`.
@c(st_experiment_report_checkpoint)
public func stExperimentReportCheckpoint(_ experiment: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                                         _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<Double>?,
                                         _ count: Int32, _ checkpoint: UnsafePointer<CChar>?,
                                         _ out_decision: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        let id = try string(trial_id, "trial_id")
        let metrics = try metricsArgument(names, values, count)
        let name = try string(checkpoint, "checkpoint")
        let d = try e.experiment.report(id, metrics, checkpoint: name)
        out_decision?.pointee = decisionCode(d)
        return .ST_OK
    }
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
/// answered `ST_STOP` or `ST_PAUSE`) or `ST_END_FAILED` with `message` (may be NULL).
/// Returns `ST_OK`, `ST_UNKNOWN_TRIAL`, `ST_INVALID_TRIAL_STATE` (not running) or `ST_INVALID_ARGUMENT`.
@c(st_experiment_finish)
public func stExperimentFinish(_ experiment: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?, _ end: Int32,
                               _ message: UnsafePointer<CChar>?) -> Int32 {
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
        try e.experiment.finish(id, how)
        return .ST_OK
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
        var options = ResumeOptions()
        if let options_json {
            let spec = try json(options_json, "options_json")
            guard let members = spec.objectValue else { throw CError(.ST_INVALID_CONFIG, "the resume options must be a JSON object") }
            for (k, _) in members where k != "unfinished" && k != "errored" { throw CError(.ST_INVALID_CONFIG, "unknown resume option '\(k)'") }
            if let u = try stringOption(spec["unfinished"], "unfinished") {
                guard let v = ResumeOptions.Unfinished(rawValue: u) else { throw CError(.ST_INVALID_CONFIG, "'unfinished' must be \"resume\" or \"skip\", got \"\(u)\"") }
                options.unfinished = v
            }
            if let x = try stringOption(spec["errored"], "errored") {
                guard let v = ResumeOptions.Errored(rawValue: x) else {
                    throw CError(.ST_INVALID_CONFIG, "'errored' must be \"skip\", \"resume\" or \"restart\", got \"\(x)\"")
                }
                options.errored = v
            }
        }
        let experiment = try Experiment(restoring: json(state_json, "state_json"), options: options)
        target.pointee = retain(ExperimentHandle(experiment))
        return .ST_OK
    }
}

/// Frees an experiment handle. NULL is ignored.
@c(st_experiment_free)
public func stExperimentFree(_ experiment: OpaquePointer?) { release(experiment, ExperimentHandle.self) }

