import SwiftTune

/// A searcher of the caller's (a user's Ray `Searcher` subclass), for `st_experiment_set_searcher`:
/// called with the id of the experiment's `{"algorithm": "callback", "id": N}` searcher, the
/// `st_search_query` and the trial's id. For `ST_SEARCH_SUGGEST` set `*out_answer` to an
/// `st_search_answer` and, with `ST_SEARCH_CONFIG`, `*out_config_json` to the configuration (a JSON
/// object) in memory of the caller's that stays valid until the callback returns to the engine's
/// next call (the engine copies it); `names`, `values` and `count` are NULL, NULL and 0. For
/// `ST_SEARCH_RESULT` they are the result the engine recorded (its automatic `training_iteration`
/// and `time_total_s` included). For `ST_SEARCH_COMPLETE` `errored` is non-zero when the trial
/// ended in an error; for the primary trial of a Repeater's group `count` is 1 and `values[0]` the
/// mean of the group's metric values (NaN when none; `names` NULL), else 0 and NULL. Everything handed in is valid during the call only. Return 0; a non-zero
/// return means the searcher failed.
public typealias st_searcher_fn = @convention(c) (Int32, Int32, UnsafePointer<CChar>?, UnsafePointer<UnsafePointer<CChar>?>?,
                                                  UnsafePointer<Double>?, Int32, Int32,
                                                  UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                                  UnsafeMutableRawPointer?) -> Int32

/// The caller's callback and its user_data, as the engine keeps them.
struct SearcherTarget: @unchecked Sendable {
    let fn: st_searcher_fn
    let user: UnsafeMutableRawPointer?

    func call(_ id: Int, _ query: SearchQuery) throws(SearchError) -> SearchReply {
        var answer: Int32 = st_search_answer.ST_SEARCH_CONFIG.rawValue
        var config: UnsafePointer<CChar>? = nil
        let rc: Int32
        switch query {
        case let .suggest(trialID):
            rc = trialID.withCString { fn(Int32(id), st_search_query.ST_SEARCH_SUGGEST.rawValue, $0, nil, nil, 0, 0, &answer, &config, user) }
        case let .complete(trialID, errored, groupMean):
            var mean = groupMean ?? .nan
            rc = trialID.withCString { tid in
                withUnsafePointer(to: &mean) { m in
                    fn(Int32(id), st_search_query.ST_SEARCH_COMPLETE.rawValue, tid, nil, groupMean == nil ? nil : m,
                       groupMean == nil ? 0 : 1, errored ? 1 : 0, nil, nil, user)
                }
            }
        case let .result(trialID, result):
            rc = withCResult(trialID, result) { tid, names, values, count in
                fn(Int32(id), st_search_query.ST_SEARCH_RESULT.rawValue, tid, names, values, count, 0, nil, nil, user)
            }
        }
        guard rc == 0 else { throw .frontEnd("searcher callback \(id) failed (it returned \(rc))") }
        guard case .suggest = query else { return .done }
        switch answer {
        case st_search_answer.ST_SEARCH_NOT_NOW.rawValue: return .notNow
        case st_search_answer.ST_SEARCH_FINISHED.rawValue: return .finished
        case st_search_answer.ST_SEARCH_CONFIG.rawValue:
            guard let config else { throw .frontEnd("searcher callback \(id) answered a configuration and gave none (NULL)") }
            do { return .configuration(try JSONValue(parsing: String(cString: config))) } catch {
                throw .frontEnd("searcher callback \(id) gave a configuration that is not JSON: \(error)")
            }
        default:
            throw .frontEnd("searcher callback \(id) answered \(answer), which is not an st_search_answer")
        }
    }
}

/// Sets the callback that answers for the experiment's caller-side searcher (`{"algorithm":
/// "callback", "id": N}` as the searcher it was created with; with one of swifttune's searchers it
/// is never called), replacing an earlier one; `user_data` is handed back on every call. Set it
/// before the first `st_experiment_next` (and again on a restored experiment): until then asking
/// the searcher fails. The engine stays the loop: it asks for a suggestion when a trial may start
/// (within the concurrency limit, `num_samples` and `max_concurrent_trials`), hands on the results
/// of live trials it recorded and did not stop, and says when each suggested trial ended. It calls
/// `searcher` synchronously, under the experiment's lock, on the thread of the call that asks
/// (`st_experiment_next`, `st_experiment_report`, `st_reporter_report`, `st_experiment_finish`): the
/// callback must not call libswifttune functions on the same experiment (that would deadlock).
/// When it returns non-zero that call fails with `ST_ERROR` ("searcher callback N
/// failed") and the experiment should not be used further. Returns `ST_OK` or
/// `ST_INVALID_ARGUMENT` (NULL experiment or searcher).
@c(st_experiment_set_searcher)
public func stExperimentSetSearcher(_ experiment: OpaquePointer?, _ searcher: st_searcher_fn?,
                                    _ user_data: UnsafeMutableRawPointer?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        guard let searcher else { throw CError(.ST_INVALID_ARGUMENT, "searcher is NULL") }
        let target = SearcherTarget(fn: searcher, user: user_data)
        e.experiment.setSearcherCallback { (id: Int, query: SearchQuery) throws(SearchError) -> SearchReply in try target.call(id, query) }
        return .ST_OK
    }
}
