import SwiftTune

/// The spaces and histories the benchmarks time. Built once, outside the measured region.
enum Workloads {
    /// 3 parameters: uniform, log-uniform, categorical.
    static func space3() throws -> SearchSpace {
        try SearchSpace(["x": .uniform(-5, 10), "lr": .loguniform(1e-4, 1e-1), "act": .choice(["relu", "tanh"])])
    }

    /// 10 parameters: uniform, log, quantised, categorical and a conditional branch.
    static func space10() throws -> SearchSpace {
        try SearchSpace([
            "x0": .uniform(-5, 5), "x1": .uniform(0, 1), "x2": .uniform(-100, 100),
            "lr": .loguniform(1e-5, 1e-1), "wd": .loguniform(1e-6, 1e-2),
            "units": .qrandint(16, 512, 16), "dropout": .quniform(0, 0.5, 0.05),
            "act": .choice(["relu", "tanh", "gelu"]), "opt": .choice(["sgd", "adam"]),
            "model": .choice([["kind": "linear"], ["kind": "mlp", "depth": .randint(1, 8)]]),
        ])
    }

    /// 30 parameters: 10 uniform, 6 log, 6 quantised, 5 categorical, 3 inside conditional branches.
    static func space30() throws -> SearchSpace {
        var items: [String: SpaceNode] = [:]
        for i in 0..<10 { items["u\(i)"] = .uniform(-Double(i + 1), Double(i + 1)) }
        for i in 0..<6 { items["l\(i)"] = .loguniform(1e-6, pow10(i)) }
        for i in 0..<6 { items["q\(i)"] = i % 2 == 0 ? .quniform(0, 10, 0.5) : .qrandint(1, 100, 5) }
        for i in 0..<5 { items["c\(i)"] = .choice((0...i + 1).map { SpaceNode.constant(.string("v\($0)")) }) }
        items["branch"] = .choice([["b": "a", "a1": .uniform(0, 1)],
                                   ["b": "b", "b1": .loguniform(1e-3, 1), "b2": .randint(0, 10)]])
        return try SearchSpace(.dict(items.sorted { $0.key < $1.key }.map { SpaceNode.DictEntry($0.key, $0.value) }))
    }

    static func pow10(_ i: Int) -> Double { (0..<i).reduce(1e-2) { x, _ in x * 10 } }

    static func space(_ parameters: Int) throws -> SearchSpace {
        switch parameters {
        case 3: return try space3()
        case 10: return try space10()
        default: return try space30()
        }
    }

    /// A made-up loss: a sum over the numeric values (enough for TPE to split good from bad).
    static func loss(_ c: JSONValue) -> Double {
        var total = 0.0
        if case .object(let members) = c {
            for (_, v) in members {
                if let d = v.doubleValue { total += (d - 0.3) * (d - 0.3) } else { total += loss(v) }
            }
        }
        return total
    }

    /// A TPE searcher that has seen `history` random trials with their losses.
    static func tpe(parameters: Int, history: Int) throws -> TPESearch {
        let space = try space(parameters)
        var random = try RandomSearch(space: space, seed: 7)
        var tpe = try TPESearch(space: space, mode: .min, seed: 1)
        for n in 0..<history {
            let s = try random.suggest(trialID: "h\(n)")
            try tpe.addEvaluated(trialID: s.trialID, configuration: s.configuration, .completed(loss(s.configuration)))
        }
        return tpe
    }

