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
