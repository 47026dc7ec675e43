/// Ray's `CombinedStopper(*stoppers)`: stops when any of its stoppers does, asking them in order
/// and no further than the first that says stop (Ray's `any(...)`: the later ones do not count
/// that result).
public struct CombinedStopper: Stopper {
    /// The stoppers, in order.
    public private(set) var stoppers: [any Stopper]

    /// The OR of these stoppers.
    public init(_ stoppers: [any Stopper]) { self.stoppers = stoppers }

    /// Whether any stopper stops the trial (in order, stopping at the first).
    public mutating func shouldStop(trialID: String, result: Metrics) throws(StopError) -> Bool {
        for i in stoppers.indices where try stoppers[i].shouldStop(trialID: trialID, result: result) { return true }
        return false
    }

    /// Whether any stopper stops the experiment (in order, stopping at the first).
    public mutating func stopAll(now: Double) throws(StopError) -> Bool {
        for i in stoppers.indices where try stoppers[i].stopAll(now: now) { return true }
        return false
    }

    /// Every stopper's state, in order.
    public func saveState() -> JSONValue { .array(stoppers.map { $0.saveState() }) }

    /// Reads ``saveState()``.
    public mutating func restoreState(_ state: JSONValue) throws(StopError) {
        guard let items = state.arrayValue, items.count == stoppers.count else {
            throw StopError("CombinedStopper: the saved state has not one entry per stopper")
        }
        for i in stoppers.indices { try stoppers[i].restoreState(items[i]) }
    }

    /// Hands the callback to every stopper inside.
    public mutating func attach(_ callback: @escaping StopperCallback) {
        for i in stoppers.indices { stoppers[i].attach(callback) }
    }

    /// Tells every stopper inside.
    public mutating func beginSession() {
        for i in stoppers.indices { stoppers[i].beginSession() }
    }
}
