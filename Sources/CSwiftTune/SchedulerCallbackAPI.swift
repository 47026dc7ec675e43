#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// A scheduler of the caller's (a user's Ray `TrialScheduler` subclass), for
/// `st_experiment_set_scheduler`: called with the id of the experiment's `{"type": "callback",
/// "id": N}` scheduler, the `st_schedule_query`, the trial's id (NULL for `ST_SCHEDULE_CHOOSE`),
/// `count` names and values (the result the engine recorded for `ST_SCHEDULE_RESULT` and
/// `ST_SCHEDULE_COMPLETE`, its automatic `training_iteration` and `time_total_s` included; the
/// waiting trials for `ST_SCHEDULE_CHOOSE`; else NULL, NULL and 0) and `text` (for
/// `ST_SCHEDULE_ADD` the JSON `{"number": N, "configuration": {...}}`, else NULL). Everything
/// handed in is valid during the call only. `*out_decision` (for `ST_SCHEDULE_RESULT`, an
/// `st_decision`, `ST_CONTINUE` unless set) and `*out_trial_id` (for `ST_SCHEDULE_CHOOSE`, NULL
/// unless set) are the answers. Return 0; a non-zero return means the scheduler failed.
public typealias st_scheduler_fn = @convention(c) (Int32, Int32, UnsafePointer<CChar>?, UnsafePointer<UnsafePointer<CChar>?>?,
                                                   UnsafePointer<Double>?, Int32, UnsafePointer<CChar>?,
                                                   UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                                   UnsafeMutableRawPointer?) -> Int32

/// The caller's callback and its user_data, as the engine keeps them.
struct SchedulerTarget: @unchecked Sendable {
    let fn: st_scheduler_fn
    let user: UnsafeMutableRawPointer?

    func call(_ id: Int, _ query: ScheduleQuery) throws(ScheduleError) -> ScheduleReply {
        var decision: Int32 = st_decision.ST_CONTINUE.rawValue
        var chosen: UnsafePointer<CChar>? = nil
        var chosenID: String? = nil
        let sid = Int32(id)
        let rc: Int32
        switch query {
        case let .add(trialID, number, configuration):
            let text = JSONValue.object([("number", .int(Int64(number))), ("configuration", configuration)]).description
            rc = trialID.withCString { tid in
                text.withCString { fn(sid, st_schedule_query.ST_SCHEDULE_ADD.rawValue, tid, nil, nil, 0, $0, nil, nil, user) }
            }
        case let .result(trialID, result):
            rc = withCResult(trialID, result) { tid, names, values, count in
                fn(sid, st_schedule_query.ST_SCHEDULE_RESULT.rawValue, tid, names, values, count, nil, &decision, nil, user)
            }
        case let .complete(trialID, result):
            rc = withCResult(trialID, result ?? [:]) { tid, names, values, count in
                fn(sid, st_schedule_query.ST_SCHEDULE_COMPLETE.rawValue, tid, names, values, count, nil, nil, nil, user)
            }
        case let .error(trialID):
            rc = trialID.withCString { fn(sid, st_schedule_query.ST_SCHEDULE_ERROR.rawValue, $0, nil, nil, 0, nil, nil, nil, user) }
        case let .choose(waiting):
            rc = withCWaiting(waiting) { names, values, count in
                let rc = fn(sid, st_schedule_query.ST_SCHEDULE_CHOOSE.rawValue, nil, names, values, count, nil, nil, &chosen, user)
                if rc == 0, let c = chosen { chosenID = String(cString: c) }  // read while the names are valid
                return rc
            }
        case let .explore(trialID, configuration, samples, custom):
            let text = JSONValue.object([("configuration", configuration), ("samples", .array(samples)),
                                         ("custom", .bool(custom))]).description
            rc = trialID.withCString { tid in
                text.withCString { fn(sid, st_schedule_query.ST_SCHEDULE_EXPLORE.rawValue, tid, nil, nil, 0, $0, nil, &chosen, user) }
            }
            if rc == 0, let c = chosen { chosenID = String(cString: c) }
        }
        guard rc == 0 else { throw .frontEnd("scheduler callback \(id) failed (it returned \(rc))") }
        switch query {
        case .result:
            switch decision {
            case st_decision.ST_CONTINUE.rawValue: return .decision(.continue)
            case st_decision.ST_STOP.rawValue: return .decision(.stop)
            case st_decision.ST_PAUSE.rawValue: return .decision(.pause)
            default: throw .frontEnd("scheduler callback \(id) answered \(decision), which is not an st_decision")
            }
        case .choose: return .chosen(chosenID)
        case .explore:
            guard let text = chosenID else { throw .frontEnd("scheduler callback \(id) answered an explore without a configuration") }
            do { return .configuration(try JSONValue(parsing: text)) } catch {
                throw .frontEnd("scheduler callback \(id) answered an explore with invalid JSON: \(error)")
            }
        default: return .done
        }
    }
}

