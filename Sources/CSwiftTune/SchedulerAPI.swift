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
        let spec = try SchedulerSpec(json: json(spec_json, "spec_json"))
        target.pointee = retain(SchedulerHandle(spec.scheduler))
        return .ST_OK
    }
}

/// Frees a scheduler handle. NULL is ignored.
@c(st_scheduler_free)
public func stSchedulerFree(_ scheduler: OpaquePointer?) { release(scheduler, SchedulerHandle.self) }
