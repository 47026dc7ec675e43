#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Synchronous HyperBand (Li et al., "Hyperband", 2018) as Ray Tune's `HyperBandScheduler`
/// (ray/tune/schedulers/hyperband.py) does it, rule for rule:
///
/// - `s_max_1 = round(log(max_t) / log(eta)) + 1` (round half to even); trials fill brackets in
///   order, bracket `s` of a band taking `ceil(s_max_1 / (s + 1) * eta^s)` trials with a first
///   milestone `int(max_t * eta^-s)` (a bracket whose milestone is 0 is skipped); a band holds
///   `s_max_1` brackets, then a new band starts.
/// - A trial below its bracket's milestone continues; one at it pauses until every live trial of
///   the bracket is there. Then the bracket halves: its trials sorted by the metric (Python's
///   sort, NaN included: ``pythonSortedIndices(_:)``), the best `ceil(n / eta)` go on (the
///   milestone times eta, at most `max_t`; PAUSED ones are resumed when
///   ``chooseTrial(among:)`` picks them), the others stop (the reporting trial by the decision,
///   PAUSED ones through ``takeStopRequests()``). A bracket with no halvings left stops its
///   trials at the milestone (unless `stop_last_trials` is false).
/// - A trial that ends or fails leaves its bracket, which is then processed as if a result had
///   come, unless it has been halved before (Ray's `is_being_processed` is never reset).
/// - ``chooseTrial(among:)``: band by band, brackets by completion (stable), the first live
///   trial that is PENDING, or PAUSED and resumed by a halving.
public struct HyperBandScheduler: TrialScheduler {
    /// The scheduler's name in saved state.
    public static let kind = "hyperband"

    /// The result field that measures progress.
    public let timeAttr: String
    /// The most `time_attr` a trial runs for.
    public let maxT: Double
    /// Eta: how many times fewer trials each halving keeps.
    public let reductionFactor: Double
    /// Whether trials stop at the last milestone of their bracket.
    public let stopLastTrials: Bool
    var properties: SearchProperties
    /// Ray's `_s_max_1`: brackets per band.
    let sMax1: Int
    /// Every bracket made, in order.
    var brackets: [Bracket] = []
    /// The bands: each a list of bracket indices into ``brackets`` (nil: a bracket too small, skipped).
    var bands: [[Int?]] = [[]]
    /// The bracket new trials join (nil before the first).
    var current: Int?
    /// Each trial's bracket.
    var bracketOf: [String: Int] = [:]
    /// How many trials halvings stopped.
    public private(set) var numStopped = 0
    /// Waiting trials to stop, for the engine (``takeStopRequests()``).
    var stopRequests: [String] = []
    /// The live trials' order, the resumable ones and the brackets' bands, for
    /// ``chooseTrial(from:)`` (derived from the brackets; not saved).
    var index = HyperBandLiveIndex()
    /// The last choice (``chooseTrial(from:)``).
    var lastChoice: Choice?

    /// One live trial of a bracket: its latest `time_attr` (0 before its first result) and metric.
    struct Live: Sendable, Equatable {
        var id: String
        var time: Double? = nil
        var score: Double? = nil
        var hasMetric = false
    }

    /// Ray's `_Bracket`.
    struct Bracket: Sendable, Equatable {
        /// The live trials, in the order they joined (changed through ``join(_:)``,
        /// ``setTime(_:_:)``, ``leave(_:)`` and ``setCumulR(_:)``, which keep ``behind``).
        private(set) var live: [Live] = []
        /// How many live trials are below the current milestone (`time < cumul_r`, or no time
        /// that compares): ``curIterDone`` without a visit of every live trial.
        private(set) var behind = 0
        var all: [String] = []
        var n: Int
        var n0: Int
        var r: Int
        var r0: Int
        private(set) var cumulR: Int
        var halves: Int
        var totalWork: Int
        var completed = 0.0
        var stopLastTrials: Bool
        var isBeingProcessed = false
        var toUnpause: Set<String> = []

        func time(_ l: Live) -> Double { l.time ?? 0 }
        /// Whether a live trial at `time` is below the milestone (Ray's `t.last_result[time_attr] < cumul_r`, negated as Ray's `all(>=)`).
        func isBehind(_ time: Double) -> Bool { !(time >= Double(cumulR)) }
        /// Ray's `cur_iter_done`: every live trial has reached the milestone. O(1).
        var curIterDone: Bool { behind == 0 }

