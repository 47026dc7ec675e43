#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import SwiftTune

@Suite struct SpaceTests {
    static func spaceError(_ node: SpaceNode) -> SpaceError? {
        do { _ = try SearchSpace(node); return nil } catch { return error }
    }

    static func jsonError(_ text: String) -> SpaceError? {
        do { _ = try SearchSpace(jsonText: text); return nil } catch { return error }
    }

    static func document(_ space: String) -> String {
        #"{"format":"swifttune.space","version":1,"space":"# + space + "}"
    }

    // MARK: building spaces, labels and conditions

    @Test func rayTutorialSpace() throws {
        let space = try SearchSpace(SpaceFixtures.ray)
        #expect(space.parameters.map(\.label) == ["width", "height", "activation"])
        #expect(space.parameters[0].domain == .numeric(Distribution(kind: .tuneUniform, 0, 20)))
        #expect(space.parameters[1].domain == .numeric(Distribution(kind: .tuneUniform, -100, 100)))
        #expect(space.parameters[2].domain == .choice(probabilities: [0.5, 0.5]))
        #expect(space.parameters.allSatisfy { $0.conditions.isEmpty })
        #expect(space.index(of: "activation") == 2)
        #expect(space.index(of: "steps") == nil)
        #expect(space.root == SpaceFixtures.ray)
    }

    @Test func hyperoptTutorialSpace() throws {
        let space = try SearchSpace(SpaceFixtures.hyperopt)
        #expect(space.parameters.map(\.label) == ["activation", "mult", "width", "height"])
        #expect(space.parameters[0].domain == .choice(probabilities: [0.5, 0.5]))
        #expect(space.parameters[1].domain == .numeric(Distribution(kind: .uniform, 1, 2)))
        #expect(space.parameters[0].conditions.isEmpty)
        #expect(space.parameters[1].conditions.map { [$0.parameter, $0.option] } == [[0, 0]])
        #expect(space.parameters[2].conditions.isEmpty && space.parameters[3].conditions.isEmpty)
    }

    @Test func rayPathLabels() throws {
        let space = try SearchSpace([
            "a": ["b": .uniform(0, 1), "c": ["d": .randint(0, 3)]],
            "l": [.uniform(0, 1), ["x": .choice([1, 2])]],
            "k": .choice([.uniform(0, 1), ["y": .uniform(0, 1)], 5]),
        ])
        #expect(space.parameters.map(\.label) == ["a/b", "a/c/d", "l/0", "l/1/x", "k", "k/0", "k/y"])
        let k = try #require(space.index(of: "k"))
        #expect(space.parameters[k + 1].conditions.map { [$0.parameter, $0.option] } == [[k, 0]])
        #expect(space.parameters[k + 2].conditions.map { [$0.parameter, $0.option] } == [[k, 1]])
        #expect(space.parameters[0].conditions.isEmpty)
    }

    @Test func nestedConditionsAccumulate() throws {
        let space = try SearchSpace([
            "outer": HP.choice("outer", [
                ["inner": HP.choice("inner", [["p": HP.uniform("p", 0, 1)], "none"])],
                "flat",
            ]),
            "q": HP.uniform("q", 0, 1),
        ])
        #expect(space.parameters.map(\.label) == ["outer", "inner", "p", "q"])
        #expect(space.parameters[1].conditions.map { [$0.parameter, $0.option] } == [[0, 0]])
        #expect(space.parameters[2].conditions.map { [$0.parameter, $0.option] } == [[0, 0], [1, 0]])
        #expect(space.parameters[3].conditions.isEmpty)
        // A labelled choice's unlabelled children take the choice's label as their path.
        let mixed = try SearchSpace(["x": HP.choice("sel", [["lr": .uniform(0, 1)], .uniform(5, 6)])])
        #expect(mixed.parameters.map(\.label) == ["sel", "sel/lr", "sel/1"])
    }

