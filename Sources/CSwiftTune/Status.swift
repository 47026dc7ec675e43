#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Status codes returned by every libswifttune function that can fail. `ST_OK` is 0; every other
/// code comes with a message from `st_last_error()`.
@c public enum st_status: Int32, Sendable {
    /// Success.
    case ST_OK = 0
    /// A required pointer was NULL, a handle of the wrong kind was given, or a number was out of range.
    case ST_INVALID_ARGUMENT = 1
    /// A JSON argument is not valid JSON (or not valid UTF-8).
    case ST_INVALID_JSON = 2
    /// A search space (or a point of it) is invalid.
    case ST_INVALID_SPACE = 3
    /// A searcher, scheduler or experiment specification is invalid.
    case ST_INVALID_CONFIG = 4
    /// The trial id is unknown to this searcher or experiment.
    case ST_UNKNOWN_TRIAL = 5
    /// The trial is not in a state that allows the call (not running, already finished).
    case ST_INVALID_TRIAL_STATE = 6
    /// A saved state could not be restored.
    case ST_INVALID_STATE = 7
    /// Not an error: nothing to return now (a concurrency limit holds new suggestions back).
    case ST_WAIT = 8
    /// Another failure; the message says what.
    case ST_ERROR = 9
}

/// What `st_experiment_next` asks the caller to do.
@c public enum st_next_action: Int32, Sendable {
    /// Run the returned trial.
    case ST_NEXT_START = 0
    /// Nothing to start now; call again after a trial finishes.
    case ST_NEXT_WAIT = 1
    /// No trial will start any more.
    case ST_NEXT_FINISHED = 2
}

/// The engine's answer to a reported result.
@c public enum st_decision: Int32, Sendable {
    /// Keep running the trial.
    case ST_CONTINUE = 0
    /// Stop the trial now (then call `st_experiment_finish` with `ST_END_STOPPED`).
    case ST_STOP = 1
    /// Stop the trial for now; it is started again later (finish it with `ST_END_STOPPED`).
    case ST_PAUSE = 2
}

/// How a trial run ended, for `st_experiment_finish`.
@c public enum st_trial_end: Int32, Sendable {
    /// The objective returned normally.
    case ST_END_COMPLETED = 0
    /// The objective stopped because a report answered `ST_STOP` or `ST_PAUSE`.
    case ST_END_STOPPED = 1
    /// The objective failed (the message says why).
    case ST_END_FAILED = 2
}

/// How a trial ended, for `st_searcher_tell`.
@c public enum st_outcome: Int32, Sendable {
    /// Finished with a metric value (a NaN value counts as failed).
    case ST_OUTCOME_COMPLETED = 0
    /// Finished without a metric value (kept in the model as the worst loss).
    case ST_OUTCOME_NO_METRIC = 1
    /// Failed (left out of the model).
    case ST_OUTCOME_FAILED = 2
}

/// A trial's status, as `st_experiment_finish` reports it (the trial JSON's "status" has the
/// same names without the prefix).
@c public enum st_trial_status: Int32, Sendable {
    /// Waiting to run: new, or a failed run that is retried (from its latest checkpoint).
    case ST_TRIAL_PENDING = 0
    /// Running.
    case ST_TRIAL_RUNNING = 1
    /// Stopped for now by a scheduler (`ST_PAUSE`); it runs again later.
    case ST_TRIAL_PAUSED = 2
    /// Ended: completed, or stopped early by a scheduler or a stop criterion.
    case ST_TRIAL_TERMINATED = 3
    /// Failed, with no retry left.
    case ST_TRIAL_ERROR = 4
}

/// Whether a trial's metric can be used, as `st_experiment_finish` reports it. A trial that ended
/// without a usable metric is recorded, never the best trial, and told to the searcher as failed.
@c public enum st_metric_status: Int32, Sendable {
    /// The last result has a finite value of the experiment's metric (or the run failed: not looked at).
    case ST_METRIC_OK = 0
    /// The last result has no value of the metric (or the trial reported no result).
    case ST_METRIC_MISSING = 1
    /// The value is NaN or infinite.
    case ST_METRIC_NOT_FINITE = 2
}

/// What an `st_stopper_fn` is asked.
@c public enum st_stop_query: Int32, Sendable {
    /// Whether the trial `trial_id` stops after the result given (Ray's `Stopper.__call__`).
    case ST_STOP_TRIAL = 0
    /// Whether the whole experiment stops (Ray's `Stopper.stop_all`); no trial and no result.
    case ST_STOP_ALL = 1
}

