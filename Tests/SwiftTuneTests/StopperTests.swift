import Synchronization
import Testing
@testable import SwiftTune

/// Ray's stoppers (`ray.tune.stopper`), rule for rule, and the engine applying them.
struct StopperTests {
    static func engine(_ stopper: JSONValue?, metric: String? = "loss", mode: Mode? = .min, numSamples: Int = 3,
                       stop: [String: Double] = [:], maxConcurrent: Int? = nil) throws -> ExperimentCore {
        let space = try ExperimentTests.space()
        return try ExperimentCore(config: ExperimentConfig(metric: metric, mode: mode, numSamples: numSamples,
                                                           maxConcurrentTrials: maxConcurrent, stop: stop, stopper: stopper),
                                  searcher: RandomSearch(space: space))
    }

    static func start(_ c: inout ExperimentCore, now: Double = 0) throws -> String {
        guard case .start(let id, _) = try c.next(now: now) else { throw ExperimentError.invalidState("no trial") }
        return id
    }

    /// How many results the trial reports before an answer is not `.continue`.
    static func reportsUntilStop(_ c: inout ExperimentCore, _ id: String, _ values: [Double], key: String = "loss") throws -> Int {
        for (i, v) in values.enumerated() where try c.report(id, [key: v], now: Double(i)) != .continue { return i + 1 }
        return values.count
    }

    @Test func maximumIterationCountsResultsPerTrial() throws {
        var s = MaximumIterationStopper(maxIter: 3)
        #expect(try s.shouldStop(trialID: "a", result: [:]) == false)
        #expect(try s.shouldStop(trialID: "b", result: [:]) == false)
        #expect(try s.shouldStop(trialID: "a", result: [:]) == false)
        #expect(try s.shouldStop(trialID: "a", result: [:]) == true)
        #expect(try s.stopAll(now: 0) == false)
        var c = try Self.engine(["type": "maximum_iteration", "max_iter": 4])
        let id = try Self.start(&c)
        #expect(try Self.reportsUntilStop(&c, id, Array(repeating: 1, count: 10)) == 4)
    }

