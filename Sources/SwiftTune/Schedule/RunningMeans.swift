/// What ``MedianStoppingRule`` derives from its trials' results so that a decision need not
/// recompute every other trial's running mean and sort them (Ray does): per trial, the sums of
/// its values from `grace_period` on, and its best value so far; per time `t` asked about
/// recently, the running means up to `t` of the trials that reached `t`, in order.
///
/// Answers are Ray's bit for bit: a trial's running mean up to `t` is the sum of its values with
/// `grace_period <= time <= t`, added one by one in result order from 0, over their count (as
/// the rule computes it); with increasing times those results are a run of consecutive ones,
/// so the sum is one of the sums kept. Once any trial reports a time not above its previous
/// one (a run resumed from an earlier checkpoint, a NaN time), the kept sums no longer say it
/// and ``regular`` turns false: the rule then computes as Ray does. Never saved: rebuilt from the
/// rule's results (``init(results:gracePeriod:)``).
struct RunningMeans: Sendable {
    /// One trial's results from `grace_period` on.
    struct Trial: Sendable {
        /// Their times, increasing.
        var times: [Double] = []
        /// `sums[k]`: the sum of the first `k + 1` values, added in order from 0.
        var sums: [Double] = []
        /// The latest time (of any result).
        var last = -Double.infinity
        /// The best value so far, as Swift's `max()` / `min()` of every value would find it.
        var maximum: Double?
        var minimum: Double?

        /// Records a result (`summed`: among the running sums).
        mutating func record(_ time: Double, _ value: Double, summed: Bool) {
            maximum = maximum.map { $0 < value ? value : $0 } ?? value
            minimum = minimum.map { value < $0 ? value : $0 } ?? value
            last = time
            if summed {
                times.append(time)
                sums.append((sums.last ?? 0) + value)
            }
        }

        /// The running mean up to `t`: NaN when no result is in range. O(log n).
        func mean(upTo t: Double) -> Double {
            var lo = 0, hi = times.count
            while lo < hi {
                let mid = lo + (hi - lo) >> 1
                if times[mid] <= t { lo = mid + 1 } else { hi = mid }
            }
            return lo == 0 ? .nan : sums[lo - 1] / Double(lo)
        }
    }

    /// The running means up to one time of the trials that reached it.
    struct Means: Sendable {
        var ordered = OrderStatisticMultiset()
        var nanCount = 0
        var count: Int { ordered.count + nanCount }

        mutating func insert(_ m: Double) { if m.isNaN { nanCount += 1 } else { ordered.insert(m) } }
    }

    /// How many times' means are kept (the oldest made is dropped first).
    static let keptTimes = 8

    let gracePeriod: Double
    private(set) var trials: [String: Trial] = [:]
    /// Whether every trial's times have increased result after result.
    private(set) var regular = true
    /// The times whose means are kept, ascending, and in the order they were made.
    private var keptAscending: [Double] = []
    private var keptOrder: [Double] = []
    /// The kept means, along ``keptAscending`` (a few: found by a scan, changed in place).
    private var keptMeans: [Means] = []

    /// Where `time`'s means are in ``keptMeans``.
    private func keptIndex(_ time: Double) -> Int? { keptAscending.firstIndex(of: time) }

    /// An empty index.
    init(gracePeriod: Double) { self.gracePeriod = gracePeriod }

    /// The index of these results (each trial's, in order).
    init(results: [String: [(time: Double, value: Double)]], gracePeriod: Double) {
        self.init(gracePeriod: gracePeriod)
        for (id, rs) in results { for r in rs { append(id, r.time, r.value) } }
    }

