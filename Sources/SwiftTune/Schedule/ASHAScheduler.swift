#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
/// Tuning", 2018), as Ray Tune's `AsyncHyperBandScheduler` / `ASHAScheduler` does it.
///
/// Each bracket has rungs at `grace_period * reduction_factor^(k + s)`. When a trial's
/// `time_attr` first reaches a rung, its reward is compared with the rung's cutoff, the
/// `(1 - 1/reduction_factor)` percentile of the rewards recorded there before it (numpy's linear
/// interpolation, NaN ignored): below the cutoff it stops, otherwise it goes on, so a trial continues
/// past a rung only if it is in the top 1/reduction_factor of that rung so far. A trial reaching
/// `max_t` stops when `stop_last_trials` is set. With several brackets a new trial picks one at
/// random with probability proportional to e^(number of rungs), as Ray does.
public struct ASHAScheduler: TrialScheduler {
    /// The scheduler's name in saved state.
    public static let kind = "asha"

    /// The result field that measures progress (`training_iteration` by default).
    public let timeAttr: String
    /// The most `time_attr` a trial runs for.
    public let maxT: Double
    /// The first rung: no trial stops before this much `time_attr`.
    public let gracePeriod: Double
    /// The ratio between rungs; a trial goes on past a rung if it is in the top 1/reduction_factor there.
    public let reductionFactor: Double
    /// Whether a trial reaching `max_t` stops.
    public let stopLastTrials: Bool
    var properties: SearchProperties
    /// Per bracket, its rungs from the highest milestone down, each with the rewards recorded there.
    var brackets: [[Rung]]
    var bracketOfTrial: [String: Int] = [:]
    var rng: Xoshiro256

    struct Rung: Sendable, Equatable {
        var milestone: Double
        /// Each trial's reward when it reached the rung (NaN included).
        private(set) var recorded: [String: Double] = [:]
        /// The recorded rewards but NaN, in order, for the cutoff (derived from ``recorded``; not saved).
        private(set) var rewards = OrderStatisticMultiset()

        init(milestone: Double) { self.milestone = milestone }

        /// Records a trial's reward (once per trial).
        mutating func record(_ trialID: String, _ reward: Double) {
            recorded[trialID] = reward
            rewards.insert(reward)
        }

        /// The rung's cutoff, ``ASHAScheduler/cutoff(_:_:)`` of what it recorded. O(log n + n / 1024).
        func cutoff(_ rf: Double) -> Double? {
            ASHAScheduler.percentile(count: recorded.count, rewards.count, rf) { rewards.kth($0) }
        }
    }

    /// Ray's parameters and defaults.
    public init(timeAttr: String = "training_iteration", metric: String? = nil, mode: Mode? = nil, maxT: Double = 100,
                gracePeriod: Double = 1, reductionFactor: Double = 4, brackets: Int = 1, stopLastTrials: Bool = true,
                seed: UInt64 = 0) throws(ScheduleError) {
        guard maxT > 0 else { throw ScheduleError("Max (time_attr) not valid!") }
        guard maxT >= gracePeriod else { throw ScheduleError("grace_period must be <= max_t!") }
        guard gracePeriod > 0 else { throw ScheduleError("grace_period must be positive!") }
        guard reductionFactor > 1 else { throw ScheduleError("Reduction Factor not valid! `reduction_factor` must be > 1, got \(reductionFactor)") }
        guard brackets > 0 else { throw ScheduleError("brackets must be positive!") }
        self.timeAttr = timeAttr
        self.maxT = maxT
        self.gracePeriod = gracePeriod
        self.reductionFactor = reductionFactor
        self.stopLastTrials = stopLastTrials
        properties = SearchProperties(metric: metric, mode: mode)
        self.brackets = (0..<brackets).map { s in Self.rungs(gracePeriod, maxT, reductionFactor, s) }
        rng = Xoshiro256(seed: seed)
    }