/// Calls `body` with the waiting trials as an `ST_SCHEDULE_CHOOSE` takes them: their ids as C
/// strings and their `st_trial_status` as numbers, valid during the call only.
func withCWaiting(_ waiting: [WaitingTrial],
                  _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Double>?, Int32) -> Int32) -> Int32 {
    var names: [UnsafeMutablePointer<CChar>?] = waiting.map { strdup($0.id) }
    defer { for p in names { free(p) } }
    let values = waiting.map { Double(($0.status == .paused ? st_trial_status.ST_TRIAL_PAUSED : st_trial_status.ST_TRIAL_PENDING).rawValue) }
    return names.withUnsafeMutableBufferPointer { n in
        guard let base = n.baseAddress, !waiting.isEmpty else { return body(nil, nil, 0) }
        return base.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: n.count) { namesPtr in
            values.withUnsafeBufferPointer { v in body(namesPtr, v.baseAddress, Int32(waiting.count)) }
        }
    }
}

/// Sets the callback that answers for the experiment's caller-side scheduler (`{"type":
/// "callback", "id": N}` as the scheduler it was created with; with one of swifttune's schedulers
/// it is never called), replacing an earlier one; `user_data` is handed back on every call. Set it
/// before the first `st_experiment_next`, and again on a restored experiment: until then asking
/// the scheduler for a decision fails, and its notifications wait (a restored experiment's
/// `ST_SCHEDULE_ADD` of every trial, in creation order, then those of the resume options); this
/// call hands them over, on this thread. The engine stays the loop: it tells the scheduler each
/// trial it adds (a new one from the searcher, a failed run requeued after `ST_SCHEDULE_ERROR`),
/// asks it for a decision after each result it records and no stopper or stop criterion ended,
/// tells it how each run ended, and, whenever a trial may start and some wait, asks which of the
/// waiting ones (the chosen one starts; with none chosen the first PENDING one does, and PAUSED
/// trials wait). It calls `scheduler` synchronously, under the experiment's lock, on the thread of
/// the call that asks (`st_experiment_next`, `st_experiment_report`, `st_reporter_report`,
/// `st_experiment_finish`, this function): the callback must not call libswifttune functions on
/// the same experiment (that would deadlock). When it returns non-zero, or answers what it may
/// not (a decision that is no `st_decision`, a trial that is not waiting), that call fails with
/// `ST_ERROR` and the experiment should not be used further. Returns `ST_OK`, `ST_INVALID_ARGUMENT`
/// (NULL experiment or scheduler) or `ST_ERROR` (the callback failed on a waiting notification).
@c(st_experiment_set_scheduler)
public func stExperimentSetScheduler(_ experiment: OpaquePointer?, _ scheduler: st_scheduler_fn?,
                                     _ user_data: UnsafeMutableRawPointer?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        guard let scheduler else { throw CError(.ST_INVALID_ARGUMENT, "scheduler is NULL") }
        let target = SchedulerTarget(fn: scheduler, user: user_data)
        try e.experiment.setSchedulerCallback { (id: Int, query: ScheduleQuery) throws(ScheduleError) -> ScheduleReply in
            try target.call(id, query)
        }
        return .ST_OK
    }
}
