import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import SwiftTune

/// The experiment state as a journal: ``StatePatch`` and ``ExperimentCore/takeStateChanges(now:)``.
/// After every call of random streams (trials that report, checkpoint, pause, stop, fail and are
/// retried; schedulers that choose, stop and exploit; searchers that track their changes and ones
/// that do not; saves whole at random), the state saved whole, patched by every change since
/// (through their JSON text), equals the state saved whole now, and restores alike.
@Suite("State journal")
struct StateJournalTests {
    // MARK: - patches

    @Test func operationsApplyInPlaceAndRoundTripThroughJSON() throws {
        var state: JSONValue = .object([("a", .array([1, 2, 3])), ("o", .object([("k", "v")]))])
        let patch = StatePatch([
            .set([.key("a"), .index(3)], 4),
            .splice([.key("a")], keep: 1, [7, 8]),
            .dropFirst([.key("a")], 1),
            .merge([.key("o")], [("k", "w"), ("n", .null)]),
            .set([.key("new")], true),
            .set([.key("a"), .index(0)], "x"),
        ])
        let text = patch.json.serialized()
        let read = try StatePatch(json: JSONValue(parsing: text))
        #expect(read == patch)
        try read.apply(to: &state)
        #expect(state == .object([("a", .array(["x", 8])), ("o", .object([("k", "w"), ("n", .null)])), ("new", true)]))
    }

    @Test func aPatchThatDoesNotFitTheStateIsRefusedWithItsPlace() throws {
        var state: JSONValue = .object([("a", .array([1]))])
        for (op, message) in [
            (StatePatch.Op.splice([.key("a")], keep: 2, []), "'splice' keeps 2 elements at .a, which has 1"),
            (.set([.key("a"), .index(5)], 1), "index 5 is past the end (1) at .a"),
            (.merge([.key("a")], []), "'merge' at .a, which is not an object"),
            (.set([.key("b"), .key("c")], 1), "no member 'b' at "),
            (.dropFirst([.key("a"), .index(0)], 1), "'drop_first' at .a[0], which is not an array"),
        ] {
            #expect(throws: StatePatchError.doesNotApply(message)) { try StatePatch([op]).apply(to: &state) }
        }
        for bad in ["{}", "[[\"set\"]]", "[[\"grow\", [], 1]]", "[[\"set\", [-1], 1]]", "[[\"splice\", [\"a\"], -1, []]]",
                    "[[\"merge\", [], 3]]"] {
            #expect(throws: StatePatchError.self) { try StatePatch(json: JSONValue(parsing: bad)) }
        }
    }

    // MARK: - the engine's changes

    /// The saved state with every object's members sorted by key (a "merge" adds members at the end).
    static func normalized(_ v: JSONValue) -> JSONValue {
        switch v {
        case .array(let a): return .array(a.map(normalized))
        case .object(let m): return .object(m.map { ($0.0, normalized($0.1)) }.sorted { $0.0 < $1.0 })
        default: return v
        }
    }

    /// Where two states differ (members compared by key), or nil.
    static func difference(_ a: JSONValue, _ b: JSONValue, at path: String = "") -> String? {
        switch (a, b) {
        case let (.object(x), .object(y)):
            let keys = Set(x.map(\.0)).union(y.map(\.0)).sorted()
            for k in keys {
                guard let u = x.first(where: { $0.0 == k })?.1, let v = y.first(where: { $0.0 == k })?.1 else {
                    return "\(path).\(k) is in one state only"
                }
                if let d = difference(u, v, at: path + "." + k) { return d }
            }
            return nil
        case let (.array(x), .array(y)):
            if x.count != y.count { return "\(path) has \(x.count) elements patched, \(y.count) saved whole" }
            for (i, (u, v)) in zip(x, y).enumerated() { if let d = difference(u, v, at: "\(path)[\(i)]") { return d } }
            return nil
        default:
            return a == b ? nil : "\(path): patched \(a.serialized().prefix(200)), saved whole \(b.serialized().prefix(200))"
        }
    }

