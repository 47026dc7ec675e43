/// The TPE model for one suggestion: the trials that count, their losses, and the good/bad split.
struct TPEModel {
    /// The searcher's space.
    let space: SearchSpace
    /// The prior of each parameter of `space`, by index.
    let priors: [Prior]
    /// The searcher's options.
    let options: TPESearch.Options
    /// The searcher's trials; `counted` picks the ones that count, in creation order.
    let records: [TrialLog.Record]
    let counted: [Int]
    /// Whether each counted trial is in the good ("below") group.
    let isBelow: [Bool]
    /// The sorted observations, when they are up to date with `records` (then the above
    /// mixtures are built from them without a sort).
    let index: ObservationIndex?

    /// nil while fewer than `nInitialPoints` trials count (then the suggestion is random).
    /// `index`, when given, must hold every record of `log`; `priors` are `space.priors`,
    /// computed here when not given. O(N) for N trials.
    init?(log: TrialLog, index: ObservationIndex? = nil, space: SearchSpace, priors: [Prior]? = nil, mode: Mode,
          options: TPESearch.Options) {
        var counted: [Int] = []
        var losses: [Double] = []
        var pending = 0
        counted.reserveCapacity(log.records.count)
        losses.reserveCapacity(log.records.count)
        for index in log.records.indices {
            let loss: Double
            switch log.records[index].state {
            case .failed: continue
            case .pending:
                loss = .infinity
                pending += 1
            case .completedWithoutMetric: loss = .infinity
            case .completed(let v):
                if v.isNaN { continue }  // recorded as failed by `finish` and by restore; never ranked
                loss = mode == .min ? v : -v
            }
            counted.append(index)
            losses.append(loss)
        }
        let n = counted.count
        // The constant liar (an opt-in, Optuna's rule): running trials stay in the model as bad
        // ones, but neither count towards the start-up threshold and the split's size nor join
        // the good group.
        let finished = options.constantLiar ? n - pending : n
        guard finished >= options.nInitialPoints, finished > 0 else { return nil }
        let nBelow = Swift.min(Int((options.gamma * Double(finished).squareRoot()).rounded(.up)), TPESearch.gammaCap)
        // The n_below smallest losses, ties to the older trial (a stable sort's prefix), by
        // insertion into a short sorted list: O(N) for the at most 25 kept.
        let keep = Swift.min(nBelow, finished)
        var best: [(loss: Double, index: Int)] = []
        best.reserveCapacity(keep + 1)
        for (i, l) in losses.enumerated() {
            if options.constantLiar, log.records[counted[i]].state == .pending { continue }
            if best.count == keep, let last = best.last, !(l < last.loss) { continue }
            var pos = best.count
            while pos > 0 && l < best[pos - 1].loss { pos -= 1 }
            best.insert((l, i), at: pos)
            if best.count > keep { best.removeLast() }
        }
        var isBelow = [Bool](repeating: false, count: n)
        for b in best { isBelow[b.index] = true }
        self.space = space
        self.priors = priors ?? space.priors
        self.options = options
        self.records = log.records
        self.counted = counted
        self.isBelow = isBelow
        self.index = index.flatMap { $0.synced == log.records.count ? $0 : nil }
    }

    /// Observations of parameter i (trials where it was active), split into below and above. O(N).
    func observations(_ i: Int, _ transform: (Double) -> Double) -> (below: [Double], above: [Double]) {
        var below: [Double] = []
        var above: [Double] = []
        for (t, index) in counted.enumerated() {
            let x = records[index].values[i]
            if x.isNaN { continue }
            if isBelow[t] { below.append(transform(x)) } else { above.append(transform(x)) }
        }
        return (below, above)
    }

    /// The value TPE picks for parameter i: the candidate drawn from l(x) with the largest
    /// log l(x) - log g(x) (the first one on ties). O(N + nEICandidates * window) for a numeric
    /// parameter, O(N + nEICandidates * K) for a categorical one with K values.
    func decide(_ i: Int, _ rng: inout Xoshiro256) -> Double {
        switch priors[i] {
        case let .categorical(p, offset):
            let (below, above) = observations(i) { $0 - Double(offset) }
            let lb = categoricalPosterior(below, p)
            let la = categoricalPosterior(above, p)
            var best = -1
            var bestScore = -Double.infinity
            for _ in 0..<options.nEICandidates {
                let c = rng.categorical(lb)
                let score = TPEMath.ln(lb[c]) - TPEMath.ln(la[c])
                if best < 0 || score > bestScore { best = c; bestScore = score }
            }
            return Double(best + offset)
        case .numeric(let prior):
            let b: GaussianMixture
            let a: GaussianMixture
            if let index {
                (b, a) = mixturesFromIndex(i, prior, index)
            } else {
                let (below, above) = observations(i) { prior.toEstimatorSpace($0) }
                b = mixture(below, prior)
                a = mixture(above, prior)
            }
            // The truncation masses are constants per mixture: they shift every candidate's score
            // alike, so they are left out of the comparison.
            let eb = GaussianMixture.Evaluator(b, normalized: false)
            let ea = GaussianMixture.Evaluator(a, normalized: false)
            var best = Double.nan
            var bestScore = -Double.infinity
            for _ in 0..<options.nEICandidates {
                let x = b.sample(&rng)
                var score = eb.logDensity(x) - ea.logDensity(x)
                if score.isNaN { score = -.infinity }  // both densities 0: no evidence either way
                if best.isNaN || score > bestScore { best = x; bestScore = score }
            }
            return best
        }
    }

