/// HyperBand for BOHB as Ray Tune's `HyperBandForBOHB` (ray/tune/schedulers/hb_bohb.py) does it,
/// rule for rule: ``HyperBandScheduler`` without its pipelining, so that BOHB's model can place new
/// trials between halvings.
///
/// - A new bracket is the largest one left in the band first (`s = s_max_1 - brackets - 1`, a
///   bracket whose first milestone is 0 skipped).
/// - Every result carries Ray's `hyperband_info` (``takeResultInfo()``): `{}` below the trial's
///   milestone, `{"budget": milestone}` at it; the searcher observes the budget as the result field
///   `hyperband_info/budget` (``TuneBOHB``'s model learns from it).
/// - At its milestone a trial pauses unless its bracket is filled and every other live trial of
///   the bracket is PAUSED; then the bracket is processed as HyperBand's (halving; a trial
///   resumed by it is "unpaused" for the searcher). The searcher hears each pause and unpause
///   (``takeSearcherNotes()``): BOHB's own concurrency counts running trials only.
/// - ``chooseTrial(among:)``: band by band, bracket by bracket in creation order, the first live
///   trial that is PENDING, or PAUSED and resumed by a halving; with none and no trial running,
///   each bracket with a PAUSED trial is processed (which may resume or stop trials) and the choice
///   is made once more.
public struct HyperBandForBOHB: TrialScheduler {
    /// The scheduler's name in saved state.
    public static let kind = "hb_bohb"

    /// The HyperBand state (brackets, bands, halvings) this scheduler drives.
    var base: HyperBandScheduler
    /// What the scheduler knows of each of its trials' status (PENDING, RUNNING, PAUSED); changed
    /// only through ``setStatus(_:_:)``, which keeps the two derived fields below.
    private(set) var status: [String: TrialStatus] = [:]
    /// The trials ``status`` has PENDING (derived, not saved).
    private(set) var pendingIDs: Set<String> = []
    /// How many trials ``status`` has RUNNING (derived, not saved).
    private(set) var runningCount = 0
    /// Counts the changes to ``status`` (what ``sync(_:)`` and ``firstRunnableIndexed()`` read).
    private(set) var statusVersion: UInt64 = 0
    /// The waiting trials last synced (not saved).
    var synced: WaitingTrials.Stamp?
    /// The trials whose status changed since the last sync (not saved).
    var changedSinceSync: Set<String> = []
    /// The last ``firstRunnableIndexed()`` and the versions it was worked out from (not saved).
    var lastRunnable: (index: UInt64, status: UInt64, id: String?)?
    /// Pauses (true) and unpauses (false) for the searcher, in order, not yet taken.
    var notes: [(trial: String, paused: Bool)] = []
    /// The `hyperband_info` of the last result, not yet taken.
    var info: JSONValue?

    /// Ray's parameters and defaults (``HyperBandScheduler``'s).
    /// - Throws: ``ScheduleError`` as ``HyperBandScheduler/init(timeAttr:metric:mode:maxT:reductionFactor:stopLastTrials:)``.
    public init(timeAttr: String = "training_iteration", metric: String? = nil, mode: Mode? = nil, maxT: Double = 81,
                reductionFactor: Double = 3, stopLastTrials: Bool = true) throws(ScheduleError) {
        base = try HyperBandScheduler(timeAttr: timeAttr, metric: metric, mode: mode, maxT: maxT,
                                      reductionFactor: reductionFactor, stopLastTrials: stopLastTrials)
    }

    /// The result field that measures progress.
    public var timeAttr: String { base.timeAttr }
    /// The most `time_attr` a trial runs for.
    public var maxT: Double { base.maxT }
    /// Eta.
    public var reductionFactor: Double { base.reductionFactor }
    /// Whether trials stop at the last milestone of their bracket.
    public var stopLastTrials: Bool { base.stopLastTrials }

    /// Takes the experiment's metric and mode.
    public mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {
        try base.properties.set(metric: metric, mode: mode, scheduler: "HyperBandForBOHB")
    }

    /// Ray's `HyperBandForBOHB.on_trial_add`: the current bracket, or a new one, largest first.
    public mutating func onTrialAdd(_ trialID: String) {
        base.add(trialID, largestFirst: true)
        setStatus(trialID, .pending)
    }

