#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import SwiftTune

/// The trial schedulers (FIFO, ASHA, the median stopping rule) through the public
/// `TrialScheduler` API. Expected decisions were worked out by hand from Ray Tune 2.x's
/// `async_hyperband.py` and `median_stopping_rule.py` (and cross-checked against those files run
/// on the same inputs).
@Suite struct SchedulerTests {
    typealias D = SchedulerDecision

    /// A result at `time_attr` = `t` (`training_iteration`) with `metric` = `v`.
    static func res(_ t: Double, _ v: Double, _ metric: String = "score") -> Metrics {
        ["training_iteration": t, metric: v]
    }

    /// Feeds `(trial, result)` pairs in order, adding each trial on first sight; the decisions.
    static func feed<S: TrialScheduler>(_ s: inout S, _ seq: [(String, Metrics)], waiting: Bool = false,
                                        added: inout Set<String>) -> [D] {
        // swifttune's schedulers never throw (only a front end's scheduler, whose callback can fail)
        seq.map { id, r in
            if !added.contains(id) { try! s.onTrialAdd(id); added.insert(id) }
            return try! s.onTrialResult(id, r, context: SchedulerContext(hasWaitingTrials: waiting))
        }
    }

    static func feed<S: TrialScheduler>(_ s: inout S, _ seq: [(String, Metrics)], waiting: Bool = false) -> [D] {
        var added: Set<String> = []
        return feed(&s, seq, waiting: waiting, added: &added)
    }

    /// The recorded rewards of rung `k` (highest first) of bracket `b`, from the saved state.
    static func recorded(_ s: ASHAScheduler, bracket b: Int = 0, rung k: Int) -> [String: Double] {
        var out: [String: Double] = [:]
        guard let rung = s.saveState()["brackets"]?.arrayValue?[b].arrayValue?[k],
              let members = rung["recorded"]?.objectValue else { return out }
        for (id, v) in members { out[id] = v.doubleValue }
        return out
    }

    static func asha(maxT: Double = 100, grace: Double = 1, rf: Double = 4, brackets: Int = 1, mode: Mode = .max,
                     stopLast: Bool = true, seed: UInt64 = 0) throws -> ASHAScheduler {
        try ASHAScheduler(metric: "score", mode: mode, maxT: maxT, gracePeriod: grace, reductionFactor: rf,
                          brackets: brackets, stopLastTrials: stopLast, seed: seed)
    }

    // MARK: - ASHA rungs

    @Test func ashaOneBracketRungsHighestFirst() throws {
        #expect(try ASHAScheduler(maxT: 100, gracePeriod: 1, reductionFactor: 4).milestones == [[64, 16, 4, 1]])
        // Ray's docstring bracket `_Bracket(1, 10, 2, 0)`: int(log(10)/log(2) + 1) = 4 rungs.
        #expect(try ASHAScheduler(maxT: 10, gracePeriod: 1, reductionFactor: 2).milestones == [[8, 4, 2, 1]])
        #expect(try ASHAScheduler(maxT: 100, gracePeriod: 2, reductionFactor: 3).milestones == [[54, 18, 6, 2]])
        #expect(try ASHAScheduler(maxT: 1, gracePeriod: 1, reductionFactor: 4).milestones == [[1]])
    }

