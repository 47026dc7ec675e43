import Synchronization
import Testing
import SwiftTune

/// The front end's searcher (``CallbackSearcher``) in the engine: asked for suggestions within the
/// limiter, told results and endings, and able to hold back or finish the search.
@Suite struct CallbackSearcherTests {
    /// A front end that suggests x = 0, 1, ... (`n` of them, then finished), holding back while
    /// `serial` and a trial is live, and logs every query.
    final class FrontEnd: Sendable {
        let log = Locked<[String]>([])
        let state = Locked<(made: Int, live: Int)>((0, 0))
        let n: Int
        let serial: Bool
        init(n: Int, serial: Bool = false) { self.n = n; self.serial = serial }

        func answer(_ id: Int, _ query: SearchQuery) throws(SearchError) -> SearchReply {
            switch query {
            case let .suggest(trialID):
                return state.withLock { s -> SearchReply in
                    if serial && s.live > 0 { log.withLock { $0.append("notNow \(trialID)") }; return .notNow }
                    guard s.made < n else { log.withLock { $0.append("finished \(trialID)") }; return .finished }
                    s.made += 1
                    s.live += 1
                    log.withLock { $0.append("suggest \(trialID)") }
                    return .configuration(.object([("x", .int(Int64(s.made - 1)))]))
                }
            case let .result(trialID, result):
                if result["loss"] == 99 { throw .invalidOption("cannot learn") }
                log.withLock { $0.append("result \(trialID) \(Int(result["loss"] ?? -1)) \(Int(result["training_iteration"] ?? -1))") }
                return .done
            case let .complete(trialID, errored, _):
                state.withLock { $0.live -= 1 }
                log.withLock { $0.append("complete \(trialID) \(errored)") }
                return .done
            }
        }
    }

    static func engine(_ spec: JSONValue, numSamples: Int = 10) throws -> ExperimentCore {
        try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: numSamples),
                           limiter: try SearcherSpec(json: spec).makeLimiter())
    }

    static func started(_ a: NextAction) -> (String, JSONValue)? {
        if case let .start(id, c) = a { return (id, c) }
        return nil
    }

    @Test func theEngineAsksSuggestsTellsAndStopsOnFinished() throws {
        var c = try Self.engine(["algorithm": "callback", "id": 3, "max_concurrent": 2])
        // Unattached: asking fails with a message that says what to do.
        #expect(throws: ExperimentError.self) { _ = try c.next(now: 0) }
        let fe = FrontEnd(n: 3)
        c.setSearcherCallback { (id: Int, q: SearchQuery) throws(SearchError) -> SearchReply in
            #expect(id == 3)
            return try fe.answer(id, q)
        }
        let a = try #require(Self.started(try c.next(now: 1)))
        #expect(a.1 == .object([("x", 0)]))
        let b = try #require(Self.started(try c.next(now: 1)))
        #expect(try c.next(now: 1) == .wait)  // the limiter: 2 live
        #expect(try c.report(a.0, ["loss": 5], now: 2) == .continue)
        try c.finish(a.0, .completed, now: 3)
        try c.finish(b.0, .failed("boom"), now: 3)
        let d = try #require(Self.started(try c.next(now: 4)))
        #expect(try c.next(now: 4) == .finished)  // asked: finished; nothing more to start (d runs on)
        try c.finish(d.0, .completed, now: 5)
        #expect(try c.next(now: 6) == .finished)
        #expect(fe.log.withLock { $0 } == ["suggest \(a.0)", "suggest \(b.0)", "result \(a.0) 5 1", "complete \(a.0) false",
                                           "complete \(b.0) true", "suggest \(d.0)", "finished trial_00003",
                                           "complete \(d.0) false"])
        #expect(c.trials.count == 3)
    }

    @Test func aHoldBackCreatesNoTrial() throws {
        var c = try Self.engine(["algorithm": "callback", "id": 0], numSamples: 2)
        let fe = FrontEnd(n: 5, serial: true)
        c.setSearcherCallback { (id: Int, q: SearchQuery) throws(SearchError) -> SearchReply in try fe.answer(id, q) }
        let a = try #require(Self.started(try c.next(now: 0)))
        #expect(try c.next(now: 0) == .wait)  // not now: nothing created, the id is asked again later
        #expect(c.trials.count == 1)
        try c.finish(a.0, .completed, now: 1)
        let b = try #require(Self.started(try c.next(now: 2)))
        #expect(b.0 == "trial_00001")
        #expect(try c.next(now: 2) == .finished)  // num_samples reached: not asked again
        try c.finish(b.0, .completed, now: 3)
        #expect(fe.log.withLock { $0 }.filter { $0.hasPrefix("notNow") } == ["notNow trial_00001"])
    }

    @Test func aResultThatStopsTheTrialIsNotHeard() throws {
        // Ray's order: the stop rule first; a searcher hears only results of trials that go on.
        var c = try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 1, stop: ["loss": 10]),
                                   limiter: try SearcherSpec(json: ["algorithm": "callback", "id": 0]).makeLimiter())
        let fe = FrontEnd(n: 1)
        c.setSearcherCallback { (id: Int, q: SearchQuery) throws(SearchError) -> SearchReply in try fe.answer(id, q) }
        let a = try #require(Self.started(try c.next(now: 0)))
        #expect(try c.report(a.0, ["loss": 3], now: 1) == .continue)
        #expect(try c.report(a.0, ["loss": 11], now: 2) == .stop)
        #expect(fe.log.withLock { $0 } == ["suggest \(a.0)", "result \(a.0) 3 1"])
    }

    @Test func aFailingCallbackAndBadSpecsAreErrors() throws {
        var c = try Self.engine(["algorithm": "callback", "id": 0])
        let fe = FrontEnd(n: 2)
        c.setSearcherCallback { (id: Int, q: SearchQuery) throws(SearchError) -> SearchReply in try fe.answer(id, q) }
        let a = try #require(Self.started(try c.next(now: 0)))
        #expect(throws: ExperimentError.search(.invalidOption("cannot learn"))) { _ = try c.report(a.0, ["loss": 99], now: 1) }
        c.setSearcherCallback { (_: Int, _: SearchQuery) throws(SearchError) -> SearchReply in .configuration([1, 2]) }
        #expect(throws: ExperimentError.self) { _ = try c.next(now: 2) }
        for bad: JSONValue in [["algorithm": "callback"], ["algorithm": "callback", "id": -1],
                               ["algorithm": "callback", "id": 0, "space": ["x": 1]], ["algorithm": "callback", "id": 0, "seed": 1],
                               ["algorithm": "random", "id": 0, "space": ["x": 1]]] {
            #expect(throws: SpecError.self) { _ = try SearcherSpec(json: bad) }
        }
    }

    @Test func itsStateSavesAndRestores() throws {
        var limiter = try SearcherSpec(json: ["algorithm": "callback", "id": 7, "max_concurrent": 2, "mode": "max"]).makeLimiter()
        let fe = FrontEnd(n: 1)
        limiter.attach { (id: Int, q: SearchQuery) throws(SearchError) -> SearchReply in try fe.answer(id, q) }
        _ = try limiter.suggest(trialID: "t0")
        #expect(try limiter.suggest(trialID: "t1") == nil)
        #expect(limiter.finished)
        let restored = try ConcurrencyLimiter(restoring: limiter.saveState())
        #expect(restored.finished && restored.live == ["t0"] && restored.searcher.mode == .max)
        #expect(restored.saveState() == limiter.saveState())
    }
}