    /// The engine started the trial.
    public mutating func onTrialStart(_ trialID: String) {
        base.onTrialStart(trialID)
        if status[trialID] != nil { setStatus(trialID, .running) }
    }

    /// A failed run that runs again: it leaves its bracket and joins the current one.
    public mutating func onTrialRetry(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        try onTrialRemove(trialID)
        onTrialAdd(trialID)
    }

    /// Ray's `HyperBandForBOHB.on_trial_result` (see the type's comment).
    public mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) throws(ScheduleError) -> SchedulerDecision {
        info = .object([])
        guard let (b, i) = try base.updateStats(trialID, result, scheduler: "HyperBandForBOHB") else { return .continue }
        if base.brackets[b].continues(at: i) { return .continue }
        info = .object([("budget", .int(Int64(base.brackets[b].cumulR)))])
        let othersPaused = base.brackets[b].live.allSatisfy { $0.id == trialID || status[$0.id] == .paused }
        if !base.brackets[b].filled || !othersPaused {
            pause(trialID)
            return .pause
        }
        let action = try process(b, running: trialID)
        if action == .pause { pause(trialID) }
        return action
    }

    mutating func pause(_ trialID: String) {
        setStatus(trialID, .paused)
        notes.append((trialID, true))
    }

    /// HyperBand's processing of a bracket; each trial it resumes is unpaused for the searcher.
    mutating func process(_ b: Int, running: String?) throws(ScheduleError) -> SchedulerDecision {
        let before = base.brackets[b].toUnpause
        let action = try base.process(b, running: running)
        for l in base.brackets[b].live where base.brackets[b].toUnpause.contains(l.id) && !before.contains(l.id) {
            notes.append((l.id, false))
        }
        return action
    }

    /// Ray's `on_trial_complete`: as ``onTrialRemove(_:)``.
    public mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) throws(ScheduleError) {
        try onTrialRemove(trialID)
    }

    /// Ray's `on_trial_remove`: the trial leaves its bracket, which is processed unless it is
    /// finished or was halved before.
    public mutating func onTrialRemove(_ trialID: String) throws(ScheduleError) {
        setStatus(trialID, nil)
        guard let b = base.bracketOf[trialID] else { return }
        base.removeLive(b, trialID)
        if !base.brackets[b].finished && !base.brackets[b].isBeingProcessed {
            _ = try process(b, running: nil)
        }
    }

    /// The restored trials: their statuses (a restored running trial comes back PENDING).
    public mutating func onTrialsRestored(_ trials: [TrialRecord]) throws(ScheduleError) {
        for t in trials where status[t.id] != nil || base.bracketOf[t.id] != nil {
            switch t.status {
            case .pending, .running: setStatus(t.id, .pending)
            case .paused: setStatus(t.id, .paused)
            case .terminated, .error: setStatus(t.id, nil)
            }
        }
    }

    /// The PAUSED trials the last hooks stopped, taken.
    public mutating func takeStopRequests() -> [String] {
        let ids = base.takeStopRequests()
        for id in ids { setStatus(id, nil) }
        return ids
    }

    /// The `hyperband_info` of the last result (`{}` or `{"budget": b}`), taken.
    public mutating func takeResultInfo() -> JSONValue? {
        defer { info = nil }
        return info
    }

    /// The pauses (true) and unpauses (false) the searcher is to hear, taken.
    public mutating func takeSearcherNotes() -> [(trial: String, paused: Bool)] {
        defer { notes = [] }
        return notes
    }

    /// HyperBandForBOHB chooses which waiting trial starts.
    public var choosesTrials: Bool { true }

    /// Ray's `HyperBandForBOHB.choose_trial_to_run` (see the type's comment).
    public mutating func chooseTrial(among waiting: [WaitingTrial]) throws(ScheduleError) -> String? {
        sync(waiting)
        if let id = firstRunnable() { return id }
        guard runningCount == 0 else { return nil }
        for band in base.bands {
            for case let b? in band where base.brackets[b].live.contains(where: { status[$0.id] == .paused }) {
                _ = try process(b, running: nil)
                if base.brackets[b].live.contains(where: { isRunnable($0.id, b) }) { return firstRunnable() }
            }
        }
        return nil
    }

    /// ``chooseTrial(among:)`` with the engine's view of the waiting trials: the same choice,
    /// found through HyperBand's live index (each live trial's bracket, band and order, the
    /// resumed ones) instead of a visit of every live trial of every band. The bracket
    /// processing of the case where nothing is runnable and nothing runs stays the scan's.
    public mutating func chooseTrial(from waiting: WaitingTrials) throws(ScheduleError) -> String? {
        guard !base.index.ambiguous else { return try chooseTrial(among: waiting.list) }
        // The engine asks after every result. A sync leaves every waiting trial known here with
        // the engine's status; after one, only the trials that changed since (in the engine, or
        // here) can differ, so only they are synced again. The first runnable trial is worked
        // out again only when the statuses or the index changed.
        if let last = synced, let ids = waiting.changedIDs(since: last) {
            for id in ids + changedSinceSync where status[id] != nil {
                if let s = waiting.status(of: id) { setStatus(id, s) }
            }
        } else {
            sync(waiting.list)
        }
        synced = waiting.stamp
        changedSinceSync.removeAll(keepingCapacity: true)
        if let last = lastRunnable, last.index == base.index.version, last.status == statusVersion {
            if let id = last.id { return id }
        } else {
            let id = firstRunnableIndexed()
            lastRunnable = (base.index.version, statusVersion, id)
            if let id { return id }
        }
        guard runningCount == 0 else { return nil }
        return try chooseTrial(among: waiting.list)
    }

    func firstRunnableIndexed() -> String? {
        var best: (band: Int, bracket: Int, sequence: Int, id: String)?
        func consider(_ id: String, _ place: (bracket: Int, sequence: Int)) {
            guard place.bracket < base.index.bandOf.count, let band = base.index.bandOf[place.bracket] else { return }
            if let b = best, (b.band, b.bracket, b.sequence) <= (band, place.bracket, place.sequence) { return }
            best = (band, place.bracket, place.sequence, id)
        }
        for id in pendingIDs {
            if let place = base.index.place[id] { consider(id, place) }
        }
        for (id, place) in base.index.resumable where status[id] == .paused { consider(id, place) }
        return best?.id
    }

    /// Takes the engine's status of each waiting trial of the scheduler's.
    mutating func sync(_ waiting: [WaitingTrial]) {
        for w in waiting where status[w.id] != nil { setStatus(w.id, w.status) }
    }

    /// Sets a trial's status as the scheduler knows it (nil: not its trial any more).
    mutating func setStatus(_ id: String, _ new: TrialStatus?) {
        let old = status[id]
        guard old != new else { return }
        status[id] = new
        statusVersion &+= 1
        changedSinceSync.insert(id)
        if old == .pending { pendingIDs.remove(id) }
        if old == .running { runningCount -= 1 }
        if new == .pending { pendingIDs.insert(id) }
        if new == .running { runningCount += 1 }
    }

    func isRunnable(_ id: String, _ b: Int) -> Bool {
        status[id] == .pending || (status[id] == .paused && base.brackets[b].toUnpause.contains(id))
    }

    func firstRunnable() -> String? {
        for band in base.bands {
            for case let b? in band {
                for l in base.brackets[b].live where isRunnable(l.id, b) { return l.id }
            }
        }
        return nil
    }

    /// The scheduler's whole state as JSON (restored by ``init(restoring:)``).
    public func saveState() -> JSONValue {
        var members = base.saveState().objectValue ?? []
        if let k = members.firstIndex(where: { $0.0 == "scheduler" }) { members[k].1 = .string(Self.kind) }
        members.append(("statuses", .object(status.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value.rawValue)) })))
        return .object(members)
    }

    /// Restores a scheduler from ``saveState()``.
    /// - Throws: ``ScheduleError`` with the source ``ScheduleError/Source/savedState``.
    public init(restoring state: JSONValue) throws(ScheduleError) {
        guard state["scheduler"]?.stringValue == Self.kind, var members = state.objectValue else {
            throw ScheduleError.state("not a HyperBandForBOHB scheduler state")
        }
        if let k = members.firstIndex(where: { $0.0 == "scheduler" }) { members[k].1 = .string(HyperBandScheduler.kind) }
        base = try HyperBandScheduler(restoring: .object(members))
        guard let saved = state["statuses"]?.objectValue else { throw ScheduleError.state("malformed HyperBandForBOHB state") }
        for (id, s) in saved {
            guard let st = s.stringValue.flatMap(TrialStatus.init(rawValue:)) else {
                throw ScheduleError.state("malformed HyperBandForBOHB trial status")
            }
            setStatus(id, st)
        }
    }
}