    @Test func trialPlateauFollowsRay() throws {
        var s = try TrialPlateauStopper(metric: "m", std: 0.01, numResults: 3, gracePeriod: 4)
        // Values 5, 1, 1, 1: after the grace period of 4 the last 3 have std 0 < 0.01.
        #expect(try [5.0, 1, 1, 1].map { try s.shouldStop(trialID: "t", result: ["m": $0]) } == [false, false, false, true])
        var w = try TrialPlateauStopper(metric: "m", numResults: 2, gracePeriod: 0)
        // A missing value makes the window's deviation infinite.
        #expect(try w.shouldStop(trialID: "t", result: [:]) == false)
        #expect(try w.shouldStop(trialID: "t", result: ["m": 1]) == false)
        #expect(try w.shouldStop(trialID: "t", result: ["m": 1]) == true)
        // metric_threshold with mode min: only once the value is at or below it.
        var t = try TrialPlateauStopper(metric: "m", numResults: 2, gracePeriod: 1, metricThreshold: 0.5, mode: .min)
        #expect(try t.shouldStop(trialID: "t", result: ["m": 1]) == false)
        #expect(try t.shouldStop(trialID: "t", result: ["m": 1]) == false)
        #expect(try t.shouldStop(trialID: "t", result: ["m": 0.5]) == false)  // std 0.25
        #expect(try t.shouldStop(trialID: "t", result: ["m": 0.5]) == true)
        #expect(throws: StopError("When specifying a `metric_threshold`, the `mode` argument has to be one of [min, max]. Got: None")) {
            _ = try TrialPlateauStopper(metric: "m", metricThreshold: 1)
        }
        _ = try TrialPlateauStopper(metric: "m", metricThreshold: 0)  // Ray: 0 is falsy, not checked
        #expect(populationStd([1, 2, 3, 4]) == (1.25).squareRoot())
    }

    @Test func experimentPlateauStopsEverything() throws {
        #expect(throws: StopError("Top results to consider must be a positive integer greater than one.")) {
            _ = try ExperimentPlateauStopper(metric: "m", top: 1)
        }
        #expect(throws: StopError("Patience must be a strictly positive integer.")) { _ = try ExperimentPlateauStopper(metric: "m", patience: -1) }
        #expect(throws: StopError("The standard deviation must be a strictly positive float number.")) {
            _ = try ExperimentPlateauStopper(metric: "m", std: 0)
        }
        var s = try ExperimentPlateauStopper(metric: "m", std: 0.1, top: 3, mode: .min, patience: 1)
        #expect(try [1.0, 1, 1].map { try s.shouldStop(trialID: "a", result: ["m": $0]) } == [false, false, true])
        #expect(s.iterations == 1 && s.hasPlateaued)
        #expect(try s.stopAll(now: 0))
        #expect(throws: StopError("ExperimentPlateauStopper: the result has no 'm'", missingKey: "m")) {
            _ = try s.shouldStop(trialID: "a", result: [:])
        }
        // In the engine: the trial whose result plateaus stops, then no trial starts and the others stop.
        var c = try Self.engine(["type": "experiment_plateau", "metric": "loss", "std": 0.5, "top": 2], numSamples: 5)
        let a = try Self.start(&c), b = try Self.start(&c)
        #expect(try c.report(a, ["loss": 1], now: 1) == .continue)
        #expect(try c.report(a, ["loss": 1], now: 2) == .stop)
        #expect(try c.next(now: 3) == .finished)
        #expect(try c.report(b, ["loss": 7], now: 4) == .stop)
        #expect(c.stoppedAll)
    }

    @Test func timeoutCountsFromTheFirstCheckAcrossRestores() throws {
        var s = TimeoutStopper(timeoutSeconds: 10)
        #expect(try s.stopAll(now: 100) == false)  // the first check starts the clock
        #expect(try s.stopAll(now: 105) == false)
        let saved = s.saveState()
        var r = TimeoutStopper(timeoutSeconds: 10)
        try r.restoreState(saved)
        #expect(try r.stopAll(now: 1000) == false)  // the downtime does not count
        #expect(try r.stopAll(now: 1005) == true)
    }

    @Test func combinedAsksInOrderAndStopsAtTheFirst() throws {
        var s = CombinedStopper([MaximumIterationStopper(maxIter: 1), MaximumIterationStopper(maxIter: 2)])
        #expect(try s.shouldStop(trialID: "a", result: [:]) == true)
        // Ray's any(): the second did not count that result.
        let second = s.stoppers[1] as! MaximumIterationStopper
        #expect(second.iterations["a"] == nil)
        var n = try StopperSpec.make(["type": "noop"])
        #expect(try n.shouldStop(trialID: "a", result: [:]) == false && n.stopAll(now: 0) == false)
    }

    @Test func theDictRuleIsRays() throws {
        let r = ResultThresholds(["loss": -5, "training_iteration": 3])
        #expect(r.reached(["loss": -5]))          // >= whatever the mode
        #expect(!r.reached(["loss": -6]))
        #expect(!r.reached(["other": 100]))       // a missing key is skipped
        #expect(r.reached(["done": 1]))
        #expect(!r.reached(["done": 0]))
    }

    @Test func specsAreCheckedWithRaysMessages() throws {
        func message(_ spec: JSONValue) -> String? {
            do { _ = try StopperSpec.make(spec); return nil } catch { return error.description }
        }
        #expect(message(["type": "trial_plateau", "metric": "m", "metric_threshold": 1]) ==
                "When specifying a `metric_threshold`, the `mode` argument has to be one of [min, max]. Got: None")
        #expect(message(["type": "experiment_plateau", "metric": "m", "top": 1]) ==
                "Top results to consider must be a positive integer greater than one.")
        #expect(message(["type": "maximum_iteration", "max_iter": 2, "x": 1]) == "unknown option 'x' for stopper 'maximum_iteration'")
        #expect(message(["type": "nope"])?.hasPrefix("a stopper's 'type' must be one of") == true)
        #expect(message(["type": "trial_plateau"]) == "stopper 'trial_plateau' needs a 'metric'")
        #expect(throws: ExperimentError.self) { _ = try Self.engine(["type": "experiment_plateau", "metric": "m", "std": -1]) }
    }

    @Test func stopperStateIsSavedAndRestored() throws {
        var c = try Self.engine(["type": "maximum_iteration", "max_iter": 5], numSamples: 1)
        let a = try Self.start(&c)
        for i in 0..<3 { #expect(try c.report(a, ["loss": 1], now: Double(i)) == .continue) }
        let state = c.saveState(now: 3)
        // The running trial comes back pending with no checkpoint; the stopper keeps its count of 3.
        var r = try ExperimentCore(restoring: state)
        let again = try Self.start(&r, now: 10)
        #expect(again == a)
        #expect(try r.report(a, ["loss": 1], now: 11) == .continue)
        #expect(try r.report(a, ["loss": 1], now: 12) == .stop)  // 3 + 2 = 5
    }

    @Test func callbacksAreAskedAndTheirErrorsFailTheCall() throws {
        var c = try Self.engine(["type": "combined", "stoppers": [["type": "callback", "id": 0],
                                                                  ["type": "maximum_iteration", "max_iter": 100]]])
        // Without a callback, asking fails (next asks stop_all).
        #expect(throws: ExperimentError.self) { _ = try c.next(now: 0) }
        let seen = Locked<[String]>([])
        c.setStopperCallback { (id: Int, query: StopQuery) throws(StopError) -> Bool in
            switch query {
            case .all: return false
            case let .trial(trialID, result):
                seen.withLock { $0.append("\(id):\(trialID):\(Int(result["training_iteration"] ?? -1))") }
                if result["loss"] == 99 { throw StopError("boom") }
                return result["loss"] == 0
            }
        }
        let a = try Self.start(&c)
        #expect(try c.report(a, ["loss": 1], now: 2) == .continue)
        #expect(try c.report(a, ["loss": 0], now: 3) == .stop)
        #expect(seen.withLock { $0 } == ["0:\(a):1", "0:\(a):2"])
        try c.finish(a, .stopped, now: 4)
        let b = try Self.start(&c, now: 5)
        #expect(throws: ExperimentError.stopper(StopError("boom"))) { _ = try c.report(b, ["loss": 99], now: 6) }
        // A function that returned: the stopper sees its last result once more, with done = 1.
        let d = Locked<Double?>(nil)
        c.setStopperCallback { (_: Int, query: StopQuery) throws(StopError) -> Bool in
            if case let .trial(_, result) = query { d.withLock { $0 = result["done"] } }
            return false
        }
        #expect(try c.report(b, ["loss": 2], now: 7) == .continue)
        try c.finish(b, .completed, now: 8)
        #expect(d.withLock { $0 } == 1)
    }

    @Test func noMetricIsNeededForRandomSearchAndFIFO() throws {
        var c = try Self.engine(nil, metric: nil, mode: nil, numSamples: 1)
        let a = try Self.start(&c)
        #expect(try c.report(a, ["score": 1], now: 1) == .continue)
        let f = try c.finish(a, .completed, now: 2)
        #expect(f.metricProblem == nil && f.status == .terminated)
        #expect(c.bestTrial() == nil)
        #expect(c.bestTrial(metric: "score", mode: .min)?.id == a)
        // TPE, ASHA and the median stopping rule need them (Ray's messages).
        let space = try ExperimentTests.space()
        #expect(throws: ExperimentError.invalidConfig(
            "Trying to sample a configuration from TPESearch, but the `metric` (None) or `mode` (None) parameters have not been set. "
            + "Either pass these arguments when instantiating the search algorithm, or pass them to `tune.TuneConfig()`.")) {
            _ = try ExperimentCore(config: ExperimentConfig(metric: nil, mode: nil), searcher: TPESearch(space: space))
        }
        do {
            _ = try ExperimentCore(config: ExperimentConfig(metric: nil, mode: nil), searcher: RandomSearch(space: space),
                                   scheduler: ASHAScheduler())
            Issue.record("ASHA without a metric was accepted")
        } catch {
            #expect("\(error)".contains("AsyncHyperBandScheduler has been instantiated without a valid `metric` (None) or `mode` (None) parameter."))
        }
        // A scheduler's own metric and mode are enough.
        _ = try ExperimentCore(config: ExperimentConfig(metric: nil, mode: nil), searcher: RandomSearch(space: space),
                               scheduler: MedianStoppingRule(metric: "m", mode: .max))
    }
}
