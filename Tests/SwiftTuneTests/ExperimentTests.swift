import Synchronization
import Testing
import SwiftTune

/// The experiment engine: `ExperimentCore` driven directly with explicit `now:` times, and the
/// `Tuner` end to end. Expectations follow Ray Tune 2.x (`Trial.should_stop`,
/// `ExperimentAnalysis.get_best_trial`, `ConcurrencyLimiter`, the schedulers).
@Suite struct ExperimentTests {
    static func space() throws -> SearchSpace {
        try SearchSpace(["x": .uniform(-5, 5), "y": .uniform(0, 2), "act": .choice(["relu", "tanh"])])
    }

    static func core(metric: String = "loss", mode: Mode = .min, numSamples: Int = 10, stop: [String: Double] = [:],
                     budget: Double? = nil, maxConcurrentTrials: Int? = nil,
                     scheduler: any TrialScheduler = FIFOScheduler(), seed: UInt64 = 1) throws -> ExperimentCore {
        try ExperimentCore(config: ExperimentConfig(metric: metric, mode: mode, numSamples: numSamples,
                                                    maxConcurrentTrials: maxConcurrentTrials, stop: stop, timeBudgetS: budget),
                           searcher: RandomSearch(space: space(), mode: mode, seed: seed), scheduler: scheduler)
    }

    /// `next` must start a trial; its id and configuration.
    static func start(_ c: inout ExperimentCore, now: Double, sourceLocation: SourceLocation = #_sourceLocation) throws -> (String, JSONValue) {
        let action = try c.next(now: now)
        guard case let .start(id, configuration) = action else {
            Issue.record("expected a start, got \(action)", sourceLocation: sourceLocation)
            throw ExperimentError.invalidState("no start")
        }
        return (id, configuration)
    }

    static func id(_ n: Int) -> String {
        "trial_" + String(repeating: "0", count: max(0, 5 - String(n).count)) + String(n)
    }

    /// The wrapped searcher's view of each trial: "pending", "failed", "completed=<metric>", ...
    static func searcherStates(_ searcherState: JSONValue?) -> [String: String] {
        var out: [String: String] = [:]
        for t in searcherState?["trials"]?.arrayValue ?? [] {
            guard let id = t["id"]?.stringValue, let state = t["state"]?.stringValue else { continue }
            out[id] = state + (t["metric"]?.doubleValue.map { "=\($0)" } ?? "")
        }
        return out
    }

    // MARK: - flow

    @Test func nextReportFinishFlow() throws {
        var c = try Self.core(numSamples: 3)
        #expect(c.trials.isEmpty && c.runningCount == 0)
        let (a, configA) = try Self.start(&c, now: 10)
        #expect(a == "trial_00000")
        #expect(c.trial(a)?.status == .running && c.trial(a)?.configuration == configA && c.runningCount == 1)
        #expect(configA["x"]?.doubleValue != nil && configA["act"]?.stringValue != nil)

        // training_iteration counts the reports; time_total_s is the running time, both only
        // when the result lacks them.
        #expect(try c.report(a, ["loss": 4], now: 12.5) == .continue)
        #expect(c.trial(a)?.lastResult == ["loss": 4, "training_iteration": 1, "time_total_s": 2.5])
        #expect(try c.report(a, ["loss": 3, "training_iteration": 7, "time_total_s": 100], now: 13) == .continue)
        #expect(c.trial(a)?.lastResult == ["loss": 3, "training_iteration": 7, "time_total_s": 100])
        #expect(try c.report(a, ["loss": 2], now: 14) == .continue)
        #expect(c.trial(a)?.lastResult == ["loss": 2, "training_iteration": 3, "time_total_s": 4])
        #expect(c.trial(a)?.numReports == 3)

        let (b, _) = try Self.start(&c, now: 15)
        #expect(b == "trial_00001" && c.runningCount == 2)
        try c.finish(a, .completed, now: 16)
        #expect(c.trial(a)?.status == .terminated && c.trial(a)?.stoppedEarly == false && c.trial(a)?.errorMessage == nil)
        #expect(c.runningCount == 1)
        #expect(try c.report(b, ["loss": 9], now: 16) == .continue)
        try c.finish(b, .failed("worker died: boom"), now: 17)
        #expect(c.trial(b)?.status == .error && c.trial(b)?.errorMessage == "worker died: boom")
        #expect(c.trial(b)?.numReports == 1)

        let (third, _) = try Self.start(&c, now: 18)
        #expect(third == "trial_00002")
        // All three samples created: nothing more will start.
        #expect(try c.next(now: 18) == .finished)
        #expect(c.trials.map(\.status) == [.terminated, .error, .running])
        #expect(c.trials.map(\.id) == ["trial_00000", "trial_00001", "trial_00002"])

        // A RUNNING trial is saved PENDING and restored so, with its configuration.
        let restored = try ExperimentCore(restoring: c.saveState(now: 19))
        #expect(restored.trial(third)?.status == .pending)
        #expect(restored.trial(third)?.configuration == c.trial(third)?.configuration)

        try c.finish(third, .completed, now: 20)
        #expect(c.trial(third)?.status == .terminated && c.trial(third)?.numReports == 0)
        #expect(try c.next(now: 21) == .finished && c.runningCount == 0)
    }

