import SwiftTune

/// A stopper of the caller's (Ray's function stoppers and `Stopper` subclasses), for
/// `st_experiment_set_stopper`: called with the id of the experiment's `{"type": "callback",
/// "id": N}` stopper asked, the `st_stop_query`, and for `ST_STOP_TRIAL` the trial's id and the
/// result the engine just recorded (`count` names and values, the engine's automatic
/// `training_iteration` and `time_total_s` included, plus `done` = 1 for the last result of a
/// trial whose objective returned by itself); for `ST_STOP_ALL` `trial_id`, `names` and `values`
/// are NULL and `count` is 0. Everything is valid during the call only. Set `*out_stop` to non-zero
/// to stop and return 0; a non-zero return means the stopper failed.
public typealias st_stopper_fn = @convention(c) (Int32, Int32, UnsafePointer<CChar>?, UnsafePointer<UnsafePointer<CChar>?>?,
                                                 UnsafePointer<Double>?, Int32, UnsafeMutablePointer<Int32>?,
                                                 UnsafeMutableRawPointer?) -> Int32

/// The caller's callback and its user_data, as the engine keeps them.
struct StopperTarget: @unchecked Sendable {
    let fn: st_stopper_fn
    let user: UnsafeMutableRawPointer?

    func call(_ id: Int, _ query: StopQuery) throws(StopError) -> Bool {
        var stop: Int32 = 0
        let rc: Int32
        switch query {
        case .all:
            rc = fn(Int32(id), st_stop_query.ST_STOP_ALL.rawValue, nil, nil, nil, 0, &stop, user)
        case let .trial(trialID, result):
            rc = withCResult(trialID, result) { tid, names, values, count in
                fn(Int32(id), st_stop_query.ST_STOP_TRIAL.rawValue, tid, names, values, count, &stop, user)
            }
        }
        guard rc == 0 else { throw StopError("stopper callback \(id) failed (it returned \(rc))") }
        return stop != 0
    }
}

/// Sets the callback that answers for the experiment's caller-side stoppers (`{"type":
/// "callback", "id": N}` in the configuration's "stopper"; without one it is never called),
/// replacing an earlier one; `user_data` is handed back on every call. Set it before the first
/// `st_experiment_next` (and again on a restored experiment): until then asking such a stopper
/// fails. The engine calls `stopper` synchronously, under the experiment's lock, on the thread of
/// the call that asks: `st_experiment_report` and `st_reporter_report` (`ST_STOP_TRIAL`, then
/// `ST_STOP_ALL`), `st_experiment_finish` of a completed trial (`ST_STOP_TRIAL` with its last
/// result and `done` = 1) and `st_experiment_next` (`ST_STOP_ALL`): it must not call libswifttune
/// functions on the same experiment (that would deadlock). When the callback returns non-zero that
/// call fails with `ST_ERROR` ("stopper: stopper callback N failed") and the experiment should
/// not be used further (the stoppers' counts may be part-way). Returns `ST_OK` or
/// `ST_INVALID_ARGUMENT` (NULL experiment or stopper).
@c(st_experiment_set_stopper)
public func stExperimentSetStopper(_ experiment: OpaquePointer?, _ stopper: st_stopper_fn?,
                                   _ user_data: UnsafeMutableRawPointer?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        guard let stopper else { throw CError(.ST_INVALID_ARGUMENT, "stopper is NULL") }
        let target = StopperTarget(fn: stopper, user: user_data)
        e.experiment.setStopperCallback { (id: Int, query: StopQuery) throws(StopError) -> Bool in try target.call(id, query) }
        return .ST_OK
    }
}
