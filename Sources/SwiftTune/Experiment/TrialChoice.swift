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

    /// ``next(now:)`` with a scheduler that chooses, in Ray's `TuneController` order. The searcher
    /// creates trials PENDING while fewer than ``ExperimentConfig/maxPendingTrials`` are and fewer
    /// than ``ExperimentConfig/maxConcurrentTrials`` are live (the scheduler hears each). Trials
    /// queue to start in the order Ray stages them: every PENDING trial as it becomes pending, and
    /// whichever waiting trial the scheduler chooses (asked at every call, as Ray asks at every
    /// step, whether or not a trial may start). When one may, the first queued starts. So a PAUSED
    /// trial runs again only once chosen, and after the trials queued before it; one that no trial
    /// will ever let run (none runs, none queued, none can be created) is an error, where Ray would
    /// wait forever.
    mutating func nextChosen(now: Double) throws(ExperimentError) -> NextAction {
        var pending = trials.reduce(0) { $0 + ($1.status == .pending ? 1 : 0) }
        // As Ray's searchers under `max_concurrent_trials`: at most that many trials live (created,
        // not ended: pending, running or paused).
        func roomForLive(_ c: ExperimentCore) -> Bool { c.config.maxConcurrentTrials.map { c.runningCount + c.waitingCount < $0 } ?? true }
        while pending < config.maxPendingTrials && moreSamples && limiter.hasCapacity && roomForLive(self), try addSuggestedTrial() {
            pending += 1
        }
        let moreSamples = self.moreSamples
        if waitingCount > 0 {
            var queued = Set(staged)
            for t in trials where t.status == .pending && !queued.contains(t.id) {
                staged.append(t.id)
                queued.insert(t.id)
            }
            let waiting = trials.filter { $0.status == .pending || $0.status == .paused }
                .map { WaitingTrial(id: $0.id, status: $0.status) }
            let chosen = try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.chooseTrial(among: waiting) }
            if let chosen, !queued.contains(chosen) { staged.append(chosen) }
        }
        let underCap = maxRunning.map { runningCount < $0 } ?? true
        if underCap, !staged.isEmpty, let i = indexByID[staged.removeFirst()] { return start(i, now: now) }
        if runningCount == 0 && !moreSamples && waitingCount > 0 {
            throw .schedule(.frontEnd("the scheduler's choose_trial_to_run chose none of the \(waitingCount) PAUSED "
                                      + "trials while no trial runs and none can be created: they would never resume"))
        }
        if moreSamples || runningCount > 0 && waitingCount > 0 { return .wait }
        return .finished
    }
}
