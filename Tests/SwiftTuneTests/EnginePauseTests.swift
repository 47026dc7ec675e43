import Testing
@testable import SwiftTune

/// A scheduler that pauses every trial once, at its second result, to drive the engine's
/// PAUSED path deterministically.
struct PauseOnce: TrialScheduler {
    static let kind = "fifo"
    var paused: Set<String> = []
    init() {}
    mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {}
    mutating func onTrialAdd(_ trialID: String) {}
    mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) -> SchedulerDecision {
        if result["training_iteration"] == 2 && !paused.contains(trialID) {
            paused.insert(trialID)
            return .pause
        }
        return .continue
    }
    mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) {}
    mutating func onTrialRemove(_ trialID: String) {}
    func saveState() -> JSONValue { ["scheduler": "fifo"] }
    init(restoring state: JSONValue) throws(ScheduleError) {}
}

@Suite("Engine: paused trials")
struct EnginePauseTests {
    func core(_ samples: Int, maxConcurrent: Int) throws -> ExperimentCore {
        let space = try SearchSpace(["x": .uniform(0, 1)])
        let limiter = try ConcurrencyLimiter(RandomSearch(space: space, seed: 3), maxConcurrent: maxConcurrent)
        return try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: samples),
                                  limiter: limiter, scheduler: PauseOnce())
    }

    @Test func pausedTrialsResumeWhenNothingNewCanStart() throws {
        var c = try core(3, maxConcurrent: 2)
        guard case .start(let a, _) = try c.next(now: 0), case .start(let b, _) = try c.next(now: 0) else {
            Issue.record("expected two starts"); return
        }
        #expect(try c.next(now: 0) == .wait)  // the limiter is full
        #expect(try c.report(a, ["loss": 1], now: 1) == .continue)
        #expect(try c.report(a, ["loss": 1], now: 2) == .pause)
        #expect(try c.report(a, ["loss": 0], now: 2) == .pause)  // the answer holds, and the result is not recorded
        try c.finish(a, .stopped, now: 3)
        #expect(c.trial(a)?.status == .paused)
        #expect(c.limiter.live.contains(a))  // a paused trial keeps its slot and is not told to the searcher
        // The limiter is full, so nothing new can start: the paused trial runs again, keeping its
        // results; without a checkpoint it starts over, so its iterations count from 1 again (Ray
        // restores the trainable from its latest checkpoint, here none).
        #expect(try c.next(now: 4) == .start(trialID: a, configuration: c.trial(a)!.configuration))
        #expect(try c.report(a, ["loss": 0.5], now: 5) == .continue)
        #expect(c.trial(a)?.results.count == 3)
        #expect(c.trial(a)?.results.last?["training_iteration"] == 1)
        try c.finish(a, .completed, now: 6)
        #expect(c.trial(a)?.status == .terminated)
        #expect(c.trial(a)?.stoppedEarly == false)
        // a's slot is free: the third sample starts; then nothing else will.
        guard case .start(let third, _) = try c.next(now: 6) else { Issue.record("expected a start"); return }
        #expect(third == "trial_00002")
        #expect(try c.next(now: 6) == .finished)
        for id in [b, third] {
            _ = try c.report(id, ["loss": 2], now: 7)
            try c.finish(id, .completed, now: 8)
        }
        #expect(c.trials.map(\.status) == [.terminated, .terminated, .terminated])
        #expect(c.limiter.live.isEmpty)
    }

    @Test func tunerResumesPausedTrials() async throws {
        let space = try SearchSpace(["x": .uniform(0, 1)])
        let tuner = try Tuner(searcher: RandomSearch(space: space, seed: 4),
                              config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 12),
                              scheduler: PauseOnce(), workers: 3) { session in
            for k in 0..<4 { try session.report(["loss": Double(k)]) }
            return nil
        }
        let grid = try await tuner.fit()
        #expect(grid.trials.count == 12)
        #expect(grid.trials.allSatisfy { $0.status == .terminated })
        // 2 results before the pause, then 4 more when the objective runs again.
        #expect(grid.trials.allSatisfy { $0.numReports == 6 })
    }

    /// As Ray restores a paused trainable from its latest checkpoint: the resumed run's iterations
    /// count on from the checkpoint's (results 3, 4 reported again after a checkpoint at 2), its
    /// running time goes back to the checkpoint's, and every result stays recorded; a saved and
    /// restored experiment keeps counting from there.
    @Test func aPausedTrialResumesFromItsCheckpointsIteration() throws {
        var c = try core(1, maxConcurrent: 1)
        guard case .start(let a, _) = try c.next(now: 0) else { Issue.record("expected a start"); return }
        #expect(try c.report(a, ["loss": 1], now: 1) == .continue)
        #expect(try c.report(a, ["loss": 1], checkpoint: "checkpoint_000000", now: 2) == .pause)
        try c.finish(a, .stopped, now: 3)
        #expect(try c.next(now: 4) == .start(trialID: a, configuration: c.trial(a)!.configuration))
        let answer = try c.reportResult(a, ["loss": 0.5], now: 5)
        #expect(answer.trainingIteration == 3)
        #expect(answer.timeTotalS == 3)  // 2 s up to the checkpoint, then 1 s of this run
        var d = try c.report(a, ["loss": 0.4], now: 6)
        #expect(d == .continue && c.trial(a)?.results.map { $0["training_iteration"] } == [1, 2, 3, 4])
        let restored = try ExperimentCore(restoring: c.saveState(now: 6))
        #expect(restored.trial(a)?.iteration == 2)  // a running trial is saved as resuming from its checkpoint
        var r = restored
        guard case .start = try r.next(now: 7) else { Issue.record("expected a start"); return }
        d = try r.report(a, ["loss": 0.3], now: 8)
        #expect(r.trial(a)?.lastResult?["training_iteration"] == 3)
    }
}
