// swifttune's Swift-native benchmarks: wall time, allocations and peak memory of the hot paths.
// `make bench-swift` runs them (release build, ordo-one's package-benchmark).
import Benchmark
import SwiftTune

/// Trial ids never repeat across samples (a searcher refuses a duplicate id).
nonisolated(unsafe) var serial = 0

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 3,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    // TPE: one suggestion (and telling it failed, which leaves the model as it was) with 100,
    // 1,000 and 10,000 finished trials in the history, on 3, 10 and 30 parameters.
    for parameters in [3, 10, 30] {
        for history in [100, 1_000, 10_000] {
            Benchmark("TPE suggest, \(parameters) parameters, \(history) trials",
                      configuration: .init(maxIterations: history >= 10_000 ? 60 : 400)) { benchmark, tpe in
                for _ in benchmark.scaledIterations {
                    serial += 1
                    let s = try tpe.value.suggest(trialID: "s\(serial)")
                    try tpe.value.tell(trialID: s.trialID, .failed)
                    blackHole(s)
                }
            } setup: {
                Box(try Workloads.tpe(parameters: parameters, history: history))
            }
        }
    }

    // The same TPE behind a ConcurrencyLimiter (how the engine and the C layer hold it).
    Benchmark("TPE suggest via ConcurrencyLimiter, 3 parameters, 10000 trials",
              configuration: .init(maxIterations: 60)) { benchmark, limiter in
        for _ in benchmark.scaledIterations {
            serial += 1
            let s = try limiter.value.suggest(trialID: "s\(serial)")
            if let s { try limiter.value.tell(trialID: s.trialID, .failed) }
            blackHole(s)
        }
    } setup: {
        Box(try ConcurrencyLimiter(Workloads.tpe(parameters: 3, history: 10_000), maxConcurrent: Int.max))
    }

    // A whole sequential run as hyperopt's fmin makes it: suggest, evaluate, tell, 1,000 times
    // (the model grows with every trial).
    for parameters in [3, 10, 30] {
        Benchmark("TPE sequential run, \(parameters) parameters, 1000 trials",
                  configuration: .init(maxDuration: .seconds(10), maxIterations: 5)) { benchmark in
            for _ in benchmark.scaledIterations {
                var tpe = try TPESearch(space: Workloads.space(parameters), mode: .min, seed: 0)
                for n in 0..<1_000 {
                    let s = try tpe.suggest(trialID: "t\(n)")
                    try tpe.tell(trialID: s.trialID, .completed(Workloads.loss(s.configuration)))
                }
                blackHole(tpe)
            }
        }
    }

    // Random search: one suggestion on the 30-parameter space.
    Benchmark("Random suggest, 30 parameters") { benchmark, random in
        for _ in benchmark.scaledIterations {
            serial += 1
            blackHole(try random.value.suggest(trialID: "r\(serial)"))
        }
    } setup: {
        Box(try RandomSearch(space: Workloads.space30(), seed: 1))
    }

    // The experiment engine: a report of a running trial, and a whole trial (next, one report,
    // finish) with the random searcher, on an engine that has run 1,000 trials.
    Benchmark("Engine report", configuration: .init(scalingFactor: .kilo)) { benchmark, core in
        // A new trial per sample, so that no trial holds millions of results.
        guard case let .start(id, _) = try core.value.next(now: 0) else { return }
        for i in benchmark.scaledIterations {
            blackHole(try core.value.report(id, ["loss": Double(i), "step": Double(i)], now: 0))
        }
        try core.value.finish(id, .completed, now: 0)
    } setup: {
        Box(try Workloads.experiment(trials: 1_000, reports: 1, numSamples: 1_000_000))
    }

    Benchmark("Engine trial (next, report, finish)", configuration: .init(scalingFactor: .kilo)) { benchmark, core in
        for i in benchmark.scaledIterations {
            guard case let .start(id, _) = try core.value.next(now: 0) else { return }
            _ = try core.value.report(id, ["loss": Double(i)], now: 0)
            try core.value.finish(id, .completed, now: 0)
        }
    } setup: {
        Box(try Workloads.experiment(trials: 1_000, reports: 1, numSamples: 100_000_000))
    }

    // The engine's decision on one result with 1,000 trials running, for each of swifttune's
    // schedulers: reports go round the population (a trial's report carries its next
    // training_iteration); a trial paused or stopped is finished and the next trial the engine
    // starts takes its place, so 1,000 stay live.
    // - "decision": one `report` a sample, measured alone; the trial it ends is finished and
    //   replaced before the next sample's measurement starts (that start is the searcher's
    //   suggestion and the trial's bookkeeping: "Engine trial (next, report, finish)").
    // - "with trial turnover": 1,000 results a sample, the ended trials' finish and their
    //   replacements' start measured with them (with ASHA's grace period of 1, most trials end
    //   at their first result, so this is mostly the turnover).
    for kind in Workloads.schedulerKinds {
        Benchmark("Engine decision per result, 1,000 running trials, \(kind)",
                  configuration: .init(metrics: [.wallClock], maxDuration: .seconds(2), maxIterations: 200_000)) { benchmark, population in
            try population.value.replaceEnded()
            benchmark.startMeasurement()
            try population.value.reportOnly()
            benchmark.stopMeasurement()
        } setup: {
            Box(try Workloads.Population(scheduler: kind, trials: 1_000))
        }
        Benchmark("Engine result with trial turnover, 1,000 running trials, \(kind)",
                  configuration: .init(scalingFactor: .kilo)) { benchmark, population in
            for _ in benchmark.scaledIterations {
                try population.value.reportNext()
            }
        } setup: {
            Box(try Workloads.Population(scheduler: kind, trials: 1_000))
        }
    }

    // Parsing a search space from its JSON document (the seed tutorial's conditional space).
    Benchmark("JSON space parse (seed space)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try SearchSpace(jsonText: Workloads.seedSpaceJSON))
        }
    }

    // Saving and restoring a 10,000-trial experiment (10 results per trial).
    Benchmark("Save 10,000-trial experiment", configuration: .init(maxIterations: 30)) { benchmark, core in
        for _ in benchmark.scaledIterations {
            blackHole(core.saveState(now: 1).serialized())
        }
    } setup: {
        try Workloads.experiment(trials: 10_000, reports: 10, numSamples: 10_000)
    }

    Benchmark("Restore 10,000-trial experiment", configuration: .init(maxIterations: 30)) { benchmark, text in
        for _ in benchmark.scaledIterations {
            blackHole(try ExperimentCore(restoring: JSONValue(parsing: text)))
        }
    } setup: {
        try Workloads.experiment(trials: 10_000, reports: 10, numSamples: 10_000).saveState(now: 1).serialized()
    }
}
