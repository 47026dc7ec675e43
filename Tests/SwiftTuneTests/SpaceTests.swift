#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import SwiftTune

/// Search spaces shared by the space and searcher tests.
enum SpaceFixtures {
    /// The seed tutorial's space, Ray Tune style (labels are dictionary paths).
    static let ray: SpaceNode = [
        "steps": 100,
        "width": .uniform(0, 20),
        "height": .uniform(-100, 100),
        "activation": .choice(["relu", "tanh"]),
    ]

    /// The seed tutorial's space, hyperopt style, with a conditional parameter.
    static let hyperopt: SpaceNode = [
        "activation": HP.choice("activation", [
            ["activation": "relu", "mult": HP.uniform("mult", 1, 2)],
            ["activation": "tanh"],
        ]),
        "width": HP.uniform("width", 0, 20),
        "height": HP.uniform("height", -100, 100),
        "steps": 100,
    ]

    /// Every distribution kind, every kind of choice, constants of every JSON type (arrays and
    /// objects included), nested dicts and lists.
    static let everyKind: SpaceNode = [
        "u": HP.uniform("u", -1, 1),
        "qu": HP.quniform("qu", 0, 10, 0.5),
        "lu": HP.loguniform("lu", -3, 0),
        "qlu": HP.qloguniform("qlu", 0, 3, 2),
        "n": HP.normal("n", 4, 7),
        "qn": HP.qnormal("qn", 0, 10, 2),
        "ln": HP.lognormal("ln", -2, 2),
        "qln": HP.qlognormal("qln", 0, 2, 1),
        "ri": HP.randint("ri", 10),
        "ri2": HP.randint("ri2", -3, 4),
        "ui": HP.uniformint("ui", 1, 9, q: 2),
        "tune": [
            "u": .uniform(0, 20),
            "qu": .quniform(0, 1, 0.1),
            "lu": .loguniform(1e-4, 1e-1),
            "qlu": .qloguniform(1, 100, 5, base: 10),
            "rn": .randn(),
            "qrn": .qrandn(1, 2, 0.25),
            "ri": .randint(0, 10),
            "qri": .qrandint(0, 20, 5),
            "lri": .lograndint(1, 1000, base: 2),
            "qlri": .qlograndint(2, 64, 2),
        ],
        "c": HP.choice("c", ["a", 1, 2.5, true, nil, .constant([1, "x"]), .constant(["k": [1, 2]])]),
        "pc": HP.pchoice("pc", [(0.25, "small"), (0.75, ["deep": HP.uniform("deep", 0, 1), "tag": "big"])]),
        "act": .choice(["relu", "tanh", ["sub": .uniform(0, 1)]]),
        "list": [1, .uniform(-1, 1), [2.5, "s"]],
        "consts": ["int": 100, "double": 0.1, "big": 9_223_372_036_854_775_807, "bool": false, "null": nil, "str": "s"],
    ]

    static let everyKindLabels = [
        "u", "qu", "lu", "qlu", "n", "qn", "ln", "qln", "ri", "ri2", "ui",
        "tune/u", "tune/qu", "tune/lu", "tune/qlu", "tune/rn", "tune/qrn", "tune/ri", "tune/qri", "tune/lri", "tune/qlri",
        "c", "pc", "deep", "act", "act/sub", "list/1",
    ]

