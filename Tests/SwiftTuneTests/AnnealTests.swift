import Testing
import SwiftTune

/// hyperopt's annealing (`AnnealSearch`): determinism, saved state, the rules' visible effects,
/// and what it refuses. (Its distributions are compared with hyperopt's own in
/// python/tests/test_hyperopt_anneal.py.)
struct AnnealTests {
    static let space: SpaceNode = [
        "x": HP.uniform("x", -5, 5),
        "lr": HP.loguniform("lr", -7, 0),
        "n": HP.randint("n", 2, 12),
        "model": HP.choice("model", [
            ["kind": "a", "depth": HP.quniform("depth", 1, 9, 1)],
            ["kind": "b", "w": HP.normal("w", 0, 2)],
        ]),
    ]

    static func loss(_ c: JSONValue) -> Double {
        let x = c["x"]?.doubleValue ?? 0, n = c["n"]?.doubleValue ?? 0
        return (x - 3) * (x - 3) + abs(n - 7) + (c["model"]?["kind"] == "b" ? 1 : 0)
    }

    static func run(_ s: inout AnnealSearch, _ n: Int, from start: Int = 0) throws -> [Suggestion] {
        var out: [Suggestion] = []
        for i in start..<(start + n) {
            let sug = try s.suggest(trialID: "t\(i)")
            out.append(sug)
            if i % 9 == 4 { try s.tell(trialID: sug.trialID, .failed) } else { try s.tell(trialID: sug.trialID, .completed(loss(sug.configuration))) }
        }
        return out
    }

    @Test func sameSeedSameSuggestionsOtherSeedOthers() throws {
        var a = try AnnealSearch(space: SearchSpace(Self.space), seed: 7)
        var b = try AnnealSearch(space: SearchSpace(Self.space), seed: 7)
        var c = try AnnealSearch(space: SearchSpace(Self.space), seed: 8)
        let sa = try Self.run(&a, 30), sb = try Self.run(&b, 30), sc = try Self.run(&c, 30)
        #expect(sa.map(\.configuration) == sb.map(\.configuration))
        #expect(sa.map(\.configuration) != sc.map(\.configuration))
    }

    @Test func saveAndRestoreContinuesExactly() throws {
        var a = try AnnealSearch(space: SearchSpace(Self.space), options: .init(avgBestIndex: 3, shrinkCoef: 0.2), seed: 11)
        _ = try Self.run(&a, 20)
        let pending = try a.suggest(trialID: "pending")
        let state = a.saveState()
        #expect(state["searcher"] == "anneal")
        #expect(state["options"]?["avg_best_idx"] == .double(3) && state["options"]?["shrink_coef"] == .double(0.2))
        var b = try AnnealSearch(restoring: JSONValue(parsing: state.serialized()))
        var c = try #require(try restoreSearcher(state) as? AnnealSearch)
        #expect(b.saveState() == state)
        try a.tell(trialID: pending.trialID, .completed(1))
        try b.tell(trialID: pending.trialID, .completed(1))
        try c.tell(trialID: pending.trialID, .completed(1))
        let (ra, rb, rc) = (try Self.run(&a, 15, from: 20), try Self.run(&b, 15, from: 20), try Self.run(&c, 15, from: 20))
        #expect(ra.map(\.configuration) == rb.map(\.configuration) && ra.map(\.configuration) == rc.map(\.configuration))
    }

    @Test func theNeighbourhoodShrinksAroundTheBestTrials() throws {
        // With one parameter and a strong shrink, later suggestions stay near the best value so far.
        var s = try AnnealSearch(space: SearchSpace(["x": HP.uniform("x", -5, 5)]), options: .init(shrinkCoef: 1), seed: 3)
        var best = Double.infinity, bestX = 0.0
        var late: [Double] = []
        for i in 0..<60 {
            let sug = try s.suggest(trialID: "t\(i)")
            let x = try #require(sug.configuration["x"]?.doubleValue)
            if i >= 40 { late.append(abs(x - bestX)) }
            let l = (x - 3) * (x - 3)
            if l < best { (best, bestX) = (l, x) }
            try s.tell(trialID: sug.trialID, .completed(l))
        }
        // The window is 10 / (1 + T) wide: 10/41 at T = 40, so a draw lies within about 0.13 of its reference.
        #expect(late.allSatisfy { $0 < 1.0 })
        #expect(best < 0.01)
    }

