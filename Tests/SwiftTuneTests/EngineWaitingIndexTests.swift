import Testing
@testable import SwiftTune

/// The engine's PENDING and PAUSED index sets (``ExperimentCore/pendingIndices``,
/// ``ExperimentCore/pausedIndices``) and the waiting-trial view built from them, against a scan
/// of the whole trial table, after every call of random streams: trials that pause, stop, fail
/// and are retried, schedulers that choose (HyperBand, PBT) and others, saves and restores.
@Suite("Engine: waiting-trial index")
struct EngineWaitingIndexTests {
    /// The waiting trials as the engine listed them before it kept the index: a scan in creation order.
    static func scanned(_ c: ExperimentCore, pausing: String?) -> [WaitingTrial] {
        c.trials.filter { $0.status == .pending || $0.status == .paused || $0.id == pausing }
            .map { WaitingTrial(id: $0.id, status: $0.id == pausing ? .paused : $0.status) }
    }

    static func check(_ c: ExperimentCore, _ rng: inout Xoshiro256) {
        let pending = c.trials.indices.filter { c.trials[$0].status == .pending }
        let paused = c.trials.indices.filter { c.trials[$0].status == .paused }
        #expect(Array(c.pendingIndices) == pending)
        #expect(Array(c.pausedIndices) == paused)
        #expect(c.waitingCount == pending.count + paused.count)
        let running = c.trials.filter { $0.status == .running }.map(\.id)
        let pausing = running.isEmpty || rng.below(2) == 0 ? nil : running[Int(rng.below(UInt64(running.count)))]
        let view = WaitingTrials(trials: c.trials, indexByID: c.indexByID, pending: c.pendingIndices, paused: c.pausedIndices,
                                 pausing: pausing.flatMap { c.indexByID[$0] }, changes: c.waitingChanges)
        let expected = scanned(c, pausing: pausing)
        #expect(view.list == expected)
        #expect(view.isEmpty == expected.isEmpty)
        #expect(view.pendingIDs == expected.filter { $0.status == .pending }.map(\.id))
        for t in c.trials {
            #expect(view.status(of: t.id) == expected.first { $0.id == t.id }?.status)
        }
        #expect(view.status(of: "no such trial") == nil)
        let listed = WaitingTrials(expected)
        #expect(listed.list == expected)
        #expect(listed.pendingIDs == view.pendingIDs)
        for t in c.trials { #expect(listed.status(of: t.id) == view.status(of: t.id)) }
    }

    static func scheduler(_ kind: Int) throws -> any TrialScheduler {
        switch kind {
        case 0: return try HyperBandScheduler(maxT: 9, reductionFactor: 3)
        case 1: return try PopulationBasedTraining(timeAttr: "training_iteration", perturbationInterval: 2,
                                                   mutations: [MutationEntry("x", .values([0.1, 0.5, 0.9]))], seed: 5)
        case 2: return PauseOnce()
        case 3: return try ASHAScheduler(maxT: 9, gracePeriod: 1, reductionFactor: 2)
        case 5: return try HyperBandForBOHB(maxT: 9, reductionFactor: 3)
        default: return FIFOScheduler()
        }
    }

    /// Drives one random stream, checking the index after every call. Returns how many calls ran.
    @discardableResult
    static func run(seed: UInt64, kind: Int, wrap: (any TrialScheduler) -> any TrialScheduler = { $0 }) throws -> Int {
        var rng = Xoshiro256(seed: seed)
        var config = ExperimentConfig(metric: "loss", mode: .min, numSamples: 12 + Int(rng.below(20)))
        config.maxConcurrentTrials = 2 + Int(rng.below(4))
        config.maxFailures = Int(rng.below(3))
        config.maxPendingTrials = 1 + Int(rng.below(3))
        let space = try SearchSpace(["x": .uniform(0, 1)])
        var c = try ExperimentCore(config: config, searcher: RandomSearch(space: space, seed: seed), scheduler: wrap(scheduler(kind)))
        var calls = 0
        check(c, &rng)
        for _ in 0..<400 {
            let running = c.trials.filter { $0.status == .running }.map(\.id)
            let roll = rng.below(100)
            do {
                if running.isEmpty || roll < 25 {
                    if try c.next(now: Double(calls)) == .finished && running.isEmpty { break }
                } else if roll < 80 {
                    let id = running[Int(rng.below(UInt64(running.count)))]
                    let loss = rng.below(10) == 0 ? Double.nan : Double(rng.below(8))
                    _ = try c.report(id, ["loss": loss], checkpoint: rng.below(2) == 0 ? "c\(calls)" : nil, now: Double(calls))
                } else if roll < 96 {
                    let id = running[Int(rng.below(UInt64(running.count)))]
                    let end: TrialEnd = [.completed, .stopped, .failed("boom")][Int(rng.below(3))]
                    try c.finish(id, end, now: Double(calls))
                } else {
                    c = try ExperimentCore(restoring: c.saveState(now: Double(calls)))
                    c.scheduler = wrap(c.scheduler)
                }
            } catch {
                // A call the engine refuses (a scheduler's error) changes nothing the index keeps.
            }
            calls += 1
            check(c, &rng)
        }
        return calls
    }

    @Test(arguments: 0..<6)
    func indexMatchesAScan(kind: Int) throws {
        for seed in 1...12 { try Self.run(seed: UInt64(seed * 31 + kind), kind: kind) }
    }
}
