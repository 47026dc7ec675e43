import Testing
@testable import SwiftTune

@Suite("HyperBand")
struct HyperBandTests {
    /// Python's `sorted(range(n), key=keys.__getitem__)`, printed by CPython 3.11 for these keys.
    @Test(arguments: [
        ([3.0, .nan, 1.0, 2.0], [0, 1, 2, 3]),
        ([.nan, 2.0, 1.0], [0, 2, 1]),
        ([1.0, 1.0, .nan, 0.5, 2.0], [0, 1, 2, 3, 4]),
        ([5.0, 4.0, .nan, 3.0, .nan, 1.0, 6.0], [5, 3, 1, 0, 2, 4, 6]),
        ([.nan, .nan, .nan, 2.0, 4.0, 5.0, 3.0, 1.0, .nan, 1.0, 1.0, 5.0], [0, 1, 2, 7, 9, 10, 3, 6, 4, 5, 8, 11]),
        ([5.0, 3.0, 4.0, 4.0, .nan, .nan, .nan, 5.0, .nan, .nan, 5.0, .nan], [1, 2, 3, 0, 4, 5, 6, 7, 8, 9, 10, 11]),
    ] as [([Double], [Int])])
    func pythonSortOrderWithNaN(keys: [Double], expected: [Int]) {
        #expect(pythonSortedIndices(keys) == expected)
    }

    @Test func longListsSortStably() {
        let keys = (0..<100).map { Double($0 % 7) }
        let order = pythonSortedIndices(keys)
        #expect(order == (0..<100).sorted { (keys[$0], $0) < (keys[$1], $1) })
    }

    /// A bracket's count of live trials below its milestone (what ``curIterDone`` reads) stays
    /// what visiting every live trial says, through joins, results (NaN times and times going
    /// back among them), halvings and trials leaving.
    @Test func theCountBelowTheMilestoneMatchesAVisit() throws {
        var hb = try HyperBandScheduler(metric: "score", mode: .max, maxT: 27, reductionFactor: 3)
        var rng = Xoshiro256(seed: 11)
        var ids: [String] = []
        var time: [String: Double] = [:]
        func check() {
            for br in hb.brackets {
                #expect(br.curIterDone == br.live.allSatisfy { br.time($0) >= Double(br.cumulR) })
            }
        }
        for step in 0..<3_000 {
            switch rng.below(10) {
            case 0, 1:
                let id = "t\(step)"
                hb.onTrialAdd(id)
                ids.append(id)
            case 2 where !ids.isEmpty:
                let id = ids.remove(at: Int(rng.below(UInt64(ids.count))))
                try hb.onTrialRemove(id)
            default:
                guard !ids.isEmpty else { continue }
                let id = ids[Int(rng.below(UInt64(ids.count)))]
                var t = (time[id] ?? 0) + Double(rng.below(4))
                if rng.below(50) == 0 { t = rng.below(2) == 0 ? .nan : Double(rng.below(3)) }
                time[id] = t
                let decision = try hb.onTrialResult(id, ["training_iteration": t, "score": Double(rng.below(100))], context: SchedulerContext())
                if decision == .stop { ids.removeAll { $0 == id }; try hb.onTrialComplete(id, nil) }
                for stopped in hb.takeStopRequests() { ids.removeAll { $0 == stopped }; try hb.onTrialRemove(stopped) }
            }
            check()
        }
    }

    /// Ray's brackets for max_t=9, eta=3: s_max_1 = 3, brackets of 3 (milestone 9), 5 (3) and 9 (1) trials.
    @Test func bracketsFillAsRays() throws {
        var hb = try HyperBandScheduler(metric: "score", mode: .max, maxT: 9, reductionFactor: 3)
        try hb.setSearchProperties(metric: nil, mode: nil)
        for i in 0..<20 { hb.onTrialAdd("t\(i)") }
        #expect(hb.sMax1 == 3)
        #expect(hb.brackets.map(\.n0) == [3, 5, 9, 3])
        #expect(hb.brackets.map(\.r0) == [9, 3, 1, 9])
        #expect(hb.brackets.map(\.totalWork) == [27, 27, 26, 27])
        #expect(hb.bands.count == 2)
        #expect(hb.brackets[3].live.map(\.id) == ["t17", "t18", "t19"])
    }