    @Test func maxModeNegatesTheMetric() throws {
        var s = try AnnealSearch(space: SearchSpace(["x": HP.uniform("x", 0, 10)]), mode: .max, seed: 5)
        for i in 0..<50 {
            let sug = try s.suggest(trialID: "t\(i)")
            try s.tell(trialID: sug.trialID, .completed(sug.configuration["x"]?.doubleValue ?? 0))
        }
        let last = try s.suggest(trialID: "last")
        #expect((last.configuration["x"]?.doubleValue ?? 0) > 8)  // maximising x climbs to the top
    }

    @Test func conditionalParametersComeFromTrialsThatHaveThem() throws {
        var s = try AnnealSearch(space: SearchSpace(Self.space), seed: 1)
        let made = try Self.run(&s, 40)
        for sug in made {
            let kind = sug.configuration["model"]?["kind"]
            #expect((sug.assignment["depth"] != nil) == (kind == "a"))
            #expect((sug.assignment["w"] != nil) == (kind == "b"))
            if let n = sug.assignment["n"] { #expect(n >= 2 && n < 12 && n == n.rounded()) }
            if let d = sug.assignment["depth"] { #expect(d >= 1 && d <= 9 && d == d.rounded()) }
            if let lr = sug.assignment["lr"] { #expect(lr >= 0x1p-11 && lr <= 1) }
        }
    }

    @Test func optionsAndDistributionsAreChecked() throws {
        let space = try SearchSpace(["x": HP.uniform("x", 0, 1)])
        for (o, m) in [(AnnealSearch.Options(avgBestIndex: 0.5), "avg_best_idx must be a finite number >= 1, got 0.5"),
                       (AnnealSearch.Options(shrinkCoef: -1), "shrink_coef must be a finite number >= 0, got -1.0")] {
            #expect(throws: SearchError.invalidOption(m)) { try AnnealSearch(space: space, options: o) }
        }
        #expect(throws: SearchError.self) { try AnnealSearch(space: SearchSpace(["y": .uniform(0, 1)])) }
        do {
            _ = try AnnealSearch(space: SearchSpace(["y": .uniform(0, 1)]))
        } catch {
            #expect(String(describing: error).contains("'y' is tune.uniform"))
        }
    }

    @Test func theSpecificationBuildsIt() throws {
        let spec = try JSONValue(parsing: """
        {"algorithm": "anneal", "space": {"format": "swifttune.space", "version": 1,
          "space": {"type": "uniform", "label": "x", "low": 0, "high": 1}},
         "seed": 4, "avg_best_idx": 4, "shrink_coef": 0.5}
        """)
        let s = try SearcherSpec(json: spec)
        #expect(s.algorithm == .anneal && s.annealOptions == AnnealSearch.Options(avgBestIndex: 4, shrinkCoef: 0.5))
        #expect(try s.makeSearcher() is AnnealSearch)
        var tpe = try JSONValue(parsing: #"{"algorithm": "tpe", "space": {"format": "swifttune.space", "version": 1, "space": 1}, "shrink_coef": 1}"#)
        #expect(throws: SpecError.self) { try SearcherSpec(json: tpe) }
        tpe = try JSONValue(parsing: #"{"algorithm": "anneal", "space": {"format": "swifttune.space", "version": 1, "space": 1}, "gamma": 0.3}"#)
        #expect(throws: SpecError.self) { try SearcherSpec(json: tpe) }
    }
}