    /// Ray's `_Bracket` rungs: `int(log(max_t / min_t) / log(rf) - s + 1)` of them, highest first.
    static func rungs(_ minT: Double, _ maxT: Double, _ rf: Double, _ s: Int) -> [Rung] {
        let count = Int(log(maxT / minT) / log(rf) - Double(s) + 1)
        guard count > 0 else { return [] }
        return (0..<count).reversed().map { k in Rung(milestone: minT * pow(rf, Double(k + s))) }
    }

    /// The milestones of each bracket, highest first.
    public var milestones: [[Double]] { brackets.map { $0.map(\.milestone) } }

    /// Takes the experiment's metric and mode (see ``TrialScheduler/setSearchProperties(metric:mode:)``).
    public mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {
        try properties.set(metric: metric, mode: mode, scheduler: "AsyncHyperBandScheduler")
    }

    /// A new trial was created.
    public mutating func onTrialAdd(_ trialID: String) {
        var b = 0
        if brackets.count > 1 {
            let sizes = brackets.map { Double($0.count) }
            let top = sizes.max() ?? 0
            b = rng.categorical(sizes.map { exp($0 - top) })
        }
        bracketOfTrial[trialID] = b
    }

    func reward(_ result: Metrics) -> Double? {
        guard let metric = properties.metric, let v = result[metric] else { return nil }
        return properties.mode == .max ? v : -v
    }

