/// Experiment configurations and resume options read from their JSON specifications (what
/// `st_experiment_new` and `st_experiment_resume` take).
extension ExperimentConfig {
    /// Every key a configuration may have.
    public static let keys: Set<String> = ["metric", "mode", "num_samples", "max_concurrent_trials", "stop", "time_budget_s",
                                           "max_failures", "fail_fast", "stopper", "checkpoint_frequency", "checkpoint_at_end",
                                           "resources", "max_pending_trials", "saves_on_demand"]

    /// Reads `{"metric": "mean_loss", "mode": "min", "num_samples": 10, "max_concurrent_trials": null,
    /// "stop": {"training_iteration": 10}, "time_budget_s": null, "max_failures": 0, "fail_fast": false,
    /// "stopper": null, "checkpoint_frequency": 0, "checkpoint_at_end": false, "resources": {"available":
    /// {"CPU": 4, "GPU": 2}, "per_trial": {"CPU": 1, "GPU": 1}}, "max_pending_trials": 1, "saves_on_demand": false}` (every key optional:
    /// "metric" and "mode" null or absent for none, "stopper" a ``StopperSpec``; the rest default as in
    /// ``init(metric:mode:numSamples:maxConcurrentTrials:stop:timeBudgetS:maxFailures:failFast:stopper:)``),
    /// the form ``ExperimentCore/saveState(now:)`` writes too. The values are checked when an
    /// experiment is built with it.
    /// - Throws: ``SpecError/invalid(_:)`` naming the key at fault.
    public init(json spec: JSONValue) throws(SpecError) {
        let members = try SpecReader.members(spec, "the experiment configuration")
        for (k, _) in members where !Self.keys.contains(k) { throw .invalid("unknown experiment option '\(k)'") }
        let read = SpecReader(spec: spec)
        let metric = try read.string("metric")
        let mode = try read.mode("mode")
        var stop: [String: Double] = [:]
        if let s = read.value("stop") {
            guard let items = s.objectValue else { throw .invalid("'stop' must be an object of thresholds") }
            for (k, v) in items {
                guard let x = v.doubleValue else { throw .invalid("stop threshold '\(k)' must be a number, got \(v)") }
                stop[k] = x
            }
        }
        self.init(metric: metric, mode: mode, numSamples: Int(clamping: try read.int("num_samples") ?? 1),
                  maxConcurrentTrials: try read.int("max_concurrent_trials").map { Int(clamping: $0) },
                  stop: stop, timeBudgetS: try read.double("time_budget_s"),
                  maxFailures: Int(clamping: try read.int("max_failures") ?? 0),
                  failFast: try read.bool("fail_fast") ?? false, stopper: read.value("stopper"))
        checkpointFrequency = Int(clamping: try read.int("checkpoint_frequency") ?? 0)
        checkpointAtEnd = try read.bool("checkpoint_at_end") ?? false
        if let r = read.value("resources"), r != .null { resources = try Self.resources(r) }
        maxPendingTrials = Int(clamping: try read.int("max_pending_trials") ?? 1)
        savesOnDemand = try read.bool("saves_on_demand") ?? false
    }

    static func resources(_ r: JSONValue) throws(SpecError) -> TrialResources {
        let members = try SpecReader.members(r, "'resources'")
        for (k, _) in members where k != "available" && k != "per_trial" { throw .invalid("unknown option '\(k)' of 'resources'") }
        func amounts(_ key: String) throws(SpecError) -> [String: Double] {
            guard let v = r[key] else { return [:] }
            guard let items = v.objectValue else { throw .invalid("'resources.\(key)' must be an object of amounts") }
            var out: [String: Double] = [:]
            for (k, x) in items {
                guard let d = x.doubleValue else { throw .invalid("resource '\(k)' in '\(key)' must be a number, got \(x)") }
                out[k] = d
            }
            return out
        }
        return TrialResources(available: try amounts("available"), perTrial: try amounts("per_trial"))
    }

    /// The configuration as ``init(json:)`` reads it (stop thresholds by key).
    public var json: JSONValue {
        .object([("metric", metric.map { .string($0) } ?? .null), ("mode", mode.map { .string($0.rawValue) } ?? .null),
                 ("num_samples", .int(Int64(numSamples))),
                 ("max_concurrent_trials", maxConcurrentTrials.map { .int(Int64($0)) } ?? .null),
                 ("stop", .object(stop.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })),
                 ("time_budget_s", timeBudgetS.map { .double($0) } ?? .null),
                 ("max_failures", .int(Int64(maxFailures))), ("fail_fast", .bool(failFast)), ("stopper", stopper ?? .null),
                 ("checkpoint_frequency", .int(Int64(checkpointFrequency))), ("checkpoint_at_end", .bool(checkpointAtEnd)),
                 ("resources", resources?.json ?? .null), ("max_pending_trials", .int(Int64(maxPendingTrials))),
                 ("saves_on_demand", .bool(savesOnDemand))])
    }
}

extension ResumeOptions {
    /// Reads Ray's `Tuner.restore` flags, `{"unfinished": "resume" | "skip", "errored": "skip" |
    /// "resume" | "restart"}` (each optional, defaults as ``init(unfinished:errored:)``).
    /// - Throws: ``SpecError/invalid(_:)`` naming the key at fault.
    public init(json spec: JSONValue) throws(SpecError) {
        let members = try SpecReader.members(spec, "the resume options")
        for (k, _) in members where k != "unfinished" && k != "errored" { throw .invalid("unknown resume option '\(k)'") }
        let read = SpecReader(spec: spec)
        self.init()
        if let u = try read.string("unfinished") {
            guard let v = Unfinished(rawValue: u) else { throw .invalid("'unfinished' must be \"resume\" or \"skip\", got \"\(u)\"") }
            unfinished = v
        }
        if let x = try read.string("errored") {
            guard let v = Errored(rawValue: x) else { throw .invalid("'errored' must be \"skip\", \"resume\" or \"restart\", got \"\(x)\"") }
            errored = v
        }
    }
}
