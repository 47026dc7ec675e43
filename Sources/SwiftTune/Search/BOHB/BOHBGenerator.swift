/// hpbandster's BOHB config generator (`hpbandster.optimizers.config_generators.bohb.BOHB`,
/// Falkner et al. 2018), rule for rule: per budget, the vectors and losses of the results; a
/// pair of densities (good and bad configurations) per budget once it has enough of them; and
/// suggestions that maximise l(x) / g(x) among candidates drawn around good configurations,
/// using the model of the largest budget.
///
/// Randomness comes from the caller's ``Xoshiro256`` (NumPy's global generator in hpbandster).
struct BOHBGenerator: Sendable, Equatable {
    /// The results of one budget, in arrival order (`configs[budget]`, `losses[budget]`).
    struct BudgetData: Sendable, Equatable {
        /// The budget.
        let budget: Double
        /// The vector of each result's configuration.
        var vectors: [[Double]] = []
        /// Each result's loss (+inf for a loss that is not finite).
        var losses: [Double] = []
    }

    /// The good and bad densities of one budget (`kde_models[budget]`).
    struct Model: Sendable, Equatable {
        /// l(x): the density of the best configurations.
        var good: KernelDensity
        /// g(x): the density of the others.
        var bad: KernelDensity
    }

    /// How a configuration came about (hpbandster's `info_dict['model_based_pick']`).
    enum Pick: Sendable, Equatable {
        /// Drawn from the prior (no model yet, the random fraction, or the model search failed).
        case random
        /// The candidate with the best ratio under the largest budget's model.
        case model
    }

    /// The hyperparameters and their vector form.
    let vector: SpaceVector
    /// The options, `minPointsInModel` resolved (at least the number of hyperparameters + 1).
    let options: BOHBSearch.Options
    /// hpbandster's `min_points_in_model` after its defaulting and raising.
    let minPoints: Int
    /// Each budget's results, in the order budgets were first seen.
    private(set) var budgets: [BudgetData] = []
    /// The models by budget (derived from `budgets`: restored by refitting).
    private(set) var models: [Double: Model] = [:]
    /// The KDE column kinds (`kde_vartypes`).
    let types: [KernelDensity.VarType]

    init(vector: SpaceVector, options: BOHBSearch.Options) {
        self.vector = vector
        self.options = options
        let d = vector.count
        // None -> d + 1; anything smaller is raised to d + 1 (hpbandster logs a warning).
        minPoints = max(options.minPointsInModel ?? (d + 1), d + 1)
        types = vector.entries.map { $0.kind.levels > 0 ? .unordered : .continuous }
    }

    /// `largest_budget_with_model`: -inf without a model.
    var largestBudgetWithModel: Double { models.keys.max() ?? -.infinity }

    // MARK: new_result

    /// hpbandster's `new_result`: records a result and refits the budget's model. A loss that is
    /// not finite counts as +inf; a result of a budget below the largest budget with a model is
    /// dropped (its budget is still registered). The model of the budget is refitted once it has
    /// at least `minPoints` results, unless either half of the split has no more rows than
    /// columns. O(n log n + n * d) for n results of the budget.
    /// Imputation draws from a stream fixed by `seed`, the budget and its number of results.
    mutating func newResult(loss: Double, budget: Double, vector v: [Double], seed: UInt64) {
        // A NaN budget is a new dictionary key every time in Python: its single result never
        // reaches a model (min_points >= 2), so it changes nothing.
        guard !budget.isNaN else { return }
        let loss = loss.isFinite ? loss : .infinity
        let b: Int
        if let i = budgets.firstIndex(where: { $0.budget == budget }) {
            b = i
        } else {
            budgets.append(BudgetData(budget: budget))
            b = budgets.count - 1
        }
        if largestBudgetWithModel > budget { return }
        budgets[b].vectors.append(v)
        budgets[b].losses.append(loss)
        var rng = Self.imputeStream(seed: seed, budget: budgets[b])
        refit(b, rng: &rng)
    }

