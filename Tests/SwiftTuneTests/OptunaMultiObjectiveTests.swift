import Testing
@testable import SwiftTune

@Suite("Optuna's multi-objective TPE split")
struct OptunaMultiObjectiveTests {
    @Test func ranksAreNonDominationFrontsWithRepeatsSharingTheirRank() {
        let points: [[Double]] = [[1, 4], [2, 3], [3, 2], [2, 5], [4, 4], [1, 4], [5, 5]]
        #expect(OptunaMultiObjective.nondominationRanks(points, nBelow: 7) == [0, 0, 0, 1, 1, 0, 2])
        // Only the fronts up to the nBelow-th distinct point are told apart; the rest share the next rank.
        #expect(OptunaMultiObjective.nondominationRanks(points, nBelow: 2) == [0, 0, 0, 1, 1, 0, 1])
        // Three objectives.
        let three: [[Double]] = [[1, 1, 1], [0, 2, 2], [2, 2, 2], [1, 1, 3]]
        #expect(OptunaMultiObjective.nondominationRanks(three, nBelow: 4) == [0, 0, 1, 1])
    }

    @Test func hypervolumesAreExact() {
        #expect(OptunaMultiObjective.hypervolume([[1, 3], [2, 2], [3, 1]], reference: [4, 4]) == 6)
        #expect(OptunaMultiObjective.hypervolume([[1, 1, 1]], reference: [2, 3, 4]) == 6)
        // Two boxes of 4 and 2 sharing a unit cube.
        #expect(OptunaMultiObjective.hypervolume([[0, 0, 1], [1, 1, 0]], reference: [2, 2, 2]) == 5)
        // A dominated point adds nothing.
        #expect(OptunaMultiObjective.hypervolume([[0, 0, 1], [1, 1, 0], [1, 1, 1.5]], reference: [2, 2, 2]) == 5)
    }

    @Test func twoObjectiveGreedyAgreesWithTheGeneralOne() {
        var rng = Xoshiro256(seed: 11, stream: 0)
        for _ in 0..<20 {
            // A front: x ascending, y descending, distinct.
            let n = 12
            let xs = (0..<n).map { _ in rng.nextDouble() }.sorted()
            let ys = (0..<n).map { _ in rng.nextDouble() }.sorted(by: >)
            let front = zip(xs, ys).map { [$0, $1] }
            let reference = OptunaMultiObjective.referencePoint(front)
            let a = OptunaMultiObjective.greedy2D(front, subsetSize: 5, reference: reference)
            let b = OptunaMultiObjective.greedy(front, subsetSize: 5, reference: reference)
            #expect(a == b)
        }
    }

    @Test func theGoodGroupIsWholeFrontsThenTheLargestHypervolume() {
        // Front 0: (0, 5) and (5, 0); front 1: (1, 9), (5, 5), (9, 1); then (6, 6).
        let points: [[Double]] = [[0, 5], [1, 9], [5, 5], [9, 1], [5, 0], [6, 6]]
        // Three places: front 0 whole, then from front 1 the point of largest contribution
        // against its reference point (9.9, 9.9): (5, 5).
        #expect(OptunaMultiObjective.below(points, nBelow: 3) == [0, 2, 4])
        #expect(OptunaMultiObjective.below(points, nBelow: 0) == [])
        #expect(OptunaMultiObjective.below(points, nBelow: 9) == Set(0..<6))
        // Repeats count once, until there are fewer distinct points than places.
        #expect(OptunaMultiObjective.hssp([[1, 2], [1, 2], [2, 1]], subsetSize: 2, reference: [3, 3]) == [0, 2])
        #expect(OptunaMultiObjective.hssp([[1, 2], [1, 2], [1, 2]], subsetSize: 2, reference: [3, 3]) == [0, 1])
        // A reference point that is not finite: the first points in lexicographic order.
        #expect(OptunaMultiObjective.hssp([[2, 1], [1, 2]], subsetSize: 1, reference: [.infinity, 3]) == [1])
        #expect(OptunaMultiObjective.referencePoint([[-2, 0], [1, -5]]) == [1.1, OptunaMultiObjective.eps])
    }

    @Test func aStudyOfSeveralObjectivesMirrorsTheirValuesAndDirections() throws {
        var options = OptunaTPESearch.Options()
        options.multivariate = false
        options.gamma = .linear(fraction: 0.1, cap: nil)
        options.nStartupTrials = 4
        var study = try OptunaTPEStudy(options: options, directions: [.min, .max], seed: 3)
        #expect(study.mode == .min && study.directions == [.min, .max])
        let x = try study.slot(name: "x", .float(low: 0, high: 1, step: nil, log: false))
        // The second objective is maximised: (0.1, 9) is the best of both.
        let values: [[Double]] = [[0.5, 1], [0.1, 9], [0.9, 0], [0.4, 2], [0.3, 3]]
        for (t, v) in values.enumerated() {
            try study.setTrial(number: t, state: .complete, values: v, params: [(x, Double(t) / 10)])
        }
        let split = study.split(for: 99)
        #expect(split.multiObjective && split.isBelow == [false, true, false, false, false])
        #expect(throws: SearchError.self) { try study.setTrial(number: 5, state: .complete, value: 1, params: [(x, 0.5)]) }
        // A NaN among the values: failed, left out.
        try study.setTrial(number: 5, state: .complete, values: [.nan, 1], params: [(x, 0.5)])
        #expect(study.split(for: 99).finished.count == 5)
        let v = try study.sampleIndependent(for: 6, slot: x)
        #expect(v >= 0 && v <= 1)
        #expect(throws: SearchError.self) { try OptunaTPEStudy(directions: []) }
    }
}
