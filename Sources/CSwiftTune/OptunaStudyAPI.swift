#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Builds Optuna's TPE for a study of the caller's: `config_json` is `{"optuna": OPTIONS,
/// "direction": "minimize" | "maximize", "seed": N}`, or with `"directions": [...]` (one per
/// objective) instead of "direction" for a study of several objectives, whose complete trials
/// are then mirrored with `st_optuna_set_trial_values` (OPTIONS as the searcher specification's
/// "optuna": `n_startup_trials`, `n_ei_candidates`, `prior_weight`, `consider_magic_clip`,
/// `consider_endpoints`, `multivariate`, `group`, `constant_liar`, `gamma`, `weights`; all
/// optional, Optuna 5.0's defaults). On success `*out_optuna` owns a handle to free with
/// `st_optuna_free`. Returns `ST_OK`, `ST_INVALID_JSON`, `ST_INVALID_CONFIG` or `ST_INVALID_ARGUMENT`.
@c(st_optuna_new)
public func stOptunaNew(_ config_json: UnsafePointer<CChar>?, _ out_optuna: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_optuna, "out_optuna")
        let config = try json(config_json, "config_json")
        guard config.objectValue != nil else { throw CError(.ST_INVALID_CONFIG, "the configuration must be a JSON object") }
        for (k, _) in config.objectValue ?? [] where !["optuna", "direction", "directions", "seed"].contains(k) {
            throw CError(.ST_INVALID_CONFIG, "unknown key '\(k)' of an Optuna study's configuration")
        }
        let options = try OptunaTPESearch.Options(json: config["optuna"] ?? .object([]))
        func direction(_ v: JSONValue?, _ key: String) throws -> Mode {
            switch v?.stringValue ?? "minimize" {
            case "minimize": return .min
            case "maximize": return .max
            default: throw CError(.ST_INVALID_CONFIG, "'\(key)' must be \"minimize\" or \"maximize\"")
            }
        }
        let mode = try direction(config["direction"], "direction")
        var directions: [Mode]? = nil
        if let ds = config["directions"], ds != .null {
            guard config["direction"] == nil else {
                throw CError(.ST_INVALID_CONFIG, "Specify only one of `direction` and `directions`.")
            }
            guard let list = ds.arrayValue, !list.isEmpty else {
                throw CError(.ST_INVALID_CONFIG, "'directions' must be a non-empty list of \"minimize\" or \"maximize\"")
            }
            directions = try list.map { try direction($0, "directions") }
        }
        var seed: UInt64 = 0
        if let s = config["seed"], s != .null {
            guard let v = s.intValue else { throw CError(.ST_INVALID_CONFIG, "'seed' must be an integer") }
            seed = UInt64(bitPattern: v)
        }
        target.pointee = retain(OptunaStudyHandle(try OptunaTPEStudy(options: options, mode: mode, directions: directions, seed: seed)))
        return .ST_OK
    }
}

/// The slot of parameter `name` with one of Optuna's distributions, registered on first use
/// (the same name with another distribution is another slot): `kind` 0 is
/// `FloatDistribution(low, high, step=step, log=log)` (`step` NaN for none), 1
/// `IntDistribution(low, high, step=step, log=log)`, 2 a `CategoricalDistribution` of `choices`
/// options (the other numbers ignored; its values are the options' indices). Writes the slot
/// into `*out_slot`. Returns `ST_OK`, `ST_INVALID_SPACE` (a distribution Optuna refuses) or
/// `ST_INVALID_ARGUMENT`.
@c(st_optuna_slot)
public func stOptunaSlot(_ optuna: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ kind: Int32, _ low: Double, _ high: Double,
                         _ step: Double, _ log: Int32, _ choices: Int32, _ out_slot: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let h = try object(optuna, OptunaStudyHandle.self, "optuna")
        let n = try string(name, "name")
        guard let out_slot else { throw CError(.ST_INVALID_ARGUMENT, "out_slot is NULL") }
        let d: OptunaTPEStudy.ParameterDistribution
        switch kind {
        case 0: d = .float(low: low, high: high, step: step.isNaN ? nil : step, log: log != 0)
        case 1: d = .int(low: low, high: high, step: step.isNaN ? 1 : step, log: log != 0)
        case 2: d = .categorical(choices: Int(choices))
        default: throw CError(.ST_INVALID_ARGUMENT, "kind \(kind) is not 0 (float), 1 (int) or 2 (categorical)")
        }
        let slot = try h.study.withLock { (s: inout OptunaTPEStudy) throws in try s.slot(name: n, d) }
        out_slot.pointee = Int32(slot)
        return .ST_OK
    }
}

