#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Builds a trial scheduler from a JSON specification, with Ray's parameter names and defaults:
/// `{"type": "fifo"}`,
/// `{"type": "asha", "time_attr": "training_iteration", "metric": null, "mode": null, "max_t": 100,
///   "grace_period": 1, "reduction_factor": 4, "brackets": 1, "stop_last_trials": true, "seed": 0}`, or
/// `{"type": "median_stopping_rule", "time_attr": "time_total_s", "metric": null, "mode": null,
///   "grace_period": 60, "min_samples_required": 3, "min_time_slice": 0, "hard_stop": true}`.
/// On success `*out_scheduler` owns a handle to free with `st_scheduler_free`.
/// Returns `ST_OK`, `ST_INVALID_ARGUMENT`, `ST_INVALID_JSON` or `ST_INVALID_CONFIG`.
@c(st_scheduler_new)
public func stSchedulerNew(_ spec_json: UnsafePointer<CChar>?, _ out_scheduler: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_scheduler, "out_scheduler")
        let scheduler = try makeScheduler(json(spec_json, "spec_json"))
        target.pointee = retain(SchedulerHandle(scheduler))
        return .ST_OK
    }
}

func makeScheduler(_ spec: JSONValue) throws -> any TrialScheduler {
    guard let members = spec.objectValue else { throw CError(.ST_INVALID_CONFIG, "the scheduler specification must be a JSON object") }
    let type = try stringOption(spec["type"], "type") ?? "fifo"
    func allow(_ keys: Set<String>) throws {
        for (k, _) in members where !keys.contains(k) && k != "type" {
            throw CError(.ST_INVALID_CONFIG, "unknown option '\(k)' for scheduler '\(type)'")
        }
    }
    let metric = try stringOption(spec["metric"], "metric")
    let mode = try modeOption(spec["mode"], "mode")
    switch type {
    case "fifo":
        try allow([])
        return FIFOScheduler()
    case "asha", "async_hyperband":
        try allow(["time_attr", "metric", "mode", "max_t", "grace_period", "reduction_factor", "brackets", "stop_last_trials", "seed"])
        return try ASHAScheduler(
            timeAttr: stringOption(spec["time_attr"], "time_attr") ?? "training_iteration", metric: metric, mode: mode,
            maxT: doubleOption(spec["max_t"], "max_t") ?? 100, gracePeriod: doubleOption(spec["grace_period"], "grace_period") ?? 1,
            reductionFactor: doubleOption(spec["reduction_factor"], "reduction_factor") ?? 4,
            brackets: Int(intOption(spec["brackets"], "brackets") ?? 1),
            stopLastTrials: boolOption(spec["stop_last_trials"], "stop_last_trials") ?? true,
            seed: UInt64(bitPattern: intOption(spec["seed"], "seed") ?? 0))
    case "median_stopping_rule":
        try allow(["time_attr", "metric", "mode", "grace_period", "min_samples_required", "min_time_slice", "hard_stop"])
        let minSamples = try intOption(spec["min_samples_required"], "min_samples_required") ?? 3
        guard minSamples >= 0 else { throw CError(.ST_INVALID_CONFIG, "'min_samples_required' must be >= 0, got \(minSamples)") }
        let grace = try doubleOption(spec["grace_period"], "grace_period") ?? 60
        guard grace >= 0 else { throw CError(.ST_INVALID_CONFIG, "'grace_period' must be >= 0, got \(grace)") }
        let slice = try doubleOption(spec["min_time_slice"], "min_time_slice") ?? 0
        guard slice >= 0 else { throw CError(.ST_INVALID_CONFIG, "'min_time_slice' must be >= 0, got \(slice)") }
        return try MedianStoppingRule(
            timeAttr: stringOption(spec["time_attr"], "time_attr") ?? "time_total_s", metric: metric, mode: mode,
            gracePeriod: grace, minSamplesRequired: Int(minSamples), minTimeSlice: slice,
            hardStop: boolOption(spec["hard_stop"], "hard_stop") ?? true)
    default:
        throw CError(.ST_INVALID_CONFIG, "unknown scheduler type '\(type)': use \"fifo\", \"asha\" or \"median_stopping_rule\"")
    }
}

/// Frees a scheduler handle. NULL is ignored.
@c(st_scheduler_free)
public func stSchedulerFree(_ scheduler: OpaquePointer?) { release(scheduler, SchedulerHandle.self) }