    /// An experiment engine with `trials` finished trials of `reports` results each.
    static func experiment(trials: Int, reports: Int, numSamples: Int) throws -> ExperimentCore {
        var core = try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: numSamples),
                                      searcher: RandomSearch(space: space3(), seed: 3))
        for _ in 0..<trials {
            guard case let .start(id, configuration) = try core.next(now: 0) else { break }
            for r in 0..<reports {
                _ = try core.report(id, ["loss": loss(configuration) + 1 / Double(r + 1), "step": Double(r)], now: 0)
            }
            try core.finish(id, .completed, now: 0)
        }
        return core
    }

    /// The seed tutorial's space as its JSON document (what Python sends through the C layer).
    static let seedSpaceJSON = """
    {"format": "swifttune.space", "version": 1, "space": {"type": "dict", "items": {
      "activation": {"type": "choice", "label": "activation", "options": [
        {"type": "dict", "items": {"activation": "relu",
                                   "mult": {"type": "uniform", "label": "mult", "low": 1.0, "high": 2.0}}},
        {"type": "dict", "items": {"activation": "tanh"}}]},
      "width": {"type": "uniform", "label": "width", "low": 0.0, "high": 20.0},
      "height": {"type": "uniform", "label": "height", "low": -100.0, "high": 100.0},
      "steps": 100}}}
    """

    /// The schedulers the per-result benchmark runs, by their specification type.
    static let schedulerKinds = ["fifo", "asha", "median_stopping_rule", "hyperband", "hb_bohb", "pbt"]

    /// A population of running trials reporting in turn (the per-result decision benchmark).
    struct Population {
        var core: ExperimentCore
        var running: [String] = []
        var iterations: [String: Int] = [:]
        var cursor = 0
        /// Trials a decision ended, not yet finished and replaced (``reportOnly()``).
        var ended: [String] = []

        init(scheduler kind: String, trials: Int) throws {
            var spec: JSONValue = ["type": .string(kind)]
            switch kind {
            case "asha": spec = ["type": "asha", "max_t": 1_000_000, "grace_period": 1, "reduction_factor": 4]
            case "median_stopping_rule": spec = ["type": "median_stopping_rule", "time_attr": "training_iteration", "grace_period": 5]
            case "hyperband": spec = ["type": "hyperband", "max_t": 81, "reduction_factor": 3]
            case "hb_bohb": spec = ["type": "hb_bohb", "max_t": 81, "reduction_factor": 3]
            case "pbt": spec = ["type": "pbt", "time_attr": "training_iteration", "perturbation_interval": 10,
                                "hyperparam_mutations": ["x": ["domain": SpaceNode.uniform(-5, 5).json]]]
            default: break
            }
            var config = ExperimentConfig(metric: "loss", mode: .min, numSamples: 100_000_000)
            config.maxConcurrentTrials = trials
            core = try ExperimentCore(config: config, searcher: RandomSearch(space: space3(), seed: 3),
                                      scheduler: SchedulerSpec(json: spec).scheduler)
            for _ in 0..<trials { try startNext() }
        }

        mutating func startNext() throws {
            guard case let .start(id, _) = try core.next(now: 0) else { return }
            running.append(id)
        }

        /// One result of the next trial in turn; a trial the decision ends is replaced (the last
        /// of the round takes its place in the round).
        mutating func reportNext() throws {
            try reportOnly()
            try replaceEnded()
        }

        /// One result of the next trial in turn, the engine's decision alone: a trial it ends
        /// leaves the round and waits in ``ended`` for ``replaceEnded()``.
        mutating func reportOnly() throws {
            if cursor >= running.count { cursor = 0 }
            let id = running[cursor]
            let t = (iterations[id] ?? 0) + 1
            iterations[id] = t
            let loss = Double((cursor &* 7919 &+ t &* 104_729) % 1_000) / 100
            let decision = try core.report(id, ["loss": loss, "training_iteration": Double(t)], checkpoint: "c\(t)", now: Double(t))
            if decision == .continue {
                cursor += 1
                return
            }
            running.swapAt(cursor, running.count - 1)
            running.removeLast()
            ended.append(id)
        }

        /// Finishes the trials decisions ended and starts as many new ones.
        mutating func replaceEnded() throws {
            for id in ended {
                let t = iterations.removeValue(forKey: id) ?? 0
                try core.finish(id, .stopped, now: Double(t))
                try startNext()
            }
            ended.removeAll(keepingCapacity: true)
        }
    }
}

/// Holds a searcher or an engine across the benchmark's samples, so that each sample mutates it in
/// place (a `var` copy of a value in the closure would copy the whole history at its first
/// mutation, and time that copy).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }

}
