#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization
import SwiftTune

/// The objective a C program gives `st_experiment_run`: called with the trial's id, its
/// configuration JSON (both valid during the call only), a reporter to report through (valid
/// during the call only) and the caller's `user_data`. Return 0 when the trial ran to its end or
/// stopped because a report said so, non-zero when it failed (`st_reporter_fail` sets the message).
public typealias st_objective = @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?, OpaquePointer?, UnsafeMutableRawPointer?) -> Int32

/// Runs the experiment to its end on `threads` library-owned threads, each taking the next trial
/// and calling `objective` for it, then records how each run ended. Returns when every trial has
/// finished: `ST_OK`, `ST_INVALID_ARGUMENT` (NULL handle or objective, `threads` < 1), or the
/// first engine error (the run then stops starting trials).
@c(st_experiment_run)
public func stExperimentRun(_ experiment: OpaquePointer?, _ threads: Int32, _ objective: st_objective?,
                            _ user_data: UnsafeMutableRawPointer?) -> Int32 {
    api {
        let e = try object(experiment, ExperimentHandle.self, "experiment")
        guard let objective else { throw CError(.ST_INVALID_ARGUMENT, "objective is NULL") }
        guard threads >= 1 else { throw CError(.ST_INVALID_ARGUMENT, "threads must be at least 1, got \(threads)") }
        let run = RunLoop(e.experiment, objective, user_data)
        var ids: [pthread_t] = []
        let context = Unmanaged.passRetained(run).toOpaque()
        for _ in 0..<threads {
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { ctx in
                Unmanaged<RunLoop>.fromOpaque(ctx!).takeUnretainedValue().work()
                return nil
            }, context)
            if rc != 0 {
                run.fail(CError(.ST_ERROR, "could not start a thread (error \(rc))"))
                break
            }
            ids.append(tid)
        }
        for tid in ids { pthread_join(tid, nil) }
        Unmanaged<RunLoop>.fromOpaque(context).release()
        if let error = run.firstError() { throw error }
        return .ST_OK
    }
}

/// Reports an intermediate result from inside an `st_experiment_run` objective, as
/// `st_experiment_report` does for this trial: `checkpoint` (may be NULL) names a checkpoint saved
/// with it; `*out_decision` says whether to go on, `*out_training_iteration` and
/// `*out_time_total_s` are the automatic fields the result was recorded with (each out-pointer
/// may be NULL). Returns `ST_OK`, `ST_INVALID_ARGUMENT`, or `ST_INVALID_TRIAL_STATE` once the
/// objective returned.
@c(st_reporter_report)
public func stReporterReport(_ reporter: OpaquePointer?, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                             _ values: UnsafePointer<Double>?, _ count: Int32, _ checkpoint: UnsafePointer<CChar>?,
                             _ out_decision: UnsafeMutablePointer<Int32>?, _ out_training_iteration: UnsafeMutablePointer<Double>?,
                             _ out_time_total_s: UnsafeMutablePointer<Double>?) -> Int32 {
    api {
        let r = try object(reporter, ReporterHandle.self, "reporter")
        let metrics = try metricsArgument(names, values, count)
        let answer = try r.experiment.reportResult(r.trialID, metrics, checkpoint: checkpointArgument(checkpoint))
        if answer.decision != .continue { r.decision.withLock { $0 = answer.decision } }
        write(answer, out_decision, out_training_iteration, out_time_total_s)
        return .ST_OK
    }
}

/// The checkpoint this run of the trial resumes from (the latest one reported before it: the
/// trial runs again after a failure, a pause or a restore), or NULL. The string belongs to the
/// reporter: valid until the objective returns. `*out_iteration` (may be NULL) is the number of
/// results the trial keeps from earlier runs. Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_reporter_checkpoint)
public func stReporterCheckpoint(_ reporter: OpaquePointer?, _ out_checkpoint: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                 _ out_iteration: UnsafeMutablePointer<Int64>?) -> Int32 {
    api {
        let target = try out(out_checkpoint, "out_checkpoint")
        let r = try object(reporter, ReporterHandle.self, "reporter")
        target.pointee = r.checkpointText.map { UnsafePointer($0) }
        out_iteration?.pointee = Int64(r.previousResults)
        return .ST_OK
    }
}

/// Records why the trial failed (the objective then returns non-zero). `message` may be NULL.
/// Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_reporter_fail)
public func stReporterFail(_ reporter: OpaquePointer?, _ message: UnsafePointer<CChar>?) -> Int32 {
    api {
        let r = try object(reporter, ReporterHandle.self, "reporter")
        let text = message.flatMap { String(validatingCString: $0) } ?? "the trial failed"
        r.failure.withLock { $0 = text }
        return .ST_OK
    }
}

/// The run loop's shared state: the engine, the callback, a condition variable to wait on, the
/// first error, and every reporter handed out (released when the run ends, so a reporter kept
/// past its callback answers with an error instead of crashing).
final class RunLoop: @unchecked Sendable {
    let experiment: Experiment
    let objective: st_objective
    let userData: UnsafeMutableRawPointer?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var generation = 0  // guarded by mutex
    private var error: CError?  // guarded by mutex
    private var reporters: [ReporterHandle] = []  // guarded by mutex

    init(_ experiment: Experiment, _ objective: @escaping st_objective, _ userData: UnsafeMutableRawPointer?) {
        self.experiment = experiment
        self.objective = objective
        self.userData = userData
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    func fail(_ e: CError) {
        locked {
            if error == nil { error = e }
            generation += 1
            pthread_cond_broadcast(cond)
        }
    }

    func firstError() -> CError? { locked { error } }

    private func notify() {
        locked {
            generation += 1
            pthread_cond_broadcast(cond)
        }
    }

    /// One thread's loop: take a trial, run it, finish it; wait while the limit is reached.
    func work() {
        while true {
            let (seen, stop) = locked { (generation, error != nil) }
            if stop { return }
            let action: NextAction
            do { action = try experiment.next() } catch {
                fail(CError(error))
                return
            }
            switch action {
            case .finished:
                notify()
                return
            case .wait:
                locked {
                    while generation == seen && error == nil { pthread_cond_wait(cond, mutex) }
                }
            case let .start(id, configuration):
                run(id, configuration)
                notify()
            }
        }
    }

    private func run(_ id: String, _ configuration: JSONValue) {
        let reporter = ReporterHandle(experiment, id)
        locked { reporters.append(reporter) }
        let rc = id.withCString { idText in
            configuration.serialized().withCString { configText in
                objective(idText, configText, OpaquePointer(Unmanaged.passUnretained(reporter).toOpaque()), userData)
            }
        }
        let end: TrialEnd
        if reporter.decision.withLock({ $0 }) != .continue {
            end = .stopped
        } else if rc == 0 {
            end = .completed
        } else {
            end = .failed(reporter.failure.withLock { $0 } ?? "the objective returned \(rc)")
        }
        do { try experiment.finish(id, end) } catch { fail(CError(error)) }
    }
}
