import Synchronization
import Testing
@testable import SwiftTune

/// Retries, checkpoints, fail-fast, non-finite metrics and Ray's resume flags in the engine.
@Suite struct FaultToleranceTests {
    static func core(numSamples: Int = 4, maxFailures: Int = 0, failFast: Bool = false,
                     scheduler: any TrialScheduler = FIFOScheduler()) throws -> ExperimentCore {
        try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: numSamples,
                                                    maxFailures: maxFailures, failFast: failFast),
                           searcher: RandomSearch(space: try ExperimentTests.space(), mode: .min, seed: 3), scheduler: scheduler)
    }

    static func start(_ c: inout ExperimentCore, now: Double = 0) throws -> String {
        try ExperimentTests.start(&c, now: now).0
    }

    static func states(_ c: ExperimentCore) -> [String: String] {
        ExperimentTests.searcherStates(c.limiter.searcher.saveState())
    }

    @Test func aFailedTrialIsRetriedFromItsLatestCheckpoint() throws {
        var c = try Self.core(numSamples: 1, maxFailures: 2)
        let a = try Self.start(&c)
        let config = c.trial(a)?.configuration
        _ = try c.report(a, ["loss": 5, "training_iteration": 1], now: 1)
        _ = try c.report(a, ["loss": 4, "training_iteration": 2, "time_total_s": 2], checkpoint: "checkpoint_000000", now: 2)
        _ = try c.report(a, ["loss": 3, "training_iteration": 3], now: 3)
        try c.finish(a, .failed("worker died"), now: 3)
        // Back to PENDING with the results up to the checkpoint; the searcher still waits.
        #expect(c.trial(a)?.status == .pending)
        #expect(c.trial(a)?.results.map { $0["loss"] } == [5, 4])
        #expect(c.trial(a)?.checkpoint == "checkpoint_000000")
        #expect(c.trial(a)?.numFailures == 1)
        #expect(c.trial(a)?.errorMessage == nil)
        #expect(Self.states(c)[a] == "pending")
        // The same trial, same configuration, starts again before anything new.
        guard case let .start(again, configuration) = try c.next(now: 4) else { Issue.record("no restart"); return }
        #expect(again == a && configuration == config)
        _ = try c.report(a, ["loss": 2, "training_iteration": 3], now: 5)
        try c.finish(a, .completed, now: 6)
        #expect(c.trial(a)?.status == .terminated)
        #expect(c.trial(a)?.results.map { $0["training_iteration"] } == [1, 2, 3])
        #expect(Self.states(c)[a] == "completed=2.0")
        #expect(try c.next(now: 7) == .finished)
    }

    @Test func withoutACheckpointARetryStartsOverAndTheLastFailureIsFinal() throws {
        var c = try Self.core(numSamples: 1, maxFailures: 1)
        let a = try Self.start(&c)
        _ = try c.report(a, ["loss": 5], now: 1)
        try c.finish(a, .failed("first"), now: 2)
        #expect(c.trial(a)?.results.isEmpty == true)
        #expect(try Self.start(&c, now: 3) == a)
        try c.finish(a, .failed("second"), now: 4)
        #expect(c.trial(a)?.status == .error)
        #expect(c.trial(a)?.errorMessage == "second")
        #expect(c.trial(a)?.numFailures == 2)
        #expect(Self.states(c)[a] == "failed")
        #expect(try c.next(now: 5) == .finished)
    }

    @Test func maxFailuresMinusOneRetriesForever() throws {
        var c = try Self.core(numSamples: 1, maxFailures: -1)
        let a = try Self.start(&c)
        for k in 1...50 {
            try c.finish(a, .failed("again"), now: Double(k))
            #expect(try Self.start(&c, now: Double(k)) == a)
        }
        try c.finish(a, .completed, now: 60)
        #expect(c.trial(a)?.numFailures == 50)
        #expect(c.trial(a)?.status == .terminated)
    }

    @Test func failFastEndsTheExperimentAtTheFirstFailure() throws {
        var c = try Self.core(numSamples: 10, failFast: true)
        let a = try Self.start(&c)
        let b = try Self.start(&c)
        try c.finish(a, .failed("boom"), now: 1)
        #expect(c.failedFast == a)
        #expect(try c.next(now: 2) == .finished)
        // The running trial's next report tells it to stop.
        #expect(try c.report(b, ["loss": 1], now: 2) == .stop)
        try c.finish(b, .stopped, now: 3)
        #expect(c.trials.count == 2)
        #expect(c.trial(b)?.status == .terminated)
        #expect(throws: ExperimentError.self) { try Self.core(maxFailures: 1, failFast: true) }
        #expect(throws: ExperimentError.self) { try Self.core(maxFailures: -2) }
    }

    @Test func nonFiniteOrMissingMetricsAreToldAsFailuresButRecorded() throws {
        var c = try Self.core(numSamples: 4)
        var ids: [String] = []
        for value in [Double.nan, .infinity, -.infinity] {
            let id = try Self.start(&c)
            _ = try c.report(id, ["loss": value], now: 1)
            try c.finish(id, .completed, now: 2)
            ids.append(id)
        }
        let d = try Self.start(&c)
        _ = try c.report(d, ["accuracy": 0.5], now: 1)
        try c.finish(d, .completed, now: 2)
        ids.append(d)
        for id in ids {
            #expect(c.trial(id)?.status == .terminated)
            #expect(c.trial(id)?.results.count == 1)
            #expect(Self.states(c)[id] == "failed")
        }
        #expect(c.bestTrial() == nil)  // -inf never wins with the default filter
    }

    @Test func aRunningTrialIsSavedAtItsLatestCheckpoint() throws {
        var c = try Self.core(numSamples: 2)
        let a = try Self.start(&c)
        _ = try c.report(a, ["loss": 5, "time_total_s": 1], now: 1)
        _ = try c.report(a, ["loss": 4, "time_total_s": 2], checkpoint: "ck1", now: 2)
        _ = try c.report(a, ["loss": 3, "time_total_s": 3], now: 3)
        var r = try ExperimentCore(restoring: c.saveState(now: 4))
        #expect(r.trial(a)?.status == .pending)
        #expect(r.trial(a)?.results.map { $0["loss"] } == [5, 4])
        #expect(r.trial(a)?.checkpoint == "ck1")
        #expect(try Self.start(&r, now: 0) == a)
        _ = try r.report(a, ["loss": 1], now: 1)
        try r.finish(a, .completed, now: 2)
        #expect(Self.states(r)[a] == "completed=1.0")
        // Saved again and restored again: nothing lost, nothing duplicated.
        let again = try ExperimentCore(restoring: r.saveState(now: 3))
        #expect(again.trial(a) == r.trial(a))
    }

    /// Two finished trials (one TERMINATED, one ERROR with a checkpoint), one PENDING, one PAUSED.
    static func mixed() throws -> JSONValue {
        var c = try Self.core(numSamples: 5, scheduler: MedianStoppingRule(timeAttr: "training_iteration", gracePeriod: 0, minSamplesRequired: 1, hardStop: false))
        let a = try Self.start(&c)
        _ = try c.report(a, ["loss": 1, "training_iteration": 1], now: 1)
        try c.finish(a, .completed, now: 1)
        let b = try Self.start(&c)
        _ = try c.report(b, ["loss": 2, "training_iteration": 1], checkpoint: "b1", now: 2)
        _ = try c.report(b, ["loss": 2, "training_iteration": 2], now: 2)
        try c.finish(b, .failed("oops"), now: 2)
        let p = try Self.start(&c)
        #expect(try c.report(p, ["loss": 9, "training_iteration": 1], now: 3) == .pause)
        try c.finish(p, .stopped, now: 3)
        _ = try Self.start(&c)  // RUNNING: saved as PENDING
        return c.saveState(now: 4)
    }

    @Test func resumeOptionsFollowRay() throws {
        let state = try Self.mixed()
        let ids = (0..<4).map { ExperimentTests.id($0) }
        // Defaults: unfinished run again, errors stay.
        let d = try ExperimentCore(restoring: state)
        #expect(d.trials.map(\.status) == [.terminated, .error, .paused, .pending])
        // Skip unfinished: they end TERMINATED, told to the searcher with their last result.
        let s = try ExperimentCore(restoring: state, options: ResumeOptions(unfinished: .skip))
        #expect(s.trials.map(\.status) == [.terminated, .error, .terminated, .terminated])
        #expect(Self.states(s)[ids[2]] == "completed=9.0" && Self.states(s)[ids[3]] == "failed")
        var s2 = s
        guard case .start = try s2.next(now: 0) else { Issue.record("the fifth trial should start"); return }
        // Resume errored: from the checkpoint; the searcher already knows the trial failed.
        var r = try ExperimentCore(restoring: state, options: ResumeOptions(errored: .resume))
        #expect(r.trial(ids[1])?.status == .pending)
        #expect(r.trial(ids[1])?.results.count == 1 && r.trial(ids[1])?.checkpoint == "b1")
        #expect(try Self.start(&r) == ids[1])
        _ = try r.report(ids[1], ["loss": 0.5, "training_iteration": 2], now: 1)
        try r.finish(ids[1], .completed, now: 1)
        #expect(r.trial(ids[1])?.status == .terminated)
        #expect(Self.states(r)[ids[1]] == "failed")
        // A state saved with the resumed trial pending restores (it is not awaited by the searcher).
        var r2 = try ExperimentCore(restoring: state, options: ResumeOptions(errored: .resume))
        _ = try ExperimentCore(restoring: r2.saveState(now: 0))
        _ = try Self.start(&r2)
        _ = try ExperimentCore(restoring: r2.saveState(now: 0))
        // Restart errored: from the start.
        let x = try ExperimentCore(restoring: state, options: ResumeOptions(errored: .restart))
        #expect(x.trial(ids[1])?.results.isEmpty == true && x.trial(ids[1])?.checkpoint == nil)
        #expect(x.trial(ids[1])?.numFailures == 0)
    }
}

