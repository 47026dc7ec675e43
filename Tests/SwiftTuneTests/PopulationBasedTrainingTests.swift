import Testing
@testable import SwiftTune

@Suite("Population Based Training")
struct PopulationBasedTrainingTests {
    /// Four trials, PBT every 2 iterations on `score` (max); `lr` doubled on every explore.
    func core(savesOnDemand: Bool = false, synch: Bool = false, samples: Int = 4) throws -> ExperimentCore {
        let space = try SearchSpace(["lr": .uniform(0, 1)])
        let pbt = try PopulationBasedTraining(timeAttr: "training_iteration", metric: "score", mode: .max, perturbationInterval: 2,
                                              mutations: [MutationEntry("lr", .domain(.uniform(0, 1)))],
                                              resampleProbability: 0, perturbationFactors: [2.0], synch: synch, seed: 7)
        var config = ExperimentConfig(metric: nil, mode: nil, numSamples: samples)
        config.savesOnDemand = savesOnDemand
        return try ExperimentCore(config: config, searcher: RandomSearch(space: space, seed: 1), scheduler: pbt)
    }

    func startAll(_ c: inout ExperimentCore, _ n: Int) throws -> [String] {
        var ids: [String] = []
        for _ in 0..<n {
            guard case .start(let id, _) = try c.next(now: 0) else { Issue.record("expected a start"); return ids }
            ids.append(id)
        }
        return ids
    }

    func lr(_ c: ExperimentCore, _ id: String) -> Double { c.trial(id)?.configuration["lr"]?.doubleValue ?? .nan }