        init(n: Int, n0: Int, r: Int, r0: Int, cumulR: Int, halves: Int, totalWork: Int, stopLastTrials: Bool) {
            self.n = n
            self.n0 = n0
            self.r = r
            self.r0 = r0
            self.cumulR = cumulR
            self.halves = halves
            self.totalWork = totalWork
            self.stopLastTrials = stopLastTrials
        }

        /// A trial joins the live list.
        mutating func join(_ l: Live) {
            live.append(l)
            if isBehind(time(l)) { behind += 1 }
        }

        /// Live trial `i` is at `t`.
        mutating func setTime(_ i: Int, _ t: Double) {
            if isBehind(time(live[i])) { behind -= 1 }
            live[i].time = t
            if isBehind(t) { behind += 1 }
        }

        /// Live trial `i`'s latest metric (nil: its result had none).
        mutating func setScore(_ i: Int, _ score: Double?) {
            live[i].score = score
            live[i].hasMetric = score != nil
        }

        /// Trial `id` leaves the live list; whether it was there.
        mutating func leave(_ id: String) -> Bool {
            guard let i = index(id) else { return false }
            if isBehind(time(live[i])) { behind -= 1 }
            live.remove(at: i)
            return true
        }

        /// The milestone moves to `r`.
        mutating func setCumulR(_ r: Int) {
            cumulR = r
            behind = live.reduce(0) { $0 + (isBehind(time($1)) ? 1 : 0) }
        }
        var finished: Bool { stopLastTrials && halves == 0 && curIterDone }
        var filled: Bool { live.count == n }
        func index(_ id: String) -> Int? { live.firstIndex { $0.id == id } }

        func continues(_ id: String) -> Bool {
            guard let i = index(id) else { return false }
            return continues(at: i)
        }

        /// ``continues(_:)`` for live trial `i`.
        func continues(at i: Int) -> Bool {
            if !stopLastTrials && halves == 0 { return true }
            return time(live[i]) < Double(cumulR)
        }

        var completion: Double {
            if finished { return 1 }
            return Swift.min(completed / Double(totalWork), 1)
        }
    }

    /// Ray's parameters and defaults.
    /// - Throws: ``ScheduleError`` when `max_t` is below 1 (Ray asserts it is positive and loops
    ///   forever below 1) or `reduction_factor` is not above 1.
    public init(timeAttr: String = "training_iteration", metric: String? = nil, mode: Mode? = nil, maxT: Double = 81,
                reductionFactor: Double = 3, stopLastTrials: Bool = true) throws(ScheduleError) {
        guard maxT > 0 else { throw ScheduleError("Max (time_attr) not valid!") }
        guard maxT >= 1 else { throw ScheduleError("max_t must be at least 1 for HyperBand (got \(maxT)): its first bracket would be empty") }
        guard reductionFactor > 1, reductionFactor.isFinite else {
            throw ScheduleError("reduction_factor must be > 1 for HyperBand, got \(reductionFactor)")
        }
        self.timeAttr = timeAttr
        self.maxT = maxT
        self.reductionFactor = reductionFactor
        self.stopLastTrials = stopLastTrials
        properties = SearchProperties(metric: metric, mode: mode)
        sMax1 = Int((log(maxT) / log(reductionFactor)).rounded(.toNearestOrEven)) + 1
    }

    func n0(_ s: Int) -> Int { Int((Double(sMax1) / Double(s + 1) * pow(reductionFactor, Double(s))).rounded(.up)) }
    func r0(_ s: Int) -> Int { Int(maxT * pow(reductionFactor, Double(-s))) }

    func makeBracket(_ s: Int) -> Bracket {
        let n = n0(s), r = r0(s)
        // Ray's _calculate_total_work (its cumulative r stays the first milestone).
        var work = 0
        var nn = Double(n), rr = Double(r)
        for _ in 0...s {
            work += Int(nn) * Int(rr)
            nn = (nn / reductionFactor).rounded(.up)
            rr = Double(Int(Swift.min(rr * reductionFactor, maxT - Double(r))))
        }
        return Bracket(n: n, n0: n, r: r, r0: r, cumulR: r, halves: s, totalWork: work, stopLastTrials: stopLastTrials)
    }

    /// Takes the experiment's metric and mode (see ``TrialScheduler/setSearchProperties(metric:mode:)``).
    public mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {
        try properties.set(metric: metric, mode: mode, scheduler: "HyperBandScheduler")
    }