/// Mirrors trial `number` as it is now (call it for every trial that is new or changed):
/// its `state` (an `st_optuna_trial_state`), `value` (COMPLETE; NaN counts as failed), its
/// `count` parameters (`slots[k]` has internal value `values[k]`: the number, or the option's
/// index), its latest intermediate value (`report_step`, `report_value`; `report_step` NaN for
/// none) and, while it runs, the relative values it drew for parameters it does not use
/// (`unused_count` pairs). Returns `ST_OK`, `ST_INVALID_CONFIG` (an unknown slot) or `ST_INVALID_ARGUMENT`.
@c(st_optuna_set_trial)
public func stOptunaSetTrial(_ optuna: OpaquePointer?, _ number: Int64, _ state: Int32, _ value: Double,
                             _ slots: UnsafePointer<Int32>?, _ values: UnsafePointer<Double>?, _ count: Int32,
                             _ report_step: Double, _ report_value: Double,
                             _ unused_slots: UnsafePointer<Int32>?, _ unused_values: UnsafePointer<Double>?, _ unused_count: Int32) -> Int32 {
    api {
        try setTrial(optuna, number, state, value.isNaN ? [] : [value], value, slots, values, count, report_step, report_value,
                     unused_slots, unused_values, unused_count, violation: 0)
        return .ST_OK
    }
}

/// `st_optuna_set_trial` for any study: a complete trial's `n_objectives` values
/// (`objective_values`), one per direction of a study of several objectives (one for a study of
/// one; a NaN among them counts as failed; ignored unless the state is COMPLETE), and a finished
/// trial's constraint `violation`: the sum of its positive constraint values (Optuna's
/// `trial.constraints`); above 0 the trial is infeasible and ranked after every feasible one by
/// it, 0 for a feasible or unconstrained trial. The rest as `st_optuna_set_trial`. Returns
/// `ST_OK`, `ST_INVALID_CONFIG` (an unknown slot, or a complete trial without one value per
/// direction) or `ST_INVALID_ARGUMENT`.
@c(st_optuna_set_trial_values)
public func stOptunaSetTrialValues(_ optuna: OpaquePointer?, _ number: Int64, _ state: Int32,
                                   _ objective_values: UnsafePointer<Double>?, _ n_objectives: Int32,
                                   _ slots: UnsafePointer<Int32>?, _ values: UnsafePointer<Double>?, _ count: Int32,
                                   _ report_step: Double, _ report_value: Double,
                                   _ unused_slots: UnsafePointer<Int32>?, _ unused_values: UnsafePointer<Double>?,
                                   _ unused_count: Int32, _ violation: Double) -> Int32 {
    api {
        guard n_objectives >= 0 else { throw CError(.ST_INVALID_ARGUMENT, "n_objectives is negative (\(n_objectives))") }
        var objectives: [Double] = []
        if n_objectives > 0 {
            guard let objective_values else { throw CError(.ST_INVALID_ARGUMENT, "objective_values is NULL") }
            objectives = (0..<Int(n_objectives)).map { objective_values[$0] }
        }
        if state == st_optuna_trial_state.ST_OPTUNA_COMPLETE.rawValue && objectives.isEmpty {
            throw CError(.ST_INVALID_CONFIG, "trial \(number) is complete without its values")
        }
        try setTrial(optuna, number, state, objectives, objectives.count == 1 ? objectives[0] : .nan, slots, values, count,
                     report_step, report_value, unused_slots, unused_values, unused_count, violation: violation)
        return .ST_OK
    }
}

/// The work of `st_optuna_set_trial` and `st_optuna_set_trial_values`.
private func setTrial(_ optuna: OpaquePointer?, _ number: Int64, _ state: Int32, _ objectives: [Double], _ value: Double,
                      _ slots: UnsafePointer<Int32>?, _ values: UnsafePointer<Double>?, _ count: Int32,
                      _ report_step: Double, _ report_value: Double,
                      _ unused_slots: UnsafePointer<Int32>?, _ unused_values: UnsafePointer<Double>?, _ unused_count: Int32,
                      violation: Double) throws {
    let h = try object(optuna, OptunaStudyHandle.self, "optuna")
    guard let st = st_optuna_trial_state(rawValue: state) else {
        throw CError(.ST_INVALID_ARGUMENT, "state \(state) is not an st_optuna_trial_state")
    }
    let params = try pairs(slots, values, count, "slots", "values")
    let unused = try pairs(unused_slots, unused_values, unused_count, "unused_slots", "unused_values")
    let s: OptunaTPEStudy.TrialState
    switch st {
    case .ST_OPTUNA_RUNNING: s = .running
    case .ST_OPTUNA_COMPLETE: s = .complete
    case .ST_OPTUNA_PRUNED: s = .pruned
    case .ST_OPTUNA_FAIL: s = .fail
    }
    let report = report_step.isNaN ? nil : OptunaTPESearch.Report(step: report_step, value: report_value)
    try h.study.withLock { (o: inout OptunaTPEStudy) throws in
        try o.setTrial(number: Int(number), state: s, value: value, values: o.directions.count > 1 ? objectives : nil,
                       params: params, report: report, unusedRelative: unused, violation: violation)
    }
}

