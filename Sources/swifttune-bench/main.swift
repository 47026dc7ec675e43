// `make bench-tpe`: the median time of one TPE suggestion on the seed tutorial's space with 100,
// 1,000 and 10,000 finished trials in the history. Build with `-c release`.
import SwiftTune

let space = try SearchSpace([
    "steps": 100,
    "width": .uniform(0, 20),
    "height": .uniform(-100, 100),
    "activation": .choice(["relu", "tanh"]),
])

func objective(_ c: JSONValue) -> Double {
    let width = c["width"]?.doubleValue ?? 0, height = c["height"]?.doubleValue ?? 0
    return 1 / (0.1 + width * 99 / 100) + height * 0.1
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

print("TPE suggestion time on the seed space (width, height, activation), release build")
print("history   median ms   p10 ms   p90 ms   suggestions timed")
let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
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
    let clock = ContinuousClock()
    for n in 0..<reps {
        let id = "s\(n)"
        let start = clock.now
        let s = try tpe.suggest(trialID: id)
        times.append(seconds(clock.now - start))
        // A failed trial leaves the model as it was, so every timed suggestion sees `history` trials.
        try tpe.tell(trialID: s.trialID, .failed)
    }
    if CommandLine.arguments.contains("--trace") {
        print(times.map { String(Int($0 * 1e6)) }.joined(separator: " "))
    }
    times.sort()
    func ms(_ q: Double) -> String {
        let v = times[min(times.count - 1, Int(q * Double(times.count)))] * 1000
        return String(Int(v * 1000)) .padded(6) + "µs"
    }
    let median = times[times.count / 2] * 1000
    print("\(String(history).padded(7))   \(fmt(median).padded(9))   \(fmt(times[times.count / 10] * 1000).padded(6))   \(fmt(times[times.count * 9 / 10] * 1000).padded(6))   \(reps)")
}

func fmt(_ x: Double) -> String {
    let scaled = (x * 1000).rounded() / 1000
    return String(scaled)
}

extension String {
    func padded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