    /// A result of trial `id` was recorded. O(log n) plus O(log m) per kept time it reaches.
    mutating func append(_ id: String, _ time: Double, _ value: Double) {
        // One access to the trial, in place (a copy taken out of the dictionary would copy its
        // arrays to append): its previous time, then the result, then its means at the kept
        // times in (previous, time], which it reached now.
        let previous = Self.append(time, value, to: &trials[id, default: Trial()], means: &keptMeans, kept: keptAscending,
                                   regular: regular, gracePeriod: gracePeriod)
        if !(time > previous) {
            regular = false
            keptMeans = []
            keptAscending = []
            keptOrder = []
        }
    }

    /// ``append(_:_:_:)`` on the trial `t` and the kept `means` (at the `kept` times); the
    /// trial's previous time.
    private static func append(_ time: Double, _ value: Double, to t: inout Trial, means: inout [Means], kept: [Double],
                               regular: Bool, gracePeriod: Double) -> Double {
        let previous = t.last
        let stillRegular = regular && time > previous
        t.record(time, value, summed: stillRegular && time >= gracePeriod)
        guard stillRegular, !kept.isEmpty else { return previous }
        var k = upperBound(previous, in: kept)
        while k < kept.count && kept[k] <= time {
            means[k].insert(t.mean(upTo: kept[k]))
            k += 1
        }
        return previous
    }

    private func upperBound(_ x: Double) -> Int { Self.upperBound(x, in: keptAscending) }

    /// The index of the first of `sorted` greater than `x`.
    private static func upperBound(_ x: Double, in sorted: [Double]) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = lo + (hi - lo) >> 1
            if sorted[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The median, over the trials other than `id` that reached `time`, of their running means
    /// up to `time` (numpy's median: NaN if one is NaN or there are none), with how many they
    /// are; nil unless ``regular`` and `id` reached `time`. O(T log n) the first time a time is
    /// asked about (T trials), O(log m + m / 1024) after (m of them).
    mutating func median(excluding id: String, at time: Double) -> (median: Double, others: Int)? {
        medianAndBest(excluding: id, at: time, max: true).map { ($0.median, $0.others) }
    }

    /// ``median(excluding:at:)`` with `id`'s best value so far (the largest for `max`), its trial
    /// looked up once.
    mutating func medianAndBest(excluding id: String, at time: Double, max: Bool) -> (median: Double, others: Int, best: Double?)? {
        guard regular, let own = trials[id], own.last >= time else { return nil }
        let best = max ? own.maximum : own.minimum
        if keptIndex(time) == nil { keep(time) }
        guard let j = keptIndex(time) else { return nil }
        let m = keptMeans[j]
        // The others' means: the kept ones but one copy of the trial's own, read around it (the
        // j-th of the others is the j-th of all below its place, the (j + 1)-th from there on).
        let mine = own.mean(upTo: time)
        let below = mine.isNaN ? 0 : m.ordered.countLess(than: mine)
        // (Its own mean is always kept; were it not, the caller's recomputation decides.)
        if !mine.isNaN, !(below < m.ordered.count && m.ordered.kth(below) == mine) { return nil }
        let n = m.ordered.count - (mine.isNaN ? 0 : 1)
        let others = m.count - 1
        if m.nanCount - (mine.isNaN ? 1 : 0) > 0 || n == 0 { return (.nan, others, best) }
        func at(_ j: Int) -> Double { mine.isNaN || j < below ? m.ordered.kth(j) : m.ordered.kth(j + 1) }
        return (n % 2 == 1 ? at(n / 2) : (at(n / 2 - 1) + at(n / 2)) / 2, others, best)
    }

    /// Starts keeping the means up to `time`, from every trial that reached it.
    private mutating func keep(_ time: Double) {
        var m = Means()
        for t in trials.values where t.last >= time { m.insert(t.mean(upTo: time)) }
        if keptOrder.count >= Self.keptTimes {
            let old = keptOrder.removeFirst()
            if let j = keptIndex(old) {
                keptAscending.remove(at: j)
                keptMeans.remove(at: j)
            }
        }
        let at = upperBound(time)
        keptAscending.insert(time, at: at)
        keptMeans.insert(m, at: at)
        keptOrder.append(time)
    }
}
