// `make bench-engine`: the experiment engine's own overhead, with an objective that does nothing.
// 1,000 trials with 100 reports each and with 1 report each, 4 concurrent workers (the Swift
// Tuner), random search on the seed tutorial's space behind a ConcurrencyLimiter of 4.
// Per report = (time(100 reports) - time(1 report)) / (1,000 * 99); per trial = time(1 report) / 1,000.
import SwiftTune

let space = try SearchSpace([
    "steps": 100,
    "width": .uniform(0, 20),
    "height": .uniform(-100, 100),
    "activation": .choice(["relu", "tanh"]),
])

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func run(trials: Int, reports: Int, scheduler: any TrialScheduler = FIFOScheduler()) async throws -> Double {
    let limiter = try ConcurrencyLimiter(RandomSearch(space: space, seed: 1), maxConcurrent: 4)
    let tuner = try Tuner(limiter: limiter, config: ExperimentConfig(metric: "mean_loss", mode: .min, numSamples: trials),
                          scheduler: scheduler, workers: 4) { session in
        for step in 0..<reports { try session.report(["iterations": Double(step), "mean_loss": Double(step)]) }
        return nil
    }
    let clock = ContinuousClock()
    let start = clock.now
    let grid = try await tuner.fit()
    let elapsed = seconds(clock.now - start)
    precondition(grid.trials.count == trials && grid.trials.allSatisfy { $0.status == .terminated })
    return elapsed
}

func fmt(_ x: Double) -> String { String((x * 100).rounded() / 100) }

print("Engine overhead, release build, no-op objective, 4 workers, random search, limiter 4")
var perReport: [Double] = []
var perTrial: [Double] = []
for _ in 0..<5 {
    let many = try await run(trials: 1_000, reports: 100)
    let one = try await run(trials: 1_000, reports: 1)
    perReport.append((many - one) / (1_000 * 99) * 1e6)
    perTrial.append(one / 1_000 * 1e6)
}
perReport.sort()
perTrial.sort()
print("per report: median \(fmt(perReport[2])) µs (runs: \(perReport.map(fmt).joined(separator: ", ")))  target < 2 µs")
print("per trial:  median \(fmt(perTrial[2])) µs (runs: \(perTrial.map(fmt).joined(separator: ", ")))  target < 50 µs")
let asha = try ASHAScheduler(maxT: 100, gracePeriod: 1, reductionFactor: 4)
let withASHA = try await run(trials: 1_000, reports: 100, scheduler: asha)
print("1,000 trials x up to 100 reports with ASHA: \(fmt(withASHA * 1000)) ms in all")