    /// The decision after one of a running trial's results: the rung it reached decides (see the
    /// type's comment). O(b log r + r / 1024) for b rungs in its bracket and r rewards recorded at
    /// the rung (its cutoff is a percentile, of rewards kept in order: ``OrderStatisticMultiset``).
    public mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) -> SchedulerDecision {
        guard let t = result[timeAttr], let r = reward(result) else { return .continue }
        if t >= maxT && stopLastTrials { return .stop }
        return record(trialID, t, r)
    }

    /// The trial ended (completed or stopped) with this last result.
    public mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) {
        if let result, let t = result[timeAttr], let r = reward(result) { _ = record(trialID, t, r) }
        bracketOfTrial[trialID] = nil
    }

    /// The trial failed.
    public mutating func onTrialRemove(_ trialID: String) { bracketOfTrial[trialID] = nil }

    /// Ray's `_Bracket.on_result`: the highest rung the trial has reached and not yet been
    /// recorded at decides.
    mutating func record(_ trialID: String, _ t: Double, _ reward: Double) -> SchedulerDecision {
        guard let b = bracketOfTrial[trialID] else { return .continue }
        var decision = SchedulerDecision.continue
        for k in brackets[b].indices {
            // Below the milestone the trial has not reached the rung, whether it was seen there or not.
            if t < brackets[b][k].milestone { continue }
            let seen = brackets[b][k].recorded[trialID] != nil
            if seen && !stopLastTrials { break }
            if seen { continue }
            if let cutoff = brackets[b][k].cutoff(reductionFactor), reward < cutoff { decision = .stop }
            brackets[b][k].record(trialID, reward)  // NaN too, as Ray records it (the cutoff ignores it)
            break
        }
        return decision
    }

    /// numpy's `nanpercentile(values, (1 - 1/rf) * 100)` with linear interpolation; nil for no
    /// values, NaN when all are NaN. Sorts them: O(n log n) (a rung keeps them in order instead,
    /// ``Rung/cutoff(_:)``; this is its reference).
    static func cutoff(_ recorded: [String: Double], _ rf: Double) -> Double? {
        let v = recorded.values.filter { !$0.isNaN }.sorted()
        return percentile(count: recorded.count, v.count, rf) { v[$0] }
    }

    /// numpy's `nanpercentile` at `(1 - 1/rf) * 100` of `count` values of which `n` are not NaN,
    /// given the k-th smallest of those (`kth`); nil for no values, NaN when all are NaN.
    static func percentile(count: Int, _ n: Int, _ rf: Double, kth: (Int) -> Double) -> Double? {
        guard count > 0 else { return nil }
        guard n > 0 else { return .nan }
        let pos = (1 - 1 / rf) * Double(n - 1)
        let lo = Int(pos.rounded(.down))
        let hi = Swift.min(lo + 1, n - 1)
        // numpy's _lerp: a + (b - a) t, computed from b for t >= 0.5 (equal in exact arithmetic,
        // not always in floating point, and a tie with the cutoff decides stop or continue).
        let a = kth(lo), b = kth(hi), t = pos - Double(lo)
        let diff = b - a
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
    }

    /// The scheduler's whole state as JSON (restored by ``init(restoring:)``).
    public func saveState() -> JSONValue {
        .object([("scheduler", .string(Self.kind)), ("time_attr", .string(timeAttr)), ("max_t", .double(maxT)),
                 ("grace_period", .double(gracePeriod)), ("reduction_factor", .double(reductionFactor)),
                 ("stop_last_trials", .bool(stopLastTrials))] + properties.json + [
            ("brackets", .array(brackets.map { rungs in
                .array(rungs.map { r in
                    .object([("milestone", .double(r.milestone)),
                             ("recorded", .object(r.recorded.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) }))])
                })
            })),
            ("trials", .object(bracketOfTrial.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("rng", .array([rng.state.0, rng.state.1, rng.state.2, rng.state.3].map { .int(Int64(bitPattern: $0)) })),
        ])
    }

    /// Restores a scheduler from ``saveState()``.
    /// - Throws: ``ScheduleError`` with the source ``ScheduleError/Source/savedState``.
    public init(restoring state: JSONValue) throws(ScheduleError) {
        guard state["scheduler"]?.stringValue == Self.kind else { throw ScheduleError.state("not an ASHA scheduler state") }
        guard let timeAttr = state["time_attr"]?.stringValue, let maxT = state["max_t"]?.doubleValue,
              let grace = state["grace_period"]?.doubleValue, let rf = state["reduction_factor"]?.doubleValue,
              case .bool(let stopLast) = state["stop_last_trials"], let bs = state["brackets"]?.arrayValue,
              let trials = state["trials"]?.objectValue, let rngWords = state["rng"]?.arrayValue, rngWords.count == 4
        else { throw ScheduleError.state("malformed ASHA scheduler state") }
        guard !bs.isEmpty else { throw ScheduleError.state("an ASHA scheduler state needs at least one bracket") }
        do {
            try self.init(timeAttr: timeAttr, maxT: maxT, gracePeriod: grace, reductionFactor: rf, brackets: Swift.max(bs.count, 1),
                          stopLastTrials: stopLast)
        } catch {
            throw error.inSavedState
        }
        properties = try SearchProperties(json: state)
        var restored: [[Rung]] = []
        for b in bs {
            guard let rungs = b.arrayValue else { throw ScheduleError.state("malformed ASHA bracket") }
            var out: [Rung] = []
            for r in rungs {
                guard let m = r["milestone"]?.doubleValue, let rec = r["recorded"]?.objectValue else { throw ScheduleError.state("malformed ASHA rung") }
                var recorded: [String: Double] = [:]
                for (k, v) in rec {
                    guard let x = v.doubleValue else { throw ScheduleError.state("malformed ASHA rung") }
                    recorded[k] = x
                }
                var rung = Rung(milestone: m)
                for (k, x) in recorded { rung.record(k, x) }
                out.append(rung)
            }
            restored.append(out)
        }
        brackets = restored
        for (k, v) in trials {
            guard let b = v.intValue, b >= 0, Int(b) < brackets.count else { throw ScheduleError.state("malformed ASHA trial bracket") }
            bracketOfTrial[k] = Int(b)
        }
        let words = rngWords.compactMap { $0.intValue.map { UInt64(bitPattern: $0) } }
        guard words.count == 4, words != [0, 0, 0, 0] else { throw ScheduleError.state("malformed ASHA rng state") }
        rng = Xoshiro256(state: (words[0], words[1], words[2], words[3]))
    }
}
