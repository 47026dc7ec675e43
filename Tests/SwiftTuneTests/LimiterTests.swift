import Foundation
import Synchronization
import Testing
import SwiftTune

/// `ConcurrencyLimiter` around a `RandomSearch`, checked against Ray Tune's
/// `search/concurrency_limiter.py`, and the thread-safe `Experiment` under concurrent workers.
@Suite struct LimiterTests {
    static func random(seed: UInt64 = 1) throws -> RandomSearch {
        try RandomSearch(space: SearchSpace(["x": .uniform(0, 1), "k": .choice(["a", "b", "c"])]), mode: .min, seed: seed)
    }

    /// The wrapped searcher's view of each trial, from its saved state: "pending",
    /// "completed", "completed_without_metric" or "failed" (with the metric for "completed").
    static func searcherStates(_ l: ConcurrencyLimiter) -> [String: String] {
        var out: [String: String] = [:]
        for t in l.searcher.saveState()["trials"]?.arrayValue ?? [] {
            guard let id = t["id"]?.stringValue, let state = t["state"]?.stringValue else { continue }
            out[id] = state + (t["metric"]?.doubleValue.map { "=\($0)" } ?? "")
        }
        return out
    }

    @Test func rejectsNonPositiveLimits() throws {
        for n in [0, -1] {
            #expect(throws: SearchError.self) { try ConcurrencyLimiter(Self.random(), maxConcurrent: n) }
        }
        _ = try ConcurrencyLimiter(Self.random(), maxConcurrent: 1)
    }

    @Test func suggestReturnsNilAtTheLimitAndTellFreesASlot() throws {
        var l = try ConcurrencyLimiter(Self.random(), maxConcurrent: 3)
        for i in 0..<3 {
            #expect(l.hasCapacity)
            #expect(try l.suggest(trialID: "t\(i)")?.trialID == "t\(i)")
        }
        #expect(!l.hasCapacity)
        #expect(try l.suggest(trialID: "t3") == nil)
        #expect(try l.suggest(trialID: "t4") == nil)
        #expect(l.live == ["t0", "t1", "t2"])
        // Refused suggestions never reach the searcher.
        #expect(Self.searcherStates(l) == ["t0": "pending", "t1": "pending", "t2": "pending"])
        try l.tell(trialID: "t1", .completed(2.5))
        #expect(l.live == ["t0", "t2"] && l.hasCapacity)
        #expect(Self.searcherStates(l)["t1"] == "completed=2.5")
        #expect(try l.suggest(trialID: "t3") != nil)
        #expect(try l.suggest(trialID: "t4") == nil)
        try l.tell(trialID: "t0", .failed)
        try l.tell(trialID: "t2", .completedWithoutMetric)
        #expect(Self.searcherStates(l) == ["t0": "failed", "t1": "completed=2.5", "t2": "completed_without_metric", "t3": "pending"])
        #expect(l.live == ["t3"])
    }

    /// The limiter hands out exactly the wrapped searcher's suggestions, in order.
    @Test func suggestionsAreTheSearchersOwn() throws {
        var l = try ConcurrencyLimiter(Self.random(seed: 9), maxConcurrent: 2)
        var plain: any Searcher = try Self.random(seed: 9)
        for i in 0..<10 {
            let a = try l.suggest(trialID: "t\(i)")
            let b = try plain.suggest(trialID: "t\(i)")
            #expect(a == b)
            try l.tell(trialID: "t\(i)", .completed(Double(i)))
            try plain.tell(trialID: "t\(i)", .completed(Double(i)))
        }
        #expect(l.searcher.saveState() == plain.saveState())
    }

    @Test func unknownAndAlreadyToldTrialsAreIgnored() throws {
        var l = try ConcurrencyLimiter(Self.random(), maxConcurrent: 2)
        _ = try l.suggest(trialID: "a")
        let before = l.saveState()
        try l.tell(trialID: "never-suggested", .completed(1))
        try l.tell(trialID: "never-suggested", .failed)
        #expect(l.saveState() == before)
        try l.tell(trialID: "a", .completed(3))
        let after = l.saveState()
        try l.tell(trialID: "a", .completed(4))  // no longer live: ignored, as in Ray
        #expect(l.saveState() == after)
        #expect(Self.searcherStates(l)["a"] == "completed=3.0")
        // A searcher error still surfaces (a duplicate id).
        #expect(throws: SearchError.duplicateTrial("a")) { try l.suggest(trialID: "a") }
        #expect(l.live.isEmpty)
    }

