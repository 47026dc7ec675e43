import Testing
import SwiftTune

/// The median stopping rule, FIFO, and restoring schedulers (split from SchedulerTests.swift;
/// the helpers are there).
extension SchedulerTests {
    // MARK: - median stopping rule

    static func msr(mode: Mode = .min, grace: Double = 1, minSamples: Int = 2, slice: Double = 0, hard: Bool = true) -> MedianStoppingRule {
        try! MedianStoppingRule(timeAttr: "training_iteration", metric: "loss", mode: mode, gracePeriod: grace,
                                minSamplesRequired: minSamples, minTimeSlice: slice, hardStop: hard)
    }

    /// `(trial, t, loss)` as results, the loss negated when `sign` is -1.
    static func losses(_ seq: [(String, Double, Double)], sign: Double = 1) -> [(String, Metrics)] {
        seq.map { ($0.0, Self.res($0.1, sign * $0.2, "loss")) }
    }

    /// One time step: strictly worse than the median of the others' running means stops, equal
    /// continues; fewer than min_samples_required others continue.
    static let medianAtOneStep: [(String, Double, Double)] = [
        ("A", 1, 1.0),  // no others
        ("B", 1, 3.0),  // one other < 2
        ("C", 1, 5.0),  // median{1, 3} = 2 < 5: stop
        ("D", 1, 2.0),  // median{1, 3, 5} = 3 >= 2
        ("E", 1, 2.5),  // median{1, 2, 3, 5} = 2.5 == 2.5: continue
        ("F", 1, 2.6),  // median{1, 2, 2.5, 3, 5} = 2.5 < 2.6: stop
    ]

    @Test(arguments: [Mode.min, Mode.max])
    func medianStopsStrictlyWorseTrials(mode: Mode) {
        var s = Self.msr(mode: mode)
        // Mode max mirrors mode min with the metric negated.
        let seq = Self.losses(Self.medianAtOneStep, sign: mode == .min ? 1 : -1)
        #expect(Self.feed(&s, seq) == [.continue, .continue, .stop, .continue, .continue, .stop])
    }

    /// Several time steps, grace period 2: the running mean of another trial covers its results
    /// from the grace period up to the current time (not later ones); the trial's own best covers
    /// all its results; only trials whose latest result reached the time count.
    @Test(arguments: [Mode.min, Mode.max])
    func medianUsesRunningMeansUpToTheTime(mode: Mode) {
        var s = Self.msr(mode: mode, grace: 2)
        let seq: [(String, Double, Double)] = [
            ("A", 1, 100), ("A", 2, 4), ("A", 3, 2), ("A", 4, 1000),
            ("B", 1, 0), ("B", 2, 6), ("B", 3, 4), ("B", 4, 1000),
            ("C", 1, 1.0),  // before the grace period: continue (counts for C's best)
            ("C", 2, 4.5),  // median of A 4, B 6 = 5; best min(1, 4.5) = 1: continue
            ("D", 1, 9),
            ("D", 2, 5.5),  // median of A 4, B 6, C 4.5 = 4.5 < 5.5: stop (all-time means would give 335)
            ("E", 1, 50),
            ("E", 2, 5.1),  // median of A 4, B 6, C 4.5, D 5.5 = 5.0 < 5.1: stop (5.125 if t=1 counted)
            ("F", 1, 7), ("F", 2, 4.0),
            ("F", 3, 4.0),  // others at >= 3: A (4+2)/2 = 3, B (6+4)/2 = 5: median 4 == 4: continue
            ("G", 3, 4.01),  // A 3, B 5, F 4: median 4 < 4.01: stop
            ("H", 3, 4.0),  // A 3, B 5, F 4, G 4.01: median 4.005 > 4: continue
            ("H", 4, 3.0),  // A 335.33, B 336.67: continue
        ]
        let expected: [D] = [.continue, .continue, .continue, .continue, .continue, .continue, .continue, .continue,
                             .continue, .continue, .continue, .stop, .continue, .stop, .continue, .continue, .continue,
                             .stop, .continue, .continue]
        #expect(Self.feed(&s, Self.losses(seq, sign: mode == .min ? 1 : -1)) == expected)
    }

    @Test func medianHardStopFalsePausesThenFallsBackToFIFO() {
        var s = Self.msr(hard: false)
        #expect(Self.feed(&s, Self.losses(Self.medianAtOneStep)) == [.continue, .continue, .pause, .continue, .continue, .pause])
        // The paused trial, resumed, is never stopped again.
        #expect(s.onTrialResult("C", Self.res(2, 100, "loss"), context: SchedulerContext()) == .continue)
    }

