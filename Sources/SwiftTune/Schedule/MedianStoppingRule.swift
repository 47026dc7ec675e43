/// The median stopping rule of Google Vizier, as Ray Tune's `MedianStoppingRule` does it: once a
/// trial's `time_attr` is past `grace_period`, it stops if its best metric so far is strictly worse
/// than the median, over the other trials that have reached the same time, of their running mean
/// of the metric between `grace_period` and that time. With fewer than `min_samples_required`
/// such trials it continues, or yields (pauses) when other trials are waiting and it has run
/// `min_time_slice` since it last yielded. With `hard_stop = false` a trial is paused instead of
/// stopped, and resumed once no other work is left.
public struct MedianStoppingRule: TrialScheduler {
    /// The scheduler's name in saved state.
    public static let kind = "median_stopping_rule"

    /// The result field that measures time (`time_total_s` by default).
    public let timeAttr: String
    /// No trial stops before this much `time_attr`.
    public let gracePeriod: Double
    /// The other trials needed at the same time for a median.
    public let minSamplesRequired: Int
    /// The `time_attr` a trial runs between two yields.
    public let minTimeSlice: Double
    /// Whether a trial worse than the median stops (true) or pauses (false).
    public let hardStop: Bool
    var properties: SearchProperties
    /// Each trial's results (those with `time_attr` and the metric), in order.
    var results: [String: [(time: Double, value: Double)]] = [:]
    var stopped: Set<String> = []
    var lastPause: [String: Double] = [:]
    /// The results' running sums, best values and recent running means (derived; not saved).
    var index: RunningMeans

    /// Ray's parameters and defaults.
    /// - Throws: ``ScheduleError`` (an option) when `gracePeriod`, `minSamplesRequired` or
    ///   `minTimeSlice` is negative (or NaN).
    public init(timeAttr: String = "time_total_s", metric: String? = nil, mode: Mode? = nil, gracePeriod: Double = 60,
                minSamplesRequired: Int = 3, minTimeSlice: Double = 0, hardStop: Bool = true) throws(ScheduleError) {
        guard minSamplesRequired >= 0 else { throw ScheduleError("'min_samples_required' must be >= 0, got \(minSamplesRequired)") }
        guard gracePeriod >= 0 else { throw ScheduleError("'grace_period' must be >= 0, got \(gracePeriod)") }
        guard minTimeSlice >= 0 else { throw ScheduleError("'min_time_slice' must be >= 0, got \(minTimeSlice)") }
        self.timeAttr = timeAttr
        self.gracePeriod = gracePeriod
        self.minSamplesRequired = minSamplesRequired
        self.minTimeSlice = minTimeSlice
        self.hardStop = hardStop
        properties = SearchProperties(metric: metric, mode: mode)
        index = RunningMeans(gracePeriod: gracePeriod)
    }

    /// Takes the experiment's metric and mode (see ``TrialScheduler/setSearchProperties(metric:mode:)``).
    public mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {
        try properties.set(metric: metric, mode: mode, scheduler: "MedianStoppingRule")
    }

    /// A new trial was created.
    public mutating func onTrialAdd(_ trialID: String) {}

