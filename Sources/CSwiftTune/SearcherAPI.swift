#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Builds a searcher from a JSON specification:
/// `{"algorithm": "tpe" | "random" | "anneal", "space": SPACE_DOCUMENT, "mode": "min" | "max", "seed": 0,
///   "points_to_evaluate": [...], "max_concurrent": N, "batch": false,
///   "n_initial_points": 20, "n_EI_candidates": 24, "gamma": 0.25, "prior_weight": 1.0,
///   "linear_forgetting": 25}` (only "algorithm" and "space" are required; the TPE options
/// apply to "tpe" only; without "max_concurrent" there is no concurrency limit).
/// `"algorithm": "anneal"` is hyperopt's annealing, with `"avg_best_idx": 2.0, "shrink_coef": 0.1`
/// (docs/anneal.md); "bohb", "optuna_tpe" and "callback" are described in SearcherSpec.swift.
/// On success `*out_searcher` owns a handle to free with `st_searcher_free`.
/// Returns `ST_OK`, `ST_INVALID_ARGUMENT`, `ST_INVALID_JSON`, `ST_INVALID_SPACE` or `ST_INVALID_CONFIG`.
@c(st_searcher_new)
public func stSearcherNew(_ spec_json: UnsafePointer<CChar>?, _ out_searcher: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_searcher, "out_searcher")
        let limiter = try SearcherSpec(json: json(spec_json, "spec_json")).makeLimiter()
        target.pointee = retain(SearcherHandle(limiter))
        return .ST_OK
    }
}

/// Suggests a configuration for a new trial. On success `*out_config` is the configuration's JSON
/// (the caller frees it with `st_free`). Returns `ST_OK`; `ST_WAIT` (with `*out_config` NULL) while
/// the concurrency limit is reached; `ST_INVALID_TRIAL_STATE` for an id already suggested;
/// `ST_INVALID_ARGUMENT` for NULL pointers.
@c(st_searcher_suggest)
public func stSearcherSuggest(_ searcher: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                              _ out_config: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api { try suggest(searcher, trial_id, out_config, nil) }
}

/// `st_searcher_suggest` that also writes the suggestion's assignment into `*out_assignment`
/// (may be NULL if not wanted; freed with `st_free`): hyperopt's `misc.vals` view, a JSON object
/// from the label of each active parameter, in the space's order, to its value, a choice's option
/// index (0-based) and an integer parameter's value as JSON integers,
/// `{"activation": 0, "mult": 1.8536, "width": 16.64}`. Returns as `st_searcher_suggest`
/// (on `ST_WAIT` and on errors both strings are NULL).
@c(st_searcher_suggest_with_assignment)
public func stSearcherSuggestWithAssignment(_ searcher: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                                            _ out_config: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                            _ out_assignment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    out_assignment?.pointee = nil
    return api { try suggest(searcher, trial_id, out_config, out_assignment) }
}

