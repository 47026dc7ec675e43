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
                _ = try ExperimentCore(config: config, searcher: RandomSearch(space: Self.space(), mode: mode ?? config.mode ?? .min))
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

    @Test func theMetricsStopCriterionIsReachedFromBelowWhateverTheMode() throws {
        // Ray's `result[k] >= v` for every key: in mode min, {"mean_loss": -5} stops at once at 3.
        var lo = try Self.core(metric: "mean_loss", mode: .min, stop: ["mean_loss": -5])
        let (a, _) = try Self.start(&lo, now: 0)
        #expect(try lo.report(a, ["mean_loss": -9], now: 1) == .continue)
        #expect(try lo.report(a, ["mean_loss": 3], now: 2) == .stop)
        #expect(try lo.report(a, ["mean_loss": 100], now: 2) == .stop)  // the answer holds for the run
        try lo.finish(a, .stopped, now: 3)
        #expect(lo.trial(a)?.status == .terminated && lo.trial(a)?.stoppedEarly == true && lo.trial(a)?.numReports == 2)

        // mode max: reached at >= the threshold, as any key.
        var hi = try Self.core(metric: "acc", mode: .max, stop: ["acc": 0.9])
        let (h, _) = try Self.start(&hi, now: 0)
        let up: [Metrics] = [["acc": 0.1], ["acc": -3], ["acc": 0.8999], ["acc": 0.9], ["acc": 0.95]]
        #expect(try Self.reportUntilStopped(&hi, h, up, now: 1) == [.continue, .continue, .continue, .stop])
        try hi.finish(h, .stopped, now: 2)
        #expect(hi.trial(h)?.stoppedEarly == true)
    }

    @Test func doneStopsATrial() throws {
        var c = try Self.core()
        let (a, _) = try Self.start(&c, now: 0)
        #expect(try c.report(a, ["loss": 1, "done": 0], now: 1) == .continue)
        #expect(try c.report(a, ["loss": 1, "done": 1], now: 2) == .stop)
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
}
