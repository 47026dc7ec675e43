#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import SwiftTune

/// Optuna's TPE rules (docs/tpe-optuna.md), each against values computed by hand or read off
/// Optuna 5.0; the distribution of whole suggestions against Optuna itself is in
/// python/tests/test_optuna_distributions.py.
@Suite("Optuna TPE rules")
struct OptunaTPETests {
    static let unit = OptunaDomain.numeric(.init(low: 0, high: 1, step: nil, log: false))

    func close(_ a: [Double], _ b: [Double], tol: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) }
    }

    @Test func gammaIsOptunasDefaultAndHyperoptsRule() {
        let g = OptunaTPESearch.Gamma.linear(fraction: 0.1, cap: 25)
        #expect([0, 1, 10, 11, 100, 249, 250, 251, 1000].map { g($0) } == [0, 1, 1, 2, 10, 25, 25, 25, 25])
        let h = OptunaTPESearch.Gamma.squareRoot(fraction: 0.25, cap: 25)
        #expect([0, 1, 16, 17, 10_000, 20_000].map { h($0) } == [0, 1, 1, 2, 25, 25])
        #expect(OptunaTPESearch.Gamma.linear(fraction: 0.1, cap: nil)(1000) == 100)
    }

    @Test func weightsRampLikeNumpysLinspace() {
        let w = OptunaTPESearch.Weights.default
        #expect(w(0).isEmpty && w(24) == Array(repeating: 1, count: 24) && w(25) == Array(repeating: 1, count: 25))
        #expect(w(26) == [1.0 / 26] + Array(repeating: 1, count: 25))
        // numpy.linspace(1/30, 1, 5) = [0.0333.., 0.275, 0.5166.., 0.7583.., 1]
        let r = w(30)
        let ramp: [Double] = [0.03333333333333333, 0.275, 0.5166666666666667, 0.7583333333333333, 1.0]
        #expect(close(Array(r.prefix(5)), ramp))
        #expect(r.suffix(25).allSatisfy { $0 == 1 } && r[4] == 1)
        #expect(OptunaTPESearch.Weights.uniform(40) == Array(repeating: 1, count: 40))
    }

    @Test func numericKernelsTakeTheWiderGapAndTheMagicClip() {
        // Sorted with the bounds: [0, .2, .5, .9, 1]; gaps .2 .3 .4 .1; without endpoints the
        // outer two take their inner gap; min sigma 1 / min(100, 3 + 2) = 0.2.
        let e = OptunaParzenEstimator(observations: [[0.5, 0.2, 0.9]], domains: [Self.unit], weights: [1, 1, 1],
                                      options: OptunaTPESearch.Options())
        guard case let .numeric(mus, sigmas, _, _) = e.kernels[0] else { Issue.record("not numeric"); return }
        #expect(mus == [0.5, 0.2, 0.9, 0.5])
        #expect(close(sigmas, [0.4, 0.3, 0.4, 1]))
        #expect(close(e.weights, [0.25, 0.25, 0.25, 0.25]))
        var o = OptunaTPESearch.Options()
        o.considerEndpoints = true
        o.considerMagicClip = false
        let f = OptunaParzenEstimator(observations: [[0.5, 0.2, 0.9, 0.95]], domains: [Self.unit], weights: [1, 1, 1, 1], options: o)
        guard case let .numeric(_, s2, _, _) = f.kernels[0] else { return }
        // [0, .2, .5, .9, .95, 1]: .5 -> max(.3, .4); .2 -> max(.2, .3); .9 -> max(.4, .05); .95 -> max(.05, .05)
        #expect(close(s2, [0.4, 0.3, 0.4, 0.05, 1], tol: 1e-9))
    }

    @Test func steppedAndLogKernelsLiveOnTheAdaptedBounds() {
        let d = OptunaDomain.Numeric(low: 1, high: 9, step: 2, log: false)
        #expect(d.adaptedLow == 0 && d.adaptedHigh == 10)
        #expect(d.untransform(4.0) == 3 || d.untransform(4.0) == 5)
        #expect(d.untransform(3.9) == 3 && d.untransform(-7) == 1 && d.untransform(12) == 9)
        // Half to even on the grid index: (4 - 1) / 2 = 1.5 -> 2 -> 5.
        #expect(d.untransform(4.0) == 5)
        let l = OptunaDomain.Numeric(low: 1, high: 100, step: 1, log: true)
        #expect(abs(l.adaptedLow - log(0.5)) < 1e-15 && abs(l.adaptedHigh - log(100.5)) < 1e-15)
        let e = OptunaParzenEstimator(observations: [[10]], domains: [.numeric(l)], weights: [1], options: OptunaTPESearch.Options())
        guard case let .numeric(mus, sigmas, _, _) = e.kernels[0] else { return }
        #expect(abs(mus[0] - log(10)) < 1e-15 && abs(mus[1] - 0.5 * (log(0.5) + log(100.5))) < 1e-15)
        #expect(abs(sigmas[1] - (log(100.5) - log(0.5))) < 1e-15)
    }

    @Test func categoricalKernelsArePriorWeightPlusOne() {
        let e = OptunaParzenEstimator(observations: [[0, 2]], domains: [.categorical(count: 3)], weights: [1, 1],
                                      options: OptunaTPESearch.Options())
        guard case let .categorical(p, k) = e.kernels[0] else { Issue.record("not categorical"); return }
        #expect(k == 3)
        // rows: 1/3 everywhere, +1 at the observation, normalised by 2; the prior row uniform.
        let third = 1.0 / 3, sixth = 1.0 / 6
        let expected: [Double] = [2 * third, sixth, sixth, sixth, sixth, 2 * third, third, third, third]
        #expect(close(p, expected))
        let empty = OptunaParzenEstimator(observations: [[]], domains: [.categorical(count: 4)], weights: [], options: OptunaTPESearch.Options())
        #expect(empty.weights == [1])
    }

    @Test func gaussMassAgreesWithKnownValuesIntoTheFarTails() {
        #expect(abs(GaussMass.logMass(-1, 1) - log(0.682689492137085897)) < 1e-15)
        #expect(abs(GaussMass.logMass(1, 2) - log(0.135905121983278)) < 1e-13)
        #expect(abs(GaussMass.logMass(-2, -1) - GaussMass.logMass(1, 2)) < 1e-15)
        // log Phi(-30) = -454.32124395634327 (SciPy's log_ndtr); Phi(-40) is negligible beside it.
        #expect(abs(GaussMass.logNdtr(-30) - -454.32124395634327) < 1e-10)
        #expect(abs(GaussMass.logMass(-40, -30) - -454.32124395634327) < 1e-10)
        #expect(abs(GaussMass.logMass(30, 40) - -454.32124395634327) < 1e-10)
        #expect(abs(GaussMass.logNdtr(7) - -1.2798125438866539e-12) < 1e-24)
        // The density of a mixture integrates to 1 on the bounds.
        let e = OptunaParzenEstimator(observations: [[0.1, 0.15, 0.8]], domains: [Self.unit], weights: [1, 1, 1],
                                      options: OptunaTPESearch.Options())
        let n = 20_000
        let xs = (0..<n).map { (Double($0) + 0.5) / Double(n) }
        let integral = e.logDensity([xs]).reduce(0) { $0 + exp($1) } / Double(n)
        #expect(abs(integral - 1) < 1e-6)
    }

    @Test func steppedProbabilitiesSumToOne() {
        let d = OptunaDomain.numeric(.init(low: 0, high: 10, step: 2, log: false))
        let e = OptunaParzenEstimator(observations: [[2, 2, 8]], domains: [d], weights: [1, 1, 1], options: OptunaTPESearch.Options())
        let p = e.logDensity([[0, 2, 4, 6, 8, 10]]).map { exp($0) }
        #expect(abs(p.reduce(0, +) - 1) < 1e-12)
        #expect(p[1] > p[4] && p[4] > p[5])
    }

    // MARK: the split

    static func trialLog(_ states: [(Double, TrialLog.State)]) -> TrialLog { TrialLog.fixture(states) }

    @Test func completeTrialsFirstThenPrunedByTheirLastStepRunningAlwaysAbove() {
        var log = Self.trialLog([(0.1, .completed(5)), (0.2, .completedWithoutMetric), (0.3, .completedWithoutMetric),
                            (0.4, .pending), (0.5, .failed), (0.6, .completedWithoutMetric)]
                           + (0..<15).map { (0.7, .completed(Double(10 + $0))) })
        _ = log
        var o = OptunaTPESearch.Options()
        o.gamma = .linear(fraction: 0.2, cap: nil)  // 19 finished -> 4 below
        let reports: [String: OptunaTPESearch.Report] = ["t1": .init(step: 3, value: 9), "t2": .init(step: 5, value: 100),
                                                         "t5": .init(step: 3, value: 1)]
        // All 16 complete ones would fill 4: with fraction 1.0 the pruned ones follow, deepest step first.
        o.gamma = .linear(fraction: 1.0, cap: 18)
        let split = OptunaTPESplit(log: log, mode: .min, options: o, lastReport: reports, unusedRelative: [:])
        #expect(split.finished.count == 19)
        #expect(split.modelled.count == 20)  // the running one with the liar, not the failed one
        // 16 complete + t2 (step 5) + t5 (step 3, value 1 before t1's 9): 18.
        #expect(split.isBelow[2] && split.isBelow[5] && !split.isBelow[1] && !split.isBelow[3] && !split.isBelow[4])
        o.constantLiar = false
        log = Self.trialLog([(0.1, .completed(5)), (0.4, .pending)])
        #expect(OptunaTPESplit(log: log, mode: .min, options: o, lastReport: [:], unusedRelative: [:]).modelled == [0])
    }

    @Test func tiesGoToTheOlderTrialInBothDirections() {
        let log = Self.trialLog([(0.1, .completed(1)), (0.2, .completed(1)), (0.3, .completed(0)), (0.4, .completed(2))])
        var o = OptunaTPESearch.Options()
        o.gamma = .linear(fraction: 0.5, cap: nil)  // 2 below
        let low = OptunaTPESplit(log: log, mode: .min, options: o, lastReport: [:], unusedRelative: [:])
        #expect(low.isBelow == [true, false, true, false])
        let high = OptunaTPESplit(log: log, mode: .max, options: o, lastReport: [:], unusedRelative: [:])
        #expect(high.isBelow == [true, false, false, true])
    }

    @Test func groupsAreParametersSeenInExactlyTheSameTrials() throws {
        var l = TrialLog()
        let nan = Double.nan
        l.append("a", [0, 0.5, nan, nan, 1])
        l.append("b", [1, nan, 0.5, 3, 1])
        l.append("c", [1, nan, 0.7, 2, 2])
        l.append("d", [0, 0.2, nan, nan, nan])
        for id in ["a", "b", "c", "d"] { try l.finish(id, .completed(1)) }
        let split = OptunaTPESplit(log: l, mode: .min, options: OptunaTPESearch.Options(), lastReport: [:], unusedRelative: [:])
        #expect(split.groups(parameterCount: 5) == [[0], [1], [2, 3], [4]])
        #expect(split.intersection(parameterCount: 5) == [0])
        let none = OptunaTPESplit(log: TrialLog(), mode: .min, options: OptunaTPESearch.Options(), lastReport: [:], unusedRelative: [:])
        #expect(none.intersection(parameterCount: 3).isEmpty && none.groups(parameterCount: 3).isEmpty)
    }

    // MARK: the searcher

    static let space: SpaceNode = ["x": .optunaFloat(-5, 5), "n": .optunaInt(1, 9, step: 2),
                                   "lr": .optunaFloat(1e-4, 1, log: true), "c": .choice(["a", "b", "c"])]

    static func loss(_ c: JSONValue) -> Double {
        let x = c["x"]?.doubleValue ?? 0, n = c["n"]?.doubleValue ?? 0, lr = c["lr"]?.doubleValue ?? 1
        return (x - 2) * (x - 2) + abs(n - 5) + abs(log10(lr) + 2) + (c["c"] == "b" ? 0 : 1)
    }

    @Test func randomStartupDrawsOptunasValues() throws {
        var s = try OptunaTPESearch(space: SearchSpace(Self.space), seed: 3)
        var ns = Set<Double>()
        for i in 0..<400 {
            let c = try s.suggest(trialID: "t\(i)").configuration
            let x = try #require(c["x"]?.doubleValue), n = try #require(c["n"]?.intValue), lr = try #require(c["lr"]?.doubleValue)
            #expect(x >= -5 && x < 5 && lr >= 1e-4 && lr < 1)
            #expect([1, 3, 5, 7, 9].contains(n))
            ns.insert(Double(n))
        }
        #expect(ns.count == 5)  // the end points too: the bounds are widened by half a step
    }

    @Test func itLearnsAndItsStateRestoresExactly() throws {
        var s = try OptunaTPESearch(space: SearchSpace(Self.space), seed: 11)
        var best = Double.infinity
        for i in 0..<80 {
            let c = try s.suggest(trialID: "t\(i)").configuration
            if i == 30 { try s.tell(trialID: "t\(i)", .failed); continue }
            if i == 31 { try s.observe(trialID: "t\(i)", ["_metric": 3, "training_iteration": 2]); try s.tell(trialID: "t\(i)", .completedWithoutMetric); continue }
            if i >= 77 { continue }  // running
            best = min(best, Self.loss(c))
            try s.tell(trialID: "t\(i)", .completed(Self.loss(c)))
        }
        #expect(best < 1.5)
        let state = s.saveState()
        var r = try OptunaTPESearch(restoring: JSONValue(parsing: state.serialized()))
        #expect(r.saveState() == state)
        #expect(try r.suggest(trialID: "n1") == s.suggest(trialID: "n1"))
        #expect(state["reports"]?["t31"] == [2.0, 3.0])
    }

    @Test func optionsAndDistributionsAreCheckedWithOptunasWords() throws {
        var o = OptunaTPESearch.Options()
        o.group = true
        o.multivariate = false
        #expect(throws: SearchError.invalidOption("``group`` option can only be enabled when ``multivariate`` is enabled.")) {
            try OptunaTPESearch(space: SearchSpace(Self.space), options: o)
        }
        #expect(throws: SearchError.self) { try OptunaTPESearch(space: SearchSpace(["x": .uniform(0, 1)])) }
        #expect(throws: SearchError.self) { try TPESearch(space: SearchSpace(["x": .optunaFloat(0, 1)])) }
        #expect(throws: SpaceError.self) { try SearchSpace(["x": .optunaInt(1, 10, step: 2, log: true)]) }
        #expect(throws: SpaceError.self) { try SearchSpace(["x": .optunaFloat(2, 1)]) }
        #expect(throws: SpaceError.self) { try SearchSpace(["x": .optunaFloat(0, 1, log: true)]) }
        // A single value is allowed, and is always that value.
        var s = try OptunaTPESearch(space: SearchSpace(["x": .optunaFloat(2, 2), "y": .optunaFloat(0, 1)]))
        for i in 0..<20 {
            let c = try s.suggest(trialID: "t\(i)").configuration
            #expect(c["x"] == 2.0)
            try s.tell(trialID: "t\(i)", .completed(c["y"]?.doubleValue ?? 0))
        }
    }

    @Test func theSpaceJSONSpeaksOptunasNames() throws {
        let json = try JSONValue(parsing: #"{"format": "swifttune.space", "version": 1, "space": {"type": "dict", "items": {"#
            + #""a": {"type": "optuna.float", "low": 0, "high": 1, "step": 0.25}, "b": {"type": "optuna.int", "low": 1, "high": 64, "log": true},"#
            + #""c": {"type": "optuna.int", "low": 0, "high": 10, "step": 3}, "d": {"type": "optuna.float", "low": 0.1, "high": 1, "log": true}}}}"#)
        let space = try SearchSpace(json: json)
        #expect(try SearchSpace(json: space.json) == space)
        guard case .numeric(let c) = space.parameters[2].domain else { Issue.record("c"); return }
        #expect(c.kind == .optunaInt && c.q == 3 && c.optunaHigh == 9)
        guard case .numeric(let b) = space.parameters[1].domain else { return }
        #expect(b.kind == .optunaIntLog && b.q == nil)
        #expect(space.json["space"]?["items"]?["b"]?["log"] == true)
        for bad in [#"{"type": "optuna.float", "low": 0, "high": 1, "log": true}"#, #"{"type": "optuna.float", "low": 1, "high": 2, "step": 1, "log": true}"#,
                    #"{"type": "optuna.int", "low": 1, "high": 8, "step": 2, "log": true}"#, #"{"type": "optuna.int", "low": 1, "high": 8, "q": 2}"#] {
            let doc = try JSONValue(parsing: #"{"format": "swifttune.space", "version": 1, "space": {"type": "dict", "items": {"x": "# + bad + "}}}")
            #expect(throws: SpaceError.self) { try SearchSpace(json: doc) }
        }
    }

    @Test func theSpecificationBuildsItWithEvaluatedPoints() throws {
        let spec = try JSONValue(parsing: #"{"algorithm": "optuna_tpe", "space": {"format": "swifttune.space", "version": 1, "space": {"type": "dict", "items": {"x": {"type": "optuna.float", "low": 0, "high": 1}}}}, "metric": "loss", "optuna": {"n_startup_trials": 3, "multivariate": false, "gamma": {"rule": "sqrt", "fraction": 0.25, "cap": 25}}, "evaluated_points": [{"configuration": {"x": 0.5}, "outcome": "completed", "value": 1.5}, {"configuration": {"x": 0.25}, "outcome": "failed"}]}"#)
        let s = try SearcherSpec(json: spec)
        let searcher = try #require(try s.makeSearcher() as? OptunaTPESearch)
        #expect(searcher.options.nStartupTrials == 3 && !searcher.options.multivariate && searcher.metric == "loss")
        #expect(searcher.options.gamma == .squareRoot(fraction: 0.25, cap: 25))
        #expect(searcher.log.records.count == 2 && searcher.log.records[1].state == .failed)
        for bad in [#""optuna": {"bogus": 1}"#, #""prior_weight": 2"#, #""evaluated_points": [{"configuration": {"x": 0.5}}]"#] {
            let text = #"{"algorithm": "optuna_tpe", "space": {"format": "swifttune.space", "version": 1, "space": {"type": "dict", "items": {"x": {"type": "optuna.float", "low": 0, "high": 1}}}}, "# + bad + "}"
            #expect(throws: SpecError.self) { try SearcherSpec(json: JSONValue(parsing: text)).makeSearcher() }
        }
    }
}

/// Optuna's TPE over a mirrored study (what `swifttune.optuna.TPESampler` runs).
@Suite("Optuna TPE over a mirrored study")
struct OptunaTPEStudyTests {
    @Test func slotsAreANameWithOneDistribution() throws {
        var s = try OptunaTPEStudy()
        let x = try s.slot(name: "x", .float(low: 0, high: 1, step: nil, log: false))
        #expect(try s.slot(name: "x", .float(low: 0, high: 1, step: nil, log: false)) == x)
        #expect(try s.slot(name: "x", .float(low: 0, high: 2, step: nil, log: false)) != x)
        #expect(throws: SearchError.self) { try s.slot(name: "bad", .float(low: 2, high: 1, step: nil, log: false)) }
        #expect(throws: SearchError.self) { try s.slot(name: "bad", .int(low: 1, high: 9, step: 2, log: true)) }
        #expect(throws: SearchError.self) { try s.slot(name: "bad", .categorical(choices: 0)) }
        #expect(throws: SearchError.self) { try s.setTrial(number: 0, state: .complete, value: 1, params: [(slot: 9, value: 0)]) }
        #expect(throws: SearchError.self) { try s.setTrial(number: 0, state: .complete, value: nil, params: []) }
    }

    @Test func startupIsRandomThenTPELearns() throws {
        var o = OptunaTPESearch.Options()
        o.nStartupTrials = 5
        var s = try OptunaTPEStudy(options: o, seed: 3)
        let x = try s.slot(name: "x", .float(low: -5, high: 5, step: nil, log: false))
        let n = try s.slot(name: "n", .int(low: 1, high: 9, step: 2, log: false))
        var best = Double.infinity
        for t in 0..<60 {
            if t < 5 { #expect(s.sampleRelative(for: t, slots: [x, n]) == nil) }
            let space = s.relativeSearchSpace(for: t).flatMap { $0 }
            let relative = s.sampleRelative(for: t, slots: space) ?? [:]
            let xv = try relative[x] ?? s.sampleIndependent(for: t, slot: x)
            let nv = try relative[n] ?? s.sampleIndependent(for: t, slot: n)
            #expect(xv >= -5 && xv < 5 && [1, 3, 5, 7, 9].contains(nv))
            let loss = (xv - 1) * (xv - 1) + abs(nv - 3)
            best = min(best, loss)
            try s.setTrial(number: t, state: .complete, value: loss, params: [(slot: x, value: xv), (slot: n, value: nv)])
        }
        #expect(best < 0.05)
        #expect(s.relativeSearchSpace(for: 60) == [[x, n]])
        // Asked again for the same trial, it draws afresh.
        let a = try s.sampleIndependent(for: 60, slot: x), b = try s.sampleIndependent(for: 60, slot: x)
        #expect(a != b)
    }

    @Test func trialsOfOtherWorkersMayArriveOutOfOrder() throws {
        var o = OptunaTPESearch.Options()
        o.nStartupTrials = 1
        o.group = true
        var s = try OptunaTPEStudy(options: o)
        let a = try s.slot(name: "a", .float(low: 0, high: 1, step: nil, log: false))
        let b = try s.slot(name: "b", .categorical(choices: 3))
        try s.setTrial(number: 2, state: .complete, value: 1, params: [(slot: a, value: 0.5)])
        try s.setTrial(number: 0, state: .complete, value: 2, params: [(slot: a, value: 0.2), (slot: b, value: 1)])
        try s.setTrial(number: 1, state: .running, params: [(slot: b, value: 2)])
        #expect(s.numbers == [0, 1, 2] && s.records.map(\.id) == ["0", "1", "2"])
        // Groups: a in trials 0 and 2, b in trial 0 only (the running one does not count).
        #expect(s.relativeSearchSpace(for: 3) == [[a], [b]])
        try s.setTrial(number: 1, state: .fail, params: [(slot: b, value: 2)])
        #expect(s.records[1].state == .failed && s.trialCount == 3)
    }

    @Test func infeasibleTrialsFillTheGoodGroupLastByTheirViolation() throws {
        var o = OptunaTPESearch.Options()
        o.gamma = .linear(fraction: 0.5, cap: nil)
        var s = try OptunaTPEStudy(options: o)
        let x = try s.slot(name: "x", .float(low: 0, high: 1, step: nil, log: false))
        // Values 0...5; trials 0, 1 and 3 infeasible (violations 2, 0.5, 1), trial 4 pruned.
        let violation: [Double] = [2, 0.5, 0, 1, 0, 0]
        for t in 0..<6 {
            try s.setTrial(number: t, state: t == 4 ? .pruned : .complete, value: Double(t), params: [(x, Double(t) / 10)],
                           violation: violation[t])
        }
        // n = 6, three good: the feasible complete ones (2, 5), the pruned one (4); no room left.
        #expect(s.split(for: 9).isBelow == [false, false, true, false, true, true])
        var wide = o
        wide.gamma = .linear(fraction: 5 / 6, cap: nil)
        var t = try OptunaTPEStudy(options: wide)
        _ = try t.slot(name: "x", .float(low: 0, high: 1, step: nil, log: false))
        for n in 0..<6 {
            try t.setTrial(number: n, state: n == 4 ? .pruned : .complete, value: Double(n), params: [(x, Double(n) / 10)],
                           violation: violation[n])
        }
        // Five good: then the two least infeasible (1 with 0.5, 3 with 1), not trial 0.
        #expect(t.split(for: 9).isBelow == [false, true, true, true, true, true])
        // A running trial's violation is not read; a negative or zero one is feasible.
        try t.setTrial(number: 6, state: .running, params: [(x, 0.7)], violation: 9)
        try t.setTrial(number: 7, state: .complete, value: -1, params: [(x, 0.8)], violation: -3)
        #expect(t.split(for: 9).isBelow[7] && t.split(for: 9).finished.count == 7)
    }
}

/// hyperopt's TPE with swifttune's opt-in constant liar (docs/tpe.md, rule 1).
@Suite("hyperopt TPE's constant liar")
struct TPEConstantLiarTests {
    @Test func runningTrialsNeitherStartTPENorJoinTheGoodGroup() throws {
        var log = TrialLog()
        for i in 0..<6 {
            log.append("t\(i)", [Double(i) / 10])
            if i < 4 { try log.finish("t\(i)", .completed(Double(i))) }
        }
        let space = try SearchSpace(["x": .uniform(0, 1)])
        var o = TPESearch.Options(nInitialPoints: 5)
        // hyperopt's rule: 6 trials count (running ones at +inf), so TPE starts.
        #expect(TPEModel(log: log, space: space, mode: .min, options: o) != nil)
        o.constantLiar = true
        #expect(TPEModel(log: log, space: space, mode: .min, options: o) == nil)  // only 4 finished
        o.nInitialPoints = 1
        o.gamma = 1  // n_below = ceil(sqrt(4)) = 2 with the liar (3 = ceil(sqrt(6)) without)
        let liar = try #require(TPEModel(log: log, space: space, mode: .min, options: o))
        #expect(liar.isBelow == [true, true, false, false, false, false])
        o.constantLiar = false
        o.gamma = 2  // ceil(2 sqrt(6)) = 5 > 4 finished: a running trial joins the good group at +inf
        let exact = try #require(TPEModel(log: log, space: space, mode: .min, options: o))
        #expect(exact.isBelow == [true, true, true, true, true, false])
        o.constantLiar = true
        let liar2 = try #require(TPEModel(log: log, space: space, mode: .min, options: o))
        #expect(liar2.isBelow == [true, true, true, true, false, false])
    }

    @Test func theOptionIsSavedAndReadFromTheSpecification() throws {
        let spec = try SearcherSpec(json: ["algorithm": "tpe", "constant_liar": true,
                                           "space": SpecTests.spaceDocument])
        let tpe = try #require(try spec.makeSearcher() as? TPESearch)
        #expect(tpe.options.constantLiar)
        let restored = try TPESearch(restoring: tpe.saveState())
        #expect(restored.options.constantLiar)
    }
}

extension TrialLog {
    /// A log of one-parameter trials "t0", "t1", ... with these values, in these states.
    static func fixture(_ trials: [(Double, TrialLog.State)]) -> TrialLog {
        var l = TrialLog()
        for (i, (x, s)) in trials.enumerated() {
            l.append("t\(i)", [x])
            switch s {
            case .pending: break
            case .completed(let v): try? l.finish("t\(i)", .completed(v))
            case .completedWithoutMetric: try? l.finish("t\(i)", .completedWithoutMetric)
            case .failed: try? l.finish("t\(i)", .failed)
            }
        }
        return l
    }
}
