import Testing
@testable import SwiftTune

/// The median stopping rule with its kept running sums and means (``RunningMeans``) against
/// Ray's way (every other trial's running mean recomputed and sorted), on random streams: ties,
/// NaN values, times that go back or repeat, trials that end early, both modes, soft stops.
@Suite("Median stopping rule: running means")
struct RunningMeansTests {
    /// Ray's `on_trial_result` as the rule did it before keeping sums (the reference).
    static func reference(_ r: inout MedianStoppingRule, _ id: String, _ result: Metrics, _ context: SchedulerContext) -> SchedulerDecision {
        guard let metric = r.properties.metric, let time = result[r.timeAttr], let value = result[metric] else { return .continue }
        if r.stopped.contains(id) { return .continue }
        r.results[id, default: []].append((time, value))
        if time < r.gracePeriod { return .continue }
        let others = r.results.filter { $0.key != id && ($0.value.last?.time ?? -.infinity) >= time }
        if others.count < r.minSamplesRequired {
            let pause = time - r.lastPause[id, default: -.infinity] > r.minTimeSlice && context.hasWaitingTrials
            if pause { r.lastPause[id] = time }
            return pause ? .pause : .continue
        }
        let means = others.values.map { r.runningMean($0, upTo: time) }.sorted()
        let median = MedianStoppingRule.median(means)
        let values = r.results[id, default: []].map(\.value)
        let best = r.properties.mode == .max ? values.max() ?? .nan : values.min() ?? .nan
        let worse = r.properties.mode == .max ? Swift.max(median, best) != best : Swift.min(median, best) != best
        if worse {
            r.stopped.insert(id)
            return r.hardStop ? .stop : .pause
        }
        return .continue
    }

    static func run(seed: UInt64, irregularAfter: Int?) throws -> (decisions: Int, stops: Int) {
        var rng = Xoshiro256(seed: seed)
        var rule = try MedianStoppingRule(timeAttr: "t", metric: "m", mode: seed % 2 == 0 ? .max : .min,
                                          gracePeriod: Double(rng.below(4)), minSamplesRequired: Int(rng.below(5)),
                                          minTimeSlice: Double(rng.below(3)), hardStop: rng.below(3) != 0)
        var time: [String: Double] = [:]
        var stops = 0, decisions = 0
        for step in 0..<700 {
            if time.count < 6 || rng.below(15) == 0 { time["t\(step)"] = 0 }
            let ids = time.keys.sorted()
            let id = ids[Int(rng.below(UInt64(ids.count)))]
            var t = (time[id] ?? 0) + Double(1 + rng.below(2))
            if let after = irregularAfter, step >= after, rng.below(20) == 0 { t = [t - 3, time[id] ?? 0, .nan][Int(rng.below(3))] }
            time[id] = t
            let value: Double = rng.below(25) == 0 ? .nan : Double(rng.below(9)) / 2 - (rng.below(7) == 0 ? 0 : Double(step) / 500)
            let result: Metrics = ["m": value, "t": t]
            let context = SchedulerContext(hasWaitingTrials: rng.below(2) == 0)
            var ref = rule
            let expected = Self.reference(&ref, id, result, context)
            let got = rule.onTrialResult(id, result, context: context)
            #expect(got == expected, "seed \(seed) step \(step)")
            #expect(rule.stopped == ref.stopped && rule.lastPause == ref.lastPause)
            decisions += 1
            if got == .stop { stops += 1 }
            if irregularAfter == nil { #expect(rule.index.regular) }
            if got != .continue || rng.below(40) == 0 {
                rule.onTrialComplete(id, rng.below(2) == 0 ? ["m": value + 1, "t": t + 1] : nil)
                time[id] = nil
            }
            if rng.below(300) == 0 {
                // Restored, the sums and means are rebuilt from the results.
                rule = try MedianStoppingRule(restoring: rule.saveState())
            }
        }
        return (decisions, stops)
    }

    @Test(arguments: [nil, 0, 700] as [Int?])
    func keptMeansDecideAsRay(irregularAfter: Int?) throws {
        var stops = 0
        for seed in 1...8 as ClosedRange<UInt64> { stops += try Self.run(seed: seed, irregularAfter: irregularAfter).stops }
        #expect(stops > 10)  // the streams do stop trials
    }

    /// The kept means at a time equal a recomputation at every step of an increasing stream.
    @Test func keptMeansAreTheRecomputedOnes() {
        var rng = Xoshiro256(seed: 4)
        var index = RunningMeans(gracePeriod: 2)
        var results: [String: [(time: Double, value: Double)]] = [:]
        var time: [String: Double] = [:]
        for step in 0..<1_200 {
            let id = "t\(rng.below(12))"
            let t = (time[id] ?? 0) + Double(1 + rng.below(3))
            time[id] = t
            let v = rng.below(30) == 0 ? Double.nan : Double(rng.below(1_000)) / 7
            results[id, default: []].append((t, v))
            index.append(id, t, v)
            #expect(index.regular)
            guard t >= 2, let (median, others) = index.median(excluding: id, at: t) else { continue }
            let peers = results.filter { $0.key != id && ($0.value.last?.time ?? -.infinity) >= t }
            let means = peers.values.map { rs in
                let scoped = rs.filter { $0.time >= 2 && $0.time <= t }.map(\.value)
                return scoped.isEmpty ? .nan : scoped.reduce(0, +) / Double(scoped.count)
            }.sorted()
            let expected = MedianStoppingRule.median(means)
            #expect(others == peers.count)
            #expect(median.bitPattern == expected.bitPattern || (median.isNaN && expected.isNaN) || median == expected, "step \(step)")
        }
    }
}