    /// Random suggest/tell traffic against a reference set of live trials.
    @Test func neverMoreThanMaxConcurrentLive() throws {
        for limit in [1, 3, 5] {
            var l = try ConcurrencyLimiter(Self.random(seed: UInt64(limit)), maxConcurrent: limit)
            var rng = Xoshiro256(seed: 77)
            var live: [String] = []
            var next = 0, refused = 0, maxLive = 0
            for _ in 0..<600 {
                if rng.below(2) == 0 {
                    let id = "t\(next)"
                    next += 1
                    if let s = try l.suggest(trialID: id) {
                        #expect(s.trialID == id && live.count < limit)
                        live.append(id)
                    } else {
                        #expect(live.count == limit)
                        refused += 1
                    }
                } else if !live.isEmpty {
                    let id = live.remove(at: Int(rng.below(UInt64(live.count))))
                    try l.tell(trialID: id, .completed(rng.nextDouble()))
                }
                maxLive = max(maxLive, l.live.count)
                if l.live != live { Issue.record("live \(l.live) != \(live)"); return }
            }
            #expect(maxLive == limit && refused > 0)
        }
    }

    /// Batch mode (Ray's `batch=True`): outcomes are held until every trial of the batch has
    /// finished, and the batch keeps its slots until then.
    @Test func batchHoldsOutcomesUntilTheWholeBatchFinished() throws {
        var l = try ConcurrencyLimiter(Self.random(), maxConcurrent: 3, batch: true)
        for i in 0..<3 { _ = try l.suggest(trialID: "t\(i)") }
        try l.tell(trialID: "t0", .completed(1))
        try l.tell(trialID: "t2", .failed)
        // Held: the searcher still sees them pending, and their slots stay taken.
        #expect(Self.searcherStates(l) == ["t0": "pending", "t1": "pending", "t2": "pending"])
        #expect(l.live == ["t0", "t1", "t2"] && !l.hasCapacity)
        #expect(try l.suggest(trialID: "t3") == nil)
        // Ignored as in the plain mode: unknown trials.
        try l.tell(trialID: "zzz", .completed(0))
        try l.tell(trialID: "t1", .completed(7))
        #expect(Self.searcherStates(l) == ["t0": "completed=1.0", "t1": "completed=7.0", "t2": "failed"])
        #expect(l.live.isEmpty && l.hasCapacity)
        #expect(try l.suggest(trialID: "t3") != nil)
    }

    /// A batch is whatever is live: a trial suggested while others of the batch are held joins
    /// it, and the batch completes when all of them have finished (Ray's
    /// `num_unfinished_live_trials`).
    @Test func batchGrowsWithTrialsSuggestedBeforeItCompletes() throws {
        var l = try ConcurrencyLimiter(Self.random(), maxConcurrent: 3, batch: true)
        _ = try l.suggest(trialID: "a")
        _ = try l.suggest(trialID: "b")
        try l.tell(trialID: "a", .completed(1))
        #expect(try l.suggest(trialID: "c") != nil)  // 2 live < 3
        try l.tell(trialID: "b", .completed(2))
        #expect(Self.searcherStates(l) == ["a": "pending", "b": "pending", "c": "pending"])
        try l.tell(trialID: "c", .completed(3))
        #expect(Self.searcherStates(l) == ["a": "completed=1.0", "b": "completed=2.0", "c": "completed=3.0"])
        #expect(l.live.isEmpty)
        // A held trial cannot finish twice.
        _ = try l.suggest(trialID: "d")
        _ = try l.suggest(trialID: "e")
        try l.tell(trialID: "d", .completed(4))
        let before = l.saveState()
        #expect(throws: SearchError.trialAlreadyFinished("d")) { try l.tell(trialID: "d", .completed(5)) }
        #expect(l.saveState() == before)
    }

    @Test func saveRestoreRoundTrip() throws {
        for batch in [false, true] {
            var l = try ConcurrencyLimiter(Self.random(seed: 5), maxConcurrent: 4, batch: batch)
            for i in 0..<6 { _ = try l.suggest(trialID: "t\(i)") }  // t4, t5 refused
            try l.tell(trialID: "t1", .completed(0.5))
            try l.tell(trialID: "t3", .failed)
            let state = l.saveState()
            var restored = try ConcurrencyLimiter(restoring: state)
            var viaText = try ConcurrencyLimiter(restoring: JSONValue(parsing: state.serialized()))
            #expect(restored.saveState() == state && viaText.saveState() == state)
            #expect(restored.maxConcurrent == 4 && restored.batch == batch && restored.live == l.live)
            #expect(restored.searcher is RandomSearch)
            // The same calls now give the same answers.
            func drive(_ x: inout ConcurrencyLimiter) throws -> [Suggestion?] {
                var out: [Suggestion?] = []
                var told: Set<String> = ["t1", "t3"]  // before the save (held in batch mode)
                for i in 6..<12 {
                    out.append(try x.suggest(trialID: "t\(i)"))
                    if i % 2 == 0, let id = x.live.first(where: { !told.contains($0) }) {
                        told.insert(id)
                        try x.tell(trialID: id, .completed(Double(i)))
                    }
                }
                for id in x.live where !told.contains(id) { try x.tell(trialID: id, .completed(1)) }
                return out
            }
            let a = try drive(&l), b = try drive(&restored), c = try drive(&viaText)
            #expect(a == b && a == c)
            #expect(a.contains(nil) && a.contains { $0 != nil })
            #expect(l.saveState() == restored.saveState() && l.saveState() == viaText.saveState())
        }
    }