    @Test func trialIDsCountUpInCreationOrder() throws {
        var c = try Self.core(numSamples: 12)
        var ids: [String] = []
        for _ in 0..<12 { ids.append(try Self.start(&c, now: 0).0) }
        let expected: [String] = ["trial_00000", "trial_00001", "trial_00002", "trial_00003", "trial_00004", "trial_00005",
                                  "trial_00006", "trial_00007", "trial_00008", "trial_00009", "trial_00010", "trial_00011"]
        #expect(ids == expected)
        #expect((0..<12).map(Self.id) == expected)
        #expect(ids.sorted() == ids)
    }

    @Test func errorsChangeNothing() throws {
        var c = try Self.core(numSamples: 5)
        let (a, _) = try Self.start(&c, now: 0)
        let (b, _) = try Self.start(&c, now: 0)
        _ = try c.report(a, ["loss": 1], now: 1)
        try c.finish(a, .completed, now: 2)
        _ = try c.report(b, ["loss": 2], now: 1)
        try c.finish(b, .failed("x"), now: 2)
        let (running, _) = try Self.start(&c, now: 3)
        _ = try c.report(running, ["loss": 5], now: 4)
        let before = c.saveState(now: 5)
        let trialsBefore = c.trials

        #expect(throws: ExperimentError.unknownTrial("trial_00099")) { try c.report("trial_00099", ["loss": 1], now: 5) }
        #expect(throws: ExperimentError.unknownTrial("nope")) { try c.finish("nope", .completed, now: 5) }
        #expect(throws: ExperimentError.trialNotRunning(a, .terminated)) { try c.report(a, ["loss": 0], now: 5) }
        #expect(throws: ExperimentError.trialNotRunning(a, .terminated)) { try c.finish(a, .completed, now: 5) }
        #expect(throws: ExperimentError.trialNotRunning(b, .error)) { try c.report(b, ["loss": 0], now: 5) }
        #expect(throws: ExperimentError.trialNotRunning(b, .error)) { try c.finish(b, .failed("again"), now: 5) }

        #expect(c.saveState(now: 5) == before)
        #expect(c.trials == trialsBefore)
        #expect(c.trial(a)?.lastResult?["loss"] == 1 && c.runningCount == 1)
        #expect(Self.searcherStates(c.limiter.searcher.saveState())[a] == "completed=1.0")
    }

    // MARK: - configuration and stop criteria