/// What an `st_searcher_fn` is asked.
@c public enum st_search_query: Int32, Sendable {
    /// A configuration for the new trial `trial_id` (Ray's `Searcher.suggest`).
    case ST_SEARCH_SUGGEST = 0
    /// A result the engine recorded for the live trial `trial_id` (Ray's `on_trial_result`).
    case ST_SEARCH_RESULT = 1
    /// The trial `trial_id` ended, with an error when `errored` is non-zero (Ray's `on_trial_complete`).
    case ST_SEARCH_COMPLETE = 2
}

/// What an `st_searcher_fn` answers to `ST_SEARCH_SUGGEST`.
@c public enum st_search_answer: Int32, Sendable {
    /// A configuration, in `*out_config_json`.
    case ST_SEARCH_CONFIG = 0
    /// None now (Ray's `suggest` returning None): the engine asks again after a trial ends.
    case ST_SEARCH_NOT_NOW = 1
    /// None ever again (Ray's `Searcher.FINISHED`): no more trials are created.
    case ST_SEARCH_FINISHED = 2
}

/// What an `st_scheduler_fn` is asked (Ray's `TrialScheduler` hooks).
@c public enum st_schedule_query: Int32, Sendable {
    /// The trial `trial_id` joined the trial table (Ray's `on_trial_add`): `text` is
    /// `{"number": N, "configuration": {...}}`.
    case ST_SCHEDULE_ADD = 0
    /// The decision on the running trial `trial_id` after the result given (Ray's
    /// `on_trial_result`): set `*out_decision` to an `st_decision`.
    case ST_SCHEDULE_RESULT = 1
    /// The trial `trial_id` completed or was stopped, with the result given as its last (none:
    /// `count` 0) (Ray's `on_trial_complete`).
    case ST_SCHEDULE_COMPLETE = 2
    /// A run of the trial `trial_id` failed (Ray's `on_trial_error`).
    case ST_SCHEDULE_ERROR = 3
    /// Which waiting trial to start (Ray's `choose_trial_to_run`): `names` are the waiting trials'
    /// ids in creation order, `values` their `st_trial_status` (PENDING or PAUSED); set
    /// `*out_trial_id` to one of `names` (the pointer itself, or a copy of the caller's that stays
    /// valid until the callback returns to the engine's next call), or leave it NULL for none.
    case ST_SCHEDULE_CHOOSE = 4
    /// One of swifttune's schedulers (Population Based Training with function mutations or a
    /// `custom_explore_fn`) asks for the caller's part of an explore of trial `trial_id`: `text` is
    /// the JSON `{"configuration": {...}, "samples": [["key", ...], ...], "custom": true|false}`;
    /// fill in a value at each path of "samples" (the caller's function resampled), then, with
    /// "custom", apply the caller's own explore; set `*out_trial_id` to the new configuration's
    /// JSON text (a string of the caller's valid until its next call).
    case ST_SCHEDULE_EXPLORE = 5
}

/// A failure carried to the C boundary: its status code and message.
struct CError: Error {
    let status: st_status
    let message: String

