/// Which waiting trial starts next when the scheduler chooses (a front end's scheduler, Ray's
/// `choose_trial_to_run`), and the steps every start order shares: a new trial from the searcher,
/// the scheduler's hooks.
extension ExperimentCore {
    /// Whether the searcher may still create trials (`num_samples`, a finished searcher).
    var moreSamples: Bool { (config.numSamples == -1 || created < config.numSamples) && !limiter.finished }

    /// Asks the searcher for a new trial and adds it PENDING (the scheduler hears it); false when
    /// the searcher has none now.
    mutating func addSuggestedTrial() throws(ExperimentError) -> Bool {
        let id = Self.trialID(created)
        let suggestion: Suggestion?
        do { suggestion = try limiter.suggest(trialID: id) } catch { throw .search(error) }
        guard let suggestion else { return false }
        created += 1
        indexByID[id] = trials.count
        trials.append(TrialRecord(id: id, configuration: suggestion.configuration, status: .pending, number: trials.count))
        waitingCount += 1
        let number = trials.count - 1
        try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in
            try s.onTrialAdd(id, number: number, configuration: suggestion.configuration)
        }
        return true
    }

    /// Runs a scheduler hook; its failure (a front end's scheduler) as ``ExperimentError/schedule(_:)``.
    mutating func schedule<T>(_ body: (inout any TrialScheduler) throws(ScheduleError) -> T) throws(ExperimentError) -> T {
        do { return try body(&scheduler) } catch { throw .schedule(error) }
    }

    /// ``next(now:)`` with a scheduler that chooses, in Ray's `TuneController` order: a new trial is
    /// added PENDING when none is (Ray's one pending trial for a searcher); then the scheduler's
    /// choice among the waiting trials starts, or, when it chooses none, the first PENDING trial
    /// (Ray starts pending trials whatever the scheduler chose). PAUSED trials start only when
    /// chosen: a scheduler that leaves them all waiting while nothing else can run is an error
    /// (Ray would wait forever).
    mutating func nextChosen(now: Double) throws(ExperimentError) -> NextAction {
        let underCap = maxRunning.map { runningCount < $0 } ?? true
        if underCap && moreSamples && limiter.hasCapacity && !trials.contains(where: { $0.status == .pending }) {
            _ = try addSuggestedTrial()
        }
        let moreSamples = self.moreSamples
        if underCap && waitingCount > 0 {
            let waiting = trials.filter { $0.status == .pending || $0.status == .paused }
                .map { WaitingTrial(id: $0.id, status: $0.status) }
            let chosen = try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.chooseTrial(among: waiting) }
            if let chosen, let i = indexByID[chosen] { return start(i, now: now) }
            if let i = trials.firstIndex(where: { $0.status == .pending }) { return start(i, now: now) }
            if runningCount == 0 && !moreSamples {
                throw .schedule(.frontEnd("the scheduler's choose_trial_to_run chose none of the \(waiting.count) PAUSED "
                                          + "trials while no trial runs and none can be created: they would never resume"))
            }
        }
        if moreSamples || runningCount > 0 && waitingCount > 0 { return .wait }
        return .finished
    }
}