    @Test func configValidation() throws {
        func invalid(_ config: ExperimentConfig, mode: Mode? = nil) -> Bool {
            do {
                _ = try ExperimentCore(config: config, searcher: RandomSearch(space: Self.space(), mode: mode ?? config.mode))
                return false
            } catch let e as ExperimentError {
                if case .invalidConfig = e { return true }
                return false
            } catch {
                return false
            }
        }
        #expect(invalid(ExperimentConfig(metric: "loss", mode: .min, numSamples: -1)))
        // Stop criteria end single trials, not the experiment: -1 needs a time budget.
        #expect(invalid(ExperimentConfig(metric: "loss", mode: .min, numSamples: -1, stop: ["training_iteration": 3])))
        #expect(!invalid(ExperimentConfig(metric: "loss", mode: .min, numSamples: -1, timeBudgetS: 60)))
        #expect(invalid(ExperimentConfig(metric: "loss", mode: .min, numSamples: -2, timeBudgetS: 60)))
        #expect(invalid(ExperimentConfig(metric: "", mode: .min)))
        #expect(invalid(ExperimentConfig(metric: "loss", mode: .min, maxConcurrentTrials: 0)))
        #expect(invalid(ExperimentConfig(metric: "loss", mode: .min, timeBudgetS: -1)))
        #expect(invalid(ExperimentConfig(metric: "loss", mode: .min, stop: ["loss": .nan])))
        #expect(invalid(ExperimentConfig(metric: "loss", mode: .min), mode: .max))  // the searcher's mode differs
        #expect(!invalid(ExperimentConfig(metric: "loss", mode: .min, numSamples: 0)))
        // A scheduler built for another metric or mode.
        #expect(throws: ExperimentError.self) {
            try Self.core(metric: "loss", mode: .min, scheduler: ASHAScheduler(metric: "acc", mode: .max))
        }
        #expect(throws: ExperimentError.self) {
            try Self.core(metric: "loss", mode: .min, scheduler: MedianStoppingRule(metric: "loss", mode: .max))
        }
    }

    /// Reports `values` of `metric` until the answer is not `.continue`; the answers.
    static func reportUntilStopped(_ c: inout ExperimentCore, _ id: String, _ values: [Metrics], now: Double) throws -> [SchedulerDecision] {
        var out: [SchedulerDecision] = []
        for v in values {
            let d = try c.report(id, v, now: now)
            out.append(d)
            if d != .continue { break }
        }
        return out
    }

    @Test func metricStopCriterionFollowsTheMode() throws {
        // mode min: the metric's threshold is reached at <= -5.
        var lo = try Self.core(metric: "mean_loss", mode: .min, stop: ["mean_loss": -5])
        let (a, _) = try Self.start(&lo, now: 0)
        let seq: [Metrics] = [["mean_loss": 3], ["mean_loss": -1], ["mean_loss": -4.999], ["mean_loss": -5], ["mean_loss": -9]]
        #expect(try Self.reportUntilStopped(&lo, a, seq, now: 1) == [.continue, .continue, .continue, .stop])
        #expect(try lo.report(a, ["mean_loss": 100], now: 2) == .stop)  // the answer holds for the run
        try lo.finish(a, .stopped, now: 3)
        // The report after the stop is not recorded: 4 results, the last the one that stopped it.
        #expect(lo.trial(a)?.status == .terminated && lo.trial(a)?.stoppedEarly == true && lo.trial(a)?.numReports == 4)
        #expect(lo.trial(a)?.lastResult?["mean_loss"] == -5)
        let (b, _) = try Self.start(&lo, now: 4)
        #expect(try lo.report(b, ["mean_loss": -5.5], now: 5) == .stop)

        // mode max: reached at >= the threshold.
        var hi = try Self.core(metric: "acc", mode: .max, stop: ["acc": 0.9])
        let (h, _) = try Self.start(&hi, now: 0)
        let up: [Metrics] = [["acc": 0.1], ["acc": -3], ["acc": 0.8999], ["acc": 0.9], ["acc": 0.95]]
        #expect(try Self.reportUntilStopped(&hi, h, up, now: 1) == [.continue, .continue, .continue, .stop])
        try hi.finish(h, .stopped, now: 2)
        #expect(hi.trial(h)?.stoppedEarly == true)
    }

    @Test func otherStopCriteriaStopAtOrAboveTheThreshold() throws {
        var c = try Self.core(stop: ["training_iteration": 10])
        let (a, _) = try Self.start(&c, now: 0)
        let d = try Self.reportUntilStopped(&c, a, Array(repeating: ["loss": -100], count: 15), now: 1)
        #expect(d == Array(repeating: .continue, count: 9) + [.stop])
        #expect(c.trial(a)?.lastResult?["training_iteration"] == 10)
        try c.finish(a, .stopped, now: 2)
        #expect(c.trial(a)?.status == .terminated && c.trial(a)?.stoppedEarly == true)

        // In mode min a non-metric key is still reached from below (Ray's `result[k] >= v`);
        // a result without the key never reaches it.
        var m = try Self.core(mode: .min, stop: ["score": 5, "time_total_s": 50])
        let (b, _) = try Self.start(&m, now: 0)
        #expect(try m.report(b, ["loss": 1, "score": -10], now: 1) == .continue)
        #expect(try m.report(b, ["loss": 1], now: 2) == .continue)
        #expect(try m.report(b, ["loss": 1, "score": 4.99], now: 3) == .continue)
        #expect(try m.report(b, ["loss": 1, "score": 5], now: 4) == .stop)
        let (e, _) = try Self.start(&m, now: 10)
        #expect(try m.report(e, ["loss": 1], now: 59.9) == .continue)
        #expect(try m.report(e, ["loss": 1], now: 60) == .stop)  // time_total_s = 50
        // A trial that completes on its own is not stopped early.
        let (f, _) = try Self.start(&m, now: 70)
        _ = try m.report(f, ["loss": 1], now: 71)
        try m.finish(f, .completed, now: 72)
        #expect(m.trial(f)?.stoppedEarly == false)
    }

    @Test func unlimitedSamplesWithATimeBudget() throws {
        var c = try Self.core(numSamples: -1, budget: 10)
        let (a, _) = try Self.start(&c, now: 100)  // the session starts at 100
        #expect(try c.report(a, ["loss": 1], now: 105) == .continue)
        #expect(c.elapsed(now: 105) == 5)
        // -1: new trials keep coming while the budget lasts.
        var started = [a]
        for _ in 0..<20 { started.append(try Self.start(&c, now: 109.99).0) }
        #expect(started.last == "trial_00020")
        #expect(try c.report(a, ["loss": 1], now: 109.99) == .continue)
        #expect(try c.report(a, ["loss": 1], now: 110) == .stop)
        #expect(try c.next(now: 110) == .finished)
        #expect(try c.next(now: 500) == .finished)
        #expect(try c.report(started[1], ["loss": 2], now: 111) == .stop)
        try c.finish(a, .stopped, now: 111)
        try c.finish(started[1], .stopped, now: 111)
        try c.finish(started[2], .completed, now: 111)
        #expect(c.trial(a)?.stoppedEarly == true && c.trial(started[2])?.stoppedEarly == false)
        #expect(c.trials.count == 21)
    }

    @Test func timeBudgetCarriesAcrossARestore() throws {
        var c = try Self.core(numSamples: -1, budget: 10)
        let (a, _) = try Self.start(&c, now: 100)
        _ = try c.report(a, ["loss": 1], now: 103)
        try c.finish(a, .completed, now: 104)
        let state = c.saveState(now: 106)  // 6 s spent
        #expect(state["elapsed_s"]?.doubleValue == 6)
        var r = try ExperimentCore(restoring: JSONValue(parsing: state.serialized()))
        #expect(r.elapsed(now: 0) == 6)
        let (b, _) = try Self.start(&r, now: 1000)  // a new session on another clock
        #expect(b == "trial_00001")
        #expect(try r.report(b, ["loss": 1], now: 1003.9) == .continue)
        #expect(try r.report(b, ["loss": 1], now: 1004) == .stop)
        #expect(try r.next(now: 1004) == .finished)
    }

    @Test func maxConcurrentTrialsCapsTheRunningTrials() throws {
        var c = try Self.core(numSamples: 4, maxConcurrentTrials: 2)
        let (a, _) = try Self.start(&c, now: 0)
        let (b, _) = try Self.start(&c, now: 0)
        #expect(try c.next(now: 0) == .wait && c.runningCount == 2 && c.trials.count == 2)
        try c.finish(a, .completed, now: 1)
        let (d, _) = try Self.start(&c, now: 1)
        #expect(d == "trial_00002")
        #expect(try c.next(now: 1) == .wait)
        try c.finish(b, .failed("x"), now: 2)
        try c.finish(d, .completed, now: 2)
        let (e, _) = try Self.start(&c, now: 3)
        #expect(e == "trial_00003")
        #expect(try c.next(now: 3) == .finished)
    }

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
        let msr = MedianStoppingRule(timeAttr: "training_iteration", gracePeriod: 1, minSamplesRequired: 1, hardStop: false)
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
        // Resumed, it falls back to FIFO and keeps counting its iterations.
        #expect(try c.next(now: 4) == .start(trialID: b, configuration: c.trial(b)!.configuration))
        #expect(try c.report(b, ["loss": 3], now: 5) == .continue)
        #expect(c.trial(b)?.lastResult?["training_iteration"] == 2)
        try c.finish(b, .completed, now: 6)
        #expect(c.trial(b)?.status == .terminated)
        #expect(try c.next(now: 7) == .finished)
    }

    // MARK: - save and restore

    /// A deterministic objective of the configuration.
    static func objective(_ c: JSONValue, step k: Int) -> Double {
        let x = c["x"]?.doubleValue ?? .nan, y = c["y"]?.doubleValue ?? .nan
        return (x - 1) * (x - 1) + y + (c["act"] == "tanh" ? 0.5 : 0) + 1 / Double(k)
    }

    /// A sequential run: one trial at a time, `reports` results each (fewer when the engine
    /// stops it); the clock advances by 1 at every engine call so each run sees the same times.
    struct Run {
        var core: ExperimentCore
        var clock = 0.0
        var decisions: [String: [SchedulerDecision]] = [:]

        mutating func tick() -> Double {
            clock += 1
            return clock
        }

        /// Starts the next trial, or nil when the engine says it is finished.
        mutating func startNext() throws -> (String, JSONValue)? {
            let action = try core.next(now: tick())
            switch action {
            case let .start(id, configuration): return (id, configuration)
            case .finished: return nil
            case .wait:
                Issue.record("a sequential run never waits")
                return nil
            }
        }

        /// Reports results `from`...`to` of a running trial; whether it was stopped.
        mutating func report(_ id: String, _ configuration: JSONValue, _ steps: ClosedRange<Int>) throws -> Bool {
            for k in steps {
                let d = try core.report(id, ["loss": ExperimentTests.objective(configuration, step: k)], now: tick())
                decisions[id, default: []].append(d)
                if d != .continue { return true }
            }
            return false
        }

        mutating func finishAll() throws {
            while let (id, configuration) = try startNext() {
                let stopped = try report(id, configuration, 1...5)
                try core.finish(id, stopped ? .stopped : .completed, now: tick())
            }
        }
    }

    static func tpeCore(scheduler: any TrialScheduler) throws -> ExperimentCore {
        let tpe = try TPESearch(space: space(), mode: .min, options: TPESearch.Options(nInitialPoints: 5), seed: 42)
        return try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 30),
                                  limiter: ConcurrencyLimiter(tpe, maxConcurrent: 1), scheduler: scheduler)
    }

    @Test(arguments: ["fifo", "asha"])
    func saveMidRunRestoreAndFinishGivesTheUninterruptedResult(schedulerKind: String) throws {
        func scheduler() throws -> any TrialScheduler {
            schedulerKind == "fifo" ? FIFOScheduler() : try ASHAScheduler(maxT: 5, gracePeriod: 1, reductionFactor: 2)
        }
        var whole = Run(core: try Self.tpeCore(scheduler: scheduler()))
        try whole.finishAll()
        #expect(whole.core.trials.count == 30)
        #expect(whole.core.trials.allSatisfy { $0.status == .terminated })

        // Saved after 12 finished trials and two results of the 13th. With ASHA the running
        // trial must have been answered `.continue` twice (a trial run again from the start
        // after a restore is not decided again at rungs it was recorded at), so the save comes
        // after the first such trial from the 13th on.
        let finishedBeforeSave = (12..<30).first { n in
            Array(whole.decisions[Self.id(n), default: []].prefix(2)) == [.continue, .continue]
        } ?? 12
        if schedulerKind == "fifo" { #expect(finishedBeforeSave == 12) }
        var part = Run(core: try Self.tpeCore(scheduler: scheduler()))
        for _ in 0..<finishedBeforeSave {
            let (id, configuration) = try #require(try part.startNext())
            let stopped = try part.report(id, configuration, 1...5)
            try part.core.finish(id, stopped ? .stopped : .completed, now: part.tick())
        }
        let (running, runningConfig) = try #require(try part.startNext())
        #expect(running == Self.id(finishedBeforeSave))
        // Two results of the running trial, both answered `.continue` (so running it again from
        // the start after the restore does what the uninterrupted run did).
        #expect(try !part.report(running, runningConfig, 1...2))
        let state = part.core.saveState(now: part.tick())
        #expect(state["trials"]?.arrayValue?.count == finishedBeforeSave + 1)

        let direct = try ExperimentCore(restoring: state)
        let viaText = try ExperimentCore(restoring: JSONValue(parsing: state.serialized(pretty: true)))
        for restored in [direct, viaText] {
            #expect(restored.trials.count == finishedBeforeSave + 1 && restored.runningCount == 0)
            #expect(Array(restored.trials.prefix(finishedBeforeSave)) == Array(part.core.trials.prefix(finishedBeforeSave)))
            #expect(restored.trials.prefix(finishedBeforeSave).allSatisfy { $0.status == .terminated })
            let back = try #require(restored.trial(running))
            #expect(back.status == .pending && back.configuration == runningConfig && back.results.isEmpty)
            #expect(restored.limiter.live == [running])
            #expect(restored.saveState(now: 0) == state)
        }

        var results: [[TrialRecord]] = []
        for restored in [direct, viaText] {
            var resumed = Run(core: restored, clock: part.clock)
            // The restored PENDING trial runs first, with the same configuration.
            let action = try resumed.core.next(now: resumed.tick())
            #expect(action == .start(trialID: running, configuration: runningConfig))
            let stopped = try resumed.report(running, runningConfig, 1...5)
            try resumed.core.finish(running, stopped ? .stopped : .completed, now: resumed.tick())
            try resumed.finishAll()
            results.append(resumed.core.trials)
            // The searcher ends in the same state: same suggestions, same outcomes, nothing twice.
            #expect(resumed.core.limiter.searcher.saveState() == whole.core.limiter.searcher.saveState())
        }
        for trials in results {
            #expect(trials.map(\.id) == (0..<30).map(Self.id))
            #expect(trials.map(\.configuration) == whole.core.trials.map(\.configuration))
            #expect(trials.map { $0.lastResult?["loss"] } == whole.core.trials.map { $0.lastResult?["loss"] })
            #expect(trials.map(\.status) == whole.core.trials.map(\.status))
            #expect(trials.map(\.stoppedEarly) == whole.core.trials.map(\.stoppedEarly))
            #expect(trials == whole.core.trials)  // every result, times included
        }
        if schedulerKind == "asha" {
            #expect(whole.core.trials.contains { $0.stoppedEarly })
        }
        // TPE after its 5 random trials proposes from the model: not all configurations alike.
        #expect(Set(whole.core.trials.map(\.configuration)).count == 30)
    }

    @Test func restoreRejectsInconsistentStates() throws {
        var c = try Self.core(numSamples: 3)
        let (a, _) = try Self.start(&c, now: 0)
        _ = try c.report(a, ["loss": 1], now: 1)
        try c.finish(a, .completed, now: 2)
        _ = try Self.start(&c, now: 3)
        let good = c.saveState(now: 4)
        _ = try ExperimentCore(restoring: good)
        func replacing(_ key: String, _ value: JSONValue, in state: JSONValue) -> JSONValue {
            .object(state.objectValue!.map { $0.0 == key ? ($0.0, value) : $0 })
        }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: .null) }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: replacing("format", "other", in: good)) }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: replacing("version", 99, in: good)) }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: replacing("created", 5, in: good)) }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: replacing("elapsed_s", -1, in: good)) }
        let trials = good["trials"]!.arrayValue!
        // A trial listed twice; a finished trial the searcher still waits for; the reverse.
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([trials[0], trials[0]]), in: good))
        }
        let pendingMarkedDone = replacing("status", "TERMINATED", in: trials[1])
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([trials[0], pendingMarkedDone]), in: good))
        }
        let doneMarkedPending = replacing("searcher_told", false, in: replacing("status", "PENDING", in: trials[0]))
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([doneMarkedPending, trials[1]]), in: good))
        }
        // A state written before "searcher_told" existed: an unfinished trial must be awaited.
        let oldFormat = JSONValue.object(replacing("status", "PENDING", in: trials[0]).objectValue!.filter { $0.0 != "searcher_told" })
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([oldFormat, trials[1]]), in: good))
        }
        // A checkpoint covering more results than the trial has.
        let overCovered = replacing("checkpoint_results", 5, in: replacing("checkpoint", "c", in: trials[0]))
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([overCovered, trials[1]]), in: good))
        }
        // The limiter still waits for trial_00001, which the trial table no longer has: its slot
        // would never be freed, and the next new trial (trial_00001 again, from 'created')
        // would be refused by the searcher as a duplicate.
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("created", 1, in: replacing("trials", .array([trials[0]]), in: good)))
        }
        let running = replacing("status", "RUNNING", in: trials[1])
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([trials[0], running]), in: good))
        }
    }

    // MARK: - Tuner

    struct Boom: Error, CustomStringConvertible {
        let trial: String
        var description: String { "boom in \(trial)" }
    }

    @Test func tunerRunsFortyTrialsOnFourWorkers() async throws {
        let limiter = try ConcurrencyLimiter(RandomSearch(space: Self.space(), seed: 8), maxConcurrent: 4)
        let gauge = Mutex((now: 0, max: 0, runs: 0))
        let tuner = try Tuner(limiter: limiter, config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 40),
                              workers: 4) { session in
            gauge.withLock { $0.now += 1; $0.max = max($0.max, $0.now); $0.runs += 1 }
            defer { gauge.withLock { $0.now -= 1 } }
            await Task.yield()
            for k in 1...2 {
                try session.report(["loss": ExperimentTests.objective(session.configuration, step: k)])
                await Task.yield()
            }
            // A returned result is the trial's final report.
            return ["loss": ExperimentTests.objective(session.configuration, step: 3)]
        }
        let grid = try await tuner.fit()
        #expect(grid.trials.count == 40)
        #expect(grid.trials.map(\.id) == (0..<40).map(Self.id))
        #expect(grid.trials.allSatisfy { $0.status == .terminated && $0.numReports == 3 && !$0.stoppedEarly })
        #expect(grid.trials.allSatisfy { $0.lastResult?["loss"] == Self.objective($0.configuration, step: 3) })
        #expect(grid.errors.isEmpty)
        let g = gauge.withLock { $0 }
        #expect(g.runs == 40 && g.max <= 4 && g.now == 0)
        let best = try #require(grid.bestResult())
        #expect(best.lastResult?["loss"] == grid.trials.compactMap { $0.lastResult?["loss"] }.min())
        #expect(tuner.experiment.runningCount == 0)
        #expect(Self.searcherStates(tuner.experiment.saveState()["limiter"]?["searcher"]).values.allSatisfy { $0.hasPrefix("completed=") })
    }

    @Test func tunerRecordsObjectiveErrors() async throws {
        let tuner = try Tuner(searcher: RandomSearch(space: Self.space(), seed: 9),
                              config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 20), workers: 3) { session in
            try session.report(["loss": 1])
            if session.configuration["act"] == "tanh" { throw Boom(trial: session.trialID) }
            return nil
        }
        let grid = try await tuner.fit()
        #expect(grid.trials.count == 20)
        let failed = grid.trials.filter { $0.configuration["act"] == "tanh" }
        #expect(!failed.isEmpty && failed.count < 20)
        #expect(grid.errors.map(\.id) == failed.map(\.id))
        for t in grid.trials {
            if t.configuration["act"] == "tanh" {
                #expect(t.status == .error && t.errorMessage == "boom in \(t.id)" && t.numReports == 1)
            } else {
                #expect(t.status == .terminated && t.errorMessage == nil)
            }
        }
        let told = Self.searcherStates(tuner.experiment.saveState()["limiter"]?["searcher"])
        for t in grid.trials { #expect(told[t.id] == (t.status == .error ? "failed" : "completed=1.0")) }
    }

    @Test func tunerStopsTrialsAtTheStopCriterion() async throws {
        let sawStop = Mutex(0)
        let tuner = try Tuner(searcher: RandomSearch(space: Self.space(), seed: 10),
                              config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 8, stop: ["training_iteration": 2]),
                              workers: 2) { session in
            do {
                for k in 1...10 { try session.report(["loss": Double(10 - k)]) }
            } catch let stopped as TrialStopped {
                #expect(stopped.decision == .stop)
                sawStop.withLock { $0 += 1 }
                throw stopped
            }
            return nil
        }
        let grid = try await tuner.fit()
        #expect(grid.trials.count == 8 && sawStop.withLock { $0 } == 8)
        #expect(grid.trials.allSatisfy { $0.status == .terminated && $0.stoppedEarly && $0.numReports == 2 })
        #expect(grid.trials.allSatisfy { $0.lastResult?["loss"] == 8 })
    }
}