    init(_ status: st_status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Maps the core's errors to the status codes the header documents.
    init(_ error: any Error) {
        switch error {
        case let e as CError: self = e
        case let e as FileWriteError: self.init(.ST_ERROR, e.message)
        case let e as JSONError: self.init(.ST_INVALID_JSON, e.description)
        case let e as SpaceError: self.init(.ST_INVALID_SPACE, e.description)
        case let e as ScheduleError:
            switch e.source {
            case .option: self.init(.ST_INVALID_CONFIG, e.description)
            case .savedState: self.init(.ST_INVALID_STATE, e.description)
            case .frontEnd: self.init(.ST_ERROR, e.description)
            }
        case let e as SpecError:
            switch e {
            case .invalid(let m): self.init(.ST_INVALID_CONFIG, m)
            case .space(let s): self.init(s)
            case .search(let s): self.init(s)
            case .schedule(let s): self.init(s)
            case .experiment(let s): self.init(s)
            }
        case let e as SearchError:
            switch e {
            case .unknownTrial: self.init(.ST_UNKNOWN_TRIAL, e.description)
            case .duplicateTrial, .trialAlreadyFinished: self.init(.ST_INVALID_TRIAL_STATE, e.description)
            case .invalidOption: self.init(.ST_INVALID_CONFIG, e.description)
            case .invalidState: self.init(.ST_INVALID_STATE, e.description)
            case .space: self.init(.ST_INVALID_SPACE, e.description)
            case .frontEnd: self.init(.ST_ERROR, e.description)
            }
        case let e as ExperimentError:
            switch e {
            case .invalidConfig: self.init(.ST_INVALID_CONFIG, e.description)
            case .unknownTrial: self.init(.ST_UNKNOWN_TRIAL, e.description)
            case .trialNotRunning: self.init(.ST_INVALID_TRIAL_STATE, e.description)
            case .search(let s): self.init(s)
            case .schedule(let s): self.init(s)
            case .invalidState: self.init(.ST_INVALID_STATE, e.description)
            case .stopper: self.init(.ST_ERROR, e.description)
            }
        default: self.init(.ST_ERROR, "\(error)")
        }
    }
}

// MARK: - The thread-local last error

/// One pthread key per process for the thread's last error message (a malloc'd C string, freed
/// when it is replaced or the thread exits).
let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { p in free(p) }
    return key
}()

func setLastError(_ message: String?) {
    let old = pthread_getspecific(lastErrorKey)
    pthread_setspecific(lastErrorKey, message.map { UnsafeMutableRawPointer(strdup($0)) } ?? nil)
    free(old)
}

/// Runs one API call: clears the thread's last error, maps a thrown error to its status and
/// message. Every exported function that can fail goes through here.
@inline(__always)
func api(_ body: () throws -> st_status) -> Int32 {
    if pthread_getspecific(lastErrorKey) != nil { setLastError(nil) }
    do {
        let status = try body()
        return status.rawValue
    } catch {
        let e = CError(error)
        setLastError(e.message)
        return e.status.rawValue
    }
}

/// The message of the last failed call on this thread, or "" after a call that succeeded.
/// The string belongs to the library and stays valid until the thread's next libswifttune call.
@c(st_last_error) public func stLastError() -> UnsafePointer<CChar> {
    if let p = pthread_getspecific(lastErrorKey) { return UnsafePointer(p.assumingMemoryBound(to: CChar.self)) }
    return emptyString
}

nonisolated(unsafe) let emptyString: UnsafePointer<CChar> = UnsafePointer(strdup("")!)

/// The library's version, "MAJOR.MINOR.PATCH" (the header's `ST_VERSION` when the program was
/// compiled against this library's header). A static string; do not free it.
@c(st_version) public func stVersion() -> UnsafePointer<CChar> { versionString }

nonisolated(unsafe) let versionString: UnsafePointer<CChar> = UnsafePointer(strdup(swiftTuneVersion)!)

/// The library's version as one number, MAJOR * 1000000 + MINOR * 1000 + PATCH (compare it with
/// the header's `ST_VERSION_NUMBER`, as with SQLite's `sqlite3_libversion_number()`).
@c(st_version_number) public func stVersionNumber() -> Int32 { swiftTuneVersionNumber }

/// Frees a string (or any buffer) the library returned. NULL is ignored.
@c(st_free) public func stFree(_ p: UnsafeMutableRawPointer?) { free(p) }

/// Which function of the caller's an `st_optuna_fn` is asked for (`st_optuna_set_functions`).
@c public enum st_optuna_function: Int32, Sendable {
    /// Optuna's `gamma(n)`: write the good group's size for n finished trials into `out[0]`.
    case ST_OPTUNA_GAMMA = 1
    /// Optuna's `weights(n)`: write the n weights of a group's observations (trial order) into `out[0..<n]`.
    case ST_OPTUNA_WEIGHTS = 2
}

/// An Optuna trial's state, for `st_optuna_set_trial`.
@c public enum st_optuna_trial_state: Int32, Sendable {
    /// RUNNING: asked, not told (with the constant liar it counts among the bad trials).
    case ST_OPTUNA_RUNNING = 0
    /// COMPLETE, with its value.
    case ST_OPTUNA_COMPLETE = 1
    /// PRUNED: ranked by its latest intermediate value.
    case ST_OPTUNA_PRUNED = 2
    /// FAIL: left out of every model.
    case ST_OPTUNA_FAIL = 3
}
