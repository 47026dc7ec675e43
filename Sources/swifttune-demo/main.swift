// `make demo`: the seed tutorial ("Running Tune experiments with HyperOpt") in native Swift.
// Both of its experiments run with swifttune's TPE: the Ray-style space with two points to
// evaluate first, and hyperopt's conditional space. The objective is the tutorial's, evaluated at
// its last step (the value Ray Tune ranks trials by), without the sleep.
#if canImport(Glibc)
import Glibc
#endif
import SwiftTune

func evaluate(step: Int, width: Double, height: Double, mult: Double = 1) -> Double {
    1 / (0.1 + width * Double(step) / 100) + height * 0.1 * mult
}

/// The tutorial's objective: `steps` reports, the last one is the trial's result.
func objective(_ config: JSONValue) -> Double {
    let steps = Int(config["steps"]?.intValue ?? 100)
    let width = config["width"]?.doubleValue ?? 0
    let height = config["height"]?.doubleValue ?? 0
    let mult = config["activation"]?["mult"]?.doubleValue ?? 1
    var score = Double.nan
    for step in 0..<steps { score = evaluate(step: step, width: width, height: height, mult: mult) }
    return score
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// Runs `numSamples` trials with TPE and prints the best configuration, as the tutorial does.
func tune(_ title: String, space: SpaceNode, points: [JSONValue] = [], numSamples: Int = 1000) throws {
    var search = try TPESearch(space: SearchSpace(space), mode: .min, pointsToEvaluate: points, seed: 2026)
    var best: (loss: Double, config: JSONValue)? = nil
    let clock = ContinuousClock()
    let start = clock.now
    for n in 0..<numSamples {
        let s = try search.suggest(trialID: "objective_\(n)")
        let loss = objective(s.configuration)
        try search.tell(trialID: s.trialID, .completed(loss))
        if best == nil || loss < best!.loss { best = (loss, s.configuration) }
    }
    let elapsed = seconds(clock.now - start)
    print("== \(title): \(numSamples) trials in \(String(format3(elapsed))) s")
    if let best {
        print("Best hyperparameters found were: ", best.config)
        print("Best mean_loss: \(best.loss)")
    }
    print()
}

func format3(_ x: Double) -> String { String((x * 1000).rounded() / 1000) }

let initialParams: [JSONValue] = [
    ["width": 1, "height": 2, "activation": "relu"],
    ["width": 4, "height": 2, "activation": "tanh"],
]
let searchConfig: SpaceNode = [
    "steps": 100,
    "width": .uniform(0, 20),
    "height": .uniform(-100, 100),
    "activation": .choice(["relu", "tanh"]),
]
let conditionalSpace: SpaceNode = [
    "activation": HP.choice("activation", [
        ["activation": "relu", "mult": HP.uniform("mult", 1, 2)],
        ["activation": "tanh"],
    ]),
    "width": HP.uniform("width", 0, 20),
    "height": HP.uniform("height", -100, 100),
    "steps": 100,
]

do {
    try tune("Ray Tune space with points_to_evaluate", space: searchConfig, points: initialParams)
    try tune("conditional hyperopt space", space: conditionalSpace)
} catch {
    print("error: \(error)")
    exit(1)
}