    static func searcher(_ kind: Int, seed: UInt64) throws -> any Searcher {
        let space = try SearchSpace(["x": .uniform(0, 1), "act": .choice(["relu", "tanh"])])
        switch kind {
        case 0: return try RandomSearch(space: space, pointsToEvaluate: [["x": 0.5], ["x": 0.25, "act": "tanh"]], seed: seed)
        case 1: return try TPESearch(space: space, options: TPESearch.Options(nInitialPoints: 3), seed: seed)
        case 2: return try AnnealSearch(space: SearchSpace(["x": HP.uniform("x", 0, 1), "act": HP.choice("act", ["relu", "tanh"])]),
                                        seed: seed)
        default:  // does not track its changes
            return try OptunaTPESearch(space: SearchSpace(["x": .optunaFloat(0, 1), "act": .choice(["relu", "tanh"])]), seed: seed)
        }
    }

    /// One random stream: returns how many patches were checked.
    @discardableResult
    static func run(seed: UInt64, schedulerKind: Int, searcherKind: Int) throws -> Int {
        var rng = Xoshiro256(seed: seed)
        var config = ExperimentConfig(metric: "loss", mode: .min, numSamples: 12 + Int(rng.below(20)))
        config.maxConcurrentTrials = 2 + Int(rng.below(4))
        config.maxFailures = Int(rng.below(3))
        config.maxPendingTrials = 1 + Int(rng.below(3))
        let limiter = try ConcurrencyLimiter(searcher(searcherKind, seed: seed), maxConcurrent: 3)
        var c = try ExperimentCore(config: config, limiter: limiter,
                                   scheduler: EngineWaitingIndexTests.scheduler(schedulerKind))
        var now = 0.0
        var replica = c.saveStateForJournal(now: now)
        var checked = 0
        for _ in 0..<300 {
            now += 1
            let running = c.trials.filter { $0.status == .running }.map(\.id)
            let roll = rng.below(100)
            do {
                if running.isEmpty || roll < 25 {
                    if try c.next(now: now) == .finished && running.isEmpty { break }
                } else if roll < 75 {
                    let id = running[Int(rng.below(UInt64(running.count)))]
                    let loss = rng.below(10) == 0 ? Double.nan : Double(rng.below(8))
                    _ = try c.report(id, ["loss": loss], checkpoint: rng.below(2) == 0 ? "c\(now)" : nil, now: now)
                } else if roll < 92 {
                    let id = running[Int(rng.below(UInt64(running.count)))]
                    let end: TrialEnd = [.completed, .stopped, .failed("boom")][Int(rng.below(3))]
                    try c.finish(id, end, now: now)
                } else if roll < 96 {
                    replica = c.saveStateForJournal(now: now)  // a compaction: the journal starts again
                    continue
                } else {
                    // A restore: the journal starts from the restored engine's state.
                    c = try ExperimentCore(restoring: c.saveState(now: now))
                    replica = c.saveStateForJournal(now: now)
                    continue
                }
            } catch {
                // A call the engine refuses changes nothing; the journal still says what did.
            }
            if rng.below(3) == 0 { continue }  // changes pile up over several calls too
            let patch = c.takeStateChanges(now: now)
            let read = try StatePatch(json: JSONValue(parsing: patch.json.serialized()))
            try read.apply(to: &replica)
            let whole = c.saveState(now: now)
            if let d = difference(replica, whole) {
                Issue.record("seed \(seed), scheduler \(schedulerKind), searcher \(searcherKind): \(d)")
                return checked
            }
            checked += 1
        }
        // The patched state restores to the same engine as the whole one.
        try c.takeStateChanges(now: now).apply(to: &replica)
        let a = try ExperimentCore(restoring: replica), b = try ExperimentCore(restoring: c.saveState(now: now))
        #expect(difference(a.saveState(now: now), b.saveState(now: now)) == nil)
        return checked
    }

    @Test(arguments: 0..<6)
    func patchedStateEqualsTheWholeStateAfterEveryCall(schedulerKind: Int) throws {
        var checked = 0
        for searcherKind in 0..<4 {
            for seed in 1...6 { checked += try Self.run(seed: UInt64(seed * 131 + schedulerKind * 7 + searcherKind), schedulerKind: schedulerKind, searcherKind: searcherKind) }
        }
        #expect(checked > 500)
    }

