import Synchronization
import Testing
import SwiftTune

/// The experiment engine's best trial, and the searcher and schedulers inside it (split from
/// ExperimentTests.swift; the helpers are there).
extension ExperimentTests {
    // MARK: - best trial

    /// Runs one trial per list of metric values, sequentially, each to completion.
    static func runTrials(_ c: inout ExperimentCore, _ lists: [[Double]], metric: String = "loss") throws {
        for values in lists {
            let (id, _) = try start(&c, now: 0)
            for v in values { _ = try c.report(id, [metric: v], now: 1) }
            try c.finish(id, .completed, now: 2)
        }
    }

    /// Five trials of 12 results each, built so that each scope picks a different one (mode min):
    /// A has the lowest single value, B the lowest mean, C the lowest mean of its last 10, D of
    /// its last 5, E the lowest last value.
    static let scopeLists: [[Double]] = [
        [-100] + Array(repeating: 50, count: 11),  // A: all -100; avg 37.5; last-10 50; last-5 50; last 50
        Array(repeating: 0, count: 7) + Array(repeating: 20, count: 5),  // B: avg 8.33; last-10 10; last-5 20; last 20
        [40, 40] + Array(repeating: 5, count: 5) + Array(repeating: 12, count: 5),  // C: avg 13.75; last-10 8.5; last-5 12
        Array(repeating: 30, count: 7) + [6, 6, 6, 6, 14],  // D: avg 20.67; last-10 18.8; last-5 7.6; last 14
        Array(repeating: 60, count: 11) + [1],  // E: avg 55.08; last-10 54.1; last-5 48.2; last 1
    ]

    static let scopeWinners: [ResultScope: String] = [
        .all: "trial_00000", .avg: "trial_00001", .last10Avg: "trial_00002", .last5Avg: "trial_00003", .last: "trial_00004",
    ]

    @Test(arguments: [Mode.min, Mode.max])
    func bestTrialForEveryScope(mode: Mode) throws {
        var c = try Self.core(mode: mode, numSamples: 5)
        let sign: Double = mode == .min ? 1 : -1  // mode max: the same trials with the metric negated
        try Self.runTrials(&c, Self.scopeLists.map { $0.map { sign * $0 } })
        for scope in ResultScope.allCases {
            #expect(c.bestTrial(scope: scope)?.id == Self.scopeWinners[scope], "\(scope)")
            #expect(c.trials.best(metric: "loss", mode: mode, scope: scope)?.id == Self.scopeWinners[scope])
        }
        // The other direction on the same trials: the worst last value is A's (50, or -50 with
        // the metric negated), and with `all` E's extreme (60 or -60) wins.
        let other: Mode = mode == .min ? .max : .min
        #expect(c.bestTrial(mode: other, scope: .last)?.id == "trial_00000")
        #expect(c.bestTrial(mode: other, scope: .all)?.id == "trial_00004")
        // Another metric: trials without it are skipped, so there is none.
        #expect(c.bestTrial(metric: "accuracy") == nil)
    }

    @Test func bestTrialTiesGoToTheFirst() throws {
        var c = try Self.core(numSamples: 3)
        try Self.runTrials(&c, [[5, 2], [1, 2], [3, 2]])
        #expect(c.bestTrial()?.id == "trial_00000")
        #expect(c.bestTrial(mode: .max)?.id == "trial_00000")
        #expect(c.bestTrial(scope: .all)?.id == "trial_00001")
    }

    @Test func bestTrialFiltersNaNAndInfinityByDefault() throws {
        var c = try Self.core(numSamples: 5)
        try Self.runTrials(&c, [[3], [5, -.infinity], [1, .nan], [.nan], [0, 2]])
        // Without the filter Ray compares as Python does: -inf is smallest, NaN never wins a
        // comparison (so a NaN never replaces the best so far).
        #expect(c.bestTrial()?.id == "trial_00004")  // finite lasts: 3 and 2
        #expect(c.bestTrial(filterNaNAndInf: false)?.id == "trial_00001")
        #expect(c.bestTrial(mode: .max)?.id == "trial_00000")
        #expect(c.bestTrial(mode: .max, filterNaNAndInf: false)?.id == "trial_00000")
        // avg: [1, NaN] averages to NaN and is filtered; [5, -inf] to -inf.
        #expect(c.bestTrial(scope: .avg)?.id == "trial_00004")  // 1.0 vs 3
        #expect(c.bestTrial(scope: .avg, filterNaNAndInf: false)?.id == "trial_00001")

        // +inf in mode max.
        var m = try Self.core(mode: .max, numSamples: 3)
        try Self.runTrials(&m, [[2], [.infinity], [7]])
        #expect(m.bestTrial()?.id == "trial_00002")
        #expect(m.bestTrial(filterNaNAndInf: false)?.id == "trial_00001")

        // A NaN first is kept against everything after it when not filtered (Python's `>`).
        var n = try Self.core(numSamples: 2)
        try Self.runTrials(&n, [[.nan], [4]])
        #expect(n.bestTrial()?.id == "trial_00001")
        #expect(n.bestTrial(filterNaNAndInf: false)?.id == "trial_00000")
    }

    @Test func bestOfASingleTrialIsThatTrial() throws {
        var c = try Self.core(numSamples: 1)
        #expect(c.bestTrial() == nil)
        try Self.runTrials(&c, [[.nan]])
        #expect(c.bestTrial()?.id == "trial_00000")
        #expect(c.bestTrial(metric: "not reported")?.id == "trial_00000")
        var d = try Self.core(numSamples: 2)
        try Self.runTrials(&d, [[]])
        #expect(d.bestTrial()?.id == "trial_00000")  // no result at all
        try Self.runTrials(&d, [[]])
        #expect(d.bestTrial() == nil)  // two trials, neither with the metric
    }