    /// Ray's `on_trial_add`: the trial joins the current bracket, or a new one when it is filled.
    public mutating func onTrialAdd(_ trialID: String) { add(trialID, largestFirst: false) }

    /// The trial joins the current bracket, or a new one when it is filled: the band's next
    /// (HyperBand), or its largest left (`largestFirst`, HyperBandForBOHB).
    mutating func add(_ trialID: String, largestFirst: Bool) {
        if current == nil || brackets[current ?? 0].filled {
            while true {
                if bands[bands.count - 1].count == sMax1 { bands.append([]) }
                let made = bands[bands.count - 1].count
                let s = largestFirst ? sMax1 - made - 1 : made
                if r0(s) == 0 {
                    bands[bands.count - 1].append(nil)
                    current = nil
                } else {
                    brackets.append(makeBracket(s))
                    index.bracketAdded(band: bands.count - 1)
                    current = brackets.count - 1
                    bands[bands.count - 1].append(current)
                    break
                }
            }
        }
        guard let b = current else { return }
        brackets[b].join(Live(id: trialID))
        brackets[b].all.append(trialID)
        bracketOf[trialID] = b
        index.added(trialID, bracket: b, resumable: brackets[b].toUnpause.contains(trialID))
    }

    /// A failed run that runs again: Ray's `on_trial_error` (the trial leaves its bracket), then
    /// `on_trial_add` (it joins the current one).
    public mutating func onTrialRetry(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        try onTrialRemove(trialID)
        onTrialAdd(trialID)
    }

    /// A waiting trial started: one resumed by a halving is no longer looked at by
    /// ``chooseTrial(from:)`` (it waits again only after a result or a retry, both heard).
    public mutating func onTrialStart(_ trialID: String) { index.started(trialID) }