    @Test func aChangeCostsWhatChangedNotTheExperiment() throws {
        // 2,000 finished trials of one result each, then one more trial: its patch names it alone.
        let space = try SearchSpace(["x": .uniform(0, 1)])
        var c = try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 3000),
                                   limiter: ConcurrencyLimiter(RandomSearch(space: space, seed: 3), maxConcurrent: 4))
        var now = 0.0
        _ = c.saveStateForJournal(now: now)
        for _ in 0..<2000 {
            now += 1
            guard case .start(let id, _) = try c.next(now: now) else { Issue.record("no trial"); return }
            _ = try c.report(id, ["loss": now], now: now)
            try c.finish(id, .completed, now: now)
        }
        _ = c.takeStateChanges(now: now)
        guard case .start(let id, _) = try c.next(now: now) else { Issue.record("no trial"); return }
        _ = try c.report(id, ["loss": 1], now: now)
        let text = c.takeStateChanges(now: now).json.serialized()
        #expect(text.utf8.count < 2000, "\(text)")
        #expect(text.contains("trial_02000") && !text.contains("trial_01999"))
    }
}

/// ``StateJournal``: the snapshot and the journal on disk.
@Suite("State journal files")
struct StateJournalFileTests {
    static func folder() -> String {
        var template = Array("/tmp/swifttune-journal-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    static func append(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_APPEND)
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    static func lines(_ path: String) -> [String] {
        (try? StateJournal.read(path)).map { String(decoding: $0, as: UTF8.self) }?.split(separator: "\n").map(String.init) ?? []
    }

    @Test func anEngineJournalledToDiskReadsBackAsItsWholeStateAndRestores() throws {
        let path = Self.folder() + "/experiment_state.json"
        let space = try SearchSpace(["x": .uniform(0, 1)])
        var c = try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 40),
                                   limiter: ConcurrencyLimiter(TPESearch(space: space, options: .init(nInitialPoints: 5), seed: 9),
                                                               maxConcurrent: 2))
        let journal = StateJournal(path: path)
        try journal.compact(c.saveStateForJournal(now: 0))
        var now = 0.0
        var compactions = 0
        while true {
            now += 1
            guard case .start(let id, let config) = try c.next(now: now) else { break }
            for k in 1...3 {
                _ = try c.report(id, ["loss": (config["x"]?.doubleValue ?? 0) + Double(k)], checkpoint: k == 2 ? "ck" : nil, now: now)
                try journal.append(c.takeStateChanges(now: now))
            }
            try c.finish(id, .completed, now: now)
            try journal.append(c.takeStateChanges(now: now))
            if journal.wantsCompaction(minimumBytes: 4096) {
                try journal.compact(c.saveStateForJournal(now: now))
                compactions += 1
            }
            let read = try StateJournal.load(path: path)
            #expect(StateJournalTests.difference(read, c.saveState(now: now)) == nil)
        }
        #expect(compactions >= 2)
        let restored = try ExperimentCore(restoring: StateJournal.load(path: path))
        #expect(restored.trials == c.trials)
    }

