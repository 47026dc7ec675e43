import Testing
@testable import SwiftTune

/// The incremental structures against brute force on random streams: the order-statistic
/// multiset against a sorted array, ASHA's rung cutoff against numpy's percentile of every reward
/// (``ASHAScheduler/cutoff(_:_:)``), the limiter's ordered id set against an array.
@Suite("Order statistics and ordered sets")
struct OrderStatisticsTests {
    /// Values with many ties, both zeros, infinities and NaN.
    static func value(_ rng: inout Xoshiro256, spread: UInt64) -> Double {
        switch rng.below(20) {
        case 0: return .nan
        case 1: return .infinity
        case 2: return -.infinity
        case 3: return -0.0
        case 4: return 0.0
        default: return Double(Int(rng.below(spread))) / 4 - 8
        }
    }

    @Test(arguments: [3, 50, 100_000] as [UInt64])
    func kthSmallestIsTheSortedArrays(spread: UInt64) {
        var rng = Xoshiro256(seed: spread)
        var set = OrderStatisticMultiset()
        var reference: [Double] = []
        for step in 0..<5_000 {
            let v = Self.value(&rng, spread: spread)
            set.insert(v)
            if !v.isNaN { reference.append(v) }
            #expect(set.count == reference.count)
            if step % 97 == 0 || step < 50 {
                let sorted = reference.sorted()
                #expect(set.sorted.elementsEqual(sorted) { $0 == $1 })
                for k in sorted.indices where k % 13 == 0 || k == sorted.count - 1 { #expect(set.kth(k) == sorted[k]) }
                for probe in [v, Self.value(&rng, spread: spread), -.infinity, .infinity] where !probe.isNaN {
                    #expect(set.countLess(than: probe) == sorted.filter { $0 < probe }.count)
                }
            }
        }
        // Enough values to split chunks several times.
        for _ in 0..<10_000 { set.insert(Double(rng.below(1_000))) }
        let all = set.sorted
        #expect(all == all.sorted() && all.count == set.count)
        for k in stride(from: 0, to: all.count, by: 211) { #expect(set.kth(k) == all[k]) }
        for probe in stride(from: -0.5, to: 1_001, by: 37.25) { #expect(set.countLess(than: probe) == all.filter { $0 < probe }.count) }
        #expect(set.countLess(than: .nan) == 0)
    }

    @Test func multisetsCompareByTheirValues() {
        var a = OrderStatisticMultiset(), b = OrderStatisticMultiset()
        for v in [3.0, 1, 2, .nan, 2] { a.insert(v) }
        for v in [2.0, 2, 3, 1] { b.insert(v) }
        #expect(a == b)
        b.insert(4)
        #expect(a != b)
    }

    /// A rung's cutoff from its ordered rewards is numpy's percentile of all of them, NaN
    /// ignored, bit for bit, at every step of random streams (ties, NaN, both zeros, infinities).
    @Test(arguments: [2.0, 3, 4, 1.5, 7])
    func rungCutoffIsNumpysPercentile(rf: Double) {
        var rng = Xoshiro256(seed: UInt64(rf * 10))
        for spread in [2, 9, 1_000] as [UInt64] {
            var rung = ASHAScheduler.Rung(milestone: 1)
            #expect(rung.cutoff(rf) == nil)
            for k in 0..<700 {
                rung.record("t\(k)", Self.value(&rng, spread: spread))
                let fast = rung.cutoff(rf), slow = ASHAScheduler.cutoff(rung.recorded, rf)
                #expect(fast?.bitPattern == slow?.bitPattern || (fast?.isNaN == true && slow?.isNaN == true) || (fast == 0 && slow == 0))
            }
        }
        var allNaN = ASHAScheduler.Rung(milestone: 1)
        allNaN.record("a", .nan)
        #expect(allNaN.cutoff(rf)?.isNaN == true)
    }

    /// ASHA's decisions on random streams (several brackets, trials that end early, NaN rewards)
    /// with its rungs' ordered rewards, and with numpy's percentile of every reward each time.
    @Test func ashaDecisionsMatchTheSortingCutoff() throws {
        for seed in 1...8 as ClosedRange<UInt64> {
            var rng = Xoshiro256(seed: seed)
            var asha = try ASHAScheduler(metric: "m", mode: seed % 2 == 0 ? .max : .min, maxT: 64, gracePeriod: 1,
                                         reductionFactor: [2, 3, 4][Int(seed % 3)], brackets: Int(1 + seed % 3),
                                         stopLastTrials: seed % 4 != 0, seed: seed)
            var live: [String: Double] = [:]
            for step in 0..<3_000 {
                if live.count < 20 || rng.below(10) == 0 {
                    let id = "t\(step)"
                    asha.onTrialAdd(id)
                    live[id] = 0
                }
                let ids = live.keys.sorted()
                let id = ids[Int(rng.below(UInt64(ids.count)))]
                let t = (live[id] ?? 0) + Double(1 + rng.below(3))
                live[id] = t
                let reward = Self.value(&rng, spread: 40)
                // What the sorting cutoff decides, from the same state.
                var reference = asha
                let expected = Self.referenceRecord(&reference, id, t, seed % 2 == 0 ? reward : -reward)
                let d = asha.onTrialResult(id, ["m": reward, "training_iteration": t], context: SchedulerContext(hasWaitingTrials: false))
                if !(t >= asha.maxT && asha.stopLastTrials) { #expect(d == expected) }
                if d == .stop || rng.below(30) == 0 {
                    asha.onTrialComplete(id, ["m": reward, "training_iteration": t])
                    live[id] = nil
                }
            }
            // Restored, the rungs' ordered rewards are rebuilt (Rung's == is false with NaN rewards).
            let restored = try ASHAScheduler(restoring: asha.saveState())
            #expect(restored.saveState().serialized() == asha.saveState().serialized())
            #expect(restored.brackets.map { $0.map(\.rewards) } == asha.brackets.map { $0.map(\.rewards) })
        }
    }

    /// ASHA's `_Bracket.on_result` with the cutoff computed by sorting every recorded reward.
    static func referenceRecord(_ s: inout ASHAScheduler, _ id: String, _ t: Double, _ reward: Double) -> SchedulerDecision {
        guard let b = s.bracketOfTrial[id] else { return .continue }
        for k in s.brackets[b].indices {
            let rung = s.brackets[b][k]
            let seen = rung.recorded[id] != nil
            if t >= rung.milestone && seen && !s.stopLastTrials { break }
            if t < rung.milestone || seen { continue }
            if let cutoff = ASHAScheduler.cutoff(rung.recorded, s.reductionFactor), reward < cutoff { return .stop }
            return .continue
        }
        return .continue
    }

    @Test func orderedIDSetIsAnArray() {
        var rng = Xoshiro256(seed: 9)
        var set = OrderedIDSet()
        var reference: [String] = []
        for _ in 0..<5_000 {
            let id = "t\(rng.below(200))"
            switch rng.below(10) {
            case 0..<5:
                #expect(set.append(id) == !reference.contains(id))
                if !reference.contains(id) { reference.append(id) }
            case 5..<9:
                #expect(set.remove(id) == reference.contains(id))
                reference.removeAll { $0 == id }
            default:
                if rng.below(50) == 0 { set.removeAll(); reference = [] }
            }
            #expect(set.count == reference.count && set.contains(id) == reference.contains(id))
            #expect(set.elements == reference)
        }
    }
}
