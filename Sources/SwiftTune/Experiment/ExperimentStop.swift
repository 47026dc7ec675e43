/// The experiment's stop rules besides the time budget and `fail_fast`: Ray's stoppers
/// (``ExperimentConfig/stopper``), the dict thresholds (``ExperimentConfig/stop``, see
/// ``ResultThresholds``), and the metric a searcher needs.
extension ExperimentCore {
    /// The stopper a configuration describes, nil for none.
    static func makeStopper(_ config: ExperimentConfig) throws(ExperimentError) -> (any Stopper)? {
        guard let spec = config.stopper, spec != .null else { return nil }
        do { return try StopperSpec.make(spec) } catch { throw .invalidConfig("stopper: \(error.description)") }
    }

    /// Ray's `UNDEFINED_METRIC_MODE` message for a searcher that learns from the metric.
    static func undefinedMetricMode(_ searcher: String, _ config: ExperimentConfig) -> String {
        "Trying to sample a configuration from \(searcher), but the `metric` (\(config.metric ?? "None")) or `mode` "
            + "(\(config.mode?.rawValue ?? "None")) parameters have not been set. Either pass these arguments when "
            + "instantiating the search algorithm, or pass them to `tune.TuneConfig()`."
    }

    /// Whether the stopper stops this trial after `result`.
    mutating func stopperSaysStop(_ id: String, _ result: Metrics) throws(ExperimentError) -> Bool {
        guard stopper != nil else { return false }
        do { return try stopper!.shouldStop(trialID: id, result: result) } catch { throw .stopper(error) }
    }

    /// Whether the stopper stopped the whole experiment (asked now, remembered once true).
    mutating func checkStopAll(now: Double) throws(ExperimentError) -> Bool {
        if stoppedAll { return true }
        guard stopper != nil else { return false }
        do { stoppedAll = try stopper!.stopAll(now: now) } catch { throw .stopper(error) }
        return stoppedAll
    }

    /// Gives the front end's callback to the experiment's ``CallbackStopper``s (it replaces an
    /// earlier one). Without a stopper the callback is never called.
    public mutating func setStopperCallback(_ callback: @escaping StopperCallback) {
        stopper?.attach(callback)
    }

    /// The stopper's saved state, or null without one.
    var stopperState: JSONValue { stopper?.saveState() ?? .null }

    /// Restores the stopper's counts from ``stopperState`` (absent in states saved before
    /// stoppers: nothing counted yet).
    mutating func restoreStopper(_ state: JSONValue?) throws(ExperimentError) {
        guard stopper != nil else { return }
        stopper!.beginSession()
        guard let state, state != .null else { return }
        do { try stopper!.restoreState(state) } catch { throw .invalidState("stopper: \(error.message)") }
    }
}
