import Synchronization
import Testing
import SwiftTune

/// Ray's `Repeater` in the engine: each configuration runs `repeat` times with its index, and the
/// searcher learns the group's mean once every repeat has ended.
@Suite struct RepeaterTests {
    static func engine(repeatCount: Int, inner: Int? = nil, numSamples: Int = 6) throws -> ExperimentCore {
        var repeatSpec: [(String, JSONValue)] = [("repeat", .int(Int64(repeatCount)))]
        if let inner { repeatSpec.append(("max_concurrent", .int(Int64(inner)))) }
        let space: JSONValue = ["format": "swifttune.space", "version": 1,
                                "space": ["type": "dict", "items": ["x": ["type": "uniform", "label": "x", "low": 0, "high": 1]]]]
        let spec: JSONValue = .object([("algorithm", "tpe"), ("space", space), ("seed", 4), ("n_initial_points", 2),
                                       ("repeat", .object(repeatSpec))])
        return try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: numSamples),
                                  limiter: try SearcherSpec(json: spec).makeLimiter())
    }

    static func start(_ c: inout ExperimentCore) throws -> (id: String, x: Double, index: Int64)? {
        guard case let .start(id, config) = try c.next(now: 0) else { return nil }
        return (id, config["x"]?.doubleValue ?? .nan, config[Repeater.trialIndexKey]?.intValue ?? -1)
    }

    @Test func eachConfigurationRunsRepeatTimesWithItsIndex() throws {
        var c = try Self.engine(repeatCount: 3)
        var trials: [(id: String, x: Double, index: Int64)] = []
        for _ in 0..<6 { trials.append(try #require(try Self.start(&c))) }
        #expect(trials.map(\.index) == [0, 1, 2, 0, 1, 2])
        #expect(trials[0].x == trials[1].x && trials[1].x == trials[2].x && trials[3].x == trials[4].x)
        #expect(trials[0].x != trials[3].x)
    }

    @Test func theSearcherHearsTheGroupMeanOnceEveryRepeatEnded() throws {
        var c = try Self.engine(repeatCount: 2, numSamples: 4)
        let a = try #require(try Self.start(&c)), b = try #require(try Self.start(&c))
        _ = try c.report(a.id, ["loss": 1], now: 1)
        try c.finish(a.id, .completed, now: 1)
        guard let r = c.limiter.searcher as? Repeater else { Issue.record("not a repeater"); return }
        #expect(r.inner.live == [a.id])  // the group is not complete: the searcher has not heard
        _ = try c.report(b.id, ["loss": 3], now: 2)
        try c.finish(b.id, .completed, now: 2)
        guard let r2 = c.limiter.searcher as? Repeater, let tpe = r2.inner.searcher as? TPESearch else {
            Issue.record("not a repeater of TPE"); return
        }
        #expect(r2.inner.live.isEmpty)
        #expect(tpe.saveState()["trials"]?.arrayValue?.count == 1)  // TPE learned one trial: the primary
        // The state, with an open group, restores to the same state.
        let d = try #require(try Self.start(&c))
        _ = try c.report(d.id, ["loss": 5], now: 3)
        try c.finish(d.id, .failed("x"), now: 3)
        let state = c.limiter.saveState()
        #expect(try ConcurrencyLimiter(restoring: state).saveState() == state)
    }

    @Test func aFrontEndSearcherIsToldTheMeanForThePrimaryTrial() throws {
        var c = try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 4),
                                   limiter: try SearcherSpec(json: ["algorithm": "callback", "id": 0, "repeat": ["repeat": 2]]).makeLimiter())
        let told = Locked<[String]>([])
        c.setSearcherCallback { (_: Int, q: SearchQuery) throws(SearchError) -> SearchReply in
            switch q {
            case .suggest: return .configuration(["x": 1])
            case .result: return .done
            case let .complete(id, errored, mean):
                told.withLock { $0.append("\(id) \(errored) \(mean.map { "\($0)" } ?? "nil")") }
                return .done
            }
        }
        let a = try #require(try Self.start(&c)), b = try #require(try Self.start(&c))
        #expect(a.index == 0 && b.index == 1)
        _ = try c.report(a.id, ["loss": 1], now: 1)
        _ = try c.report(b.id, ["loss": 4], now: 1)
        try c.finish(b.id, .completed, now: 2)
        try c.finish(a.id, .completed, now: 2)
        let d = try #require(try Self.start(&c)), e = try #require(try Self.start(&c))
        try c.finish(d.id, .completed, now: 3)  // no metric: left out of the mean, which is then NaN
        try c.finish(e.id, .failed("boom"), now: 3)  // the last of the group failed: passed on
        #expect(told.withLock { $0 } == ["\(a.id) false 2.5", "\(d.id) true nan"])
    }

    @Test func anInnerLimiterCountsGroups() throws {
        var c = try Self.engine(repeatCount: 2, inner: 1, numSamples: 6)
        let a = try #require(try Self.start(&c)), b = try #require(try Self.start(&c))
        #expect(a.x == b.x)
        #expect(try c.next(now: 0) == .wait)  // a second group would be a second live suggestion
        try c.finish(a.id, .completed, now: 1)
        #expect(try c.next(now: 1) == .wait)  // b still runs: the group is live
        try c.finish(b.id, .completed, now: 2)
        #expect(try Self.start(&c) != nil)
    }

    @Test func badOptionsAreRefused() throws {
        let limiter = try ConcurrencyLimiter(try RandomSearch(space: ExperimentTests.space()), maxConcurrent: Int.max)
        #expect(throws: SearchError.invalidOption("repeat must be a positive integer, got 0")) {
            _ = try Repeater(limiter, repeatCount: 0)
        }
        for bad: JSONValue in [["repeat": 0], ["repeat": 2, "seed": 1], ["set_index": true]] {
            #expect(throws: SpecError.self) {
                _ = try SearcherSpec(json: .object([("algorithm", "random"), ("space", ["x": 1]), ("repeat", bad)]))
            }
        }
    }
}