    @Test func everyKindSpaceLabelsAndConditions() throws {
        let space = try SearchSpace(SpaceFixtures.everyKind)
        #expect(space.parameters.map(\.label) == SpaceFixtures.everyKindLabels)
        var kinds = Set<Distribution.Kind>()
        for p in space.parameters { if case .numeric(let d) = p.domain { kinds.insert(d.kind) } }
        // hyperopt's and Ray's kinds (Optuna's, which only Optuna's TPE takes, are in OptunaTPETests).
        #expect(kinds == Set(Distribution.Kind.allCases.filter { !$0.isOptuna }))
        let pc = try #require(space.index(of: "pc")), act = try #require(space.index(of: "act"))
        #expect(space.parameters[space.index(of: "deep")!].conditions.map { [$0.parameter, $0.option] } == [[pc, 1]])
        #expect(space.parameters[space.index(of: "act/sub")!].conditions.map { [$0.parameter, $0.option] } == [[act, 2]])
        #expect(space.parameters[pc].domain == .choice(probabilities: [0.25, 0.75]))
        #expect(space.parameters[space.index(of: "c")!].domain == .choice(probabilities: Array(repeating: 1.0 / 7, count: 7)))
        #expect(space.parameters.filter { !$0.conditions.isEmpty }.map(\.label) == ["deep", "act/sub"])
    }

    @Test func integerKinds() {
        let integer: Set<Distribution.Kind> = [.randint, .uniformint, .tuneRandint, .tuneQrandint, .tuneLograndint, .tuneQlograndint,
                                               .optunaInt, .optunaIntLog]
        for kind in Distribution.Kind.allCases {
            #expect(kind.isInteger == integer.contains(kind), "\(kind)")
            #expect(Distribution(kind: kind, 1, 2).isInteger == integer.contains(kind))
        }
    }

    // MARK: validation