    @Test func aSnapshotWrittenInTheBackgroundLeavesEveryMomentReadable() throws {
        let path = Self.folder() + "/experiment_state.json"
        let space = try SearchSpace(["x": .uniform(0, 1)])
        let experiment = try Experiment(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 400),
                                        limiter: ConcurrencyLimiter(RandomSearch(space: space, seed: 4), maxConcurrent: 2))
        let journal = StateJournal(path: path)
        try journal.compact(experiment.saveStateForJournal())
        var compactions = 0, sawTheWindow = false
        func check() throws {
            let read = try StateJournal.load(path: path)
            let whole = experiment.saveState()
            // The elapsed time moves on between the two; everything else is the same.
            var a = read, b = whole
            try StatePatch([.set([.key("elapsed_s")], 0)]).apply(to: &a)
            try StatePatch([.set([.key("elapsed_s")], 0)]).apply(to: &b)
            #expect(StateJournalTests.difference(a, b) == nil)
        }
        for n in 0..<400 {
            guard case .start(let id, let config) = try experiment.next() else { break }
            _ = try experiment.report(id, ["loss": config["x"]?.doubleValue ?? 0])
            try experiment.finish(id, .completed)
            if n % 50 == 10 && journal.canCompactInBackground {
                try journal.append(experiment.stateChanges())
                try journal.startCompaction()
                compactions += 1
                // The snapshot lands while nothing is appended: the journal of its generation is
                // still the next one, and the state reads back from them.
                let before = try StateJournal.read(path)
                var waited = 0
                while (try? StateJournal.read(path)) == before && waited < 5000 {
                    usleep(1000)
                    waited += 1
                }
                #expect(access(StateJournal.nextJournalPath(path), F_OK) == 0)
                try check()
                sawTheWindow = true
                continue
            }
            try journal.append(experiment.stateChanges())
            try check()
        }
        try journal.finishCompaction(wait: true)
        try journal.append(experiment.stateChanges())
        try check()
        #expect(compactions >= 5 && sawTheWindow)
        #expect(access(StateJournal.nextJournalPath(path), F_OK) != 0)
        #expect(try ExperimentCore(restoring: StateJournal.load(path: path)).trials == experiment.trials)
    }

    @Test func aCutShortLastLineIsLeftOutAndAnyOtherBadLineIsAnError() throws {
        let path = Self.folder() + "/state.json"
        let journal = StateJournal(path: path)
        try journal.compact(["a": .array([])])
        for i in 0..<3 { try journal.append(StatePatch([.set([.key("a"), .index(i)], .int(Int64(i)))])) }
        #expect(try StateJournal.load(path: path) == ["a": [0, 1, 2]])
        Self.append(StateJournal.journalPath(path), "{\"seq\": 4, \"ops\": [[\"set\", [\"a\", 3]")  // a write cut short
        #expect(try StateJournal.load(path: path) == ["a": [0, 1, 2]])
        Self.append(StateJournal.journalPath(path), "\n{\"seq\": 5, \"ops\": []}\n")  // then a line after it
        #expect(throws: StateJournalError.self) { try StateJournal.load(path: path) }
        do {
            _ = try StateJournal.load(path: path)
        } catch {
            #expect(error.description.hasPrefix(StateJournal.journalPath(path) + ", line 5: "))
        }
    }

    @Test func aJournalOfAnOlderSnapshotIsLeftAloneAndAGapInItIsAnError() throws {
        let path = Self.folder() + "/state.json"
        let journal = StateJournal(path: path)
        try journal.compact(["n": 0])
        try journal.append(StatePatch([.set([.key("n")], 1)]))
        let older = Self.lines(StateJournal.journalPath(path))
        try journal.compact(["n": 1])  // generation 2
        try journal.append(StatePatch([.set([.key("n")], 2)]))
        #expect(try StateJournal.load(path: path) == ["n": 2])
        // A driver killed after the snapshot, before its journal: the journal of generation 1 stays.
        _ = try StateJournal.writeAtomically(StateJournal.journalPath(path), Array((older.joined(separator: "\n") + "\n").utf8))
        #expect(try StateJournal.load(path: path) == ["n": 1])
        // A change missing from the middle is not skipped.
        try journal.compact(["n": 5])
        try journal.append(StatePatch([.set([.key("n")], 6)]))
        try journal.append(StatePatch([.set([.key("n")], 7)]))
        var text = Self.lines(StateJournal.journalPath(path))
        text.remove(at: 1)
        _ = try StateJournal.writeAtomically(StateJournal.journalPath(path), Array((text.joined(separator: "\n") + "\n").utf8))
        #expect(throws: StateJournalError.malformed(path: StateJournal.journalPath(path), line: 2, "expected change 1")) {
            try StateJournal.load(path: path)
        }
        // Each snapshot has a generation of its own, which its journal names.
        var generations: Set<Int64> = []
        for n in 0..<20 {
            try StateJournal(path: path).compact(["n": .int(Int64(n))])
            let g = try #require(JSONValue(parsing: StateJournal.read(path))["journal_generation"]?.intValue)
            #expect(Self.lines(StateJournal.journalPath(path)) == ["{\"journal\":1,\"generation\":\(g)}"])
            generations.insert(g)
        }
        #expect(generations.count == 20)
    }

    @Test func aJournalUnderARootPatchesThatMember() throws {
        let path = Self.folder() + "/state.json"
        let journal = StateJournal(path: path, root: [.key("engine")])
        try journal.compact(["head": "settings", "engine": ["n": 0]])
        try journal.append(StatePatch([.set([.key("n")], 3)]))
        #expect(try StateJournal.load(path: path, root: [.key("engine")]) == ["head": "settings", "engine": ["n": 3]])
        let other = Self.folder() + "/x.json"
        #expect(throws: StateJournalError.broken(StateJournal.journalPath(other), "no snapshot was written yet")) {
            try StateJournal(path: other).append(StatePatch([.set([], 1)]))
        }
    }
}