/// The two suggest calls: a suggestion's configuration, and its assignment when asked for.
func suggest(_ searcher: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
             _ out_config: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
             _ out_assignment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws -> st_status {
    let target = try out(out_config, "out_config")
    let s = try object(searcher, SearcherHandle.self, "searcher")
    let id = try string(trial_id, "trial_id")
    let made = try s.limiter.withLock { (l: inout ConcurrencyLimiter) throws -> (Suggestion, SearchSpace)? in
        try l.suggest(trialID: id).map { ($0, l.searcher.space) }
    }
    guard let (suggestion, space) = made else { return .ST_WAIT }
    let config = try cString(suggestion.configuration.serialized())
    if let out_assignment {
        guard let text = strdup(space.assignmentJSON(suggestion.assignment).serialized()) else {
            free(config)
            throw CError(.ST_ERROR, "out of memory")
        }
        out_assignment.pointee = text
    }
    target.pointee = config
    return .ST_OK
}

/// Tells the searcher how a suggested trial ended: `outcome` is `ST_OUTCOME_COMPLETED` with the
/// metric `value` (NaN counts as failed), `ST_OUTCOME_NO_METRIC` or `ST_OUTCOME_FAILED` (`value`
/// ignored). Returns `ST_OK`, `ST_UNKNOWN_TRIAL`, `ST_INVALID_TRIAL_STATE` (told twice) or
/// `ST_INVALID_ARGUMENT`. Ids unknown to the concurrency limiter are ignored, as in Ray.
@c(st_searcher_tell)
public func stSearcherTell(_ searcher: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?, _ outcome: Int32, _ value: Double) -> Int32 {
    api {
        let s = try object(searcher, SearcherHandle.self, "searcher")
        let id = try string(trial_id, "trial_id")
        let o = try outcomeArgument(outcome, value)
        try s.limiter.withLock { (l: inout ConcurrencyLimiter) throws in try l.tell(trialID: id, o) }
        return .ST_OK
    }
}

/// Records a trial evaluated outside the search (Ray's `add_evaluated_point`): its whole
/// configuration by value (`config_json`, as suggestions are) and its outcome, as for
/// `st_searcher_tell`. It counts as a trial created now and takes no concurrency slot. Returns
/// `ST_OK`, `ST_INVALID_JSON`, `ST_INVALID_SPACE` (a configuration that does not fit the space),
/// `ST_INVALID_TRIAL_STATE` (an id already used) or `ST_INVALID_ARGUMENT`.
@c(st_searcher_add_evaluated)
public func stSearcherAddEvaluated(_ searcher: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?, _ config_json: UnsafePointer<CChar>?,
                                   _ outcome: Int32, _ value: Double) -> Int32 {
    api {
        let s = try object(searcher, SearcherHandle.self, "searcher")
        let id = try string(trial_id, "trial_id")
        let config = try json(config_json, "config_json")
        let o = try outcomeArgument(outcome, value)
        try s.limiter.withLock { (l: inout ConcurrencyLimiter) throws in try l.addEvaluated(trialID: id, configuration: config, o) }
        return .ST_OK
    }
}

/// Hands the searcher an intermediate result of a live trial (Ray's `on_trial_result`): `count`
/// metrics, `names[k]` = `values[k]`. Only searchers that learn from intermediate results keep
/// it (Optuna's TPE records the metric at `training_iteration`); the others, and ids not live
/// in the concurrency limiter, ignore it. Returns `ST_OK`, `ST_UNKNOWN_TRIAL` or `ST_INVALID_ARGUMENT`.
@c(st_searcher_observe)
public func stSearcherObserve(_ searcher: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                              _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ values: UnsafePointer<Double>?, _ count: Int32) -> Int32 {
    api {
        let s = try object(searcher, SearcherHandle.self, "searcher")
        let id = try string(trial_id, "trial_id")
        let metrics = try metricsArgument(names, values, count)
        try s.limiter.withLock { (l: inout ConcurrencyLimiter) throws in try l.observe(trialID: id, metrics) }
        return .ST_OK
    }
}

/// Writes the searcher's whole state (limiter, searcher, history) as JSON into `*out_json`
/// (freed with `st_free`). Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_searcher_save)
public func stSearcherSave(_ searcher: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let s = try object(searcher, SearcherHandle.self, "searcher")
        target.pointee = try cString(s.limiter.withLock { $0.saveState() }.serialized())
        return .ST_OK
    }
}

/// Restores a searcher from `st_searcher_save` output into a new handle. Returns `ST_OK`,
/// `ST_INVALID_JSON`, `ST_INVALID_STATE` or `ST_INVALID_ARGUMENT`.
@c(st_searcher_restore)
public func stSearcherRestore(_ state_json: UnsafePointer<CChar>?, _ out_searcher: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_searcher, "out_searcher")
        let limiter = try ConcurrencyLimiter(restoring: json(state_json, "state_json"))
        target.pointee = retain(SearcherHandle(limiter))
        return .ST_OK
    }
}

/// Frees a searcher handle. NULL is ignored.
@c(st_searcher_free)
public func stSearcherFree(_ searcher: OpaquePointer?) { release(searcher, SearcherHandle.self) }

/// The outcome an `st_outcome` and its value say.
private func outcomeArgument(_ outcome: Int32, _ value: Double) throws -> TrialOutcome {
    switch st_outcome(rawValue: outcome) {
    case .ST_OUTCOME_COMPLETED?: return .completed(value)
    case .ST_OUTCOME_NO_METRIC?: return .completedWithoutMetric
    case .ST_OUTCOME_FAILED?: return .failed
    case nil: throw CError(.ST_INVALID_ARGUMENT, "outcome \(outcome) is not an st_outcome")
    }
}