    static let invalidCases: [(SpaceNode, SpaceError)] = [
        (["x": HP.uniform("x", 1, 1)], SpaceError.invalidDistribution(label: "x", message: "uniform: low (1.0) must be less than high (1.0)")),
        (["x": .uniform(5, 2)], .invalidDistribution(label: "x", message: "tune.uniform: lower (5.0) must be less than upper (2.0)")),
        (["l": HP.loguniform("l", 0, -1)], .invalidDistribution(label: "l", message: "loguniform: low (0.0) must be less than high (-1.0)")),
        (["n": .randint(5, 5)], .invalidDistribution(label: "n", message: "tune.randint: lower (5.0) must be less than upper (5.0), which is excluded")),
        (["r": HP.randint("r", 0)], .invalidDistribution(label: "r", message: "randint: low (0.0) must be less than high (0.0), which is excluded")),
        (["n": HP.normal("n", 0, 0)], .invalidDistribution(label: "n", message: "normal: sigma must be positive, got 0.0")),
        (["n": HP.lognormal("n", 0, -2)], .invalidDistribution(label: "n", message: "lognormal: sigma must be positive, got -2.0")),
        (["n": .randn(0, -1)], .invalidDistribution(label: "n", message: "tune.randn: sd must be positive, got -1.0")),
        (["q": HP.quniform("q", 0, 10, 0)], .invalidDistribution(label: "q", message: "quniform: q must be positive, got 0.0")),
        (["q": .quniform(0, 1, -0.1)], .invalidDistribution(label: "q", message: "tune.quniform: q must be positive, got -0.1")),
        (["q": HP.qnormal("q", 0, 1, .nan)], .invalidDistribution(label: "q", message: "qnormal: q must be a finite number, got nan")),
        (["q": .parameter(label: "q", Distribution(kind: .quniform, 0, 1))], .invalidDistribution(label: "q", message: "quniform: q is required")),
        (["u": .parameter(label: "u", Distribution(kind: .uniform, 0, 1, q: 1))], .invalidDistribution(label: "u", message: "uniform: takes no q")),
        (["u": .parameter(label: nil, Distribution(kind: .tuneUniform, 0, 1, base: 10))], .invalidDistribution(label: "u", message: "tune.uniform: takes no base")),
        (["x": HP.uniform("x", .nan, 1)], .invalidDistribution(label: "x", message: "uniform: low must be a finite number, got nan")),
        (["x": .uniform(0, .infinity)], .invalidDistribution(label: "x", message: "tune.uniform: upper must be a finite number, got inf")),
        (["n": HP.normal("n", -.infinity, 1)], .invalidDistribution(label: "n", message: "normal: mu must be a finite number, got -inf")),
        (["r": .parameter(label: "r", Distribution(kind: .randint, 0.5, 3))], .invalidDistribution(label: "r", message: "randint: low must be an integer, got 0.5")),
        (["t": .parameter(label: nil, Distribution(kind: .tuneRandint, 0, 2.5))], .invalidDistribution(label: "t", message: "tune.randint: upper must be an integer, got 2.5")),
        (["u": .parameter(label: "u", Distribution(kind: .uniformint, 0, 10, q: 0.5))], .invalidDistribution(label: "u", message: "uniformint: q must be an integer, got 0.5")),
        (["l": .loguniform(0, 1)], .invalidDistribution(label: "l", message: "tune.loguniform: lower must be positive for a log distribution, got 0.0")),
        (["l": .loguniform(-1, 1)], .invalidDistribution(label: "l", message: "tune.loguniform: lower must be positive for a log distribution, got -1.0")),
        (["l": .lograndint(0, 10)], .invalidDistribution(label: "l", message: "tune.lograndint: lower must be positive for a log distribution, got 0.0")),
        (["l": .loguniform(1, 10, base: 1)], .invalidDistribution(label: "l", message: "tune.loguniform: base must be positive and not 1, got 1.0")),
        // Draws that would overflow to infinity (found by fuzz_specs: a saved state with lr=Infinity did not restore).
        (["l": HP.loguniform("l", -7, 3.3e79)], .invalidDistribution(label: "l", message: "loguniform: high must be at most 709.782712893384 (exp(high) must be a finite number), got 3.3e+79")),
        (["l": HP.qloguniform("l", 0, 710, 1)], .invalidDistribution(label: "l", message: "qloguniform: high must be at most 709.782712893384 (exp(high) must be a finite number), got 710.0")),
        (["n": HP.lognormal("n", 700, 1)], .invalidDistribution(label: "n", message: "lognormal: mu + 13 * sigma must be at most 709.782712893384 (exp of a draw must be a finite number), got 713.0")),
        (["n": HP.normal("n", 0, 1e308)], .invalidDistribution(label: "n", message: "normal: mu and sigma are too large: draws would overflow to infinity")),
        (["x": HP.uniform("x", -1e308, 1e308)], .invalidDistribution(label: "x", message: "uniform: the range from low to high is too wide: draws would overflow to infinity")),
        (["q": HP.quniform("q", 0, 1e308, 1e-10)], .invalidDistribution(label: "q", message: "quniform: q (1e-10) is too small for the range: quantised draws would overflow to infinity")),
        (["x": HP.uniform("", 0, 1)], .invalidDistribution(label: "", message: "the label must not be empty")),
        (["c": HP.choice("c", [])], .invalidChoice(label: "c", message: "needs at least one option")),
        (["k": .choice([])], .invalidChoice(label: "k", message: "needs at least one option")),
        (["c": HP.choice("", ["a"])], .invalidChoice(label: "", message: "the label must not be empty")),
        (["p": HP.pchoice("p", [(-0.5, "a"), (1.5, "b")])], .invalidChoice(label: "p", message: "probability 0 is -0.5; probabilities must be finite and non-negative")),
        (["p": HP.pchoice("p", [(0.5, "a"), (.infinity, "b")])], .invalidChoice(label: "p", message: "probability 1 is inf; probabilities must be finite and non-negative")),
        (["p": HP.pchoice("p", [(0.5, "a"), (0.4, "b")])], .invalidChoice(label: "p", message: "probabilities sum to 0.9, not 1")),
        (["p": HP.pchoice("p", [(0.7, "a"), (0.7, "b")])], .invalidChoice(label: "p", message: "probabilities sum to 1.4, not 1")),
        (["p": .choice(.init(label: "p", options: ["a", "b"], probabilities: [1]))], .invalidChoice(label: "p", message: "has 2 options but 1 probabilities")),
        (["a": HP.uniform("x", 0, 1), "b": HP.uniform("x", 0, 2)], .duplicateLabel("x")),
        (["a/b": .uniform(0, 1), "a": ["b": .uniform(0, 1)]], .duplicateLabel("a/b")),
        (["c": HP.choice("c", [["m": HP.uniform("m", 0, 1)], ["m": HP.uniform("m", 0, 2)]])], .duplicateLabel("m")),
        (["c": HP.choice("x", ["a"]), "d": HP.uniform("x", 0, 1)], .duplicateLabel("x")),
        (.uniform(0, 1), .invalidJSON(path: "$", message: "a parameter at the top of the space needs a label")),
        (.choice(["a", "b"]), .invalidJSON(path: "$", message: "a choice at the top of the space needs a label")),
        (.dict([.init("a", 1), .init("a", 2)]), .invalidJSON(path: "$", message: "duplicate key 'a'")),
        (["o": .dict([.init("a", 1), .init("a", 2)])], .invalidJSON(path: "o", message: "duplicate key 'a'")),
    ]