    /// One trial's standing, worked out without sorting, is what the sorted quantiles say: its
    /// membership in each, the upper quantile's size and every trial in it, in order. Random
    /// populations of 0 to 150 trials (either side of CPython's 64-item insertion sort), scores
    /// with many ties and signed zeros, unscored and ended trials, quantile fractions 0 to 0.5.
    @Test func aTrialsStandingIsTheSortedQuantiles() throws {
        var rng = Xoshiro256(seed: 5)
        for round in 0..<300 {
            let fraction = [0.0, 0.1, 0.25, 0.3, 0.5][round % 5]
            var pbt = try PopulationBasedTraining(timeAttr: "training_iteration", metric: "score", mode: .max, perturbationInterval: 1,
                                                  mutations: [MutationEntry("lr", .domain(.uniform(0, 1)))],
                                                  quantileFraction: fraction)
            let n = Int(rng.below(151))
            for i in 0..<n { try pbt.onTrialAdd("t\(i)", number: i, configuration: ["lr": 0.5]) }
            for i in 0..<n {
                switch rng.below(10) {
                case 0: continue  // never scored
                case 1: try pbt.onTrialComplete("t\(i)", nil)
                default:
                    let score = Double(rng.below(12)) - 6
                    _ = try pbt.onTrialResult("t\(i)", ["training_iteration": 1, "score": score == 0 && rng.below(2) == 0 ? -0.0 : score],
                                              context: SchedulerContext())
                    if rng.below(8) == 0 { try pbt.onTrialRemove("t\(i)") }
                }
            }
            let (lower, upper) = pbt.quantiles()
            for i in 0..<n {
                let standing = try #require(pbt.standing(of: "t\(i)"))
                #expect(standing.inLower == lower.contains("t\(i)"))
                #expect(standing.inUpper == upper.contains("t\(i)"))
                #expect(standing.upperCount == upper.count)
                if i == 0 { #expect((0..<standing.upperCount).map(standing.upperAt) == upper) }
            }
        }
    }

    /// A NaN score leaves the decision to the full sort (CPython's comparisons order NaN).
    @Test func aNaNScoreLeavesTheStandingToTheSort() throws {
        var pbt = try PopulationBasedTraining(timeAttr: "training_iteration", metric: "score", mode: .max, perturbationInterval: 1,
                                              mutations: [MutationEntry("lr", .domain(.uniform(0, 1)))])
        for i in 0..<4 { try pbt.onTrialAdd("t\(i)", number: i, configuration: ["lr": 0.5]) }
        for i in 0..<4 { _ = try pbt.onTrialResult("t\(i)", ["training_iteration": 1, "score": i == 2 ? .nan : Double(i)], context: SchedulerContext()) }
        #expect(pbt.standing(of: "t0") == nil)
    }

    /// Ray's asynchronous rule: the worst trial at its perturbation time clones the best one's
    /// checkpoint and configuration (explored), pauses, and resumes counting from the clone's.
    @Test func theWorstClonesTheBestAndResumesFromItsCheckpoint() throws {
        var c = try core()
        let ids = try startAll(&c, 4)
        for (k, id) in ids.enumerated() {
            #expect(try c.report(id, ["score": Double(k)], now: 1) == .continue)
            #expect(try c.report(id, ["score": Double(k)], checkpoint: "ck2-\(k)", now: 2) == .continue)
        }
        #expect(c.trials.allSatisfy { $0.kept == nil } == false)
        #expect(c.trial(ids[3])?.kept?.name == "ck2-3")  // t3 was in the upper quantile at its turn
        let lr3 = lr(c, ids[3])
        #expect(try c.report(ids[0], ["score": 0], now: 3) == .continue)
        let answer = try c.reportResult(ids[0], ["score": 0], now: 4)
        #expect(answer.decision == .pause)
        #expect(answer.shouldCheckpoint == false)  // an exploited run saves nothing of its own
        #expect(lr(c, ids[0]) == lr3 * 2)
        let t0 = try #require(c.trial(ids[0]))
        #expect(t0.checkpoint == "ck2-3" && t0.checkpointOwner == ids[3])
        #expect(t0.json["checkpoint_trial"] == .string(ids[3]))
        let events = c.takeExploits()
        #expect(events.count == 1)
        #expect(events.first?.exploit.trial == ids[0] && events.first?.exploit.clone == ids[3])
        #expect(events.first?.trialIteration == 3 && events.first?.cloneIteration == 2)  // Ray's last_result of each
        #expect(events.first?.exploit.operations == ["lr": "* 2.0"])
        #expect(c.takeExploits().isEmpty)
        try c.finish(ids[0], .stopped, now: 5)
        #expect(c.trial(ids[0])?.status == .paused)
        // The saved state keeps the exploit: restored, the trial resumes from the clone's checkpoint.
        var restored = try ExperimentCore(restoring: c.saveState(now: 5))
        #expect(restored.exploits == c.exploits)
        for var e in [c, restored] {
            // (restored, the interrupted running trials come back PENDING and are queued first, as in Ray)
            var action = try e.next(now: 6)
            while case .start(let other, _) = action, other != ids[0] { action = try e.next(now: 6) }
            guard case .start(let id, let config) = action else { Issue.record("expected a start, got \(action)"); return }
            #expect(config["lr"]?.doubleValue == lr3 * 2)
            let again = try e.reportResult(id, ["score": 5], now: 7)
            #expect(again.trainingIteration == 3)  // the clone's checkpoint was at iteration 2
            #expect(e.trial(id)?.results.count == 5)  // the trial's own results stay recorded
        }
        restored = try ExperimentCore(restoring: restored.saveState(now: 8))
        #expect(restored.trial(ids[0])?.initialConfiguration?["lr"]?.doubleValue == c.trial(ids[0])?.initialConfiguration?["lr"]?.doubleValue)
    }

    /// A class trainable saves on demand: the upper trial is asked to save; an exploit that comes
    /// before the save ends waits for it, and the exploiting trial does not start before.
    @Test func anExploitWaitsForTheClonesSave() throws {
        var c = try core(savesOnDemand: true)
        let ids = try startAll(&c, 4)
        for (k, id) in ids.enumerated() {
            _ = try c.report(id, ["score": Double(k)], now: 1)
            let a = try c.reportResult(id, ["score": Double(k)], now: 2)
            #expect(a.shouldCheckpoint == (k > 0))  // trial 0 was alone at its turn: no quantiles
            if k > 0 && k < 3 { try c.attachCheckpoint(id, "c-\(k)") }
        }
        #expect(c.trial(ids[3])?.keepPending == true)
        _ = try c.report(ids[0], ["score": 0], now: 3)
        #expect(try c.report(ids[0], ["score": 0], now: 4) == .pause)
        #expect(c.trial(ids[0])?.exploitFrom == ids[3])
        try c.attachCheckpoint(ids[0], "ignored")  // an exploited run's own checkpoint is not taken
        try c.finish(ids[0], .stopped, now: 5)
        #expect(c.trial(ids[0])?.checkpoint == nil)
        #expect(try c.next(now: 5) == .wait)  // it waits for the clone's checkpoint
        try c.attachCheckpoint(ids[3], "c-3")
        #expect(c.trial(ids[0])?.checkpoint == "c-3" && c.trial(ids[0])?.checkpointOwner == ids[3])
        guard case .start(let id, _) = try c.next(now: 6) else { Issue.record("expected a start"); return }
        #expect(id == ids[0])
    }

    /// A save asked for that does not come (the next result arrives first) keeps nothing, and an
    /// exploit of that trial is skipped, as Ray skips a clone whose save resolved to None.
    @Test func aSaveThatNeverComesKeepsNothing() throws {
        var c = try core()
        let ids = try startAll(&c, 4)
        for (k, id) in ids.enumerated() {
            _ = try c.report(id, ["score": Double(k)], now: 1)
            _ = try c.report(id, ["score": Double(k)], now: 2)  // no checkpoint reported
        }
        #expect(c.trials.allSatisfy { $0.kept == nil })
        _ = try c.report(ids[0], ["score": 0], now: 3)
        #expect(try c.report(ids[0], ["score": 0], now: 4) == .continue)
        #expect(c.exploits.isEmpty)
    }

    /// Synchronous PBT: each trial pauses at its perturbation time until all are there; the last
    /// one perturbs them all, the worst PAUSED one cloning the best one's latest checkpoint.
    @Test func synchronousModeWaitsForEveryTrial() throws {
        var c = try core(synch: true, samples: 3)
        let ids = try startAll(&c, 3)
        for (k, id) in ids.enumerated() {
            #expect(try c.report(id, ["score": Double(k)], now: 1) == .continue)
            #expect(try c.report(id, ["score": Double(k)], checkpoint: "s\(k)", now: 2) == .pause)
            try c.finish(id, .stopped, now: 2)
        }
        // The last arrival synchronised them: trial 0 (worst, PAUSED) took trial 2's checkpoint.
        #expect(c.trial(ids[0])?.checkpoint == "s2" && c.trial(ids[0])?.checkpointOwner == ids[2])
        #expect(c.exploits.map(\.exploit.trial) == [ids[0]])
        guard case .start(let first, _) = try c.next(now: 3) else { Issue.record("expected a start"); return }
        #expect(first == ids[0])
    }

    /// Ray's `_explore` rules, one by one.
    @Test func exploreFollowsRaysRules() throws {
        let pbt = try PopulationBasedTraining(mutations: [MutationEntry("x", .values([1, 2, 3]))], resampleProbability: 0)
        var rng = Xoshiro256(seed: 1)
        var samples: [[String]] = []
        var seen: Set<String> = []
        for _ in 0..<50 {
            let (out, ops) = try pbt.explore(["x": 3, "y": "kept"], pbt.mutations, path: [], rng: &rng, samples: &samples)
            let op = ops["x"]?.stringValue ?? ""
            seen.insert(op)
            #expect(out["x"] == (op == "shift left" ? 2 : 3))
            #expect(out["y"] == "kept")
        }
        #expect(seen == ["shift left", "shift right (noop)"])
        // A value outside the list is resampled from it.
        let (out, ops) = try pbt.explore(["x": 7], pbt.mutations, path: [], rng: &rng, samples: &samples)
        #expect(ops == ["x": "resample"] && [1, 2, 3].contains(out["x"]!.intValue!))
        // 1.0 is in [1, 2, 3], as in Python.
        let (_, ops2) = try pbt.explore(["x": 1.0], pbt.mutations, path: [], rng: &rng, samples: &samples)
        #expect(ops2["x"]?.stringValue?.hasPrefix("shift") == true)
        // An integer stays an integer (truncated); nested mutations recurse; functions are sampled by the front end.
        let nested = try PopulationBasedTraining(
            mutations: [MutationEntry("n", .domain(.uniform(0, 1))),
                        MutationEntry("opt", .nested([MutationEntry("f", .function)]))],
            resampleProbability: 0, perturbationFactors: [1.5], frontEndID: 0)
        let (o, p) = try nested.explore(["n": 3, "opt": ["f": 2.0]], nested.mutations, path: [], rng: &rng, samples: &samples)
        #expect(o["n"] == .int(4) && o["opt"]?["f"] == .double(3))
        #expect(p == ["n": "* 1.5", "opt": ["f": "* 1.5"]])
        let always = try PopulationBasedTraining(mutations: [MutationEntry("opt", .nested([MutationEntry("f", .function)]))],
                                                 resampleProbability: 1, frontEndID: 0)
        samples = []
        _ = try always.explore(["opt": ["f": 2.0]], always.mutations, path: [], rng: &rng, samples: &samples)
        #expect(samples == [["opt", "f"]])
    }

    /// Ray's quantiles: ceil(n q) at each end, at most floor(n / 2); a fraction of 0 makes every
    /// trial "upper" (Python's `trials[-0:]`).
    @Test func quantilesAsRays() throws {
        for (q, n, lower, upper) in [(0.25, 5, 2, 2), (0.25, 4, 1, 1), (0.5, 3, 1, 1), (0.0, 3, 0, 3)] as [(Double, Int, Int, Int)] {
            var pbt = try PopulationBasedTraining(metric: "s", mode: .max, perturbationInterval: 1,
                                                  mutations: [MutationEntry("x", .values([1]))], quantileFraction: q)
            for i in 0..<n {
                pbt.states["t\(i)"] = .init(lastScore: Double(n - i), configuration: ["x": 1])
                pbt.order.append("t\(i)")
            }
            let (lo, up) = pbt.quantiles()
            #expect(lo.count == lower && up.count == upper)
            if lower > 0 { #expect(lo.first == "t\(n - 1)" && up.last == "t0") }
        }
    }

    /// Ray's checks on its arguments.
    @Test func refusesRaysInvalidSettings() {
        #expect(throws: ScheduleError.self) { try PopulationBasedTraining() }
        #expect(throws: ScheduleError.self) { try PopulationBasedTraining(mutations: [MutationEntry("x", .values([1]))], quantileFraction: 0.6) }
        #expect(throws: ScheduleError.self) { try PopulationBasedTraining(perturbationInterval: 0, mutations: [MutationEntry("x", .values([1]))]) }
        #expect(throws: ScheduleError.self) { try PopulationBasedTraining(mutations: [MutationEntry("x", .function)]) }  // no front end
    }

    /// The replay changes the configuration at each change point, pausing there.
    @Test func replayChangesTheConfigurationAtEachStep() throws {
        let replay = PopulationBasedTrainingReplay(initialConfiguration: ["lr": 1], policy: [.init(step: 2, configuration: ["lr": 2])])
        let space = try SearchSpace(["lr": .constant(.int(0))])
        var c = try ExperimentCore(config: ExperimentConfig(metric: nil, mode: nil, numSamples: 1),
                                   searcher: RandomSearch(space: space, seed: 1), scheduler: replay)
        guard case .start(let id, _) = try c.next(now: 0) else { Issue.record("expected a start"); return }
        #expect(c.trial(id)?.configuration == ["lr": 1])
        #expect(try c.report(id, [:], now: 1) == .continue)
        #expect(try c.report(id, [:], checkpoint: "r2", now: 2) == .pause)
        try c.finish(id, .stopped, now: 2)
        guard case .start(_, let config) = try c.next(now: 3) else { Issue.record("expected a start"); return }
        #expect(config == ["lr": 2])
        #expect(try c.reportResult(id, [:], now: 4).trainingIteration == 3)
    }
}

@Suite("Population Based Training: specification and state")
struct PopulationBasedTrainingSpecTests {
    @Test func specificationAndStateRoundTrip() throws {
        let spec: JSONValue = ["type": "pbt", "time_attr": "training_iteration", "metric": "acc", "mode": "max",
                               "perturbation_interval": 5, "hyperparam_mutations": [
                                   "lr": ["domain": SpaceNode.uniform(0.0001, 0.02).json],
                                   "factor": ["values": [1, 2]],
                                   "opt": ["nested": ["m": ["function": true]]]],
                               "perturbation_factors": [2, 0.5], "synch": true, "seed": 3, "callback_id": 0]
        let built = try #require(try SchedulerSpec(json: spec).scheduler as? PopulationBasedTraining)
        #expect(built.mutations.map(\.key) == ["lr", "factor", "opt"])
        #expect(built.perturbationFactors == [2, 0.5] && built.synch && built.frontEndID == 0)
        var pbt = built
        try pbt.onTrialAdd("a", number: 0, configuration: ["lr": 0.01, "factor": 1, "opt": ["m": 0.9]])
        pbt.states["a"]?.lastScore = 3
        let restored = try #require(try restoreScheduler(pbt.saveState()) as? PopulationBasedTraining)
        #expect(restored.states == pbt.states && restored.order == pbt.order && restored.mutations == pbt.mutations)
        #expect(restored.saveState() == pbt.saveState())
        // A configuration without a mutated key gets one sampled (Ray's _fill_config).
        var fill = try PopulationBasedTraining(mutations: [MutationEntry("lr", .domain(.uniform(1, 2))), MutationEntry("u", .values([8, 16]))])
        try fill.onTrialAdd("b", number: 0, configuration: ["other": 1])
        guard case .configure(_, let config)? = fill.takeTrialRequests().first else { Issue.record("expected a configure"); return }
        #expect((1...2).contains(config["lr"]?.doubleValue ?? 0) && [8, 16].contains(config["u"]?.intValue ?? 0))
        #expect(config["other"] == 1)
    }
}