    /// Ray's `on_trial_result`: continue below the milestone, else process the bracket.
    /// - Throws: ``ScheduleError`` when the result lacks `time_attr` (Ray's KeyError).
    public mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) throws(ScheduleError) -> SchedulerDecision {
        guard let (b, i) = try updateStats(trialID, result, scheduler: "HyperBandScheduler") else { return .continue }
        if brackets[b].continues(at: i) { return .continue }
        return try process(b, running: trialID)
    }

    /// Ray's `update_trial_stats` of the trial's bracket (returned, with the trial's place in its live list; nil for a trial in none).
    /// - Throws: ``ScheduleError`` when the result lacks `time_attr` (Ray's KeyError).
    mutating func updateStats(_ trialID: String, _ result: Metrics, scheduler: String) throws(ScheduleError) -> (bracket: Int, live: Int)? {
        guard let b = bracketOf[trialID], let i = brackets[b].index(trialID) else { return nil }
        guard let t = result[timeAttr] else {
            throw ScheduleError("\(scheduler): the result of trial '\(trialID)' has no '\(timeAttr)' (its time_attr)")
        }
        let metric = properties.metric ?? ""
        let last = brackets[b].time(brackets[b].live[i])
        brackets[b].completed += t - last
        brackets[b].setTime(i, t)
        brackets[b].setScore(i, result[metric])
        if !brackets[b].toUnpause.isEmpty { brackets[b].toUnpause.remove(trialID) }
        index.unmarkResumable(trialID)
        return (b, i)
    }

    /// Ray's `_process_bracket`: the decision on `running` (the trial whose result came, nil when
    /// a trial left the bracket); the bracket's other live trials are PAUSED (or pausing).
    mutating func process(_ b: Int, running: String?) throws(ScheduleError) -> SchedulerDecision {
        var action = SchedulerDecision.pause
        guard brackets[b].curIterDone else { return action }
        if brackets[b].finished {
            // Ray's cleanup_full: the PAUSED trials stop; the running one by the decision.
            for l in brackets[b].live where l.id != running { stopRequests.append(l.id) }
            return .stop
        }
        brackets[b].isBeingProcessed = true
        let (good, bad) = try halve(b)
        numStopped += bad.count
        for t in bad {
            if t == running {
                removeLive(b, t)
                action = .stop
            } else {
                stopRequests.append(t)
            }
        }
        for t in good {
            if brackets[b].continues(t) {
                if t == running {
                    action = .continue
                } else {
                    brackets[b].toUnpause.insert(t)
                    index.markResumable(t)
                }
            } else if brackets[b].finished && brackets[b].stopLastTrials {
                if t == running {
                    removeLive(b, t)
                    action = .stop
                } else {
                    stopRequests.append(t)
                }
            }
        }
        return action
    }

    /// Trial `id` leaves bracket `b`'s live list.
    mutating func removeLive(_ b: Int, _ id: String) {
        if brackets[b].leave(id) { index.removed(id) }
    }

    /// Ray's `successive_halving`: the trials that go on and those that stop.
    mutating func halve(_ b: Int) throws(ScheduleError) -> (good: [String], bad: [String]) {
        var br = brackets[b]
        if br.halves == 0 && !br.stopLastTrials { return (br.live.map(\.id), []) }
        br.halves -= 1
        br.n = Int((Double(br.n) / reductionFactor).rounded(.up))
        br.r = Int(Swift.min(Double(br.r) * reductionFactor, maxT))
        br.setCumulR(br.r)
        brackets[b] = br
        let op = properties.mode == .max ? 1.0 : -1.0
        let metric = properties.metric ?? ""
        if let l = br.live.first(where: { !$0.hasMetric }) {
            throw ScheduleError("HyperBandScheduler: trial '\(l.id)' reported no '\(metric)' (the metric) at the milestone")
        }
        let order = pythonSortedIndices(br.live.map { op * ($0.score ?? .nan) }).map { br.live[$0].id }
        let keep = Swift.min(br.n, order.count)
        return (Array(order.suffix(keep)), Array(order.prefix(order.count - keep)))
    }

    /// Ray's `on_trial_complete`: as ``onTrialRemove(_:)``.
    public mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) throws(ScheduleError) {
        try onTrialRemove(trialID)
    }

    /// Ray's `on_trial_remove`: the trial leaves its bracket, which is processed unless it is
    /// finished or was halved before.
    public mutating func onTrialRemove(_ trialID: String) throws(ScheduleError) {
        guard let b = bracketOf[trialID] else { return }
        removeLive(b, trialID)
        if !brackets[b].finished && !brackets[b].isBeingProcessed {
            _ = try process(b, running: nil)
        }
    }

    /// The PAUSED trials the last hooks stopped, taken (the engine ends them).
    public mutating func takeStopRequests() -> [String] {
        defer { stopRequests = [] }
        return stopRequests
    }

    /// HyperBand chooses which waiting trial starts.
    public var choosesTrials: Bool { true }

    /// Ray's `choose_trial_to_run` among these waiting trials (see ``chooseTrial(from:)``).
    public mutating func chooseTrial(among waiting: [WaitingTrial]) -> String? {
        chooseTrial(from: WaitingTrials(waiting))
    }

    /// Ray's `choose_trial_to_run`: band by band, the brackets of a band by completion (a stable
    /// sort), the first live trial of a bracket that is PENDING, or PAUSED and resumed by a
    /// halving. Only the PENDING trials and the resumed ones can be chosen, so only they are
    /// looked at, in that order (their bracket's band and their place in its live list come from
    /// ``HyperBandLiveIndex``), and only the bands they are in are sorted; a resumed trial's status
    /// is asked until one waits. O(p + u log u + s log s) for p PENDING trials, u resumed ones and
    /// s brackets per band.
    ///
    /// The engine asks after every result, mostly with nothing changed: the choice is kept with
    /// what it was worked out from (the waiting trials' ``WaitingTrials/stamp``, the index's
    /// version, and the completions of the brackets it had to order) and given again while they
    /// stay. O(1) then.
    public mutating func chooseTrial(from waiting: WaitingTrials) -> String? {
        if index.ambiguous { return chooseTrialByScan { waiting.status(of: $0) } }
        if let last = lastChoice, let stamp = waiting.stamp, last.waiting == stamp, last.index == index.version,
           last.completions.allSatisfy({ bandCompletions($0.band) == $0.values }) {
            return last.chosen
        }
        var ordered: [(band: Int, values: [Double])] = []
        let chosen = choose(from: waiting, ordered: &ordered)
        lastChoice = waiting.stamp.map { Choice(waiting: $0, index: index.version, completions: ordered, chosen: chosen) }
        return chosen
    }

    /// A choice of ``chooseTrial(from:)`` and what it was worked out from (not saved).
    struct Choice: Sendable {
        var waiting: WaitingTrials.Stamp
        var index: UInt64
        /// The bands whose brackets it ordered by completion, with those completions.
        var completions: [(band: Int, values: [Double])]
        var chosen: String?
    }

    /// The completions of band `band`'s brackets, in the band's order.
    func bandCompletions(_ band: Int) -> [Double] { bands[band].compactMap { $0 }.map { brackets[$0].completion } }

    /// ``chooseTrial(from:)`` worked out; `ordered` gets the bands whose brackets it ordered.
    func choose(from waiting: WaitingTrials, ordered: inout [(band: Int, values: [Double])]) -> String? {
        // The trials that can be chosen: PENDING ones (they wait) and resumed ones (if they wait).
        var candidates: [(id: String, bracket: Int, band: Int, sequence: Int, waits: Bool)] = []
        func consider(_ id: String, _ place: (bracket: Int, sequence: Int), waits: Bool) {
            guard place.bracket < index.bandOf.count, let band = index.bandOf[place.bracket] else { return }
            candidates.append((id, place.bracket, band, place.sequence, waits))
        }
        for id in waiting.pendingIDs {
            if let place = index.place[id] { consider(id, place, waits: true) }
        }
        for (id, place) in index.resumable { consider(id, place, waits: false) }
        while let band = candidates.lazy.map(\.band).min() {
            // The band's brackets in Ray's order, then each bracket's trials in live order.
            // (Candidates of one bracket only: its rank does not matter, the brackets need no sort.)
            var only: Int? = nil
            var oneBracket = true
            for c in candidates where c.band == band {
                if only == nil { only = c.bracket } else if only != c.bracket { oneBracket = false; break }
            }
            if !oneBracket { ordered.append((band, bandCompletions(band))) }
            let order = oneBracket ? [only ?? -1] : sortedByCompletion(bands[band]).map(\.element)
            var inBand: [(rank: Int, sequence: Int, candidate: Int)] = []
            for (k, c) in candidates.enumerated() where c.band == band {
                inBand.append((order.firstIndex(of: c.bracket) ?? Int.max, c.sequence, k))
            }
            // In (rank, sequence) order (sequences are unique), the first that waits: the
            // smallest is found by a scan, and the next only when it does not wait.
            while let m = inBand.indices.min(by: { (inBand[$0].rank, inBand[$0].sequence) < (inBand[$1].rank, inBand[$1].sequence) }) {
                let c = candidates[inBand[m].candidate]
                if c.waits || waiting.status(of: c.id) != nil { return c.id }
                inBand.swapAt(m, inBand.count - 1)
                inBand.removeLast()
            }
            candidates.removeAll { $0.band == band }
        }
        return nil
    }

    /// A band's brackets (with their offsets in it) by completion, as Ray sorts them.
    /// (Each bracket's completion is computed once, not at every comparison.)
    func sortedByCompletion(_ band: [Int?]) -> [(offset: Int, element: Int)] {
        let members = band.compactMap { $0 }
        let completion = members.map { brackets[$0].completion }
        return members.enumerated().sorted { a, b in
            let ca = completion[a.offset], cb = completion[b.offset]
            return ca < cb || (!(cb < ca) && a.offset < b.offset)
        }
    }

    /// Ray's `choose_trial_to_run` as Ray does it, visiting every live trial of every band in
    /// order; `status` gives a waiting trial's status (nil for a trial that does not wait).
    func chooseTrialByScan(_ status: (String) -> TrialStatus?) -> String? {
        for band in bands {
            for (_, b) in sortedByCompletion(band) {
                for l in brackets[b].live {
                    switch status(l.id) {
                    case .pending?: return l.id
                    case .paused? where brackets[b].toUnpause.contains(l.id): return l.id
                    default: continue
                    }
                }
            }
        }
        return nil
    }

    /// The scheduler's whole state as JSON (restored by ``init(restoring:)``).
    public func saveState() -> JSONValue {
        func num(_ d: Double?) -> JSONValue { d.map { .double($0) } ?? .null }
        return .object([("scheduler", .string(Self.kind)), ("time_attr", .string(timeAttr)), ("max_t", .double(maxT)),
                         ("reduction_factor", .double(reductionFactor)), ("stop_last_trials", .bool(stopLastTrials))]
                        + properties.json + [
            ("brackets", .array(brackets.map { br in
                .object([
                    ("live", .array(br.live.map { l in
                        .array([.string(l.id), num(l.time), l.hasMetric ? num(l.score ?? .nan) : .null])
                    })),
                    ("all", .array(br.all.map { .string($0) })),
                    ("n", .int(Int64(br.n))), ("n0", .int(Int64(br.n0))), ("r", .int(Int64(br.r))), ("r0", .int(Int64(br.r0))),
                    ("cumul_r", .int(Int64(br.cumulR))), ("halves", .int(Int64(br.halves))),
                    ("total_work", .int(Int64(br.totalWork))), ("completed", .double(br.completed)),
                    ("is_being_processed", .bool(br.isBeingProcessed)),
                    ("to_unpause", .array(br.toUnpause.sorted().map { .string($0) })),
                ])
            })),
            ("bands", .array(bands.map { .array($0.map { $0.map { .int(Int64($0)) } ?? .null }) })),
            ("current", current.map { .int(Int64($0)) } ?? .null),
            ("num_stopped", .int(Int64(numStopped))),
            ("stop_requests", .array(stopRequests.map { .string($0) })),
        ])
    }

    /// Restores a scheduler from ``saveState()``.
    /// - Throws: ``ScheduleError`` with the source ``ScheduleError/Source/savedState``.
    public init(restoring state: JSONValue) throws(ScheduleError) {
        guard state["scheduler"]?.stringValue == Self.kind else { throw ScheduleError.state("not a HyperBand scheduler state") }
        guard let timeAttr = state["time_attr"]?.stringValue, let maxT = state["max_t"]?.doubleValue,
              let rf = state["reduction_factor"]?.doubleValue, case .bool(let stopLast) = state["stop_last_trials"],
              let bs = state["brackets"]?.arrayValue, let bandsJSON = state["bands"]?.arrayValue,
              let numStopped = state["num_stopped"]?.intValue
        else { throw ScheduleError.state("malformed HyperBand scheduler state") }
        do {
            try self.init(timeAttr: timeAttr, maxT: maxT, reductionFactor: rf, stopLastTrials: stopLast)
        } catch {
            throw error.inSavedState
        }
        properties = try SearchProperties(json: state)
        func int(_ v: JSONValue?) throws(ScheduleError) -> Int {
            guard let i = v?.intValue, i >= 0, i <= Int64(Int32.max) else { throw ScheduleError.state("malformed HyperBand bracket") }
            return Int(i)
        }
        for b in bs {
            guard let live = b["live"]?.arrayValue, let all = b["all"]?.arrayValue, case .bool(let processing) = b["is_being_processed"],
                  let toUnpause = b["to_unpause"]?.arrayValue, let completed = b["completed"]?.doubleValue
            else { throw ScheduleError.state("malformed HyperBand bracket") }
            var br = Bracket(n: try int(b["n"]), n0: try int(b["n0"]), r: try int(b["r"]), r0: try int(b["r0"]),
                             cumulR: try int(b["cumul_r"]), halves: try int(b["halves"]), totalWork: try int(b["total_work"]),
                             stopLastTrials: stopLast)
            br.completed = completed
            br.isBeingProcessed = processing
            for l in live {
                guard let a = l.arrayValue, a.count == 3, let id = a[0].stringValue else { throw ScheduleError.state("malformed HyperBand live trial") }
                br.join(Live(id: id, time: a[1].doubleValue, score: a[2].doubleValue, hasMetric: a[2] != .null))
            }
            br.all = all.compactMap(\.stringValue)
            br.toUnpause = Set(toUnpause.compactMap(\.stringValue))
            brackets.append(br)
        }
        bands = []
        for band in bandsJSON {
            guard let items = band.arrayValue else { throw ScheduleError.state("malformed HyperBand band") }
            var out: [Int?] = []
            for item in items {
                if item == .null { out.append(nil); continue }
                let i = try int(item)
                guard i < brackets.count else { throw ScheduleError.state("a HyperBand band names bracket \(i) of \(brackets.count)") }
                out.append(i)
            }
            bands.append(out)
        }
        if bands.isEmpty { bands = [[]] }
        if let c = state["current"], c != .null {
            let i = try int(c)
            guard i < brackets.count else { throw ScheduleError.state("the current HyperBand bracket \(i) does not exist") }
            current = i
        }
        for (b, br) in brackets.enumerated() { for id in br.all { bracketOf[id] = b } }
        self.numStopped = Int(numStopped)
        stopRequests = state["stop_requests"]?.arrayValue?.compactMap(\.stringValue) ?? []
        index = HyperBandLiveIndex(brackets: brackets, bands: bands)
    }
}