    @Test(arguments: SpaceTests.invalidCases)
    func invalidSpaces(node: SpaceNode, error: SpaceError) {
        #expect(Self.spaceError(node) == error)
    }

    @Test func validBoundaryCases() throws {
        // Accepted: a pchoice whose probabilities sum to 1 up to rounding, a zero probability,
        // a single option, a labelled parameter at the top, a single-value Ray randint.
        _ = try SearchSpace(["p": HP.pchoice("p", [(0.1, "a"), (0.2, "b"), (0.7, "c")])])
        _ = try SearchSpace(["p": HP.pchoice("p", [(0, "a"), (1, "b")])])
        _ = try SearchSpace(["c": HP.choice("c", ["only"])])
        _ = try SearchSpace(HP.uniform("top", 0, 1))
        _ = try SearchSpace(["r": .randint(3, 4), "l": .lograndint(3, 4)])
        _ = try SearchSpace(["l": .loguniform(1e-9, 1e-8, base: 10)])
        #expect(try SearchSpace(HP.uniform("top", 0, 1)).configuration(for: ["top": 0.5]) == .double(0.5))
    }

    @Test func errorDescriptions() {
        #expect(SpaceError.invalidDistribution(label: "x", message: "m").description == "parameter 'x': m")
        #expect(SpaceError.invalidChoice(label: "c", message: "m").description == "choice 'c': m")
        #expect(SpaceError.duplicateLabel("x").description == "duplicate label 'x': every parameter needs its own label")
        #expect(SpaceError.invalidJSON(path: "$.a", message: "m").description == "invalid search space at $.a: m")
        #expect(SpaceError.mismatch(path: "w", message: "m").description == "w: m")
        #expect(Self.spaceError(["x": HP.uniform("x", 1, 0)])?.description == "parameter 'x': uniform: low (1.0) must be less than high (0.0)")
    }

    // MARK: configurations and assignments