    @Test func ashaSeveralBracketsStartHigher() throws {
        #expect(try ASHAScheduler(maxT: 100, gracePeriod: 1, reductionFactor: 4, brackets: 3).milestones
            == [[64, 16, 4, 1], [64, 16, 4], [64, 16]])
        // s = 4 and 5 give int(log(50)/log(3) - s + 1) <= 0 rungs: empty brackets, as in Ray.
        #expect(try ASHAScheduler(maxT: 100, gracePeriod: 2, reductionFactor: 3, brackets: 6).milestones
            == [[54, 18, 6, 2], [54, 18, 6], [54, 18], [54], [], []])
    }

    @Test func ashaRejectsInvalidSettings() {
        #expect(throws: ScheduleError.self) { try ASHAScheduler(maxT: 0) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(maxT: 10, gracePeriod: 11) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(maxT: 10, gracePeriod: 0) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(reductionFactor: 1) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(brackets: 0) }
    }

    // MARK: - ASHA decisions

    /// Ray's `_Bracket` docstring: `_Bracket(1, 10, 2, 0)`, rewards 2 and 4 continue, the rung's
    /// cutoff becomes 3.0, reward 1 stops, and the cutoff is then 2.0.
    @Test func ashaRayDocstringExample() throws {
        var s = try Self.asha(maxT: 10, rf: 2)
        #expect(Self.feed(&s, [("t1", Self.res(1, 2)), ("t2", Self.res(1, 4))]) == [.continue, .continue])
        #expect(Self.recorded(s, rung: 3) == ["t1": 2, "t2": 4])
        // The cutoff is 3.0: probe copies (value semantics) with rewards just below and at it.
        var below = s, at = s
        #expect(Self.feed(&below, [("p", Self.res(1, 2.999))]) == [.stop])
        #expect(Self.feed(&at, [("p", Self.res(1, 3.0))]) == [.continue])
        #expect(Self.feed(&s, [("t3", Self.res(1, 1))]) == [.stop])
        // Stopped trials are recorded too; the cutoff of {2, 4, 1} is 2.0.
        #expect(Self.recorded(s, rung: 3) == ["t1": 2, "t2": 4, "t3": 1])
        #expect(Self.feed(&s, [("t4", Self.res(1, 2)), ("t5", Self.res(1, 1.99))]) == [.continue, .stop])
    }

    /// Mode min: the reward is -metric, so a larger loss is worse.
    @Test func ashaModeMinNegatesTheMetric() throws {
        var s = try Self.asha(maxT: 10, rf: 2, mode: .min)
        let seq = [("t1", Self.res(1, 2)), ("t2", Self.res(1, 4)), ("t3", Self.res(1, 1)), ("t4", Self.res(1, 3)),
                   ("t5", Self.res(1, 3.01))]
        // t2: -4 < cutoff{-2} = -2; t3: -1 >= median{-2,-4} = -3; t4: -3 < median{-2,-4,-1} = -2;
        // t5: -3.01 < median{-4,-3,-2,-1} = -2.5.
        #expect(Self.feed(&s, seq) == [.continue, .stop, .continue, .stop, .stop])
        #expect(Self.recorded(s, rung: 3) == ["t1": -2, "t2": -4, "t3": -1, "t4": -3, "t5": -3.01])
    }

    /// rf = 4: the cutoff is the 75th percentile with linear interpolation; a trial is decided at
    /// the highest rung it reached and was not yet recorded at, once per rung.
    @Test func ashaSeventyFifthPercentileAndHigherRungs() throws {
        var s = try Self.asha()
        let seq: [(String, Metrics)] = [
            ("a", Self.res(1, 10)), ("b", Self.res(1, 20)),  // cutoff {10} = 10
            ("c", Self.res(1, 30)),  // {10, 20}: 17.5
            ("d", Self.res(1, 40)),  // {10, 20, 30}: 25
            ("e", Self.res(1, 32)),  // {10, 20, 30, 40}: 32.5 -> stop
            ("f", Self.res(1, 31.9)),  // {10, 20, 30, 32, 40}: 32 -> stop
            ("a", Self.res(2, 10)), ("a", Self.res(3, 10)),  // no new rung reached
            ("a", Self.res(4, 10)),  // rung 4 empty -> continue
            ("d", Self.res(4, 50)),  // {10}: 10
            ("b", Self.res(5, 1)),  // {10, 50}: 40 -> stop
            ("c", Self.res(4, 47.5)),  // {1, 10, 50}: 30
            ("c", Self.res(4, 0)),  // already recorded at rung 4 and 1: no decision
            ("g", Self.res(4, 48.12)),  // {1, 10, 47.5, 50}: 48.125 -> stop (recorded at rung 4 only)
            ("h", Self.res(4, 48.125)),  // {1, 10, 47.5, 48.12, 50}: 48.12 -> continue
        ]
        #expect(Self.feed(&s, seq) == [.continue, .continue, .continue, .continue, .stop, .stop,
                                       .continue, .continue, .continue, .continue, .stop, .continue, .continue, .stop, .continue])
        #expect(Self.recorded(s, rung: 3) == ["a": 10, "b": 20, "c": 30, "d": 40, "e": 32, "f": 31.9])
        #expect(Self.recorded(s, rung: 2) == ["a": 10, "d": 50, "b": 1, "c": 47.5, "g": 48.12, "h": 48.125])
        #expect(Self.recorded(s, rung: 1).isEmpty && Self.recorded(s, rung: 0).isEmpty)
    }

    @Test func ashaMaxTStopsOnlyWithStopLastTrials() throws {
        let seq = [("a", Self.res(1, 1)), ("a", Self.res(100, 1)), ("b", Self.res(1, 5)), ("b", Self.res(150, 0))]
        var withStop = try Self.asha()
        #expect(Self.feed(&withStop, seq) == [.continue, .stop, .continue, .stop])
        // Not recorded at rung 64: the max_t check comes first.
        #expect(Self.recorded(withStop, rung: 0).isEmpty)
        // Without: the result goes through the bracket; `a` is first at rung 64 and continues, `b`
        // (reward 0 < cutoff {1} = 1) stops there.
        var without = try Self.asha(stopLast: false)
        #expect(Self.feed(&without, seq) == [.continue, .continue, .continue, .stop])
        #expect(Self.recorded(without, rung: 0) == ["a": 1, "b": 0])
        // A trial already recorded at the top rung is not decided again.
        #expect(Self.feed(&without, [("a", Self.res(120, -1000))]) == [.continue])
    }

    @Test func ashaResultsWithoutTimeOrMetricContinue() throws {
        var s = try Self.asha()
        let seq: [(String, Metrics)] = [("a", Self.res(1, 10)), ("b", Self.res(1, 1)), ("c", ["score": 0]),
                                        ("c", ["training_iteration": 1]), ("c", ["training_iteration": 1, "other": 0]),
                                        ("c", Self.res(1, 10))]
        #expect(Self.feed(&s, seq) == [.continue, .stop, .continue, .continue, .continue, .continue])
        #expect(Self.recorded(s, rung: 3) == ["a": 10, "b": 1, "c": 10])
        // A scheduler without a metric continues everything.
        var bare = try ASHAScheduler()
        #expect(Self.feed(&bare, [("a", Self.res(1, 10)), ("b", Self.res(1, 1)), ("c", Self.res(100, 1))]) == [.continue, .continue, .continue])
    }

    /// A NaN reward is recorded (as Ray does) but ignored by the cutoff (numpy's nanpercentile).
    @Test func ashaNaNRewardsAreIgnoredByTheCutoff() throws {
        var s = try Self.asha(rf: 2)
        #expect(Self.feed(&s, [("a", Self.res(1, .nan)), ("b", Self.res(1, 5)), ("c", Self.res(1, 7)),
                               ("d", Self.res(1, 5.9)), ("e", Self.res(1, .nan))]) == [.continue, .continue, .continue, .stop, .continue])
        let rung = Self.recorded(s, rung: 6)
        #expect(rung.count == 5 && rung["a"]!.isNaN && rung["e"]!.isNaN)
    }

    @Test func ashaCompleteRecordsTheLastResultAndRemoveForgets() throws {
        var s = try Self.asha()
        _ = Self.feed(&s, [("a", Self.res(1, 10)), ("b", Self.res(1, 20))])
        // `a` ends at t = 5 without having reported at rung 4: its last result is recorded there.
        s.onTrialComplete("a", Self.res(5, 11))
        #expect(Self.recorded(s, rung: 2) == ["a": 11])
        s.onTrialRemove("b")
        #expect(s.saveState()["trials"]?.objectValue?.isEmpty == true)
    }

    @Test func ashaSearchPropertiesConflictsThrow() throws {
        var s = try ASHAScheduler(metric: "loss", mode: .min)
        #expect(throws: ScheduleError.self) { try s.setSearchProperties(metric: "acc", mode: .min) }
        #expect(throws: ScheduleError.self) { try s.setSearchProperties(metric: "loss", mode: .max) }
        try s.setSearchProperties(metric: "loss", mode: .min)
        var partial = try ASHAScheduler(mode: .max)
        #expect(throws: ScheduleError.self) { try partial.setSearchProperties(metric: "acc", mode: .min) }
        try partial.setSearchProperties(metric: "acc", mode: .max)
        #expect(partial.saveState()["metric"] == "acc" && partial.saveState()["mode"] == "max")
        // A scheduler without them takes the experiment's and then decides with them.
        var bare = try ASHAScheduler(reductionFactor: 2)
        try bare.setSearchProperties(metric: "loss", mode: .min)
        #expect(Self.feed(&bare, [("a", Self.res(1, 1, "loss")), ("b", Self.res(1, 2, "loss"))]) == [.continue, .stop])
        var msr = try MedianStoppingRule(metric: "loss", mode: .min)
        #expect(throws: ScheduleError.self) { try msr.setSearchProperties(metric: "loss", mode: .max) }
        #expect(throws: ScheduleError.self) { try msr.setSearchProperties(metric: "acc", mode: .min) }
        var fifo = FIFOScheduler()
        try fifo.setSearchProperties(metric: "anything", mode: .max)
    }

    /// numpy's nanpercentile with linear interpolation (numpy >= 1.22 `_lerp`): below the midpoint
    /// `a + (b - a) * g`, from it on `b - (b - a) * (1 - g)`; NaN ignored; nil for nothing recorded.
    static func numpyCutoff(_ values: [Double], _ rf: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let v = values.filter { !$0.isNaN }.sorted()
        guard !v.isEmpty else { return .nan }
        let q = (1 - 1 / rf) * 100 / 100
        let virtual = Double(v.count - 1) * q
        let lo = Int(virtual.rounded(.down)), g = virtual - virtual.rounded(.down)
        let hi = min(lo + 1, v.count - 1)
        let (a, b) = (v[lo], v[hi])
        return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g
    }

    /// The cutoff must be numpy's to the last bit: numpy interpolates from the upper neighbour
    /// when the fraction is >= 0.5 (`b - (b - a) * (1 - g)`), which differs from `a + (b - a) * g`
    /// in the last place for about 1.5% of pairs, and that flips decisions on ties. Here the
    /// rung holds 0.1 and 0.9 (rf 4): numpy's 75th percentile is exactly 0.7, so Ray lets a
    /// reward of 0.7 continue; `a + (b - a) * g` gives 0.7000000000000001.
    @Test func ashaCutoffMatchesNumpyToTheLastBit() throws {
        #expect(Self.numpyCutoff([0.1, 0.9], 4) == 0.7)
        var s = try Self.asha()
        #expect(Self.feed(&s, [("a", Self.res(1, 0.1)), ("b", Self.res(1, 0.9))]) == [.continue, .continue])
        #expect(Self.feed(&s, [("c", Self.res(1, 0.7))]) == [.continue])
    }

    /// numpy's lerp with an infinite upper neighbour gives NaN for g >= 0.5 (inf - inf), so Ray's
    /// cutoff of {1, inf} at the 75th percentile is NaN and every reward continues.
    @Test func ashaCutoffWithInfiniteRewardIsNumpys() throws {
        #expect(Self.numpyCutoff([1, .infinity], 4)!.isNaN)
        var s = try Self.asha()
        #expect(Self.feed(&s, [("a", Self.res(1, 1)), ("b", Self.res(1, .infinity))]) == [.continue, .continue])
        #expect(Self.feed(&s, [("c", Self.res(1, 5))]) == [.continue])
    }

    /// The ASHA rule as a property: many random trials through one bracket, in a random
    /// interleaving; at each rung a trial goes on iff its reward is at least the cutoff of the
    /// rewards recorded at that rung before it, and a result at max_t stops. Integer rewards make
    /// ties (reward == cutoff) common; the interpolated cutoffs are exact for rf 2 and 4.
    @Test(arguments: [(4.0, Mode.max, UInt64(1)), (2.0, Mode.min, UInt64(2)), (3.0, Mode.max, UInt64(3))])
    func ashaPaperRuleProperty(rf: Double, mode: Mode, seed: UInt64) throws {
        var s = try Self.asha(maxT: 40, rf: rf, mode: mode)
        let milestones = s.milestones[0]
        var rng = Xoshiro256(seed: seed)
        var rungs = Array(repeating: [String: Double](), count: milestones.count)  // reference model
        var time: [String: Double] = [:]
        var active: [String] = []
        var created = 0, stops = 0, continuesAtRungs = 0, ties = 0
        var mismatch: String? = nil
        while created < 400 || !active.isEmpty {
            if created < 400 && (active.isEmpty || rng.below(3) == 0) {
                let id = "t\(created)"
                created += 1
                s.onTrialAdd(id)
                active.append(id)
                time[id] = 0
            }
            let id = active[Int(rng.below(UInt64(active.count)))]
            let t = time[id]! + Double(1 + rng.below(5))
            time[id] = t
            let metric = Double(rng.below(20))
            let reward = mode == .max ? metric : -metric
            let decision = s.onTrialResult(id, Self.res(t, metric), context: SchedulerContext())
            var expected = D.continue
            if t >= 40 {
                expected = .stop
            } else if let k = milestones.indices.first(where: { t >= milestones[$0] && rungs[$0][id] == nil }) {
                let cutoff = Self.numpyCutoff(Array(rungs[k].values), rf)
                if let c = cutoff, reward < c { expected = .stop } else { continuesAtRungs += 1 }
                if let c = cutoff, reward == c { ties += 1 }
                rungs[k][id] = reward
            }
            // One #expect at the end: thousands of them would make this test slow.
            if decision != expected {
                mismatch = "trial \(id) at t=\(t) reward \(reward): \(decision), expected \(expected)"
                break
            }
            if decision == .stop {
                stops += 1
                active.removeAll { $0 == id }
            }
        }
        #expect(mismatch == nil)
        #expect(stops > 50 && continuesAtRungs > 50 && ties > 5, "\(stops) stops, \(continuesAtRungs) continues, \(ties) ties")
        for (k, r) in rungs.enumerated() { #expect(Self.recorded(s, rung: k) == r) }
    }

    /// Ray draws a new trial's bracket with probability proportional to e^(number of rungs).
    @Test func ashaBracketDrawFollowsSoftmaxOfRungCounts() throws {
        var s = try Self.asha(brackets: 3, seed: 11)
        let n = 6000
        for i in 0..<n { s.onTrialAdd("t\(i)") }
        var counts = [0, 0, 0]
        for (_, b) in s.saveState()["trials"]?.objectValue ?? [] { counts[Int(b.intValue!)] += 1 }
        #expect(counts.reduce(0, +) == n)
        let z = 1 + exp(-1.0) + exp(-2.0)
        for (b, expected) in [1 / z, exp(-1.0) / z, exp(-2.0) / z].enumerated() {
            #expect(abs(Double(counts[b]) / Double(n) - expected) < 0.025, "bracket \(b): \(counts[b])")
        }
        // Each trial is then decided in its own bracket: the first result at t = 1 of a trial in
        // bracket 1 or 2 (lowest rung 4 or 16) reaches no rung there.
        var byBracket: [Int: String] = [:]
        for (id, b) in s.saveState()["trials"]?.objectValue ?? [] where byBracket[Int(b.intValue!)] == nil { byBracket[Int(b.intValue!)] = id }
        for (b, id) in byBracket {
            _ = s.onTrialResult(id, Self.res(1, 1), context: SchedulerContext())
            #expect(Self.recorded(s, bracket: b, rung: s.milestones[b].count - 1).keys.contains(id) == (b == 0))
        }
    }

    @Test func ashaSaveRestoreGivesIdenticalDecisions() throws {
        var s = try Self.asha(maxT: 81, rf: 3, brackets: 3, seed: 5)
        var rng = Xoshiro256(seed: 99)
        func step(_ i: Int) -> (String, Metrics) {
            let id = "t\(i % 37)"
            return (id, Self.res(Double(1 + i / 37 * 3 + Int(rng.below(3))), Double(rng.below(100)) / 7))
        }
        let first = (0..<300).map { step($0) }
        var added: Set<String> = []
        _ = Self.feed(&s, first, added: &added)
        let state = s.saveState()
        var restored = try ASHAScheduler(restoring: state)
        var viaText = try ASHAScheduler(restoring: JSONValue(parsing: state.serialized()))
        #expect(restored.saveState() == state && viaText.saveState() == state)
        #expect(restored.milestones == s.milestones && restored.maxT == 81 && restored.reductionFactor == 3)
        // New trials too (the bracket draw continues the saved generator), and completions.
        var rest = (300..<900).map { step($0) }
        rest += (0..<40).map { ("new\($0)", Self.res(Double(1 + $0 % 30), Double($0 % 11))) }
        var a1 = added, a2 = added, a3 = added
        let d0 = Self.feed(&s, rest, added: &a1)
        let d1 = Self.feed(&restored, rest, added: &a2)
        let d2 = Self.feed(&viaText, rest, added: &a3)
        #expect(d0 == d1 && d0 == d2)
        #expect(d0.contains(.stop) && d0.contains(.continue))
        s.onTrialComplete("t3", Self.res(80, 1))
        restored.onTrialComplete("t3", Self.res(80, 1))
        #expect(s.saveState() == restored.saveState())
    }
}
