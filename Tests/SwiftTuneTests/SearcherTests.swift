import Testing
import SwiftTune

/// RandomSearch and TPESearch through the public `Searcher` API.
@Suite struct SearcherTests {
    enum Kind: String, CaseIterable, Sendable { case random, tpe }

    static let fastTPE = TPESearch.Options(nInitialPoints: 5)

    static func make(_ kind: Kind, _ node: SpaceNode, mode: Mode = .min, points: [JSONValue] = [],
                     seed: UInt64 = 0, options: TPESearch.Options = fastTPE) throws -> any Searcher {
        let space = try SearchSpace(node)
        switch kind {
        case .random: return try RandomSearch(space: space, mode: mode, pointsToEvaluate: points, seed: seed)
        case .tpe: return try TPESearch(space: space, mode: mode, options: options, pointsToEvaluate: points, seed: seed)
        }
    }

    static func initError(_ kind: Kind, _ node: SpaceNode, points: [JSONValue]) -> SearchError? {
        do {
            _ = try make(kind, node, points: points)
            return nil
        } catch let e as SearchError {
            return e
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static func restore(_ kind: Kind, _ state: JSONValue) throws(SearchError) -> any Searcher {
        switch kind {
        case .random: return try RandomSearch(restoring: state)
        case .tpe: return try TPESearch(restoring: state)
        }
    }

    static func restoreError(_ kind: Kind, _ state: JSONValue) -> SearchError? {
        do { _ = try restore(kind, state); return nil } catch { return error }
    }

    /// A smooth objective of the tutorial spaces (smaller is better).
    static func tutorialLoss(_ c: JSONValue) -> Double {
        let w = c["width"]?.doubleValue ?? 0, h = c["height"]?.doubleValue ?? 0
        var act = c["activation"]
        if let inner = act?["activation"] { act = inner }
        let mult = c["activation"]?["mult"]?.doubleValue ?? 1
        return (0.1 + w * (c["steps"]?.doubleValue ?? 100) / 100) * -1 + 0.01 * h * h * mult + (act == "tanh" ? 1 : 0)
    }

    /// Runs `n` trials; `outcome` decides how each ends (nil: left pending).
    static func run(_ s: inout any Searcher, _ n: Int, prefix: String = "t",
                    outcome: (Int, Suggestion) -> TrialOutcome? = { _, s in .completed(tutorialLoss(s.configuration)) }) throws -> [Suggestion] {
        var out: [Suggestion] = []
        for i in 0..<n {
            let sug = try s.suggest(trialID: "\(prefix)\(i)")
            out.append(sug)
            if let o = outcome(i, sug) { try s.tell(trialID: sug.trialID, o) }
        }
        return out
    }

    // MARK: determinism

    @Test(arguments: Kind.allCases)
    func sameSeedSameSuggestions(kind: Kind) throws {
        for node in [SpaceFixtures.ray, SpaceFixtures.hyperopt] {
            var a = try Self.make(kind, node, seed: 42)
            var b = try Self.make(kind, node, seed: 42)
            let sa = try Self.run(&a, 25)
            let sb = try Self.run(&b, 25)
            #expect(sa == sb)
            #expect(a.saveState() == b.saveState())
            #expect(sa.enumerated().allSatisfy { $0.element.trialID == "t\($0.offset)" })
        }
    }

    @Test(arguments: Kind.allCases)
    func differentSeedsDiffer(kind: Kind) throws {
        var a = try Self.make(kind, SpaceFixtures.hyperopt, seed: 1)
        var b = try Self.make(kind, SpaceFixtures.hyperopt, seed: 2)
        let sa = try Self.run(&a, 15)
        let sb = try Self.run(&b, 15)
        for (x, y) in zip(sa, sb) {
            #expect(x.configuration != y.configuration)
            #expect(x.assignment["width"] != y.assignment["width"])
        }
    }

    @Test func suggestionNDrawsFromStreamN() throws {
        // Pinned for reproducibility (saved searchers, other machines): random suggestion n draws
        // its parameters in tree order from Xoshiro256(seed:stream: n), each the way its library
        // draws it (tune.uniform: uniform(lower, upper); tune.choice: categorical over equal weights).
        var search = try RandomSearch(space: SearchSpace(SpaceFixtures.ray), seed: 3)
        for n in 0..<5 {
            let s = try search.suggest(trialID: "t\(n)")
            var g = Xoshiro256(seed: 3, stream: UInt64(n))
            let width = g.uniform(0, 20), height = g.uniform(-100, 100)
            let activation = Double(g.categorical([0.5, 0.5]))
            #expect(s.assignment == ["width": width, "height": height, "activation": activation], "suggestion \(n)")
        }
        // A TPE searcher's suggestions before n_initial_points are the same draws.
        var tpe = try TPESearch(space: SearchSpace(SpaceFixtures.ray), seed: 3)
        var random = try RandomSearch(space: SearchSpace(SpaceFixtures.ray), seed: 3)
        for n in 0..<5 {
            #expect(try tpe.suggest(trialID: "t\(n)") == random.suggest(trialID: "t\(n)"))
        }
    }

    @Test func suggestionsAreValidConfigurations() throws {
        // Every suggestion of both searchers, random and model-based, is a configuration of the
        // space that the space maps back to the same assignment.
        let space = try SearchSpace(SpaceFixtures.everyKind)
        for kind in Kind.allCases {
            var s = try Self.make(kind, SpaceFixtures.everyKind, seed: 9)
            let suggestions = try Self.run(&s, 40) { _, sug in
                var loss = 0.0
                for (_, v) in sug.assignment { loss += min(abs(v), 100) }
                return .completed(loss)
            }
            for sug in suggestions {
                #expect(try space.configuration(for: sug.assignment) == sug.configuration, "\(kind) \(sug.trialID)")
                #expect(try space.assignment(of: sug.configuration) == sug.assignment, "\(kind) \(sug.trialID)")
                #expect((sug.assignment["deep"] != nil) == (sug.assignment["pc"] == 1))
                #expect((sug.assignment["act/sub"] != nil) == (sug.assignment["act"] == 2))
            }
        }
    }

    @Test(arguments: Kind.allCases)
    func degenerateDomains(kind: Kind) throws {
        // Single-value Ray integers and a zero-probability option, through the model too.
        let node: SpaceNode = [
            "r": .randint(3, 4), "l": .lograndint(7, 8),
            "p": HP.pchoice("p", [(0, "never"), (1, "always")]),
            "x": .uniform(0, 1),
        ]
        var s = try Self.make(kind, node, seed: 2, options: .init(nInitialPoints: 2))
        let got = try Self.run(&s, 12) { _, sug in .completed(sug.assignment["x"]!) }
        for sug in got {
            #expect(sug.configuration["r"] == .int(3))
            #expect(sug.configuration["l"] == .int(7))
            #expect(sug.configuration["p"] == "always")
        }
    }

    // MARK: points to evaluate

    @Test(arguments: Kind.allCases)
    func pointsAreHandedOutFirstInOrder(kind: Kind) throws {
        var s = try Self.make(kind, SpaceFixtures.ray, points: [
            ["width": 1, "height": 2, "activation": "relu"],
            ["activation": "tanh", "height": -50, "width": 19.5, "steps": 100],
        ], seed: 3)
        let first = try s.suggest(trialID: "a")
        #expect(first.configuration == ["steps": 100, "width": 1.0, "height": 2.0, "activation": "relu"])
        #expect(first.assignment == ["width": 1, "height": 2, "activation": 0])
        try s.tell(trialID: "a", .completed(1))
        let second = try s.suggest(trialID: "b")
        #expect(second.configuration == ["steps": 100, "width": 19.5, "height": -50.0, "activation": "tanh"])
        #expect(second.assignment == ["width": 19.5, "height": -50, "activation": 1])
        // Then the searcher's own suggestions: the third one is stream 2 of the seed.
        let third = try s.suggest(trialID: "c")
        var fresh = try Self.make(kind, SpaceFixtures.ray, seed: 3)
        let freshThird = try Self.run(&fresh, 3)[2]
        #expect(third.configuration == freshThird.configuration)
        #expect(third.assignment == freshThird.assignment)
        #expect(third.assignment["width"] != 1 && third.assignment["width"] != 19.5)
        // The points are trials like any other.
        let trials = try #require(s.saveState()["trials"]?.arrayValue)
        #expect(trials.map { $0["id"] } == ["a", "b", "c"])
        #expect(trials[0]["state"] == "completed")
        #expect(s.saveState()["points_to_evaluate"] == [])
    }

    @Test(arguments: Kind.allCases)
    func conditionalPointGivenByValue(kind: Kind) throws {
        var s = try Self.make(kind, SpaceFixtures.hyperopt, points: [
            ["activation": ["activation": "relu", "mult": 1.5], "width": 3, "height": 4],
            ["activation": ["activation": "tanh"], "width": 5, "height": 6, "steps": 100],
        ])
        let relu = try s.suggest(trialID: "a")
        #expect(relu.configuration == ["activation": ["activation": "relu", "mult": 1.5], "width": 3.0, "height": 4.0, "steps": 100])
        #expect(relu.assignment == ["activation": 0, "mult": 1.5, "width": 3, "height": 4])
        let tanh = try s.suggest(trialID: "b")
        #expect(tanh.configuration == ["activation": ["activation": "tanh"], "width": 5.0, "height": 6.0, "steps": 100])
        #expect(tanh.assignment == ["activation": 1, "width": 5, "height": 6])
    }

    @Test(arguments: Kind.allCases)
    func partialPointsGetTheirMissingParametersDrawn(kind: Kind) throws {
        let points: [JSONValue] = [
            ["width": 5],
            ["activation": ["activation": "relu"], "width": 1, "height": 1],
            ["activation": ["activation": "tanh"]],
            [:],
        ]
        var s = try Self.make(kind, SpaceFixtures.hyperopt, points: points, seed: 8)
        var twin = try Self.make(kind, SpaceFixtures.hyperopt, points: points, seed: 8)
        let got = try Self.run(&s, 4)
        #expect(try Self.run(&twin, 4) == got)  // the drawn values depend only on the seed
        #expect(got[0].assignment["width"] == 5)
        let h0 = try #require(got[0].assignment["height"])
        #expect(h0 >= -100 && h0 < 100)
        #expect(got[0].assignment["activation"] != nil)
        #expect(got[1].assignment["activation"] == 0)
        let mult = try #require(got[1].assignment["mult"])
        #expect(mult >= 1 && mult < 2)
        #expect(got[1].configuration["activation"] == ["activation": "relu", "mult": .double(mult)])
        #expect(Set(got[2].assignment.keys) == ["activation", "width", "height"])
        #expect(got[2].assignment["activation"] == 1)
        #expect(Set(got[3].assignment.keys).isSuperset(of: ["activation", "width", "height"]))
        let space = try SearchSpace(SpaceFixtures.hyperopt)
        for g in got { #expect(try space.configuration(for: g.assignment) == g.configuration) }
    }

    @Test(arguments: Kind.allCases)
    func invalidPointsAreRejectedAtInit(kind: Kind) {
        let ray: [JSONValue] = [
            ["width": 25],
            ["activation": "sigmoid"],
            ["depth": 3],
            ["width": "wide"],
            ["steps": 99],
            ["width": .double(.nan)],
            [1, 2],
        ]
        for p in ray {
            let e = Self.initError(kind, SpaceFixtures.ray, points: [p])
            guard case .invalidOption(let m) = e else { Issue.record("\(p): got \(String(describing: e))"); continue }
            #expect(m.hasPrefix("points_to_evaluate[0]: "), "\(m)")
        }
        let conditional: [JSONValue] = [
            ["activation": ["activation": "gelu"]],
            ["activation": ["activation": "relu", "mult": 3]],
            ["activation": ["activation": "tanh", "mult": 1.5]],
            ["activation": "relu"],
        ]
        for p in conditional {
            let e = Self.initError(kind, SpaceFixtures.hyperopt, points: [p])
            guard case .invalidOption(let m) = e else { Issue.record("\(p): got \(String(describing: e))"); continue }
            #expect(m.hasPrefix("points_to_evaluate[0]: "), "\(m)")
        }
        // The index names the offending point.
        let e = Self.initError(kind, SpaceFixtures.ray, points: [["width": 1], ["width": 1], ["height": 500]])
        guard case .invalidOption(let m) = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(m.hasPrefix("points_to_evaluate[2]: "))
        #expect(m.contains("500.0"))
    }

    // MARK: errors leave the searcher unchanged

    @Test(arguments: Kind.allCases)
    func errorsLeaveTheSearcherUnchanged(kind: Kind) throws {
        var s = try Self.make(kind, SpaceFixtures.ray, points: [["width": 1, "height": 2, "activation": "relu"], ["width": 3]], seed: 5)
        var twin = try Self.make(kind, SpaceFixtures.ray, points: [["width": 1, "height": 2, "activation": "relu"], ["width": 3]], seed: 5)
        let a = try s.suggest(trialID: "t0")
        #expect(try twin.suggest(trialID: "t0") == a)
        try s.tell(trialID: "t0", .completed(2))
        try twin.tell(trialID: "t0", .completed(2))
        let before = s.saveState()

        func expectError(_ expected: SearchError, _ body: (inout any Searcher) throws(SearchError) -> Void) {
            do {
                try body(&s)
                Issue.record("no error, expected \(expected)")
            } catch {
                #expect(error == expected)
            }
            #expect(s.saveState() == before)
        }
        expectError(.duplicateTrial("t0")) { (s: inout any Searcher) throws(SearchError) in _ = try s.suggest(trialID: "t0") }
        expectError(.unknownTrial("nope")) { (s: inout any Searcher) throws(SearchError) in try s.tell(trialID: "nope", .completed(1)) }
        expectError(.trialAlreadyFinished("t0")) { (s: inout any Searcher) throws(SearchError) in try s.tell(trialID: "t0", .completed(5)) }
        expectError(.trialAlreadyFinished("t0")) { (s: inout any Searcher) throws(SearchError) in try s.tell(trialID: "t0", .failed) }
        expectError(.duplicateTrial("t0")) { (s: inout any Searcher) throws(SearchError) in
            try s.addEvaluated(trialID: "t0", configuration: ["steps": 100, "width": 1, "height": 2, "activation": "relu"], .completed(1))
        }
        do {
            try s.addEvaluated(trialID: "e", configuration: ["width": 1], .completed(1))
            Issue.record("a partial configuration was accepted by addEvaluated")
        } catch {
            guard case .space(.mismatch) = error else { Issue.record("got \(error)"); return }
        }
        #expect(s.saveState() == before)
        do {
            try s.addEvaluated(trialID: "e", configuration: ["steps": 100, "width": 50, "height": 2, "activation": "relu"], .completed(1))
            Issue.record("an out-of-range configuration was accepted by addEvaluated")
        } catch {
            guard case .space = error else { Issue.record("got \(error)"); return }
        }
        #expect(s.saveState() == before)
        // The failed calls consumed nothing: the next suggestions are the twin's (the second point first).
        let next = try s.suggest(trialID: "t1")
        #expect(next == (try twin.suggest(trialID: "t1")))
        #expect(next.assignment["width"] == 3)
        #expect(try s.suggest(trialID: "t2") == (try twin.suggest(trialID: "t2")))
    }

    @Test func errorDescriptions() {
        #expect(SearchError.duplicateTrial("a").description == "trial 'a' was already suggested")
        #expect(SearchError.unknownTrial("a").description == "unknown trial 'a': it was never suggested by this searcher")
        #expect(SearchError.trialAlreadyFinished("a").description == "trial 'a' has already finished")
        #expect(SearchError.invalidOption("m").description == "invalid option: m")
        #expect(SearchError.invalidState("m").description == "invalid saved state: m")
        #expect(SearchError.space(.duplicateLabel("x")).description == "duplicate label 'x': every parameter needs its own label")
    }
}