    /// The decision after one of a running trial's results (see the type's comment). While every
    /// trial's times increase, O(log R + log T + T / 1024) for T trials of R results each (the
    /// other trials' running means up to this time are kept in order, ``RunningMeans``), and
    /// O(T log R) the first time a time is asked about; otherwise O(T x R), as Ray (the other
    /// trials' running means recomputed and sorted).
    public mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) -> SchedulerDecision {
        guard let metric = properties.metric, let time = result[timeAttr], let value = result[metric] else { return .continue }
        if !stopped.isEmpty, stopped.contains(trialID) { return .continue }  // a paused trial that was resumed
        results[trialID, default: []].append((time, value))
        index.append(trialID, time, value)
        if time < gracePeriod { return .continue }
        if let (median, others, best) = index.medianAndBest(excluding: trialID, at: time, max: properties.mode == .max) {
            if others < minSamplesRequired { return yieldOrContinue(trialID, time: time, context: context) }
            return compare(trialID, median: median, best: best ?? .nan)
        }
        // Ray's way, when a trial's times went back (``RunningMeans/regular``).
        // Other trials whose latest result has reached `time`.
        let others = results.filter { $0.key != trialID && ($0.value.last?.time ?? -.infinity) >= time }
        if others.count < minSamplesRequired { return yieldOrContinue(trialID, time: time, context: context) }
        let means = others.values.map { runningMean($0, upTo: time) }.sorted()
        let median = Self.median(means)
        let values = results[trialID, default: []].map(\.value)
        let best = properties.mode == .max ? values.max() ?? .nan : values.min() ?? .nan
        return compare(trialID, median: median, best: best)
    }

    /// With too few other trials for a median: the trial yields (pauses) when others wait and it
    /// ran `min_time_slice` since it last did, else continues.
    mutating func yieldOrContinue(_ trialID: String, time: Double, context: SchedulerContext) -> SchedulerDecision {
        let pause = time - lastPause[trialID, default: -.infinity] > minTimeSlice && context.hasWaitingTrials
        if pause { lastPause[trialID] = time }
        return pause ? .pause : .continue
    }

    /// Stops (or pauses) the trial if `median` is strictly better than its `best` value.
    mutating func compare(_ trialID: String, median: Double, best: Double) -> SchedulerDecision {
        // Ray: compare_op(median, best) != best, i.e. the median is strictly better than the best.
        let worse = properties.mode == .max ? Swift.max(median, best) != best : Swift.min(median, best) != best
        if worse {
            stopped.insert(trialID)
            return hardStop ? .stop : .pause
        }
        return .continue
    }

    /// The trial ended (completed or stopped) with this last result.
    public mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) {
        if let metric = properties.metric, let result, let time = result[timeAttr], let value = result[metric] {
            results[trialID, default: []].append((time, value))
            index.append(trialID, time, value)
        }
    }

    /// The trial failed.
    public mutating func onTrialRemove(_ trialID: String) {}

    func runningMean(_ r: [(time: Double, value: Double)], upTo time: Double) -> Double {
        let scoped = r.filter { $0.time >= gracePeriod && $0.time <= time }.map(\.value)
        return scoped.isEmpty ? .nan : scoped.reduce(0, +) / Double(scoped.count)
    }

    /// numpy's median: the middle value, or the mean of the two middle values (NaN propagates).
    static func median(_ sorted: [Double]) -> Double {
        if sorted.isEmpty || sorted.contains(where: \.isNaN) { return .nan }
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// The scheduler's whole state as JSON (restored by ``init(restoring:)``).
    public func saveState() -> JSONValue {
        .object([("scheduler", .string(Self.kind)), ("time_attr", .string(timeAttr)), ("grace_period", .double(gracePeriod)),
                 ("min_samples_required", .int(Int64(minSamplesRequired))), ("min_time_slice", .double(minTimeSlice)),
                 ("hard_stop", .bool(hardStop))] + properties.json + [
            ("results", .object(results.sorted { $0.key < $1.key }.map { k, v in
                (k, .array(v.map { .array([.double($0.time), .double($0.value)]) }))
            })),
            ("stopped", .array(stopped.sorted().map { .string($0) })),
            ("last_pause", .object(lastPause.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })),
        ])
    }

    /// Restores a scheduler from ``saveState()``.
    /// - Throws: ``ScheduleError`` with the source ``ScheduleError/Source/savedState``.
    public init(restoring state: JSONValue) throws(ScheduleError) {
        guard state["scheduler"]?.stringValue == Self.kind else { throw ScheduleError.state("not a median stopping rule state") }
        guard let timeAttr = state["time_attr"]?.stringValue, let grace = state["grace_period"]?.doubleValue,
              let minSamples = state["min_samples_required"]?.intValue, let slice = state["min_time_slice"]?.doubleValue,
              case .bool(let hard) = state["hard_stop"], let res = state["results"]?.objectValue,
              let stopped = state["stopped"]?.arrayValue, let pauses = state["last_pause"]?.objectValue
        else { throw ScheduleError.state("malformed median stopping rule state") }
        do {
            try self.init(timeAttr: timeAttr, gracePeriod: grace, minSamplesRequired: Int(minSamples), minTimeSlice: slice, hardStop: hard)
        } catch {
            throw error.inSavedState
        }
        properties = try SearchProperties(json: state)
        for (k, v) in res {
            guard let items = v.arrayValue else { throw ScheduleError.state("malformed median stopping rule results") }
            var out: [(time: Double, value: Double)] = []
            for item in items {
                guard let pair = item.arrayValue, pair.count == 2, let t = pair[0].doubleValue, let x = pair[1].doubleValue
                else { throw ScheduleError.state("malformed median stopping rule result") }
                out.append((t, x))
            }
            results[k] = out
        }
        for s in stopped {
            guard let id = s.stringValue else { throw ScheduleError.state("malformed median stopping rule state") }
            self.stopped.insert(id)
        }
        for (k, v) in pauses {
            guard let t = v.doubleValue else { throw ScheduleError.state("malformed median stopping rule state") }
            lastPause[k] = t
        }
        index = RunningMeans(results: results, gracePeriod: grace)
    }
}
