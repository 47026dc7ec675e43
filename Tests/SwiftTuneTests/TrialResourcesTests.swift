import Testing
@testable import SwiftTune

@Suite("Engine: resources and GPUs")
struct TrialResourcesTests {
    func core(_ samples: Int, available: [String: Double], perTrial: [String: Double],
              maxConcurrentTrials: Int? = nil) throws -> ExperimentCore {
        let space = try SearchSpace(["x": .uniform(0, 1)])
        var config = ExperimentConfig(metric: "loss", mode: .min, numSamples: samples, maxConcurrentTrials: maxConcurrentTrials)
        config.resources = TrialResources(available: available, perTrial: perTrial)
        return try ExperimentCore(config: config, searcher: RandomSearch(space: space, seed: 1))
    }

    func started(_ c: inout ExperimentCore) throws -> [String] {
        var ids: [String] = []
        while case .start(let id, _) = try c.next(now: 0) { ids.append(id) }
        return ids
    }

    @Test func wholeGPUsBoundTheTrialsAndEachHoldsItsOwn() throws {
        var c = try core(5, available: ["CPU": 4, "GPU": 2], perTrial: ["CPU": 1, "GPU": 1])
        #expect(c.config.maxRunning == 2)
        let first = try started(&c)
        #expect(first.count == 2)
        #expect(first.map { c.trial($0)!.gpuIDs } == [[0], [1]])
        try c.finish(first[1], .completed, now: 1)
        #expect(c.trial(first[1])!.gpuIDs == [])
        let next = try started(&c)
        #expect(next.count == 1 && c.trial(next[0])!.gpuIDs == [1])  // the device given back
        #expect(c.trial(next[0])!.json["gpu_ids"] == .array([.int(1)]))
    }

    @Test func fractionalGPUsShareDevicesAndSeveralGPUsAreWholeDevices() throws {
        var half = try core(6, available: ["CPU": 8, "GPU": 2], perTrial: ["CPU": 1, "GPU": 0.5])
        let shared = try started(&half)
        #expect(shared.map { half.trial($0)!.gpuIDs } == [[0], [0], [1], [1]])
        // 0.4 of a GPU: two per device (a third would not fit), four on two devices
        var p4 = try core(6, available: ["CPU": 8, "GPU": 2], perTrial: ["GPU": 0.4])
        #expect(try started(&p4).count == 4)
        var two = try core(3, available: ["CPU": 8, "GPU": 4], perTrial: ["CPU": 1, "GPU": 2])
        let pairs = try started(&two)
        #expect(pairs.map { two.trial($0)!.gpuIDs } == [[0, 1], [2, 3]])
    }

    @Test func everyResourceBoundsAndTheSmallestWins() throws {
        var c = try core(9, available: ["CPU": 6, "memory": 10, "tpu": 4], perTrial: ["CPU": 1, "memory": 4, "tpu": 1])
        #expect(c.config.maxRunning == 2)  // memory: 10 / 4
        #expect(try started(&c).count == 2)
        var capped = try core(9, available: ["CPU": 6], perTrial: ["CPU": 1], maxConcurrentTrials: 3)
        #expect(capped.config.maxRunning == 3)
        #expect(try started(&capped).count == 3)
        var free = try core(9, available: ["CPU": 2], perTrial: ["CPU": 0])
        #expect(free.config.maxRunning == nil)
        #expect(try started(&free).count == 9)
    }

    @Test func aTrialNeedingMoreThanTheMachineOffersIsAnError() throws {
        for (available, perTrial, text) in [(["CPU": 4.0], ["CPU": 1.0, "GPU": 1.0], "GPU=1 but only 0 is declared"),
                                            (["CPU": 2.0], ["CPU": 3.0], "CPU=3 but only 2 is available"),
                                            (["CPU": 4.0, "GPU": 4.0], ["GPU": 1.5], "whole number of GPUs"),
                                            (["CPU": 4.0], ["CPU": -1.0], ">= 0")] {
            #expect {
                _ = try core(1, available: available, perTrial: perTrial)
            } throws: { error in
                "\(error)".contains(text)
            }
        }
    }

    @Test func theResourcesTravelInTheSpecificationAndTheSavedState() throws {
        let spec = try JSONValue(parsing: #"{"num_samples": 3, "resources": {"available": {"CPU": 4, "GPU": 2}, "per_trial": {"GPU": 1}}}"#)
        let config = try ExperimentConfig(json: spec)
        #expect(config.resources == TrialResources(available: ["CPU": 4, "GPU": 2], perTrial: ["GPU": 1]))
        #expect(try ExperimentConfig(json: config.json) == config)
        #expect(throws: SpecError.self) { try ExperimentConfig(json: try JSONValue(parsing: #"{"resources": {"cpu": 1}}"#)) }
        #expect(throws: SpecError.self) {
            try ExperimentConfig(json: try JSONValue(parsing: #"{"resources": {"available": {"GPU": "two"}}}"#))
        }
    }
}

@Suite("Random search: Ray's constant_grid_search")
struct ConstantGridTests {
    @Test func blocksOfPointsShareTheirDrawsAcrossASaveAndRestore() throws {
        let space = try SearchSpace(["g": .choice([1, 2]), "x": .uniform(0, 1)])
        let points: [JSONValue] = [["g": 1], ["g": 2], ["g": 1], ["g": 2], ["g": 1]]
        var s = try RandomSearch(space: space, pointsToEvaluate: points, seed: 9, constantGridBlock: 2, constantGridPoints: 4)
        func x(_ c: JSONValue) -> Double? { c["x"]?.doubleValue }
        let a = try s.suggest(trialID: "a").configuration, b = try s.suggest(trialID: "b").configuration
        let c = try s.suggest(trialID: "c").configuration
        var restored = try RandomSearch(restoring: s.saveState())
        let d = try restored.suggest(trialID: "d").configuration, e = try restored.suggest(trialID: "e").configuration
        #expect(x(a) == x(b) && x(c) == x(d))  // a block shares its draw, across the restore too
        #expect(x(a) != x(c) && x(e) != x(c) && x(e) != x(a))  // past the blocked points, draws are the trial's own
        #expect(try s.suggest(trialID: "d").configuration == d)
        #expect(throws: SearchError.self) { _ = try RandomSearch(space: space, constantGridBlock: -1) }
        #expect(throws: SpecError.invalid("'constant_grid_block' and 'constant_grid_points' are options of random search only")) {
            _ = try SearcherSpec(json: try JSONValue(parsing: #"{"algorithm": "callback", "id": 0, "constant_grid_block": 2}"#))
        }
    }
}