/// Reads `count` (slot, value) pairs.
private func pairs(_ slots: UnsafePointer<Int32>?, _ values: UnsafePointer<Double>?, _ count: Int32,
                   _ slotsName: String, _ valuesName: String) throws -> [(slot: Int, value: Double)] {
    guard count >= 0 else { throw CError(.ST_INVALID_ARGUMENT, "a count is negative (\(count))") }
    guard count > 0 else { return [] }
    guard let slots else { throw CError(.ST_INVALID_ARGUMENT, "\(slotsName) is NULL") }
    guard let values else { throw CError(.ST_INVALID_ARGUMENT, "\(valuesName) is NULL") }
    return (0..<Int(count)).map { (Int(slots[$0]), values[$0]) }
}

/// Optuna's relative search space for trial `number` (`infer_relative_search_space`): writes
/// up to `capacity` slots into `out_slots` and their number into `*out_count` (all of them fit
/// when `capacity` is the number of slots registered). Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_optuna_relative_space)
public func stOptunaRelativeSpace(_ optuna: OpaquePointer?, _ number: Int64, _ out_slots: UnsafeMutablePointer<Int32>?,
                                  _ capacity: Int32, _ out_count: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let h = try object(optuna, OptunaStudyHandle.self, "optuna")
        guard let out_count else { throw CError(.ST_INVALID_ARGUMENT, "out_count is NULL") }
        let slots = h.study.withLock { $0.relativeSearchSpace(for: Int(number)) }.flatMap { $0 }
        if let failed = h.callbackFailure.take() { throw CError(.ST_ERROR, failed) }
        guard capacity >= Int32(slots.count) else {
            throw CError(.ST_INVALID_ARGUMENT, "capacity \(capacity) is below the \(slots.count) slots")
        }
        if !slots.isEmpty {
            guard let out_slots else { throw CError(.ST_INVALID_ARGUMENT, "out_slots is NULL") }
            for (i, s) in slots.enumerated() { out_slots[i] = Int32(s) }
        }
        out_count.pointee = Int32(slots.count)
        return .ST_OK
    }
}

/// Optuna's `sample_relative` for trial `number` over the `count` slots given: writes each
/// slot's internal value into `out_values` (NaN for one left to independent sampling) and into
/// `*out_sampled` 1, or 0 while fewer than `n_startup_trials` trials are finished (then nothing
/// is sampled relatively). Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_optuna_sample_relative)
public func stOptunaSampleRelative(_ optuna: OpaquePointer?, _ number: Int64, _ slots: UnsafePointer<Int32>?, _ count: Int32,
                                   _ out_values: UnsafeMutablePointer<Double>?, _ out_sampled: UnsafeMutablePointer<Int32>?) -> Int32 {
    api {
        let h = try object(optuna, OptunaStudyHandle.self, "optuna")
        guard let out_sampled else { throw CError(.ST_INVALID_ARGUMENT, "out_sampled is NULL") }
        guard count >= 0 else { throw CError(.ST_INVALID_ARGUMENT, "count is negative (\(count))") }
        let wanted: [Int]
        if count > 0 {
            guard let slots else { throw CError(.ST_INVALID_ARGUMENT, "slots is NULL") }
            guard let out_values else { throw CError(.ST_INVALID_ARGUMENT, "out_values is NULL") }
            wanted = (0..<Int(count)).map { Int(slots[$0]) }
            for i in 0..<Int(count) { out_values[i] = .nan }
        } else {
            wanted = []
        }
        let answer = h.study.withLock({ (s: inout OptunaTPEStudy) in s.sampleRelative(for: Int(number), slots: wanted) })
        if let failed = h.callbackFailure.take() { throw CError(.ST_ERROR, failed) }
        guard let sampled = answer else {
            out_sampled.pointee = 0
            return .ST_OK
        }
        if let out_values { for (i, s) in wanted.enumerated() { if let v = sampled[s] { out_values[i] = v } } }
        out_sampled.pointee = 1
        return .ST_OK
    }
}

