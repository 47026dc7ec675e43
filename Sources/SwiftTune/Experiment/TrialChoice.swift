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
        table.append(TrialRecord(id: id, configuration: suggestion.configuration, status: .pending, number: trials.count))
        pendingIndices.insert(trials.count - 1)
        waitingChanges.record(trials.count - 1)
        let number = trials.count - 1
        try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in
            try s.onTrialAdd(id, number: number, configuration: suggestion.configuration)
        }
        try applySchedulerRequests(reporting: nil)  // a scheduler may fill in the configuration (PBT)
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
        try rayStep(pausing: nil, create: true)
        let moreSamples = self.moreSamples
        // Ended trials leave the queue; a trial queued while it was pausing waits there until it has.
        staged.removeAll { id in indexByID[id].map { table[$0].status == .terminated || table[$0].status == .error } ?? true }
        let underCap = maxRunning.map { runningCount < $0 } ?? true
        // A trial whose exploit waits for the clone's checkpoint being saved starts once it is.
        if underCap, let id = staged.removeFirst(where: { id in
            indexByID[id].map { (table[$0].status == .pending || table[$0].status == .paused) && table[$0].exploitFrom == nil } ?? false
        }), let i = indexByID[id] {
            let action = start(i, now: now)
            // Ray's next step, once the trial has started.
            try rayStep(pausing: nil, create: true)
            return action
        }
        if runningCount == 0 && !moreSamples && waitingCount > 0 {
            throw .schedule(.frontEnd("the scheduler's choose_trial_to_run chose none of the \(waitingCount) PAUSED "
                                      + "trials while no trial runs and none can be created: they would never resume"))
        }
        if moreSamples || runningCount > 0 && waitingCount > 0 { return .wait }
        return .finished
    }

    /// Ray's step before it handles an event (`_maybe_update_trial_queue`, `_maybe_add_actors`):
    /// with `create`, the searcher creates trials PENDING while fewer than
    /// ``ExperimentConfig/maxPendingTrials`` are and fewer than ``ExperimentConfig/maxConcurrentTrials``
    /// are live (the scheduler hears each); then every PENDING trial not yet queued joins the queue,
    /// then the trial the scheduler chooses among the waiting ones (PENDING or PAUSED, in creation
    /// order; `pausing`, the trial whose result was just answered `.pause`, counts as PAUSED, as
    /// it is in Ray by then).
    mutating func rayStep(pausing: String?, create: Bool) throws(ExperimentError) {
        if create {
            var pending = pendingIndices.count
            // As Ray's searchers under `max_concurrent_trials`: at most that many trials live
            // (created, not ended: pending, running or paused).
            func roomForLive(_ c: ExperimentCore) -> Bool { c.config.maxConcurrentTrials.map { c.runningCount + c.waitingCount < $0 } ?? true }
            while pending < config.maxPendingTrials && moreSamples && limiter.hasCapacity && roomForLive(self), try addSuggestedTrial() {
                pending += 1
            }
        }
        guard waitingCount > 0 || pausing != nil else { return }
        for i in pendingIndices { staged.append(table[i].id) }  // (once: the queue has no repeats)
        let waiting = WaitingTrials(trials: trials, indexByID: indexByID, pending: pendingIndices, paused: pausedIndices,
                                    pausing: pausing.flatMap { indexByID[$0] }, changes: waitingChanges)
        guard !waiting.isEmpty else { return }
        let chosen = try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.chooseTrial(from: waiting) }
        // (Choosing may process a bracket: HyperBandForBOHB stops and resumes trials there.)
        try applySchedulerStops()
        try applySearcherNotes()
        if let chosen { staged.append(chosen) }
    }

    /// Tells the searcher of the pauses and resumes the scheduler decided (Ray's
    /// `searcher.on_pause` / `on_unpause` from `HyperBandForBOHB`).
    mutating func applySearcherNotes() throws(ExperimentError) {
        for note in scheduler.takeSearcherNotes() {
            if note.paused { limiter.onTrialPause(note.trial) } else { limiter.onTrialUnpause(note.trial) }
        }
    }

    /// Ends the trials the scheduler stopped in its last hooks (Ray's `tune_controller.stop_trial`),
    /// and those its hearing of each stops: a PENDING or PAUSED trial ends TERMINATED (stopped
    /// early) at once, the scheduler hears it removed and the searcher hears it ended without a
    /// result; a running trial that was pausing ends TERMINATED when its run ends (its next
    /// ``finish(_:_:now:)`` says so), the scheduler and searcher told now; another running trial is
    /// answered `.stop` at its next report.
    mutating func applySchedulerStops() throws(ExperimentError) {
        while true {
            let ids = scheduler.takeStopRequests()
            if ids.isEmpty { return }
            for id in ids {
                guard let i = indexByID[id] else { throw .schedule(ScheduleError("the scheduler stopped unknown trial '\(id)'")) }
                switch table[i].status {
                case .pending, .paused:
                    statusChanged(i, from: table[i].status, to: .terminated)
                    table[i].status = .terminated
                    table[i].stoppedEarly = true
                    staged.removeAll { $0 == id }
                    stoppedWaiting.append(id)
                    if table[i].exploitFrom != nil {
                        table[i].exploitFrom = nil
                        waitingExploits -= 1
                    }
                case .running where table[i].decision == .pause:
                    table[i].decision = .stop
                    pausingCount -= 1
                    leftScheduler.insert(id)
                case .running:
                    table[i].decision = .stop
                    continue
                case .terminated, .error:
                    continue
                }
                try schedule { (s: inout any TrialScheduler) throws(ScheduleError) in try s.onTrialRemove(id) }
                if !table[i].searcherTold {
                    do { try limiter.tell(trialID: id, .failed, errored: false) } catch { throw .search(error) }
                    table[i].searcherTold = true
                }
            }
        }
    }

    /// The ids of the PENDING and PAUSED trials the scheduler ended since the last call (now
    /// TERMINATED), taken: a front end tells its callbacks they completed.
    public mutating func takeStoppedWaiting() -> [String] {
        defer { stoppedWaiting = [] }
        return stoppedWaiting
    }
}
