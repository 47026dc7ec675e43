/// Ray Tune's stoppers (`ray.tune.stopper`), decided in the engine: per trial after each result,
/// and for the whole experiment.
///
/// The engine asks ``shouldStop(trialID:result:)`` after every recorded result of a running trial
/// (before the scheduler, as Ray's `TuneController` does: a trial its stopper stops is not shown
/// to the scheduler), and once more with the trial's last result and `done` = 1 when the trial's
/// function returns by itself (Ray's duplicate final result). It asks ``stopAll(now:)`` at every
/// `next` and every report: once it answers true the experiment starts no trial and every running
/// trial's next report answers `.stop`. Both calls happen under the engine's lock, one at a time.
public protocol Stopper: Sendable {
    /// Whether the trial stops after this result (a result holds the engine's numbers: the
    /// reported metrics plus `training_iteration` and `time_total_s`).
    /// - Throws: ``StopError`` when the rule cannot be evaluated (the report then fails).
    mutating func shouldStop(trialID: String, result: Metrics) throws(StopError) -> Bool
    /// Whether the whole experiment stops now (`now`: seconds on the engine's monotonic clock).
    /// - Throws: ``StopError`` when the rule cannot be evaluated (the call asking fails).
    mutating func stopAll(now: Double) throws(StopError) -> Bool
    /// What the stopper has counted so far, as JSON (``restoreState(_:)`` reads it back): it is
    /// part of the experiment's saved state, so a resumed experiment keeps counting.
    func saveState() -> JSONValue
    /// Puts back what ``saveState()`` wrote (of a stopper built from the same specification).
    /// - Throws: ``StopError`` for a state this stopper cannot have written.
    mutating func restoreState(_ state: JSONValue) throws(StopError)
    /// Hands the front end's callback to every ``CallbackStopper`` inside (built-ins ignore it).
    mutating func attach(_ callback: @escaping StopperCallback)
    /// A new session of the experiment begins (a restore): clocks restart (Ray's `__setstate__`).
    mutating func beginSession()
}

extension Stopper {
    /// Built-in stoppers take no callback.
    public mutating func attach(_ callback: @escaping StopperCallback) {}
    /// Built-in stoppers keep no clock by default.
    public mutating func beginSession() {}
}

/// What the engine asks a front end's stopper (``CallbackStopper``).
public enum StopQuery: Sendable, Equatable {
    /// Ray's `Stopper.__call__(trial_id, result)`: whether the trial stops after this result.
    case trial(trialID: String, result: Metrics)
    /// Ray's `Stopper.stop_all()`: whether the whole experiment stops.
    case all
}

/// A front end's stopper: called with the ``CallbackStopper``'s id and the query; answers whether
/// to stop, or throws when the front end's stopper failed.
public typealias StopperCallback = @Sendable (_ stopperID: Int, _ query: StopQuery) throws(StopError) -> Bool

/// A stopper that could not decide: a value it needs is missing, a callback failed or is not set.
public struct StopError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, naming the stopper.
    public let message: String
    /// The result key that was missing, when that is the fault (Ray raises `KeyError(key)`).
    public let missingKey: String?

    /// An error with this message.
    public init(_ message: String, missingKey: String? = nil) {
        self.message = message
        self.missingKey = missingKey
    }

    /// The message.
    public var description: String { message }
}

/// numpy's `np.std`: the population standard deviation (0 for one value).
func populationStd(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let mean = values.reduce(0, +) / Double(values.count)
    let v = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return v.squareRoot()
}

/// Per-trial counters as JSON (`{"trial_00000": 3}`), in id order.
func countsJSON(_ counts: [String: Int]) -> JSONValue {
    .object(counts.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })
}

/// Per-trial counters read back from ``countsJSON(_:)``.
func counts(from json: JSONValue?, _ stopper: String) throws(StopError) -> [String: Int] {
    guard let members = json?.objectValue else { throw StopError("\(stopper): malformed saved state") }
    var out: [String: Int] = [:]
    for (k, v) in members {
        guard let n = v.intValue, n >= 0 else { throw StopError("\(stopper): malformed count of trial '\(k)'") }
        out[k] = Int(n)
    }
    return out
}
