// `make demo`: the seed tutorial ("Running Tune experiments with HyperOpt") in native Swift, run by
// swifttune's Tuner: TPE behind a ConcurrencyLimiter of 4, 4 concurrent workers, objectives that
// report every step. The tutorial sleeps 0.1 s per step; `--sleep-scale S` multiplies that sleep
// (default 0.001, so 0.1 ms per step; 1 gives the tutorial's own pace). `--num-samples N` sets the
// number of trials (default 1000, as in the tutorial).
#if canImport(Glibc)
import Glibc
#endif
import SwiftTune

func option(_ name: String, _ fallback: Double) -> Double {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Double(args[i + 1]) else { return fallback }
    return v
}

let sleepScale = option("--sleep-scale", 0.001)
let numSamples = Int(option("--num-samples", 1000))

func evaluate(step: Int, width: Double, height: Double, mult: Double = 1) -> Double {
    1 / (0.1 + width * Double(step) / 100) + height * 0.1 * mult
}

func pause() async throws {
    if sleepScale > 0 { try await Task.sleep(for: .seconds(0.1 * sleepScale)) }
}

/// The tutorial's `objective`: evaluates every step and reports it.
@Sendable func objective(_ session: TrialSession) async throws -> Metrics? {
    let c = session.configuration
    let steps = Int(c["steps"]?.intValue ?? 100)
    let width = c["width"]?.doubleValue ?? 0
    let height = c["height"]?.doubleValue ?? 0
    for step in 0..<steps {
        try await pause()
        try session.report(["iterations": Double(step), "mean_loss": evaluate(step: step, width: width, height: height)])
    }
    return nil
}

/// The tutorial's `objective_two`, for the conditional space.
@Sendable func objectiveTwo(_ session: TrialSession) async throws -> Metrics? {
    let c = session.configuration
    let width = c["width"]?.doubleValue ?? 0
    let height = c["height"]?.doubleValue ?? 0
    let mult = c["activation"]?["mult"]?.doubleValue ?? 1
    for step in 0..<Int(c["steps"]?.intValue ?? 100) {
        try session.report(["iterations": Double(step), "mean_loss": evaluation(step, width, height, mult)])
        try await pause()
    }
    return nil
}

func evaluation(_ step: Int, _ width: Double, _ height: Double, _ mult: Double) -> Double {
    evaluate(step: step, width: width, height: height, mult: mult)
}

func cell(_ v: JSONValue?) -> String {
    switch v {
    case .double(let d)?: return number(d)
    case .none: return ""
    case let other?: return other.stringValue ?? "\(other)"
    }
}

/// Six significant digits, integers without a fraction, as Ray's table shows them.
func number(_ d: Double?) -> String {
    guard let d else { return "" }
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    let rounded = (d * 100_000).rounded() / 100_000
    return String(rounded)
}

/// A trial table like Ray's "Trial Status" (the first 10 trials, as the tutorial shows).
func printTable(_ grid: ResultGrid, columns: [(String, (JSONValue) -> JSONValue?)]) {
    var rows = [["Trial name", "status"] + columns.map(\.0) + ["loss", "iter", "total time (s)", "iterations"]]
    for t in grid.trials.prefix(10) {
        let r = t.lastResult
        rows.append([t.id, t.status.rawValue] + columns.map { cell($0.1(t.configuration)) }
            + [number(r?["mean_loss"]), number(r?["training_iteration"]), number(r?["time_total_s"]), number(r?["iterations"])])
    }
    let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
    for (n, row) in rows.enumerated() {
        print("| " + row.enumerated().map { $1 + String(repeating: " ", count: widths[$0] - $1.count) }.joined(separator: " | ") + " |")
        if n == 0 { print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|") }
    }
    let counts = Dictionary(grouping: grid.trials, by: \.status).map { "\($0.value.count) \($0.key.rawValue)" }.sorted()
    print("... \(grid.trials.count) trials in all: \(counts.joined(separator: ", "))")
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

do {
    let clock = ContinuousClock()

    // Experiment 1: the Ray Tune space with two points to evaluate first.
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
    var algo = try ConcurrencyLimiter(
        TPESearch(space: SearchSpace(searchConfig), mode: .min, pointsToEvaluate: initialParams, seed: 2026), maxConcurrent: 4)
    var start = clock.now
    var tuner = try Tuner(limiter: algo, config: ExperimentConfig(metric: "mean_loss", mode: .min, numSamples: numSamples),
                          objective: objective)
    var results = try await tuner.fit()
    print("== Experiment 1: \(numSamples) trials, 100 steps each, sleep 0.1 s x \(sleepScale) per step, in \(String((seconds(clock.now - start) * 100).rounded() / 100)) s")
    printTable(results, columns: [("activation", { $0["activation"] }), ("height", { $0["height"] }),
                                  ("steps", { $0["steps"] }), ("width", { $0["width"] })])
    print("Best hyperparameters found were: ", results.bestResult()?.configuration ?? .null)
    print()

    // Experiment 2: hyperopt's conditional space.
    let conditionalSpace: SpaceNode = [
        "activation": HP.choice("activation", [
            ["activation": "relu", "mult": HP.uniform("mult", 1, 2)],
            ["activation": "tanh"],
        ]),
        "width": HP.uniform("width", 0, 20),
        "height": HP.uniform("height", -100, 100),
        "steps": 100,
    ]
    algo = try ConcurrencyLimiter(TPESearch(space: SearchSpace(conditionalSpace), mode: .min, seed: 2026), maxConcurrent: 4)
    start = clock.now
    tuner = try Tuner(limiter: algo, config: ExperimentConfig(metric: "mean_loss", mode: .min, numSamples: numSamples),
                      objective: objectiveTwo)
    results = try await tuner.fit()
    print("== Experiment 2 (conditional space): \(numSamples) trials in \(String((seconds(clock.now - start) * 100).rounded() / 100)) s")
    printTable(results, columns: [("activation/activation", { $0["activation"]?["activation"] }),
                                  ("activation/mult", { $0["activation"]?["mult"] }), ("height", { $0["height"] }),
                                  ("steps", { $0["steps"] }), ("width", { $0["width"] })])
    print("Best hyperparameters found were: ", results.bestResult()?.configuration ?? .null)
} catch {
    print("error: \(error)")
    exit(1)
}