    @Test func medianInsufficientSamplesPauseOnlyForWaitingTrialsAfterTheTimeSlice() {
        // min_time_slice 2: pause at t = 1, then only once t - last pause > 2.
        var s = Self.msr(minSamples: 3, slice: 2)
        let alone = Self.losses((1...7).map { ("A", Double($0), 1.0) })
        #expect(Self.feed(&s, alone, waiting: true) == [.pause, .continue, .continue, .pause, .continue, .continue, .pause])
        // Nothing waiting: continue.
        var idle = Self.msr(minSamples: 3, slice: 2)
        #expect(Self.feed(&idle, alone, waiting: false) == Array(repeating: .continue, count: 7))
        // min_time_slice 0: every new time step may yield; a continue does not count as a pause.
        var zero = Self.msr(minSamples: 3)
        let ctx = { (w: Bool) in SchedulerContext(hasWaitingTrials: w) }
        let d = [(1.0, false), (2, true), (3, true), (3, true), (4, false), (5, true)].map { t, w in
            zero.onTrialResult("A", Self.res(t, 1, "loss"), context: ctx(w))
        }
        #expect(d == [.continue, .pause, .pause, .continue, .continue, .pause])
        // Before the grace period nothing pauses.
        var grace = Self.msr(grace: 3, minSamples: 3)
        #expect(Self.feed(&grace, Self.losses([("A", 1, 1), ("A", 2, 1), ("A", 3, 1)]), waiting: true) == [.continue, .continue, .pause])
    }

    @Test func medianIgnoresResultsWithoutTimeOrMetric() {
        var s = Self.msr()
        _ = Self.feed(&s, Self.losses([("A", 1, 1.0), ("B", 1, 3.0)]))
        #expect(s.onTrialResult("C", ["training_iteration": 1], context: SchedulerContext()) == .continue)
        #expect(s.onTrialResult("C", ["loss": 99], context: SchedulerContext()) == .continue)
        #expect(s.onTrialResult("C", ["time_total_s": 1, "loss": 99], context: SchedulerContext()) == .continue)
        #expect(s.onTrialResult("C", Self.res(1, 99, "loss"), context: SchedulerContext()) == .stop)
    }

    @Test func medianSaveRestoreGivesIdenticalDecisions() throws {
        var s = Self.msr(minSamples: 3, slice: 1, hard: false)
        var rng = Xoshiro256(seed: 4)
        var seq: [(String, Metrics)] = []
        for i in 0..<400 {
            let loss = Double(rng.below(50)) / 4 + Double(i % 13)
            seq.append(("t\(i % 13)", Self.res(Double(1 + i / 13), loss, "loss")))
        }
        let waiting = (0..<400).map { $0 % 3 == 0 }
        var d0: [D] = []
        for i in 0..<200 { d0.append(s.onTrialResult(seq[i].0, seq[i].1, context: SchedulerContext(hasWaitingTrials: waiting[i]))) }
        s.onTrialComplete("t12", seq[194].1)
        let state = s.saveState()
        var restored = try MedianStoppingRule(restoring: state)
        var viaText = try MedianStoppingRule(restoring: JSONValue(parsing: state.serialized(pretty: true)))
        #expect(restored.saveState() == state && viaText.saveState() == state)
        #expect(restored.gracePeriod == 1 && restored.minSamplesRequired == 3 && restored.minTimeSlice == 1 && !restored.hardStop)
        var d1: [D] = [], d2: [D] = [], d3: [D] = []
        for i in 200..<400 {
            let ctx = SchedulerContext(hasWaitingTrials: waiting[i])
            d1.append(s.onTrialResult(seq[i].0, seq[i].1, context: ctx))
            d2.append(restored.onTrialResult(seq[i].0, seq[i].1, context: ctx))
            d3.append(viaText.onTrialResult(seq[i].0, seq[i].1, context: ctx))
        }
        #expect(d1 == d2 && d1 == d3)
        #expect((d0 + d1).contains(.pause) && (d0 + d1).contains(.continue))
        #expect(s.saveState() == restored.saveState())
    }

    // MARK: - FIFO and restoring

    @Test func fifoAlwaysContinues() {
        var s = FIFOScheduler()
        var rng = Xoshiro256(seed: 8)
        for i in 0..<200 {
            let r: Metrics = ["training_iteration": Double(i), "loss": rng.uniform(-1e9, 1e9)]
            #expect(s.onTrialResult("t\(i % 5)", r, context: SchedulerContext(hasWaitingTrials: i % 2 == 0)) == .continue)
        }
        s.onTrialComplete("t0", nil)
        s.onTrialRemove("t1")
        #expect(s.saveState() == ["scheduler": "fifo"])
    }

