/// A stopper that lives in the front end (Ray's `FunctionStopper` and users' `Stopper` subclasses):
/// the engine asks it through the callback the front end attached (`st_experiment_set_stopper`),
/// with this stopper's id so that one callback serves several. Its state is the front end's.
public struct CallbackStopper: Stopper {
    /// Which of the front end's stoppers this is.
    public let id: Int
    var callback: StopperCallback?

    /// The front end's stopper number `id`, asked once a callback is attached.
    public init(id: Int) { self.id = id }

    /// Whether a callback is attached.
    public var isAttached: Bool { callback != nil }

    func ask(_ query: StopQuery) throws(StopError) -> Bool {
        guard let callback else {
            throw StopError("stopper callback \(id) is not set: the experiment has a front-end stopper and no callback "
                            + "was given (st_experiment_set_stopper)")
        }
        return try callback(id, query)
    }

    /// The front end's `__call__(trial_id, result)`.
    public mutating func shouldStop(trialID: String, result: Metrics) throws(StopError) -> Bool {
        try ask(.trial(trialID: trialID, result: result))
    }

    /// The front end's `stop_all()`.
    public mutating func stopAll(now: Double) throws(StopError) -> Bool { try ask(.all) }

    /// Nothing: the front end keeps its stopper's state.
    public func saveState() -> JSONValue { .null }
    /// Nothing to restore.
    public mutating func restoreState(_ state: JSONValue) throws(StopError) {}
    /// Takes the callback.
    public mutating func attach(_ callback: @escaping StopperCallback) { self.callback = callback }
}