    @Test func configurationAndAssignmentRay() throws {
        let space = try SearchSpace(SpaceFixtures.ray)
        let assignment: [String: Double] = ["width": 1.5, "height": -3, "activation": 1]
        let config = try space.configuration(for: assignment)
        #expect(config == ["steps": 100, "width": 1.5, "height": -3.0, "activation": "tanh"])
        #expect(try space.assignment(of: config) == assignment)
        #expect(try space.assignment(of: ["steps": 100, "width": 0, "height": 99.5, "activation": "relu"])
            == ["width": 0, "height": 99.5, "activation": 0])
    }

    @Test func configurationAndAssignmentConditional() throws {
        let space = try SearchSpace(SpaceFixtures.hyperopt)
        let relu = try space.configuration(for: ["activation": 0, "mult": 1.25, "width": 2, "height": 3])
        #expect(relu == ["activation": ["activation": "relu", "mult": 1.25], "width": 2.0, "height": 3.0, "steps": 100])
        #expect(try space.assignment(of: relu) == ["activation": 0, "mult": 1.25, "width": 2, "height": 3])
        // An inactive parameter's value is ignored; the assignment of the result leaves it out.
        let tanh = try space.configuration(for: ["activation": 1, "mult": 1.25, "width": 2, "height": 3])
        #expect(tanh == ["activation": ["activation": "tanh"], "width": 2.0, "height": 3.0, "steps": 100])
        #expect(try space.assignment(of: tanh) == ["activation": 1, "width": 2, "height": 3])
        #expect(try space.configuration(for: ["activation": 1, "width": 2, "height": 3]) == tanh)
    }

    @Test func configurationErrors() throws {
        let space = try SearchSpace(SpaceFixtures.hyperopt)
        func error(_ a: [String: Double]) -> SpaceError? {
            do { _ = try space.configuration(for: a); return nil } catch { return error }
        }
        #expect(error(["activation": 0, "width": 2, "height": 3]) == .mismatch(path: "mult", message: "no value for this active parameter"))
        #expect(error(["activation": 1, "height": 3]) == .mismatch(path: "width", message: "no value for this active parameter"))
        #expect(error(["activation": 1, "width": 25, "height": 3]) == .mismatch(path: "width", message: "25.0 is not a value of uniform(0.0, 20.0)"))
        #expect(error(["activation": 0, "mult": 2.5, "width": 1, "height": 3]) == .mismatch(path: "mult", message: "2.5 is not a value of uniform(1.0, 2.0)"))
        #expect(error(["activation": 2, "width": 2, "height": 3]) == .mismatch(path: "activation", message: "option index 2.0 is not in 0..<2"))
        #expect(error(["activation": 0.5, "width": 2, "height": 3]) != nil)
        #expect(error(["activation": -1, "width": 2, "height": 3]) != nil)
        #expect(error(["activation": 1, "width": .nan, "height": 3]) != nil)
        let ints = try SearchSpace(["r": HP.randint("r", 10), "t": .randint(0, 10)])
        do { _ = try ints.configuration(for: ["r": 2.5, "t": 1]); Issue.record("2.5 accepted for randint") } catch {}
        do { _ = try ints.configuration(for: ["r": 10, "t": 1]); Issue.record("randint's excluded upper bound accepted") } catch {}
        do { _ = try ints.configuration(for: ["r": 1, "t": 10]); Issue.record("tune.randint's excluded upper bound accepted") } catch {}
    }

    @Test func assignmentErrors() throws {
        let space = try SearchSpace(SpaceFixtures.hyperopt)
        func fails(_ c: JSONValue) -> Bool { (try? space.assignment(of: c)) == nil }
        #expect(fails(["activation": ["activation": "gelu"], "width": 1, "height": 1, "steps": 100]))
        #expect(fails(["activation": ["activation": "tanh", "mult": 1.5], "width": 1, "height": 1, "steps": 100]))
        #expect(fails(["activation": ["activation": "relu"], "width": 1, "height": 1, "steps": 100]))  // mult missing
        #expect(fails(["activation": ["activation": "tanh"], "width": 1, "height": 1, "steps": 99]))
        #expect(fails(["activation": ["activation": "tanh"], "width": "1", "height": 1, "steps": 100]))
        #expect(fails(["activation": ["activation": "tanh"], "width": 1, "height": 1, "steps": 100, "depth": 3]))
        #expect(fails([1, 2]))
        #expect(!fails(["activation": ["activation": "tanh"], "width": 1, "height": 1, "steps": 100]))
        // 100 and 100.0 are the same constant.
        #expect(!fails(["activation": ["activation": "tanh"], "width": 1, "height": 1, "steps": 100.0]))
    }

    @Test func integerKindsGiveIntValues() throws {
        let space = try SearchSpace(SpaceFixtures.everyKind)
        let s = try #require(SpaceFixtures.randomSuggestions(SpaceFixtures.everyKind, n: 1, seed: 1).first)
        var a = s.assignment
        a["ri"] = 7; a["ri2"] = -3; a["ui"] = 4
        a["tune/ri"] = 9; a["tune/qri"] = 20; a["tune/lri"] = 999; a["tune/qlri"] = 64
        a["qln"] = 3; a["u"] = 0
        let c = try space.configuration(for: a)
        #expect(c["ri"] == .int(7))
        #expect(c["ri2"] == .int(-3))
        #expect(c["ui"] == .int(4))
        #expect(c["tune"]?["ri"] == .int(9))
        #expect(c["tune"]?["qri"] == .int(20))
        #expect(c["tune"]?["lri"] == .int(999))
        #expect(c["tune"]?["qlri"] == .int(64))
        // Non-integer kinds give doubles even for integral values (as hyperopt returns floats).
        #expect(c["qln"] == .double(3))
        #expect(c["u"] == .double(0))
        #expect(Set(a.keys) == Set(s.assignment.keys))  // only unconditional values were changed
        #expect(try space.assignment(of: c) == a)
    }
}
