// `make bench-tpe`: the median time of one TPE suggestion on the seed tutorial's space with 100,
// 1,000 and 10,000 finished trials in the history, and a whole 1,000-trial sequential run.
// Build with `-c release`. Arguments: history sizes to time instead of the defaults; `--trace`
// prints every timed suggestion (µs).
import SwiftTune

let space = try SearchSpace([
    "steps": 100,
    "width": .uniform(0, 20),
    "height": .uniform(-100, 100),
    "activation": .choice(["relu", "tanh"]),
])

/// The seed tutorial's objective at its last step.
func objective(_ c: JSONValue) -> Double {
    let width = c["width"]?.doubleValue ?? 0, height = c["height"]?.doubleValue ?? 0
    return 1 / (0.1 + width * 99 / 100) + height * 0.1
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func fmt(_ x: Double) -> String { String((x * 1000).rounded() / 1000) }

extension String {
    func padded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}

let arguments = CommandLine.arguments.dropFirst()
let sizes = arguments.compactMap { Int($0) }
let clock = ContinuousClock()

print("TPE suggestion time on the seed space (width, height, activation), release build")
print("history   median ms   p10 ms   p90 ms   suggestions timed")
for history in sizes.isEmpty ? [100, 1_000, 10_000] : sizes {
    // The history: random configurations with their objective values.
    var random = try RandomSearch(space: space, seed: 7)
    var tpe = try TPESearch(space: space, mode: .min, seed: 1)
    for n in 0..<history {
        let s = try random.suggest(trialID: "h\(n)")
        try tpe.addEvaluated(trialID: s.trialID, configuration: s.configuration, .completed(objective(s.configuration)))
    }
    let reps = history >= 10_000 ? 100 : 400
    var times: [Double] = []
    for n in 0..<reps {
        let start = clock.now
        let s = try tpe.suggest(trialID: "s\(n)")
        times.append(seconds(clock.now - start))
        // A failed trial leaves the model as it was, so every timed suggestion sees `history` trials.
        try tpe.tell(trialID: s.trialID, .failed)
    }
    if arguments.contains("--trace") { print(times.map { String(Int($0 * 1e6)) }.joined(separator: " ")) }
    times.sort()
    let cells = [times[reps / 2], times[reps / 10], times[reps * 9 / 10]].map { fmt($0 * 1000) }
    print("\(String(history).padded(7))   \(cells[0].padded(9))   \(cells[1].padded(6))   \(cells[2].padded(6))   \(reps)")
}

// A whole sequential run, as hyperopt's fmin does it: suggest, evaluate, tell, 1,000 times.
var tpe = try TPESearch(space: space, mode: .min, seed: 0)
let start = clock.now
var lastHundred = start
for n in 0..<1_000 {
    if n == 900 { lastHundred = clock.now }
    let s = try tpe.suggest(trialID: "t\(n)")
    try tpe.tell(trialID: s.trialID, .completed(objective(s.configuration)))
}
let total = seconds(clock.now - start)
print("1,000-trial sequential run: \(fmt(total)) s, \(fmt(total)) ms per trial on average, "
    + "\(fmt(seconds(clock.now - lastHundred) * 10)) ms per trial over trials 900-1000")