    @Test func restoreSchedulerDispatchesByKind() throws {
        var asha = try Self.asha(brackets: 2, seed: 3)
        _ = Self.feed(&asha, [("a", Self.res(1, 1)), ("b", Self.res(1, 2))])
        var msr = Self.msr()
        _ = Self.feed(&msr, Self.losses(Self.medianAtOneStep))
        let fifo = try restoreScheduler(FIFOScheduler().saveState())
        #expect(fifo is FIFOScheduler)
        let a = try restoreScheduler(asha.saveState())
        #expect((a as? ASHAScheduler)?.saveState() == asha.saveState())
        let m = try restoreScheduler(msr.saveState())
        #expect((m as? MedianStoppingRule)?.saveState() == msr.saveState())
        #expect(type(of: a).kind == "asha" && type(of: m).kind == "median_stopping_rule" && type(of: fifo).kind == "fifo")
    }

    @Test func restoreRejectsGarbage() throws {
        #expect(throws: ScheduleError.self) { try restoreScheduler(.null) }
        #expect(throws: ScheduleError.self) { try restoreScheduler(["scheduler": "hyperband"]) }
        #expect(throws: ScheduleError.self) { try restoreScheduler(["kind": "fifo"]) }
        #expect(throws: ScheduleError.self) { try restoreScheduler(["scheduler": 3]) }
        #expect(throws: ScheduleError.self) { try restoreScheduler(["scheduler": "asha"]) }
        #expect(throws: ScheduleError.self) { try restoreScheduler(["scheduler": "median_stopping_rule"]) }
        // One kind's state is not another's.
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: FIFOScheduler().saveState()) }
        #expect(throws: ScheduleError.self) { try MedianStoppingRule(restoring: try Self.asha().saveState()) }
        #expect(throws: ScheduleError.self) { try FIFOScheduler(restoring: Self.msr().saveState()) }
        // Damaged fields of a valid ASHA state.
        let good = try Self.asha(brackets: 2).saveState()
        func replacing(_ key: String, _ value: JSONValue) -> JSONValue {
            .object(good.objectValue!.map { $0.0 == key ? ($0.0, value) : $0 })
        }
        func removing(_ key: String) -> JSONValue { .object(good.objectValue!.filter { $0.0 != key }) }
        _ = try ASHAScheduler(restoring: good)
        for key in ["time_attr", "max_t", "grace_period", "reduction_factor", "stop_last_trials", "brackets", "trials", "rng"] {
            #expect(throws: ScheduleError.self, "without \(key)") { try ASHAScheduler(restoring: removing(key)) }
        }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: replacing("rng", [0, 0, 0, 0])) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: replacing("rng", [1, 2, 3])) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: replacing("reduction_factor", 1)) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: replacing("mode", "sideways")) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: replacing("trials", ["a": 2])) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: replacing("trials", ["a": -1])) }
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: replacing("brackets", [["x"]])) }
        // No bracket at all: every new trial is put in bracket 0, so the state is unusable.
        #expect(throws: ScheduleError.self) { try ASHAScheduler(restoring: replacing("brackets", [])) }
        #expect(throws: ScheduleError.self) {
            try ASHAScheduler(restoring: replacing("brackets", [[["milestone": 1, "recorded": ["a": "high"]]]]))
        }
        // Damaged median stopping rule states.
        let m = Self.msr().saveState()
        func mReplacing(_ key: String, _ value: JSONValue) -> JSONValue {
            .object(m.objectValue!.map { $0.0 == key ? ($0.0, value) : $0 })
        }
        _ = try MedianStoppingRule(restoring: m)
        #expect(throws: ScheduleError.self) { try MedianStoppingRule(restoring: mReplacing("results", ["a": [[1]]])) }
        #expect(throws: ScheduleError.self) { try MedianStoppingRule(restoring: mReplacing("results", ["a": 5])) }
        #expect(throws: ScheduleError.self) { try MedianStoppingRule(restoring: mReplacing("stopped", [1])) }
        #expect(throws: ScheduleError.self) { try MedianStoppingRule(restoring: mReplacing("hard_stop", "yes")) }
        #expect(throws: ScheduleError.self) { try MedianStoppingRule(restoring: mReplacing("last_pause", ["a": "x"])) }
    }
}
