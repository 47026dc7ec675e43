#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// The objects behind the C handles. Each handle is a retained Swift object; the `*_free`
/// functions release it. A handle of the wrong kind is detected and refused.
class Handle: @unchecked Sendable {
    class var kindName: String { "handle" }
}

/// `st_space`: an immutable, validated search space.
final class SpaceHandle: Handle, @unchecked Sendable {
    override class var kindName: String { "space" }
    let space: SearchSpace
    init(_ space: SearchSpace) { self.space = space }
}

/// `st_searcher`: a searcher behind its concurrency limiter, behind a lock.
final class SearcherHandle: Handle, @unchecked Sendable {
    override class var kindName: String { "searcher" }
    let limiter: Locked<ConcurrencyLimiter>
    init(_ limiter: ConcurrencyLimiter) { self.limiter = Locked(limiter) }
}

/// `st_scheduler`: a trial scheduler (copied into each experiment built from it).
final class SchedulerHandle: Handle, @unchecked Sendable {
    override class var kindName: String { "scheduler" }
    let scheduler: Locked<any TrialScheduler>
    init(_ scheduler: any TrialScheduler) { self.scheduler = Locked(scheduler) }
}

/// `st_experiment`: the thread-safe experiment engine.
final class ExperimentHandle: Handle, @unchecked Sendable {
    override class var kindName: String { "experiment" }
    let experiment: Experiment
    init(_ experiment: Experiment) { self.experiment = experiment }
}

/// `st_reporter`: what a run-loop objective reports through (valid during the callback only).
final class ReporterHandle: Handle, @unchecked Sendable {
    override class var kindName: String { "reporter" }
    let experiment: Experiment
    let trialID: String
    let failure = Locked<String?>(nil)
    let decision = Locked<SchedulerDecision>(.continue)
    /// The checkpoint the run resumes from, as a C string owned by the handle.
    let checkpointText: UnsafeMutablePointer<CChar>?
    /// How many results the trial kept from earlier runs.
    let previousResults: Int
    init(_ experiment: Experiment, _ trialID: String) {
        self.experiment = experiment
        self.trialID = trialID
        let record = experiment.trial(trialID)
        checkpointText = record?.checkpoint.flatMap { strdup($0) }
        previousResults = record?.results.count ?? 0
    }

    deinit { free(checkpointText) }
}

/// "a space", "an experiment".
func article(_ noun: String) -> String {
    ("aeiou".contains(noun.first ?? "x") ? "an " : "a ") + noun
}

/// A new handle for `object`, retained until its `*_free`.
func retain(_ object: Handle) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(object).toOpaque())
}

/// The object behind a handle, if it is a non-NULL handle of kind `T`.
func object<T: Handle>(_ p: OpaquePointer?, _ kind: T.Type, _ name: String) throws -> T {
    guard let p else { throw CError(.ST_INVALID_ARGUMENT, "\(name) is NULL") }
    let any = Unmanaged<Handle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    guard let t = any as? T else {
        throw CError(.ST_INVALID_ARGUMENT, "\(name) is \(article(type(of: any).kindName)) handle, not \(article(T.kindName)) handle")
    }
    return t
}

/// Releases a handle of kind `T`; NULL is ignored.
func release<T: Handle>(_ p: OpaquePointer?, _ kind: T.Type) {
    guard let p else { return }
    let u = Unmanaged<Handle>.fromOpaque(UnsafeRawPointer(p))
    guard u.takeUnretainedValue() is T else {
        setLastError("st_\(T.kindName)_free: not \(article(T.kindName)) handle; nothing freed")
        return
    }
    u.release()
}

/// A required UTF-8 C string argument.
func string(_ p: UnsafePointer<CChar>?, _ name: String) throws -> String {
    guard let p else { throw CError(.ST_INVALID_ARGUMENT, "\(name) is NULL") }
    guard let s = String(validatingCString: p) else { throw CError(.ST_INVALID_JSON, "\(name) is not valid UTF-8") }
    return s
}

/// A required JSON C string argument, parsed.
func json(_ p: UnsafePointer<CChar>?, _ name: String) throws -> JSONValue {
    let text = try string(p, name)
    do { return try JSONValue(parsing: text) } catch {
        throw CError(.ST_INVALID_JSON, "\(name): \(error.description)")
    }
}

/// Checks an out-pointer and clears what it points to.
func out<T>(_ p: UnsafeMutablePointer<T?>?, _ name: String) throws -> UnsafeMutablePointer<T?> {
    guard let p else { throw CError(.ST_INVALID_ARGUMENT, "\(name) is NULL") }
    p.pointee = nil
    return p
}

func outScalar<T>(_ p: UnsafeMutablePointer<T>?, _ name: String) throws -> UnsafeMutablePointer<T> {
    guard let p else { throw CError(.ST_INVALID_ARGUMENT, "\(name) is NULL") }
    return p
}

/// A malloc'd copy of `s` for the caller (freed with `st_free`).
func cString(_ s: String) throws -> UnsafeMutablePointer<CChar> {
    guard let p = strdup(s) else { throw CError(.ST_ERROR, "out of memory") }
    return p
}

/// `st_optuna`: Optuna's TPE over a study mirrored from the caller's, behind a lock.
final class OptunaStudyHandle: Handle, @unchecked Sendable {
    override class var kindName: String { "optuna" }
    let study: Locked<OptunaTPEStudy>
    /// What the caller's gamma or weights function reported when it failed during a call, taken
    /// (and the call failed with it) when the call returns.
    let callbackFailure = CallbackFailure()
    init(_ study: OptunaTPEStudy) { self.study = Locked(study) }
}

/// A failure reported from inside a callback, for the API call that made it to raise.
final class CallbackFailure: @unchecked Sendable {
    private let message = Locked<String?>(nil)
    /// Records the first failure of a call.
    func record(_ text: String) { message.withLock { if $0 == nil { $0 = text } } }
    /// The failure recorded since the last take, cleared.
    func take() -> String? { message.withLock { m in defer { m = nil }; return m } }
}