    /// The model-building half of `new_result` for budget index `b`, on all its results.
    private mutating func refit(_ b: Int, rng: inout Xoshiro256) {
        let data = budgets[b]
        let n = data.losses.count
        if n <= minPoints - 1 { return }
        let top = options.topNPercent
        let nGood = max(minPoints, floorDiv(top * n, 100))
        let nBad = max(minPoints, floorDiv((100 - top) * n, 100))
        let order = Self.argsort(data.losses)
        let goodRows = order.prefix(nGood).map { data.vectors[$0] }
        let badRows = order.dropFirst(nGood).prefix(nBad).map { data.vectors[$0] }
        let good = impute(goodRows, &rng)
        let bad = impute(badRows, &rng)
        let d = vector.count
        if good.count <= d || bad.count <= d { return }
        guard var goodKDE = KernelDensity(data: good, types: types),
              var badKDE = KernelDensity(data: bad, types: types) else { return }
        // np.clip(bw, min_bandwidth, None): NaN stays NaN.
        badKDE.bandwidth = badKDE.bandwidth.map { $0 < options.minBandwidth ? options.minBandwidth : $0 }
        goodKDE.bandwidth = goodKDE.bandwidth.map { $0 < options.minBandwidth ? options.minBandwidth : $0 }
        models[data.budget] = Model(good: goodKDE, bad: badKDE)
    }

    /// The indices that sort `losses` ascending. NumPy's default `argsort` (introsort, or a SIMD
    /// sort where the CPU has one) orders ties arbitrarily; this order is stable (ties in arrival
    /// order). +inf sorts last; no loss is NaN.
    static func argsort(_ losses: [Double]) -> [Int] {
        losses.indices.sorted { i, j in losses[i] < losses[j] || (losses[i] == losses[j] && i < j) }
    }

    /// hpbandster's `impute_conditional_data`: in each row, NaN (inactive) entries are filled
    /// from one random row that has the first one active (all of that row's values at the row's
    /// NaN positions), or, when no row has it active, with a random valid value; repeated while
    /// NaNs are left. As in hpbandster the loop runs while `np.any(nan_indices)`, so a row whose
    /// only NaN is in column 0 keeps it.
    func impute(_ rows: [[Double]], _ rng: inout Xoshiro256) -> [[Double]] {
        var out = rows
        for r in rows.indices {
            var datum = rows[r]
            var nanIndices = datum.indices.filter { datum[$0].isNaN }
            while nanIndices.contains(where: { $0 != 0 }) {
                let nanIdx = nanIndices[0]
                let valid = rows.indices.filter { rows[$0][nanIdx].isFinite }
                if !valid.isEmpty {
                    let row = valid[Int(rng.below(UInt64(valid.count)))]
                    for k in nanIndices { datum[k] = rows[row][k] }
                } else {
                    let t = vector.entries[nanIdx].kind.levels
                    datum[nanIdx] = t == 0 ? rng.nextDouble() : Double(rng.below(UInt64(t)))
                }
                nanIndices = datum.indices.filter { datum[$0].isNaN }
            }
            out[r] = datum
        }
        return out
    }

    // MARK: get_config