    // MARK: - searcher and scheduler inside the engine

    @Test func theSearcherLearnsEachTrialsLastResult() throws {
        var c = try Self.core(numSamples: 6, stop: ["training_iteration": 3])
        let (a, _) = try Self.start(&c, now: 0)
        _ = try c.report(a, ["loss": 5], now: 1)
        _ = try c.report(a, ["loss": 3.5], now: 2)
        #expect(Self.searcherStates(c.limiter.searcher.saveState())[a] == "pending")
        try c.finish(a, .completed, now: 3)
        let (b, _) = try Self.start(&c, now: 3)
        _ = try c.report(b, ["loss": 0.25], now: 4)
        try c.finish(b, .failed("raised"), now: 5)
        let (e, _) = try Self.start(&c, now: 5)
        _ = try c.report(e, ["other": 1], now: 6)
        try c.finish(e, .completed, now: 7)
        let (f, _) = try Self.start(&c, now: 7)
        #expect(try Self.reportUntilStopped(&c, f, [["loss": 9], ["loss": 1], ["loss": 4], ["loss": 0]], now: 8) == [.continue, .continue, .stop])
        try c.finish(f, .stopped, now: 9)
        let (g, _) = try Self.start(&c, now: 9)
        let (h, _) = try Self.start(&c, now: 9)
        try c.finish(h, .completed, now: 10)
        // The last result is told, not the best: 3.5 for a; the stopped f's is 4. Trials that
        // never reported the metric (e, h) are told as failed, as non-finite values are.
        #expect(Self.searcherStates(c.limiter.searcher.saveState()) == [
            a: "completed=3.5", b: "failed", e: "failed", f: "completed=4.0", g: "pending", h: "failed",
        ])
        #expect(c.limiter.live == [g])
    }

    @Test func ashaInsideTheEngineStopsPoorTrialsEarly() throws {
        // ASHA without metric and mode takes the experiment's (loss, min): rungs 8, 4, 2, 1.
        var c = try Self.core(numSamples: 3, scheduler: ASHAScheduler(maxT: 10, gracePeriod: 1, reductionFactor: 2))
        let (a, _) = try Self.start(&c, now: 0)
        let (b, _) = try Self.start(&c, now: 0)
        let (e, _) = try Self.start(&c, now: 0)
        #expect(try c.report(a, ["loss": 1], now: 1) == .continue)
        #expect(try c.report(b, ["loss": 5], now: 1) == .stop)  // -5 < cutoff{-1}
        try c.finish(b, .stopped, now: 2)
        #expect(try c.report(e, ["loss": 0.5], now: 1) == .continue)  // -0.5 >= median{-1, -5} = -3
        // a runs on to max_t = 10, where ASHA stops it.
        let d = try Self.reportUntilStopped(&c, a, Array(repeating: ["loss": 1], count: 12), now: 3)
        #expect(d == Array(repeating: .continue, count: 8) + [.stop])
        #expect(c.trial(a)?.lastResult?["training_iteration"] == 10)
        try c.finish(a, .stopped, now: 4)
        _ = try c.report(e, ["loss": 0.4], now: 5)
        try c.finish(e, .completed, now: 6)
        #expect(c.trials.map(\.status) == [.terminated, .terminated, .terminated])
        #expect(c.trials.map(\.stoppedEarly) == [true, true, false])
        #expect(c.trial(b)?.numReports == 1)
    }

    /// The median stopping rule with hard_stop false pauses a poor trial; the engine resumes it
    /// with its results, and the rule then lets it run (FIFO).
    @Test func medianStoppingRuleInsideTheEnginePausesAndResumes() throws {
        let msr = try MedianStoppingRule(timeAttr: "training_iteration", gracePeriod: 1, minSamplesRequired: 1, hardStop: false)
        var c = try Self.core(numSamples: 2, maxConcurrentTrials: 1, scheduler: msr)
        let (a, _) = try Self.start(&c, now: 0)
        // Too few other trials, but nothing waits (trial_00001 is created only by `next`): continue.
        #expect(try c.report(a, ["loss": 1], now: 1) == .continue)
        try c.finish(a, .completed, now: 2)
        let (b, _) = try Self.start(&c, now: 2)
        // b is worse than a's running mean at t = 1: hard_stop false pauses it.
        #expect(try c.report(b, ["loss": 2], now: 3) == .pause)
        try c.finish(b, .stopped, now: 3)
        #expect(c.trial(b)?.status == .paused && c.trial(b)?.stoppedEarly == false)
        #expect(Self.searcherStates(c.limiter.searcher.saveState())[b] == "pending")
        // Resumed, it falls back to FIFO; without a checkpoint it starts over (iteration 1 again).
        #expect(try c.next(now: 4) == .start(trialID: b, configuration: c.trial(b)!.configuration))
        #expect(try c.report(b, ["loss": 3], now: 5) == .continue)
        #expect(c.trial(b)?.lastResult?["training_iteration"] == 1)
        #expect(c.trial(b)?.results.count == 2)
        try c.finish(b, .completed, now: 6)
        #expect(c.trial(b)?.status == .terminated)
        #expect(try c.next(now: 7) == .finished)
    }
}