    /// `n` suggestions of a random search.
    static func randomSuggestions(_ node: SpaceNode, n: Int, seed: UInt64) throws -> [Suggestion] {
        var search = try RandomSearch(space: SearchSpace(node), seed: seed)
        return try (0..<n).map { i in try search.suggest(trialID: "t\(i)") }
    }
}

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
        #expect(kinds == Set(Distribution.Kind.allCases))
        let pc = try #require(space.index(of: "pc")), act = try #require(space.index(of: "act"))
        #expect(space.parameters[space.index(of: "deep")!].conditions.map { [$0.parameter, $0.option] } == [[pc, 1]])
        #expect(space.parameters[space.index(of: "act/sub")!].conditions.map { [$0.parameter, $0.option] } == [[act, 2]])
        #expect(space.parameters[pc].domain == .choice(probabilities: [0.25, 0.75]))
        #expect(space.parameters[space.index(of: "c")!].domain == .choice(probabilities: Array(repeating: 1.0 / 7, count: 7)))
        #expect(space.parameters.filter { !$0.conditions.isEmpty }.map(\.label) == ["deep", "act/sub"])
    }

    @Test func integerKinds() {
        let integer: Set<Distribution.Kind> = [.randint, .uniformint, .tuneRandint, .tuneQrandint, .tuneLograndint, .tuneQlograndint]
        for kind in Distribution.Kind.allCases {
            #expect(kind.isInteger == integer.contains(kind), "\(kind)")
            #expect(Distribution(kind: kind, 1, 2).isInteger == integer.contains(kind))
        }
    }

    // MARK: JSON form

    @Test func rayTutorialJSONText() throws {
        let space = try SearchSpace(SpaceFixtures.ray)
        let text = #"{"format":"swifttune.space","version":1,"space":{"type":"dict","items":{"steps":100,"width":{"type":"tune.uniform","lower":0.0,"upper":20.0},"height":{"type":"tune.uniform","lower":-100.0,"upper":100.0},"activation":{"type":"tune.choice","categories":["relu","tanh"]}}}}"#
        #expect(space.json.serialized() == text)
        #expect(try SearchSpace(jsonText: text) == space)
    }

    @Test func hyperoptTutorialJSONText() throws {
        let space = try SearchSpace(SpaceFixtures.hyperopt)
        let text = #"{"format":"swifttune.space","version":1,"space":{"type":"dict","items":{"activation":{"type":"choice","label":"activation","options":[{"type":"dict","items":{"activation":"relu","mult":{"type":"uniform","label":"mult","low":1.0,"high":2.0}}},{"type":"dict","items":{"activation":"tanh"}}]},"width":{"type":"uniform","label":"width","low":0.0,"high":20.0},"height":{"type":"uniform","label":"height","low":-100.0,"high":100.0},"steps":100}}}"#
        #expect(space.json.serialized() == text)
        let back = try SearchSpace(jsonText: text)
        #expect(back == space)
        #expect(back.parameters == space.parameters)
    }

    @Test(arguments: ["ray", "hyperopt", "everyKind"])
    func jsonRoundTrips(name: String) throws {
        let node = ["ray": SpaceFixtures.ray, "hyperopt": SpaceFixtures.hyperopt, "everyKind": SpaceFixtures.everyKind][name]!
        let space = try SearchSpace(node)
        let fromJSON = try SearchSpace(json: space.json)
        #expect(fromJSON == space)
        #expect(fromJSON.root == node)
        #expect(fromJSON.parameters == space.parameters)
        let fromText = try SearchSpace(jsonText: space.json.serialized())
        #expect(fromText == space)
        #expect(fromText.parameters == space.parameters)
        let fromPretty = try SearchSpace(jsonText: space.json.serialized(pretty: true))
        #expect(fromPretty == space)
        #expect(fromText.json.serialized() == space.json.serialized())
    }

    @Test func constantListsAndListsOfConstantsStayDistinct() throws {
        let a = try SearchSpace(["x": .constant([1, 2])])
        let b = try SearchSpace(["x": [1, 2]])
        #expect(a != b)
        #expect(a.json["space"]?["items"]?["x"] == ["type": "const", "value": [1, 2]])
        #expect(b.json["space"]?["items"]?["x"] == ["type": "list", "items": [1, 2]])
        #expect(try SearchSpace(json: a.json) == a)
        #expect(try SearchSpace(json: b.json) == b)
        #expect(try SearchSpace(json: a.json) != b)
        // Both give the same configuration.
        #expect(try a.configuration(for: [:]) == ["x": [1, 2]])
        #expect(try b.configuration(for: [:]) == ["x": [1, 2]])
        // A constant object is wrapped too, so it is not read as a node.
        let o = try SearchSpace(["x": .constant(["type": "uniform", "low": 0])])
        #expect(try SearchSpace(jsonText: o.json.serialized()) == o)
        #expect(try o.configuration(for: [:]) == ["x": ["type": "uniform", "low": 0]])
    }

    @Test func integerArgumentsAreWrittenAsIntegers() throws {
        let space = try SearchSpace(["r": HP.randint("r", -3, 4), "q": .qrandint(0, 20, 5), "u": HP.uniform("u", 0, 1)])
        let items = try #require(space.json["space"]?["items"])
        #expect(items["r"] == ["type": "randint", "label": "r", "low": -3, "high": 4])
        #expect(items["q"] == ["type": "tune.qrandint", "lower": 0, "upper": 20, "q": 5])
        #expect(items["u"] == ["type": "uniform", "label": "u", "low": 0.0, "high": 1.0])
    }

    @Test func jsonDefaultsAndLenientNumbers() throws {
        let text = Self.document(#"""
            {"type":"dict","items":{
              "r":{"type":"randint","label":"r","high":5},
              "n":{"type":"tune.randn"},
              "ui":{"type":"uniformint","label":"ui","low":1,"high":9},
              "qri":{"type":"tune.qrandint","lower":0,"upper":10},
              "ri":{"type":"tune.randint","lower":0.0,"upper":3.0},
              "c":{"type":"tune.choice","categories":[1,{"type":"const","value":{"a":1}}]}
            }}
            """#)
        let expected: SpaceNode = [
            "r": HP.randint("r", 5),
            "n": .randn(),
            "ui": HP.uniformint("ui", 1, 9),
            "qri": .qrandint(0, 10),
            "ri": .randint(0, 3),
            "c": .choice([1, .constant(["a": 1])]),
        ]
        #expect(try SearchSpace(jsonText: text) == SearchSpace(expected))
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

    @Test func validationAlsoAppliesToJSONSpaces() {
        #expect(Self.jsonError(Self.document(#"{"type":"uniform","label":"x","low":1,"high":0}"#))
            == .invalidDistribution(label: "x", message: "uniform: low (1.0) must be less than high (0.0)"))
        #expect(Self.jsonError(Self.document(#"{"type":"dict","items":{"x":{"type":"tune.uniform","lower":NaN,"upper":1}}}"#))
            == .invalidDistribution(label: "x", message: "tune.uniform: lower must be a finite number, got nan"))
        #expect(Self.jsonError(Self.document(#"{"type":"dict","items":{"p":{"type":"pchoice","label":"p","options":["a","b"],"p":[0.5]}}}"#))
            == .invalidChoice(label: "p", message: "has 2 options but 1 probabilities"))
    }

    @Test(arguments: [
        (#"{"version":1,"space":1}"#, "$.format", #"expected "swifttune.space""#),
        (#"{"format":"other","version":1,"space":1}"#, "$.format", #"expected "swifttune.space""#),
        (#"{"format":"swifttune.space","space":1}"#, "$.version", "expected an integer version"),
        (#"{"format":"swifttune.space","version":"1","space":1}"#, "$.version", "expected an integer version"),
        (#"{"format":"swifttune.space","version":2,"space":1}"#, "$.version", "version 2 is not supported (this library reads version 1)"),
        (#"{"format":"swifttune.space","version":1}"#, "$", "missing 'space'"),
        (#"{"format":"swifttune.space","version":1,"space":1,"comment":"x"}"#, "$", "unknown key 'comment'"),
        ("[1]", "$", "expected an object"),
        ("3", "$", "expected an object"),
        (#"{"format":"swifttune.space","version":1,"space":[1]}"#, "$.space", "a list must be written"),
        ("{", "$", "invalid JSON at byte 1"),
        (#"{"format":"swifttune.space","format":"swifttune.space","version":1,"space":1}"#, "$", "invalid JSON at byte"),
    ])
    func malformedDocuments(text: String, path: String, message: String) {
        let error = Self.jsonError(text)
        guard case let .invalidJSON(p, m) = error else {
            Issue.record("expected invalidJSON, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(m.hasPrefix(message), "\(m)")
    }

    @Test(arguments: [
        (#"{"x":{"type":"gaussian","mu":0}}"#, "$.space.items.x", "unknown type 'gaussian'"),
        (#"{"x":{"type":"uniform","label":"x","low":0,"high":1,"sigma":1}}"#, "$.space.items.x", "unknown key 'sigma' for type 'uniform'"),
        (#"{"x":{"type":"tune.uniform","lower":0,"upper":1,"q":1}}"#, "$.space.items.x", "unknown key 'q' for type 'tune.uniform'"),
        (#"{"x":{"type":"tune.uniform","lower":0,"upper":1,"base":10}}"#, "$.space.items.x", "unknown key 'base' for type 'tune.uniform'"),
        (#"{"x":{"type":"tune.choice","options":[1]}}"#, "$.space.items.x", "unknown key 'options' for type 'tune.choice'"),
        (#"{"x":{"type":"dict","items":{},"label":"x"}}"#, "$.space.items.x", "unknown key 'label' for type 'dict'"),
        (#"{"x":{"type":"uniform","low":0,"high":1}}"#, "$.space.items.x", #"'uniform' needs a "label""#),
        (#"{"x":{"type":"randint","high":3}}"#, "$.space.items.x", #"'randint' needs a "label""#),
        (#"{"x":{"type":"normal","mu":0,"sigma":1}}"#, "$.space.items.x", #"'normal' needs a "label""#),
        (#"{"x":{"type":"choice","options":[1]}}"#, "$.space.items.x", #"'choice' needs a "label""#),
        (#"{"x":{"type":"pchoice","options":[1],"p":[1]}}"#, "$.space.items.x", #"'pchoice' needs a "label""#),
        (#"{"x":{"type":"uniform","label":1,"low":0,"high":1}}"#, "$.space.items.x", #""label" must be a string"#),
        (#"{"x":[1,2]}"#, "$.space.items.x", "a list must be written"),
        (#"{"x":{"a":1}}"#, "$.space.items.x", #"an object node needs a string "type""#),
        (#"{"x":{"type":1}}"#, "$.space.items.x", #"an object node needs a string "type""#),
        (#"{"x":{"type":"tune.uniform","lower":0}}"#, "$.space.items.x", #"'tune.uniform' needs "upper""#),
        (#"{"x":{"type":"uniform","label":"x","low":"0","high":1}}"#, "$.space.items.x", #""low" must be a number, got "0""#),
        (#"{"x":{"type":"randint","label":"x","low":0.5,"high":3}}"#, "$.space.items.x", #""low" must be an integer for 'randint', got 0.5"#),
        (#"{"x":{"type":"tune.qrandint","lower":0,"upper":10,"q":2.5}}"#, "$.space.items.x", #""q" must be an integer for 'tune.qrandint', got 2.5"#),
        (#"{"x":{"type":"dict","items":[1]}}"#, "$.space.items.x", #"'dict' needs an object "items""#),
        (#"{"x":{"type":"list","items":{}}}"#, "$.space.items.x", #"'list' needs an array "items""#),
        (#"{"x":{"type":"const"}}"#, "$.space.items.x", #"'const' needs a "value""#),
        (#"{"x":{"type":"choice","label":"c"}}"#, "$.space.items.x", #"'choice' needs an array "options""#),
        (#"{"x":{"type":"pchoice","label":"c","options":[1]}}"#, "$.space.items.x", #"'pchoice' needs an array "p" of probabilities"#),
        (#"{"x":{"type":"pchoice","label":"c","options":[1],"p":["1"]}}"#, "$.space.items.x", #""p" must hold numbers"#),
        (#"{"l":{"type":"list","items":[1,{"type":"bogus"}]}}"#, "$.space.items.l.items[1]", "unknown type 'bogus'"),
        (#"{"c":{"type":"choice","label":"c","options":[{"type":"dict","items":{"z":{"type":"nope"}}}]}}"#, "$.space.items.c.options[0].items.z", "unknown type 'nope'"),
        (#"{"k":{"type":"tune.choice","categories":["a",[1]]}}"#, "$.space.items.k.categories[1]", "a list must be written"),
    ])
    func malformedNodes(items: String, path: String, message: String) {
        let error = Self.jsonError(Self.document(#"{"type":"dict","items":"# + items + "}"))
        guard case let .invalidJSON(p, m) = error else {
            Issue.record("expected invalidJSON, got \(String(describing: error))")
            return
        }
        #expect(p == path)
        #expect(m.hasPrefix(message), "\(m)")
    }

    @Test func nodeJSONReadsAPlainNode() throws {
        #expect(try SpaceNode(json: ["type": "tune.uniform", "lower": 0, "upper": 1]) == .uniform(0, 1))
        #expect(try SpaceNode(json: "relu") == "relu")
        #expect(try SpaceNode(json: 3) == 3)
        do {
            _ = try SpaceNode(json: [1], path: "$.here")
            Issue.record("a bare array was accepted")
        } catch {
            guard case .invalidJSON(let path, _) = error else { Issue.record("\(error)"); return }
            #expect(path == "$.here")
        }
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

    // MARK: random draws from every distribution

    static func values(_ s: [Suggestion], _ label: String) -> [Double] { s.compactMap { $0.assignment[label] } }

    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

    static func sd(_ x: [Double]) -> Double {
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    static func isMultiple(_ x: Double, of q: Double) -> Bool { abs(x / q - (x / q).rounded()) < 1e-9 }

    /// `p` within 5 standard errors of the observed fraction.
    static func fractionNear(_ count: Int, _ n: Int, _ p: Double) -> Bool {
        abs(Double(count) / Double(n) - p) < 5 * (p * (1 - p) / Double(n)).squareRoot()
    }

    @Test func randomDrawsFollowEachDistribution() throws {
        let n = 4000
        let s = try SpaceFixtures.randomSuggestions(SpaceFixtures.everyKind, n: n, seed: 2024)

        // hyperopt kinds
        let u = Self.values(s, "u")
        #expect(u.count == n && u.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(abs(Self.mean(u)) < 5 * 2 / (12 * Double(n)).squareRoot())

        let qu = Self.values(s, "qu")
        #expect(qu.allSatisfy { $0 >= 0 && $0 <= 10 && Self.isMultiple($0, of: 0.5) })
        #expect(qu.contains(0) && qu.contains(10))

        let lu = Self.values(s, "lu")
        #expect(lu.allSatisfy { $0 >= exp(-3) && $0 <= 1 })  // [e^low, e^high]
        #expect(abs(Self.mean(lu.map { log($0) }) + 1.5) < 5 * 3 / (12 * Double(n)).squareRoot())

        #expect(Self.values(s, "qlu").allSatisfy { $0 >= 0 && $0 <= 20 && Self.isMultiple($0, of: 2) })

        let normal = Self.values(s, "n")
        #expect(abs(Self.mean(normal) - 4) < 5 * 7 / Double(n).squareRoot())
        #expect(abs(Self.sd(normal) - 7) < 5 * 7 / (2 * Double(n)).squareRoot())

        #expect(Self.values(s, "qn").allSatisfy { Self.isMultiple($0, of: 2) })

        let ln = Self.values(s, "ln")
        #expect(ln.allSatisfy { $0 > 0 })
        let logs = ln.map { log($0) }
        #expect(abs(Self.mean(logs) + 2) < 5 * 2 / Double(n).squareRoot())
        #expect(abs(Self.sd(logs) - 2) < 5 * 2 / (2 * Double(n)).squareRoot())

        #expect(Self.values(s, "qln").allSatisfy { $0 >= 0 && $0 == $0.rounded() })

        #expect(Set(Self.values(s, "ri")) == Set((0..<10).map(Double.init)))
        #expect(Set(Self.values(s, "ri2")) == Set((-3..<4).map(Double.init)))
        #expect(Set(Self.values(s, "ui")) == [2, 4, 6, 8])

        // Ray Tune kinds
        let tu = Self.values(s, "tune/u")
        #expect(tu.allSatisfy { $0 >= 0 && $0 < 20 })
        #expect(abs(Self.mean(tu) - 10) < 5 * 20 / (12 * Double(n)).squareRoot())

        let tqu = Self.values(s, "tune/qu")
        #expect(tqu.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-12 && Self.isMultiple($0, of: 0.1) })

        let tlu = Self.values(s, "tune/lu")
        #expect(tlu.allSatisfy { $0 >= 1e-4 && $0 < 1e-1 })  // [lower, upper): plain bounds
        #expect(Self.fractionNear(tlu.filter { $0 < 1e-3 }.count, n, 1.0 / 3))

        #expect(Self.values(s, "tune/qlu").allSatisfy { $0 >= 0 && $0 <= 100 && Self.isMultiple($0, of: 5) })

        let rn = Self.values(s, "tune/rn")
        #expect(abs(Self.mean(rn)) < 5 / Double(n).squareRoot())
        #expect(abs(Self.sd(rn) - 1) < 5 / (2 * Double(n)).squareRoot())

        let qrn = Self.values(s, "tune/qrn")
        #expect(qrn.allSatisfy { Self.isMultiple($0, of: 0.25) })
        #expect(abs(Self.mean(qrn) - 1) < 5 * 2 / Double(n).squareRoot() + 0.01)

        #expect(Set(Self.values(s, "tune/ri")) == Set((0..<10).map(Double.init)))  // upper excluded, all hit
        #expect(Set(Self.values(s, "tune/qri")) == [0, 5, 10, 15, 20])  // upper included

        let lri = Self.values(s, "tune/lri")
        #expect(lri.allSatisfy { $0 >= 1 && $0 < 1000 && $0 == $0.rounded() })
        #expect(lri.contains(1))
        #expect(Self.fractionNear(lri.filter { $0 < 10 }.count, n, 1.0 / 3))

        let qlri = Self.values(s, "tune/qlri")
        #expect(qlri.allSatisfy { $0 >= 2 && $0 <= 64 && Self.isMultiple($0, of: 2) })

        // Choices: uniform over options, pchoice by its probabilities.
        let c = Self.values(s, "c")
        for k in 0..<7 { #expect(Self.fractionNear(c.filter { $0 == Double(k) }.count, n, 1.0 / 7), "option \(k)") }
        let pc = Self.values(s, "pc")
        #expect(Self.fractionNear(pc.filter { $0 == 0 }.count, n, 0.25))
        let act = Self.values(s, "act")
        for k in 0..<3 { #expect(Self.fractionNear(act.filter { $0 == Double(k) }.count, n, 1.0 / 3)) }
        let listParam = Self.values(s, "list/1")
        #expect(listParam.count == n && listParam.allSatisfy { $0 >= -1 && $0 < 1 })
    }

    @Test func randomConfigurationsMatchTheirAssignments() throws {
        let space = try SearchSpace(SpaceFixtures.everyKind)
        let s = try SpaceFixtures.randomSuggestions(SpaceFixtures.everyKind, n: 300, seed: 77)
        for sug in s {
            #expect(try space.configuration(for: sug.assignment) == sug.configuration)
            #expect(try space.assignment(of: sug.configuration) == sug.assignment)
            let c = sug.configuration
            // Conditional parameters are present exactly in their branch.
            #expect((sug.assignment["deep"] != nil) == (sug.assignment["pc"] == 1))
            #expect((sug.assignment["act/sub"] != nil) == (sug.assignment["act"] == 2))
            #expect(c["pc"] == (sug.assignment["pc"] == 0 ? "small" : ["deep": .double(sug.assignment["deep"] ?? -1), "tag": "big"]))
            let options: [JSONValue] = ["a", 1, 2.5, true, nil, [1, "x"], ["k": [1, 2]]]
            #expect(c["c"] == options[Int(sug.assignment["c"]!)])
            #expect(c["consts"] == ["int": 100, "double": 0.1, "big": .int(.max), "bool": false, "null": nil, "str": "s"])
            #expect(c["list"] == [1, .double(sug.assignment["list/1"]!), [2.5, "s"]])
            for key in ["ri", "ri2", "ui"] {
                guard case .int = c[key] else { Issue.record("\(key) is \(String(describing: c[key]))"); continue }
            }
            for key in ["ri", "qri", "lri", "qlri"] {
                guard case .int = c["tune"]?[key] else { Issue.record("tune/\(key) is not an int"); continue }
            }
            guard case .double = c["qln"] else { Issue.record("qln is not a double"); continue }
        }
    }

    @Test func conditionalParametersOnlyInTheirBranch() throws {
        let s = try SpaceFixtures.randomSuggestions(SpaceFixtures.hyperopt, n: 400, seed: 5)
        var relu = 0
        for sug in s {
            let keys = Set(sug.assignment.keys)
            if sug.assignment["activation"] == 0 {
                relu += 1
                #expect(keys == ["activation", "mult", "width", "height"])
                let mult = try #require(sug.configuration["activation"]?["mult"]?.doubleValue)
                #expect(mult >= 1 && mult < 2)
                #expect(sug.configuration["activation"]?["activation"] == "relu")
            } else {
                #expect(keys == ["activation", "width", "height"])
                #expect(sug.configuration["activation"] == ["activation": "tanh"])
            }
            #expect(sug.configuration["steps"] == 100)
            #expect(sug.configuration.objectValue?.map(\.0) == ["activation", "width", "height", "steps"])
        }
        #expect(Self.fractionNear(relu, s.count, 0.5))
    }

    @Test func rayQrandintIncludesUpperOnlyWhenReachable() throws {
        let s = try SpaceFixtures.randomSuggestions(["a": .qrandint(0, 10, 2), "b": .qrandint(-4, 4)], n: 1500, seed: 3)
        #expect(Set(Self.values(s, "a")) == [0, 2, 4, 6, 8, 10])
        #expect(Set(Self.values(s, "b")) == Set((-4...4).map(Double.init)))
    }
}
