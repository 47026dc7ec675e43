#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Builds a searcher from a JSON specification:
/// `{"algorithm": "tpe" | "random", "space": SPACE_DOCUMENT, "mode": "min" | "max", "seed": 0,
///   "points_to_evaluate": [...], "max_concurrent": N, "batch": false,
///   "n_initial_points": 20, "n_EI_candidates": 24, "gamma": 0.25, "prior_weight": 1.0,
///   "linear_forgetting": 25}` (only "algorithm" and "space" are required; the TPE options
/// apply to "tpe" only; without "max_concurrent" there is no concurrency limit).
/// On success `*out_searcher` owns a handle to free with `st_searcher_free`.
/// Returns `ST_OK`, `ST_INVALID_ARGUMENT`, `ST_INVALID_JSON`, `ST_INVALID_SPACE` or `ST_INVALID_CONFIG`.
@c(st_searcher_new)
public func stSearcherNew(_ spec_json: UnsafePointer<CChar>?, _ out_searcher: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_searcher, "out_searcher")
        let limiter = try makeLimiter(json(spec_json, "spec_json"))
        target.pointee = retain(SearcherHandle(limiter))
        return .ST_OK
    }
}

func makeLimiter(_ spec: JSONValue) throws -> ConcurrencyLimiter {
    guard let members = spec.objectValue else { throw CError(.ST_INVALID_CONFIG, "the searcher specification must be a JSON object") }
    let known: Set<String> = ["algorithm", "space", "mode", "seed", "points_to_evaluate", "max_concurrent", "batch",
                              "n_initial_points", "n_EI_candidates", "gamma", "prior_weight", "linear_forgetting"]
    for (k, _) in members where !known.contains(k) { throw CError(.ST_INVALID_CONFIG, "unknown searcher option '\(k)'") }
    guard let algorithm = spec["algorithm"]?.stringValue else { throw CError(.ST_INVALID_CONFIG, "'algorithm' must be \"tpe\" or \"random\"") }
    guard let spaceJSON = spec["space"] else { throw CError(.ST_INVALID_CONFIG, "'space' is required") }
    let space = try SearchSpace(json: spaceJSON)
    let mode = try modeOption(spec["mode"], "mode") ?? .min
    let seed = try intOption(spec["seed"], "seed").map { UInt64(bitPattern: $0) } ?? 0
    var points: [JSONValue] = []
    if let p = spec["points_to_evaluate"] {
        guard let items = p.arrayValue else { throw CError(.ST_INVALID_CONFIG, "'points_to_evaluate' must be an array") }
        points = items
    }
    let searcher: any Searcher
    switch algorithm {
    case "tpe":
        var o = TPESearch.Options()
        if let v = try intOption(spec["n_initial_points"], "n_initial_points") { o.nInitialPoints = Int(v) }
        if let v = try intOption(spec["n_EI_candidates"], "n_EI_candidates") { o.nEICandidates = Int(v) }
        if let v = try doubleOption(spec["gamma"], "gamma") { o.gamma = v }
        if let v = try doubleOption(spec["prior_weight"], "prior_weight") { o.priorWeight = v }
        if let v = try intOption(spec["linear_forgetting"], "linear_forgetting") { o.linearForgetting = Int(v) }
        searcher = try TPESearch(space: space, mode: mode, options: o, pointsToEvaluate: points, seed: seed)
    case "random":
        for k in ["n_initial_points", "n_EI_candidates", "gamma", "prior_weight", "linear_forgetting"] where spec[k] != nil {
            throw CError(.ST_INVALID_CONFIG, "'\(k)' is a TPE option; random search takes none")
        }
        searcher = try RandomSearch(space: space, mode: mode, pointsToEvaluate: points, seed: seed)
    default:
        throw CError(.ST_INVALID_CONFIG, "unknown algorithm '\(algorithm)': use \"tpe\" or \"random\"")
    }
    let maxConcurrent = try intOption(spec["max_concurrent"], "max_concurrent").map { Int($0) } ?? Int.max
    var batch = false
    if let b = spec["batch"] {
        guard case .bool(let v) = b else { throw CError(.ST_INVALID_CONFIG, "'batch' must be true or false") }
        batch = v
    }
    return try ConcurrencyLimiter(searcher, maxConcurrent: maxConcurrent, batch: batch)
}

func intOption(_ v: JSONValue?, _ name: String) throws -> Int64? {
    guard let v, v != .null else { return nil }
    guard let i = v.intValue else { throw CError(.ST_INVALID_CONFIG, "'\(name)' must be an integer, got \(v)") }
    return i
}

func doubleOption(_ v: JSONValue?, _ name: String) throws -> Double? {
    guard let v, v != .null else { return nil }
    guard let d = v.doubleValue else { throw CError(.ST_INVALID_CONFIG, "'\(name)' must be a number, got \(v)") }
    return d
}

func stringOption(_ v: JSONValue?, _ name: String) throws -> String? {
    guard let v, v != .null else { return nil }
    guard let s = v.stringValue else { throw CError(.ST_INVALID_CONFIG, "'\(name)' must be a string, got \(v)") }
    return s
}

func boolOption(_ v: JSONValue?, _ name: String) throws -> Bool? {
    guard let v, v != .null else { return nil }
    guard case .bool(let b) = v else { throw CError(.ST_INVALID_CONFIG, "'\(name)' must be true or false, got \(v)") }
    return b
}

func modeOption(_ v: JSONValue?, _ name: String) throws -> Mode? {
    guard let s = try stringOption(v, name) else { return nil }
    guard let m = Mode(rawValue: s) else { throw CError(.ST_INVALID_CONFIG, "'\(name)' must be \"min\" or \"max\", got \"\(s)\"") }
    return m
}

/// Suggests a configuration for a new trial. On success `*out_config` is the configuration's JSON
/// (the caller frees it with `st_free`). Returns `ST_OK`; `ST_WAIT` (with `*out_config` NULL) while
/// the concurrency limit is reached; `ST_INVALID_TRIAL_STATE` for an id already suggested;
/// `ST_INVALID_ARGUMENT` for NULL pointers.
@c(st_searcher_suggest)
public func stSearcherSuggest(_ searcher: OpaquePointer?, _ trial_id: UnsafePointer<CChar>?,
                              _ out_config: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_config, "out_config")
        let s = try object(searcher, SearcherHandle.self, "searcher")
        let id = try string(trial_id, "trial_id")
        let suggestion = try s.limiter.withLock { (l: inout ConcurrencyLimiter) throws -> Suggestion? in try l.suggest(trialID: id) }
        guard let suggestion else { return .ST_WAIT }
        target.pointee = try cString(suggestion.configuration.serialized())
        return .ST_OK
    }
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
        let o: TrialOutcome
        switch st_outcome(rawValue: outcome) {
        case .ST_OUTCOME_COMPLETED?: o = .completed(value)
        case .ST_OUTCOME_NO_METRIC?: o = .completedWithoutMetric
        case .ST_OUTCOME_FAILED?: o = .failed
        case nil: throw CError(.ST_INVALID_ARGUMENT, "outcome \(outcome) is not an st_outcome")
        }
        try s.limiter.withLock { (l: inout ConcurrencyLimiter) throws in try l.tell(trialID: id, o) }
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