    /// The below and above mixtures of numeric parameter i, the above one built from the sorted
    /// index in O(N): the same estimator as sorting the above observations (tested).
    func mixturesFromIndex(_ i: Int, _ prior: NumericPrior, _ index: ObservationIndex) -> (GaussianMixture, GaussianMixture) {
        // Below observations in trial order, and each above trial's rank in trial order among the
        // above trials where i is active (its linear-forgetting position).
        var below: [Double] = []
        var rank = [Int32](repeating: -1, count: records.count)
        var nAbove = 0
        for (k, r) in counted.enumerated() {
            let x = records[r].values[i]
            if x.isNaN { continue }
            if isBelow[k] {
                below.append(prior.toEstimatorSpace(x))
            } else {
                rank[r] = Int32(nAbove)
                nAbove += 1
            }
        }
        let lf = options.linearForgetting
        let forgetting = lf > 0 && nAbove > lf
        let ramp = GaussianMixture.LinearForgetting(n: nAbove, lf: lf)
        var ys = [Double]()
        var ws = [Double]()
        var ts = [Int32]()
        ys.reserveCapacity(nAbove)
        ws.reserveCapacity(nAbove)
        ts.reserveCapacity(nAbove)
        let values = index.values[i]
        let trials = index.trials[i]
        for k in values.indices {
            let t = Int(trials[k])
            let j = Int(rank[t])
            if j < 0 { continue }  // failed, or below
            ys.append(prior.toEstimatorSpace(values[k]))
            ws.append(forgetting ? ramp.weight(j) : 1)
            ts.append(Int32(t))
        }
        // The log transform with clamping can tie values that differed: restore (value, trial) order.
        for k in ys.indices.dropFirst() {
            var m = k
            while m > 0 && (ys[m - 1] > ys[m] || (ys[m - 1] == ys[m] && ts[m - 1] > ts[m])) {
                ys.swapAt(m - 1, m)
                ws.swapAt(m - 1, m)
                ts.swapAt(m - 1, m)
                m -= 1
            }
        }
        let above: GaussianMixture
        if ys.count >= 2 {
            let (w, mu, sigma, _) = GaussianMixture.adaptiveParzenSorted(
                ys, ws, priorWeight: options.priorWeight, priorMu: prior.mu, priorSigma: prior.sigma)
            above = GaussianMixture(weights: w, mus: mu, sigmas: sigma, low: prior.low, high: prior.high, isLog: prior.log, q: prior.q)
        } else {
            above = mixture(ys, prior)
        }
        return (mixture(below, prior), above)
    }

    /// The adaptive Parzen mixture of these observations (in trial order, in the estimator's space).
    func mixture(_ obs: [Double], _ prior: NumericPrior) -> GaussianMixture {
        let (w, mu, sigma, _) = GaussianMixture.adaptiveParzen(
            observations: obs, priorWeight: options.priorWeight, priorMu: prior.mu, priorSigma: prior.sigma,
            linearForgetting: options.linearForgetting)
        return GaussianMixture(weights: w, mus: mu, sigmas: sigma, low: prior.low, high: prior.high, isLog: prior.log, q: prior.q)
    }

    /// Normalised pseudo-counts: linear-forgetting-weighted counts + priorWeight * K * p.
    func categoricalPosterior(_ obs: [Double], _ p: [Double]) -> [Double] {
        TPEModel.categoricalPosterior(obs, p, priorWeight: options.priorWeight, linearForgetting: options.linearForgetting)
    }

    /// The posterior of categories `obs` (indices, in trial order) under prior `p`. O(N + K).
    static func categoricalPosterior(_ obs: [Double], _ p: [Double], priorWeight: Double, linearForgetting: Int) -> [Double] {
        let k = p.count
        var counts = p.map { priorWeight * Double(k) * $0 }
        let w = GaussianMixture.linearForgettingWeights(obs.count, linearForgetting)
        for (n, x) in obs.enumerated() {
            let c = Int(x)
            if c >= 0 && c < k { counts[c] += w?[n] ?? 1 }
        }
        let total = counts.reduce(0, +)
        return counts.map { $0 / total }
    }
}
