/// What the state journal last handed out of an experiment's state: enough to say what changed
/// since, without rendering the state again.
struct JournalMarks: Sendable {
    /// Trials in the state as last handed out.
    var trials = 0
    /// Per trial, the results its saved form had.
    var savedResults: [Int] = []
    /// Exploits in the state as last handed out.
    var exploits = 0
    /// `created` as last handed out.
    var created = 0
    /// The limiter's own members as last handed out.
    var limiter: JSONValue = .null
    /// The searcher's whole state as last handed out, for a searcher that does not track its changes.
    var searcher: JSONValue?
    /// The scheduler's and the stopper's states as last handed out.
    var scheduler: JSONValue = .null
    var stopper: JSONValue = .null
}

/// The experiment's state as a journal of changes: ``saveStateForJournal(now:)`` saves it whole and
/// starts over, ``takeStateChanges(now:)`` says what changed since, as a ``StatePatch`` that turns
/// the state saved or patched before into ``saveState(now:)`` of now.
///
/// A change costs what changed: the trials changed since (each with the results added since), the
/// searcher's new and finished trials, the exploits added; the limiter's own members (its live
/// trials), the scheduler's and the stopper's states are compared with what was last handed out and
/// given whole when they differ (a scheduler's state is small unless it keeps a record per trial).
extension ExperimentCore {
    /// ``saveState(now:)``, after which ``takeStateChanges(now:)`` patches this state.
    public mutating func saveStateForJournal(now: Double) -> JSONValue {
        let state = saveState(now: now)
        forgetStateChanges()
        return state
    }

    /// Takes the state as it is now as the one later changes patch, without rendering it (the
    /// caller has just rendered it, from a copy of this engine taken under the same lock).
    public mutating func forgetStateChanges() {
        table.forgetChanges()
        marks.trials = trials.count
        marks.savedResults = trials.map { Self.savedResultCount($0) }
        marks.exploits = exploits.count
        marks.created = created
        marks.limiter = .object(limiter.ownState)
        limiter.forgetSearcherChanges()
        marks.searcher = limiter.takeSearcherChanges() == nil ? limiter.searcher.saveState() : nil
        marks.scheduler = scheduler.saveState()
        marks.stopper = stopperState
    }

    /// How many results the saved form of `t` has (a RUNNING trial's stop at its checkpoint).
    static func savedResultCount(_ t: TrialRecord) -> Int {
        t.status == .running ? Swift.min(t.results.count, t.checkpointResults) : t.results.count
    }

    /// What changed since ``saveStateForJournal(now:)``, ``forgetStateChanges()`` or the previous
    /// call, as a patch of the state they left; the elapsed time is always set. O(what changed).
    public mutating func takeStateChanges(now: Double) -> StatePatch {
        var ops: [StatePatch.Op] = [.set([.key("elapsed_s")], .double(elapsed(now: now)))]
        if created != marks.created {
            ops.append(.set([.key("created")], .int(Int64(created))))
            marks.created = created
        }
        let own = JSONValue.object(limiter.ownState)
        if own != marks.limiter {
            ops.append(.merge([.key("limiter")], limiter.ownState))
            marks.limiter = own
        }
        if let searcherOps = limiter.takeSearcherChanges() {
            ops += searcherOps.map { $0.under([.key("limiter"), .key("searcher")]) }
        } else {
            let whole = limiter.searcher.saveState()
            if whole != marks.searcher {
                ops.append(.set([.key("limiter"), .key("searcher")], whole))
                marks.searcher = whole
            }
        }
        let schedulerState = scheduler.saveState()
        if schedulerState != marks.scheduler {
            ops.append(.set([.key("scheduler")], schedulerState))
            marks.scheduler = schedulerState
        }
        if stopperState != marks.stopper {
            ops.append(.set([.key("stopper")], stopperState))
            marks.stopper = stopperState
        }
        if exploits.count > marks.exploits {
            ops.append(.splice([.key("exploits")], keep: marks.exploits, exploits[marks.exploits...].map(\.json)))
            marks.exploits = exploits.count
        }
        for i in table.takeChanged() {
            let t = table[i]
            let (members, results) = Self.savedForm(t)
            let at: [StatePatch.Step] = [.key("trials"), .index(i)]
            if i >= marks.trials {
                // New trials come in creation order, each appended.
                ops.append(.set(at, .object(members + [("results", .array(results.map(TrialRecord.json)))])))
                marks.savedResults.append(results.count)
                marks.trials = i + 1
            } else {
                ops.append(.merge(at, members))
                // Results are only appended or dropped from the end: the first `keep` are as saved.
                let keep = Swift.min(marks.savedResults[i], t.resultsKept, results.count)
                if keep != marks.savedResults[i] || keep != results.count {
                    ops.append(.splice(at + [.key("results")], keep: keep,
                                       results[(results.startIndex + keep)...].map(TrialRecord.json)))
                }
                marks.savedResults[i] = results.count
            }
            table.resultsSeen(i)
        }
        return StatePatch(ops)
    }
}
