import Testing
@testable import SwiftTune

@Suite("HyperBand for BOHB")
struct HyperBandForBOHBTests {
    func scheduler() throws -> HyperBandForBOHB {
        var hb = try HyperBandForBOHB(metric: "score", mode: .max, maxT: 9, reductionFactor: 3)
        try hb.setSearchProperties(metric: nil, mode: nil)
        return hb
    }

    /// Ray's placement for BOHB: the largest bracket of a band first (9 trials at milestone 1, then
    /// 5 at 3, then 3 at 9), then a new band.
    @Test func bracketsFillLargestFirst() throws {
        var hb = try scheduler()
        for i in 0..<20 { hb.onTrialAdd("t\(i)") }
        #expect(hb.base.brackets.map(\.n0) == [9, 5, 3, 9])
        #expect(hb.base.brackets.map(\.r0) == [1, 3, 9, 1])
        #expect(hb.base.bands.count == 2)
        #expect(hb.base.brackets[0].live.map(\.id) == (0..<9).map { "t\($0)" })
    }

    /// A trial at its milestone pauses (the searcher hears it) while its bracket is not full or
    /// another trial of it is not PAUSED; the result carries the budget. The last one to arrive
    /// halves the bracket: the best third go on (the PAUSED ones resumed: the searcher hears it),
    /// the rest stop.
    @Test func pausesUntilTheBracketIsFullAndPausedThenHalves() throws {
        var hb = try scheduler()
        for i in 0..<4 { hb.onTrialAdd("t\(i)") }
        for i in 0..<4 { hb.onTrialStart("t\(i)") }
        // Below the milestone nothing: `{}` info.
        // At the milestone with the bracket not full: pause.
        #expect(try hb.onTrialResult("t0", ["training_iteration": 1, "score": 5], context: .init()) == .pause)
        #expect(hb.takeResultInfo() == ["budget": .int(1)])
        #expect(hb.takeSearcherNotes().map { "\($0.trial) \($0.paused)" } == ["t0 true"])
        for i in 4..<9 { hb.onTrialAdd("t\(i)") }
        for i in 4..<9 { hb.onTrialStart("t\(i)") }
        // Full, but t8 still runs: pause.
        for i in 1..<8 {
            #expect(try hb.onTrialResult("t\(i)", ["training_iteration": 1, "score": Double(i)], context: .init()) == .pause)
        }
        _ = hb.takeSearcherNotes()
        // The last: halving keeps 3 of 9 (t6's 6, t7's 7, t8's 8): t8 runs on, t6 and t7 resume.
        #expect(try hb.onTrialResult("t8", ["training_iteration": 1, "score": 8], context: .init()) == .continue)
        #expect(hb.takeResultInfo() == ["budget": .int(1)])
        let notes = hb.takeSearcherNotes().map { "\($0.trial) \($0.paused)" }
        #expect(Set(notes) == ["t6 false", "t7 false"])
        #expect(Set(hb.takeStopRequests()) == Set(["t0", "t1", "t2", "t3", "t4", "t5"]))
        #expect(try hb.chooseTrial(among: [WaitingTrial(id: "t6", status: .paused), WaitingTrial(id: "t7", status: .paused)]) == "t6")
        // Below the next milestone (3): continue, `{}`.
        #expect(try hb.onTrialResult("t8", ["training_iteration": 2, "score": 9], context: .init()) == .continue)
        #expect(hb.takeResultInfo() == .object([]))
    }

    /// With no trial running and none to start, a bracket with PAUSED trials is processed when a
    /// trial is to be chosen (Ray's choose_trial_to_run), which may resume some.
    @Test func choosingProcessesAPausedBracketWhenNothingRuns() throws {
        var hb = try scheduler()
        for i in 0..<9 { hb.onTrialAdd("t\(i)") }
        for i in 0..<9 { hb.onTrialStart("t\(i)") }
        for i in 0..<8 { _ = try hb.onTrialResult("t\(i)", ["training_iteration": 1, "score": Double(i)], context: .init()) }
        // t8 fails for good: it leaves its bracket, which is processed at once (every live trial paused).
        try hb.onTrialRemove("t8")
        let resumed = hb.takeSearcherNotes().filter { !$0.paused }.map(\.trial)
        #expect(resumed.count == 3 && Set(resumed) == ["t5", "t6", "t7"])
        let waiting = (0..<8).map { WaitingTrial(id: "t\($0)", status: .paused) }
        #expect(try hb.chooseTrial(among: waiting) == "t5")
        // Saved and restored, it decides on the same.
        var restored = try HyperBandForBOHB(restoring: hb.saveState())
        #expect(restored.saveState().serialized() == hb.saveState().serialized())
        #expect(try restored.chooseTrial(among: waiting) == "t5")
        #expect(throws: ScheduleError.self) { _ = try HyperBandForBOHB(restoring: HyperBandScheduler(maxT: 9).saveState()) }
    }

    /// Through the engine: every trial runs to a milestone of its bracket or to max_t; a trial
    /// stopped by a halving ends TERMINATED.
    @Test func engineRunsBracketsToTheEnd() throws {
        let space = try SearchSpace(["x": .uniform(0, 1)])
        let hb = try HyperBandForBOHB(timeAttr: "training_iteration", metric: "score", mode: .max, maxT: 9, reductionFactor: 3)
        var core = try ExperimentCore(config: ExperimentConfig(metric: nil, mode: nil, numSamples: 9), searcher: RandomSearch(space: space, seed: 3),
                                      scheduler: hb)
        var iterations: [String: Int] = [:]
        var steps = 0
        while steps < 10_000 {
            steps += 1
            switch try core.next(now: Double(steps)) {
            case .start(let id, let config):
                var it = core.trial(id)?.iteration ?? 0
                while true {
                    it += 1
                    let d = try core.report(id, ["score": config["x"]?.doubleValue ?? 0], now: Double(steps))
                    if d != .continue || it >= 9 {
                        try core.finish(id, d == .pause ? .stopped : .completed, now: Double(steps))
                        break
                    }
                }
                iterations[id] = it
            case .wait: continue
            case .finished: steps = 10_001
            }
        }
        #expect(core.trials.allSatisfy { $0.status == .terminated })
        #expect(Set(iterations.values).isSubset(of: [1, 3, 9]))
        #expect(iterations.values.filter { $0 == 9 }.count == 1)  // 9 -> 3 -> 1
    }
}