    /// A bracket of five trials at milestone 3: each pauses there until the last arrives, which
    /// halves the bracket: the best two (ceil(5/3)) go on (the running one continues, the PAUSED
    /// one is chosen to resume), the others stop.
    @Test func halvingKeepsTheBestAndStopsThePausedRest() throws {
        var hb = try HyperBandScheduler(metric: "score", mode: .max, maxT: 9, reductionFactor: 3)
        try hb.setSearchProperties(metric: nil, mode: nil)
        for i in 0..<8 { hb.onTrialAdd("t\(i)") }  // t3...t7: the bracket of five
        let scores = [3.0, .nan, 9.0, 1.0, 5.0]
        for (k, id) in ["t3", "t4", "t5", "t6"].enumerated() {
            for it in 1...3 {
                let d = try hb.onTrialResult(id, ["training_iteration": Double(it), "score": scores[k]], context: SchedulerContext())
                #expect(d == (it < 3 ? .continue : .pause))
            }
        }
        #expect(hb.takeStopRequests().isEmpty)
        let last = try hb.onTrialResult("t7", ["training_iteration": 3, "score": scores[4]], context: SchedulerContext())
        // Every live trial is at 3: Python's sort of [3, NaN, 9, 1, 5] is t3, t4, t6, t7, t5, so t7
        // (running) and t5 (PAUSED) go on to 9 and the others stop.
        #expect(last == .continue)
        #expect(hb.numStopped == 3)
        #expect(Set(hb.takeStopRequests()) == ["t3", "t4", "t6"])
        let waiting = ["t3", "t4", "t5", "t6"].map { WaitingTrial(id: $0, status: .paused) }
        #expect(hb.chooseTrial(among: waiting) == "t5")
    }

    @Test func stateRoundTrips() throws {
        var hb = try HyperBandScheduler(metric: "score", mode: .min, maxT: 27, reductionFactor: 3)
        try hb.setSearchProperties(metric: nil, mode: nil)
        for i in 0..<12 { hb.onTrialAdd("t\(i)") }
        _ = try hb.onTrialResult("t0", ["training_iteration": 1, "score": 2], context: SchedulerContext())
        let restored = try HyperBandScheduler(restoring: hb.saveState())
        #expect(restored.saveState() == hb.saveState())
        #expect(restored.brackets == hb.brackets)
        #expect(restored.bands == hb.bands)
        #expect(throws: ScheduleError.self) { try HyperBandScheduler(restoring: ["scheduler": "hyperband"]) }
    }

    @Test func badOptionsAreRefused() {
        #expect(throws: ScheduleError.self) { try HyperBandScheduler(maxT: 0) }
        #expect(throws: ScheduleError.self) { try HyperBandScheduler(maxT: 0.5) }
        #expect(throws: ScheduleError.self) { try HyperBandScheduler(reductionFactor: 1) }
    }

    /// Through the engine: the bracket of five (trials 3 to 7, milestone 3) halves when trial 7
    /// reaches 3: 3 and 4 (the lowest losses) resume to 9 once chosen, 7 is answered
    /// `.stop`, and the PAUSED 5 and 6 end TERMINATED without running again (reported once).
    @Test func engineStopsPausedTrialsAndResumesSurvivors() throws {
        let space = try SearchSpace(["x": .uniform(0, 1)])
        let limiter = try ConcurrencyLimiter(RandomSearch(space: space, seed: 1), maxConcurrent: Int.max)
        var config = ExperimentConfig(metric: "loss", mode: .min, numSamples: 8, stop: ["training_iteration": 9])
        config.maxPendingTrials = 200
        var c = try ExperimentCore(config: config, limiter: limiter, scheduler: try HyperBandScheduler(maxT: 9, reductionFactor: 3))
        var runs: [String] = []
        var queue: [String] = []
        var now = 0.0
        while true {
            while case .start(let id, _) = try c.next(now: now) { queue.append(id) }
            guard !queue.isEmpty else { break }
            let id = queue.removeFirst()
            let number = Double(c.trial(id)?.number ?? 0)
            let first = (c.trial(id)?.results.count ?? 0) + 1
            var d = SchedulerDecision.continue
            while d == .continue {
                now += 1
                d = try c.report(id, ["loss": number], now: now)
            }
            runs.append("\(c.trial(id)?.number ?? -1):\(first)-\(c.trial(id)?.results.count ?? 0)")
            try c.finish(id, .stopped, now: now)
            if id == "trial_00007" { #expect(c.takeStoppedWaiting() == ["trial_00006", "trial_00005"]) }
        }
        // Without checkpoints the survivors start over (iterations 1 to 9 again, as in Ray): 9 more results.
        #expect(runs == ["0:1-9", "1:1-9", "2:1-9", "3:1-3", "4:1-3", "5:1-3", "6:1-3", "7:1-3", "3:4-12", "4:4-12"])
        #expect(c.trials.map(\.status) == Array(repeating: .terminated, count: 8))
        #expect(c.trials.map(\.stoppedEarly) == [true, true, true, true, true, true, true, true])
        #expect(c.takeStoppedWaiting().isEmpty)
    }
}