/// Optuna's `sample_independent` for parameter `slot` of trial `number`: writes its internal
/// value (the number, or the option's index) into `*out_value`. Returns `ST_OK`,
/// `ST_INVALID_CONFIG` (an unknown slot) or `ST_INVALID_ARGUMENT`.
@c(st_optuna_sample_independent)
public func stOptunaSampleIndependent(_ optuna: OpaquePointer?, _ number: Int64, _ slot: Int32,
                                      _ out_value: UnsafeMutablePointer<Double>?) -> Int32 {
    api {
        let h = try object(optuna, OptunaStudyHandle.self, "optuna")
        guard let out_value else { throw CError(.ST_INVALID_ARGUMENT, "out_value is NULL") }
        let value = try h.study.withLock { (s: inout OptunaTPEStudy) throws in try s.sampleIndependent(for: Int(number), slot: Int(slot)) }
        if let failed = h.callbackFailure.take() { throw CError(.ST_ERROR, failed) }
        out_value.pointee = value
        return .ST_OK
    }
}

/// The caller's `gamma` or `weights` function (Optuna's `TPESampler(gamma=, weights=)`), asked
/// with an `st_optuna_function`, n, a buffer `out` (room for one number for `ST_OPTUNA_GAMMA`, n
/// for `ST_OPTUNA_WEIGHTS`) and the user_data given with it. Called while a sampling call of
/// the same handle runs, on its thread. Return 0; a non-zero return means the function failed
/// (the sampling call then fails with `ST_ERROR`).
public typealias st_optuna_fn = @convention(c) (Int32, Int64, UnsafeMutablePointer<Double>?, UnsafeMutableRawPointer?) -> Int32

/// Gives the study functions of the caller's in place of its `gamma` and `weights` options:
/// `which` is a sum of `st_optuna_function` values (`ST_OPTUNA_GAMMA`, `ST_OPTUNA_WEIGHTS`, or
/// both); `fn` NULL or `which` 0 goes back to the options. A gamma below 0 counts as 0; weights
/// must be finite and non-negative, and not all 0 (else the call fails with `ST_ERROR`).
/// `user_data` must stay valid while the handle may sample. Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_optuna_set_functions)
public func stOptunaSetFunctions(_ optuna: OpaquePointer?, _ fn: st_optuna_fn?, _ which: Int32,
                                 _ user_data: UnsafeMutableRawPointer?) -> Int32 {
    api {
        let h = try object(optuna, OptunaStudyHandle.self, "optuna")
        let all = st_optuna_function.ST_OPTUNA_GAMMA.rawValue | st_optuna_function.ST_OPTUNA_WEIGHTS.rawValue
        guard which & ~all == 0 else { throw CError(.ST_INVALID_ARGUMENT, "which \(which) is not a sum of st_optuna_function values") }
        var gammaFunction: (@Sendable (Int) -> Int)? = nil
        var weightsFunction: (@Sendable (Int) -> [Double])? = nil
        if let fn {
            let target = OptunaFunctionTarget(fn: fn, user: user_data, failure: h.callbackFailure)
            if which & st_optuna_function.ST_OPTUNA_GAMMA.rawValue != 0 {
                gammaFunction = { (n: Int) -> Int in target.gamma(n) }
            }
            if which & st_optuna_function.ST_OPTUNA_WEIGHTS.rawValue != 0 {
                weightsFunction = { (n: Int) -> [Double] in target.weights(n) }
            }
        }
        h.study.withLock { (s: inout OptunaTPEStudy) in
            s.gammaFunction = gammaFunction
            s.weightsFunction = weightsFunction
        }
        return .ST_OK
    }
}

/// The caller's function and user_data, as the study keeps them.
private struct OptunaFunctionTarget: @unchecked Sendable {
    let fn: st_optuna_fn
    let user: UnsafeMutableRawPointer?
    let failure: CallbackFailure

    func gamma(_ n: Int) -> Int {
        var out = 0.0
        guard fn(st_optuna_function.ST_OPTUNA_GAMMA.rawValue, Int64(n), &out, user) == 0 else {
            failure.record("the gamma function failed for n = \(n)")
            return 0
        }
        guard out.isFinite else {
            failure.record("the gamma function returned \(out) for n = \(n)")
            return 0
        }
        return Int(Swift.max(0, Swift.min(out.rounded(.towardZero), Double(Int32.max))))
    }

    func weights(_ n: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: Swift.max(n, 1))
        let rc = out.withUnsafeMutableBufferPointer { fn(st_optuna_function.ST_OPTUNA_WEIGHTS.rawValue, Int64(n), $0.baseAddress, user) }
        guard rc == 0 else {
            failure.record("the weights function failed for n = \(n)")
            return []
        }
        let w = Array(out.prefix(n))
        if w.contains(where: { !$0.isFinite || $0 < 0 }) || (n > 0 && w.reduce(0, +) <= 0) {
            failure.record("the weights function returned \(w) for n = \(n): weights must be finite, non-negative and not all 0")
            return []
        }
        return w
    }
}

/// Frees an Optuna study handle. NULL is ignored.
@c(st_optuna_free)
public func stOptunaFree(_ optuna: OpaquePointer?) { release(optuna, OptunaStudyHandle.self) }