    @Test func restoreRejectsGarbage() throws {
        var l = try ConcurrencyLimiter(Self.random(), maxConcurrent: 2, batch: true)
        _ = try l.suggest(trialID: "a")
        _ = try l.suggest(trialID: "b")
        try l.tell(trialID: "a", .completed(1))
        let good = l.saveState()
        _ = try ConcurrencyLimiter(restoring: good)
        func replacing(_ key: String, _ value: JSONValue) -> JSONValue {
            .object(good.objectValue!.map { $0.0 == key ? ($0.0, value) : $0 })
        }
        #expect(throws: SearchError.self) { try ConcurrencyLimiter(restoring: .null) }
        #expect(throws: SearchError.self) { try ConcurrencyLimiter(restoring: Self.random().saveState()) }
        #expect(throws: SearchError.self) { try ConcurrencyLimiter(restoring: replacing("limiter", 2)) }
        #expect(throws: SearchError.self) { try ConcurrencyLimiter(restoring: replacing("max_concurrent", 0)) }
        #expect(throws: SearchError.self) { try ConcurrencyLimiter(restoring: replacing("batch", 1)) }
        #expect(throws: SearchError.self) { try ConcurrencyLimiter(restoring: replacing("live", [1])) }
        #expect(throws: SearchError.self) { try ConcurrencyLimiter(restoring: replacing("held", [["id": "a", "outcome": "great"]])) }
        #expect(throws: SearchError.self) { try ConcurrencyLimiter(restoring: replacing("searcher", ["searcher": "grid"])) }
        // A held outcome of a trial that is not live: `held.count == live.count` can then never
        // hold, so the batch never completes and its slots are never freed.
        #expect(throws: SearchError.self) {
            try ConcurrencyLimiter(restoring: replacing("held", [["id": "zzz", "outcome": "failed"]]))
        }
    }

    /// The thread-safe engine under 8 threads: a limiter of 3 bounds the RUNNING trials at every
    /// moment, and all 300 trials run exactly once and end TERMINATED.
    @Test func experimentUnderEightThreadsNeverRunsMoreThanTheLimit() throws {
        let total = 300, limit = 3
        let limiter = try ConcurrencyLimiter(Self.random(seed: 21), maxConcurrent: limit)
        let experiment = try Experiment(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: total), limiter: limiter)
        struct Stats {
            var maxRunning = 0  // the engine's count, read right after a start
            var inFlight = 0  // ours: from after a start until before its finish
            var maxInFlight = 0
            var started: [String] = []
            var errors: [String] = []
        }
        let stats = Locked(Stats())
        let done = DispatchGroup()
        for _ in 0..<8 {
            done.enter()
            let worker = Thread {
                defer { done.leave() }
                do {
                    loop: while true {
                        switch try experiment.next() {
                        case .finished:
                            break loop
                        case .wait:
                            Thread.sleep(forTimeInterval: 0.0001)
                        case let .start(id, configuration):
                            let running = experiment.runningCount
                            stats.withLock {
                                $0.maxRunning = max($0.maxRunning, running)
                                $0.inFlight += 1
                                $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
                                $0.started.append(id)
                            }
                            let x = configuration["x"]?.doubleValue ?? .nan
                            for k in 1...3 { _ = try experiment.report(id, ["loss": x + Double(k)]) }
                            stats.withLock { $0.inFlight -= 1 }
                            try experiment.finish(id, .completed)
                        }
                    }
                } catch {
                    stats.withLock { $0.errors.append("\(error)") }
                }
            }
            worker.start()
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        let s = stats.withLock { $0 }
        #expect(s.errors.isEmpty)
        #expect(s.maxRunning <= limit && s.maxInFlight <= limit)
        #expect(s.maxRunning >= 1)
        #expect(Set(s.started).count == total && s.started.count == total)
        let trials = experiment.trials
        #expect(trials.count == total)
        #expect(trials.map(\.id) == (0..<total).map { "trial_" + String(repeating: "0", count: 5 - String($0).count) + String($0) })
        #expect(trials.allSatisfy { $0.status == .terminated && $0.numReports == 3 })
        #expect(experiment.runningCount == 0)
        // Every outcome reached the searcher: its last result's loss.
        let searcherTrials = experiment.saveState()["limiter"]?["searcher"]?["trials"]?.arrayValue ?? []
        #expect(searcherTrials.count == total)
        for t in trials {
            let told = searcherTrials.first { $0["id"]?.stringValue == t.id }
            #expect(told?["state"] == "completed" && told?["metric"]?.doubleValue == t.lastResult?["loss"])
        }
        #expect(experiment.saveState()["limiter"]?["live"] == [])
    }
}
