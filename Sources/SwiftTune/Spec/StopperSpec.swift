/// A stopper's JSON specification (the experiment configuration's "stopper"), read into the
/// stopper it describes with Ray's argument names, defaults and checks:
///
/// - `{"type": "maximum_iteration", "max_iter": 10}`;
/// - `{"type": "trial_plateau", "metric": "loss", "std": 0.01, "num_results": 4, "grace_period": 4,
///   "metric_threshold": null, "mode": null}`;
/// - `{"type": "experiment_plateau", "metric": "loss", "std": 0.001, "top": 10, "mode": "min",
///   "patience": 0}`;
/// - `{"type": "timeout", "timeout": 60.0}` (seconds);
/// - `{"type": "combined", "stoppers": [SPEC, ...]}` (Ray's `CombinedStopper`: OR, in order);
/// - `{"type": "noop"}` (Ray's `NoopStopper`);
/// - `{"type": "callback", "id": 0}`: a stopper of the front end, asked through its callback with
///   this id (``CallbackStopper``).
public enum StopperSpec {
    /// The options each type takes besides "type".
    public static let options: [String: Set<String>] = [
        "maximum_iteration": ["max_iter"],
        "trial_plateau": ["metric", "std", "num_results", "grace_period", "metric_threshold", "mode"],
        "experiment_plateau": ["metric", "std", "top", "mode", "patience"],
        "timeout": ["timeout"],
        "combined": ["stoppers"],
        "noop": [],
        "callback": ["id"],
    ]

    /// The stopper `spec` describes.
    /// - Throws: ``SpecError/invalid(_:)`` naming the key at fault, or with Ray's message for an
    ///   argument Ray refuses.
    public static func make(_ spec: JSONValue) throws(SpecError) -> any Stopper {
        let members = try SpecReader.members(spec, "a stopper specification")
        let read = SpecReader(spec: spec)
        guard let type = try read.string("type"), let allowed = options[type] else {
            throw .invalid("a stopper's 'type' must be one of \(options.keys.sorted().joined(separator: ", ")); got \(spec["type"].map { "\($0)" } ?? "none")")
        }
        for (k, _) in members where k != "type" && !allowed.contains(k) { throw .invalid("unknown option '\(k)' for stopper '\(type)'") }
        func metric() throws(SpecError) -> String {
            guard let m = try read.string("metric") else { throw .invalid("stopper '\(type)' needs a 'metric'") }
            return m
        }
        switch type {
        case "maximum_iteration":
            guard let n = try read.double("max_iter") else { throw .invalid("stopper 'maximum_iteration' needs 'max_iter'") }
            return MaximumIterationStopper(maxIter: n)
        case "trial_plateau":
            let (m, std, n, g) = (try metric(), try read.double("std") ?? 0.01, Int(clamping: try read.int("num_results") ?? 4),
                                  Int(clamping: try read.int("grace_period") ?? 4))
            let (t, mode) = (try read.double("metric_threshold"), try read.mode("mode"))
            return try checked { () throws(StopError) in
                try TrialPlateauStopper(metric: m, std: std, numResults: n, gracePeriod: g, metricThreshold: t, mode: mode)
            }
        case "experiment_plateau":
            let (m, std, top) = (try metric(), try read.double("std") ?? 0.001, Int(clamping: try read.int("top") ?? 10))
            let (mode, patience) = (try read.mode("mode") ?? .min, Int(clamping: try read.int("patience") ?? 0))
            return try checked { () throws(StopError) in
                try ExperimentPlateauStopper(metric: m, std: std, top: top, mode: mode, patience: patience)
            }
        case "timeout":
            guard let t = try read.double("timeout"), !t.isNaN else { throw .invalid("stopper 'timeout' needs a number 'timeout' (seconds)") }
            return TimeoutStopper(timeoutSeconds: t)
        case "combined":
            guard let items = spec["stoppers"]?.arrayValue else { throw .invalid("stopper 'combined' needs an array 'stoppers'") }
            var stoppers: [any Stopper] = []
            for item in items { stoppers.append(try make(item)) }
            return CombinedStopper(stoppers)
        case "noop":
            return CombinedStopper([])
        default:
            guard let id = try read.int("id"), id >= 0, id <= Int64(Int32.max) else {
                throw .invalid("stopper 'callback' needs an 'id' from 0 to \(Int32.max)")
            }
            return CallbackStopper(id: Int(id))
        }
    }

    /// A stopper built by `body`, its argument error as a specification error (Ray's message).
    static func checked(_ body: () throws(StopError) -> any Stopper) throws(SpecError) -> any Stopper {
        do { return try body() } catch { throw .invalid(error.message) }
    }
}