/// The Swift ``Tuner`` retries a failed objective from its latest checkpoint.
@Suite struct TunerRetryTests {
    final class Attempts: @unchecked Sendable {
        let lock = Locked<[String: Int]>([:])
    }

    @Test func aFailedObjectiveRunsAgainFromItsCheckpoint() async throws {
        let attempts = Attempts()
        let tuner = try Tuner(searcher: RandomSearch(space: try ExperimentTests.space(), mode: .min, seed: 1),
                              config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 6, maxFailures: 2),
                              workers: 3) { session in
            let n = attempts.lock.withLock { (a: inout [String: Int]) -> Int in
                a[session.trialID, default: 0] += 1
                return a[session.trialID]!
            }
            // The first run checkpoints at step 2 and dies at step 3; the second resumes there.
            let first = session.previousResults.count + 1
            if n == 2 {
                #expect(session.checkpoint == "\(session.trialID)@2" && first == 3)
            }
            for step in first...4 {
                try session.report(["loss": Double(10 - step), "training_iteration": Double(step)],
                                   checkpoint: step == 2 ? "\(session.trialID)@2" : nil)
                if step == 3 && n == 1 { throw CancellationError() }
            }
            return nil
        }
        let grid = try await tuner.fit()
        #expect(grid.trials.count == 6)
        for t in grid.trials {
            #expect(t.status == .terminated)
            #expect(t.numFailures == 1)
            #expect(t.results.map { $0["training_iteration"] } == [1, 2, 3, 4])
        }
    }
}
