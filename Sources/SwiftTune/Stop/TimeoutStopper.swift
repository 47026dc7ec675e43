/// Ray's `TimeoutStopper(timeout)`: stops the experiment once `timeout` seconds were spent, counted
/// from the first ``stopAll(now:)`` (setup time excluded, as in Ray) across sessions: the time
/// between a save and its restore does not count.
public struct TimeoutStopper: Stopper, Equatable {
    /// The timeout in seconds.
    public let timeoutSeconds: Double
    /// The seconds left.
    public private(set) var budget: Double
    var lastCheck: Double?

    /// A stopper after `timeoutSeconds` seconds.
    public init(timeoutSeconds: Double) {
        self.timeoutSeconds = timeoutSeconds
        budget = timeoutSeconds
    }

    /// Never stops a single trial.
    public mutating func shouldStop(trialID: String, result: Metrics) throws(StopError) -> Bool { false }

    /// Spends the time since the last check; true once none is left.
    public mutating func stopAll(now: Double) throws(StopError) -> Bool {
        if let last = lastCheck { budget -= now - last }
        lastCheck = now
        return budget <= 0
    }

    /// `{"budget": seconds left}`.
    public func saveState() -> JSONValue { .object([("budget", .double(budget))]) }
    /// Reads ``saveState()``.
    public mutating func restoreState(_ state: JSONValue) throws(StopError) {
        guard let b = state["budget"]?.doubleValue else { throw StopError("TimeoutStopper: malformed saved state") }
        budget = b
        lastCheck = nil
    }
    /// The clock restarts at the next check.
    public mutating func beginSession() { lastCheck = nil }
}