    /// hpbandster's `get_config`: a random vector while there is no model or with probability
    /// `randomFraction`; otherwise `numSamples` candidates, each around a random good point of
    /// the largest budget's model (a continuous entry from a normal truncated to [0, 1] with the
    /// good density's bandwidth times `bandwidthFactor`; a categorical kept with probability
    /// 1 - bandwidth, else uniform), and the one minimising max(1e-32, g(x)) / max(l(x), 1e-32).
    /// A candidate whose ratio is not finite but whose l(x) is ends the search (it is taken); when
    /// no candidate qualifies, or the sampling fails, the vector is random.
    /// O(numSamples * n * d) for n points in the model.
    func getConfig(_ rng: inout Xoshiro256) -> (vector: [Double], pick: Pick) {
        guard let budget = models.keys.max(), let model = models[budget],
              !(rng.nextDouble() < options.randomFraction) else {
            return (vector.sample(&rng), .random)
        }
        var best = Double.infinity
        var bestVector: [Double]? = nil
        for _ in 0..<max(0, options.numSamples) {
            // SciPy failing, or int() of a NaN, raises in hpbandster: a random configuration.
            guard let candidate = candidate(around: model, &rng) else { return (vector.sample(&rng), .random) }
            let l = model.good.pdf(candidate), g = model.bad.pdf(candidate)
            let value = Self.ratio(l: l, g: g)
            if !value.isFinite && l.isFinite {
                bestVector = candidate
                break
            }
            if value < best {
                best = value
                bestVector = candidate
            }
        }
        guard let chosen = bestVector else {
            // hpbandster draws a second random configuration here (its first is a dictionary
            // the next step cannot convert); one draw has the same distribution.
            return (vector.sample(&rng), .random)
        }
        return (chosen, .model)
    }

    /// One candidate of `get_config`: around a random point of the good density, each continuous
    /// entry from a normal truncated to [0, 1] (scale: the bandwidth, at least `minBandwidth`,
    /// times `bandwidthFactor`), each categorical kept with probability 1 - bandwidth, else
    /// uniform. Nil where hpbandster's sampling raises (SciPy refusing the truncated normal, a
    /// NaN categorical). O(d).
    func candidate(around model: Model, _ rng: inout Xoshiro256) -> [Double]? {
        let good = model.good
        let datum = good.data[Int(rng.below(UInt64(good.count)))]
        var candidate: [Double] = []
        candidate.reserveCapacity(datum.count)
        for (j, m) in datum.enumerated() {
            let t = vector.entries[j].kind.levels
            // Python's max(bw, min_bandwidth) keeps a NaN bandwidth.
            var bw = good.bandwidth[j]
            if bw < options.minBandwidth { bw = options.minBandwidth }
            if t == 0 {
                bw *= options.bandwidthFactor
                guard let x = rng.truncatedNormal(loc: m, scale: bw, lower: 0, upper: 1) else { return nil }
                candidate.append(x)
            } else if rng.nextDouble() < 1 - bw {
                // int(m): truncation toward zero.
                guard m.isFinite else { return nil }
                candidate.append(m.rounded(.towardZero))
            } else {
                candidate.append(Double(rng.below(UInt64(t))))
            }
        }
        return candidate
    }

    /// hpbandster's `max(1e-32, g(x)) / max(l(x), 1e-32)`, with Python's `max`: a NaN g gives
    /// 1e-32, a NaN l stays NaN.
    static func ratio(l: Double, g: Double) -> Double {
        (g > 1e-32 ? g : 1e-32) / (1e-32 > l ? 1e-32 : l)
    }

    // MARK: restoring

    /// A generator with these results per budget, in this order, its models refitted from them.
    /// A budget's model depends only on its results (refitting is deterministic, and once a
    /// budget's split passes the row checks every later result refits it), so this rebuilds the
    /// models the original had.
    init(vector: SpaceVector, options: BOHBSearch.Options, budgets: [BudgetData], seed: UInt64) {
        self.init(vector: vector, options: options)
        self.budgets = budgets
        for b in budgets.indices {
            var rng = Self.imputeStream(seed: seed, budget: budgets[b])
            refit(b, rng: &rng)
        }
    }

    /// The random stream of a refit's imputation: fixed by the seed, the budget and its number
    /// of results, so that a restored generator refits identically.
    static func imputeStream(seed: UInt64, budget: BudgetData) -> Xoshiro256 {
        Xoshiro256(seed: seed, stream: (2 << 40) &+ UInt64(budget.losses.count) &+ (budget.budget.bitPattern &* 0x9E37_79B9))
    }
}

/// Python's `//` on integers: the floor of the quotient.
@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
