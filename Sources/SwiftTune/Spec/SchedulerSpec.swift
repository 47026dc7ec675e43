/// A scheduler's JSON specification, read into the scheduler it describes, with Ray's parameter
/// names and defaults (what `st_scheduler_new` builds):
///
/// - `{"type": "fifo"}` (also the default type);
/// - `{"type": "asha", "time_attr": "training_iteration", "metric": null, "mode": null, "max_t": 100,
///   "grace_period": 1, "reduction_factor": 4, "brackets": 1, "stop_last_trials": true, "seed": 0}`
///   (`"async_hyperband"` is the same);
/// - `{"type": "median_stopping_rule", "time_attr": "time_total_s", "metric": null, "mode": null,
///   "grace_period": 60, "min_samples_required": 3, "min_time_slice": 0, "hard_stop": true}`;
/// - `{"type": "hyperband", "time_attr": "training_iteration", "metric": null, "mode": null,
///   "max_t": 81, "reduction_factor": 3, "stop_last_trials": true}` (``HyperBandScheduler``;
///   `"hb_bohb"` with the same options is ``HyperBandForBOHB``);
/// - `{"type": "pbt", "time_attr": "time_total_s", "metric": null, "mode": null,
///   "perturbation_interval": 60, "burn_in_period": 0, "hyperparam_mutations": {"lr": {"domain":
///   NODE}, "units": {"values": [16, 32, 64]}, "f": {"function": true}, "opt": {"nested": {...}}},
///   "quantile_fraction": 0.25, "resample_probability": 0.25, "perturbation_factors": [1.2, 0.8],
///   "custom_explore": false, "require_attrs": true, "synch": false, "seed": 0, "callback_id": null}`
///   (``PopulationBasedTraining``; "callback_id" the front end's scheduler number, needed with
///   function mutations or "custom_explore");
/// - `{"type": "pb2", "time_attr": "time_total_s", "metric": null, "mode": null,
///   "perturbation_interval": 60, "hyperparam_bounds": {"lr": [0.0001, 0.1], "opt": {"m": [0, 1]}},
///   "quantile_fraction": 0.25, "custom_explore": false, "require_attrs": true, "synch": false,
///   "seed": 0, "callback_id": null}` (PB2: ``PopulationBasedTraining/pb2(timeAttr:metric:mode:perturbationInterval:hyperparamBounds:quantileFraction:customExplore:requireAttrs:synch:seed:frontEndID:)``);
/// - `{"type": "pbt_replay", "initial_configuration": {...}, "policy": [[step, {...}], ...]}`
///   (``PopulationBasedTrainingReplay``);
/// - `{"type": "callback", "id": 0}`: a scheduler of the front end, asked through its callback
///   with this id (``CallbackScheduler``).
public struct SchedulerSpec: Sendable {
    /// The scheduler types a specification names.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// ``FIFOScheduler``.
        case fifo
        /// ``ASHAScheduler`` (also spelled `async_hyperband`).
        case asha
        /// ``MedianStoppingRule``.
        case medianStoppingRule = "median_stopping_rule"
        /// ``HyperBandScheduler``.
        case hyperband
        /// ``HyperBandForBOHB``.
        case hbBohb = "hb_bohb"
        /// ``CallbackScheduler``.
        case callback
        /// ``PopulationBasedTraining``.
        case pbt
        /// ``PopulationBasedTrainingReplay``.
        case pbtReplay = "pbt_replay"
        /// PB2 (``PopulationBasedTraining`` with a Gaussian-process bandit).
        case pb2
    }

    /// The options each type takes besides "type".
    public static let options: [Kind: Set<String>] = [
        .fifo: [],
        .pbt: ["time_attr", "metric", "mode", "perturbation_interval", "burn_in_period", "hyperparam_mutations", "quantile_fraction",
               "resample_probability", "perturbation_factors", "custom_explore", "require_attrs", "synch", "seed", "callback_id"],
        .pbtReplay: ["initial_configuration", "policy"],
        .pb2: ["time_attr", "metric", "mode", "perturbation_interval", "hyperparam_bounds", "quantile_fraction", "custom_explore",
               "require_attrs", "synch", "seed", "callback_id"],
        .asha: ["time_attr", "metric", "mode", "max_t", "grace_period", "reduction_factor", "brackets", "stop_last_trials", "seed"],
        .medianStoppingRule: ["time_attr", "metric", "mode", "grace_period", "min_samples_required", "min_time_slice", "hard_stop"],
        .hyperband: ["time_attr", "metric", "mode", "max_t", "reduction_factor", "stop_last_trials"],
        .hbBohb: ["time_attr", "metric", "mode", "max_t", "reduction_factor", "stop_last_trials"],
        .callback: ["id"],
    ]

    /// The type.
    public let kind: Kind
    /// The scheduler built from the specification.
    public let scheduler: any TrialScheduler

    /// Reads a specification and builds its scheduler.
    /// - Throws: ``SpecError/invalid(_:)`` for the specification (an unknown type or option, a value
    ///   of the wrong type), ``SpecError/schedule(_:)`` for a value the scheduler rejects.
    public init(json spec: JSONValue) throws(SpecError) {
        let members = try SpecReader.members(spec, "the scheduler specification")
        let read = SpecReader(spec: spec)
        let type = try read.string("type") ?? "fifo"
        guard let kind = type == "async_hyperband" ? .asha : Kind(rawValue: type) else {
            throw .invalid("unknown scheduler type '\(type)': use \"fifo\", \"asha\", \"median_stopping_rule\", \"hyperband\", \"hb_bohb\", \"pbt\", \"pb2\", \"pbt_replay\" or \"callback\"")
        }
        let allowed = Self.options[kind] ?? []
        for (k, _) in members where !allowed.contains(k) && k != "type" {
            throw .invalid("unknown option '\(k)' for scheduler '\(type)'")
        }
        let metric = try read.string("metric")
        let mode = try read.mode("mode")
        self.kind = kind
        do {
            switch kind {
            case .fifo:
                scheduler = FIFOScheduler()
            case .asha:
                scheduler = try ASHAScheduler(
                    timeAttr: read.string("time_attr") ?? "training_iteration", metric: metric, mode: mode,
                    maxT: read.double("max_t") ?? 100, gracePeriod: read.double("grace_period") ?? 1,
                    reductionFactor: read.double("reduction_factor") ?? 4, brackets: Int(read.int("brackets") ?? 1),
                    stopLastTrials: read.bool("stop_last_trials") ?? true,
                    seed: UInt64(bitPattern: read.int("seed") ?? 0))
            case .medianStoppingRule:
                let minSamples = try read.int("min_samples_required") ?? 3
                scheduler = try MedianStoppingRule(
                    timeAttr: read.string("time_attr") ?? "time_total_s", metric: metric, mode: mode,
                    gracePeriod: read.double("grace_period") ?? 60,
                    minSamplesRequired: Int(clamping: minSamples), minTimeSlice: read.double("min_time_slice") ?? 0,
                    hardStop: read.bool("hard_stop") ?? true)
            case .hyperband:
                scheduler = try HyperBandScheduler(
                    timeAttr: read.string("time_attr") ?? "training_iteration", metric: metric, mode: mode,
                    maxT: read.double("max_t") ?? 81, reductionFactor: read.double("reduction_factor") ?? 3,
                    stopLastTrials: read.bool("stop_last_trials") ?? true)
            case .hbBohb:
                scheduler = try HyperBandForBOHB(
                    timeAttr: read.string("time_attr") ?? "training_iteration", metric: metric, mode: mode,
                    maxT: read.double("max_t") ?? 81, reductionFactor: read.double("reduction_factor") ?? 3,
                    stopLastTrials: read.bool("stop_last_trials") ?? true)
            case .pbt:
                scheduler = try PopulationBasedTraining(spec: spec)
            case .pbtReplay:
                scheduler = try PopulationBasedTrainingReplay(spec: spec)
            case .pb2:
                scheduler = try PopulationBasedTraining(pb2Spec: spec)
            case .callback:
                guard let id = try read.int("id"), id >= 0, id <= Int64(Int32.max) else {
                    throw SpecError.invalid("scheduler 'callback' needs an 'id' from 0 to \(Int32.max)")
                }
                scheduler = CallbackScheduler(id: Int(id))
            }
        } catch let e as SpecError {
            throw e
        } catch let e as ScheduleError {
            throw .schedule(e)
        } catch {
            throw .invalid("\(error)")
        }
    }
}
