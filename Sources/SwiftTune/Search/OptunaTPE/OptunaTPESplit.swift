/// Who is in the good ("below") group for one suggestion under Optuna's rules, and which
/// trials the estimators see (Optuna's `_split_trials` with `_get_params`).
struct OptunaTPESplit {
    /// The searcher's trials, in creation order (Optuna's trial numbers).
    let records: [TrialLog.Record]
    /// Record indices of the finished trials (complete or pruned), in order.
    let finished: [Int]
    /// Record indices of the trials the estimators read: finished ones, and running ones when
    /// the constant liar is on; in order.
    let modelled: [Int]
    /// By record index: in the good group.
    let isBelow: [Bool]
    /// By record index, the relative values a running trial drew for parameters it does not
    /// use (Optuna reads them back from the trial's system attributes while it runs).
    let unused: [Int: [Int: Double]]
    /// Several objectives: the good group is chosen by non-domination and hypervolume, and its
    /// observations all weigh 1 (Optuna's `_build_parzen_estimator` for a multi-objective study).
    let multiObjective: Bool

    /// - Parameters:
    ///   - lastReport: each trial's last intermediate value (Ray's `report(metric, step)` per
    ///     result), which ranks pruned trials.
    init(log: TrialLog, mode: Mode, options: OptunaTPESearch.Options, lastReport: [String: OptunaTPESearch.Report],
         unusedRelative: [String: [Int: Double]]) {
        self.init(records: log.records, mode: mode, options: options, excluding: nil,
                  report: { lastReport[log.records[$0].id] },
                  unused: { unusedRelative.isEmpty ? nil : unusedRelative[log.records[$0].id] })
    }

    /// - Parameters:
    ///   - records: the trials in Optuna's number order; a record's values may be shorter than
    ///     the parameter count (the parameters registered after it are absent).
    ///   - excluding: the record of the trial being sampled (left out, as Optuna leaves it out).
    ///   - report: by record index, the trial's latest intermediate value.
    ///   - unused: by record index, a running trial's relative values for parameters it does not use.
    ///   - directions: with two or more, a study of several objectives: `objectives` gives a
    ///     complete record's values (one per direction), and `mode` is not used.
    ///   - violation: by record index, a finished trial's constraint violation (the sum of its
    ///     positive constraint values; above 0: infeasible, Optuna's `_get_infeasible_trial_score`).
    ///   - gamma: a function of the caller's in place of `options.gamma` (negative answers are 0).
    init(records: [TrialLog.Record], mode: Mode, options: OptunaTPESearch.Options, gamma: ((Int) -> Int)? = nil, excluding: Int?,
         report: (Int) -> OptunaTPESearch.Report?, unused: (Int) -> [Int: Double]?,
         directions: [Mode] = [], objectives: (Int) -> [Double]? = { _ in nil }, violation: (Int) -> Double = { _ in 0 }) {
        self.records = records
        let multiObjective = directions.count > 1
        var losses: [(values: [Double], index: Int)] = []
        var finished: [Int] = []
        var modelled: [Int] = []
        var complete: [(loss: Double, index: Int)] = []
        var pruned: [(step: Double, value: Double, index: Int)] = []
        var infeasible: [(score: Double, index: Int)] = []
        var unusedByRecord: [Int: [Int: Double]] = [:]
        for (i, r) in records.enumerated() where i != excluding {
            if r.state.isFinishedForOptuna, case let score = violation(i), score > 0 {
                // Infeasible (complete or pruned): ranked by how far, after every feasible trial.
                finished.append(i)
                modelled.append(i)
                infeasible.append((score, i))
                continue
            }
            switch r.state {
            case .failed: continue
            case .pending:
                guard options.constantLiar else { continue }
                modelled.append(i)
                if let u = unused(i) { unusedByRecord[i] = u }
            case .completed(let v):
                finished.append(i)
                modelled.append(i)
                complete.append((mode == .min ? v : -v, i))
                if multiObjective {
                    let values = objectives(i) ?? []
                    losses.append((zip(values, directions).map { $1 == .min ? $0 : -$0 }, i))
                }
            case .completedWithoutMetric:
                finished.append(i)
                modelled.append(i)
                // Optuna's `_get_pruned_trial_score`: the latest step first, then its value
                // (NaN last); a trial that never reported after every one that did.
                if let rep = report(i) {
                    let v = rep.value.isNaN ? Double.infinity : (mode == .min ? rep.value : -rep.value)
                    pruned.append((-rep.step, v, i))
                } else {
                    pruned.append((1, 0, i))
                }
            }
        }
        var isBelow = [Bool](repeating: false, count: records.count)
        var nBelow = Swift.max(0, gamma?(finished.count) ?? options.gamma(finished.count))
        // Stable sorts: ties go to the older trial, as Python's `sorted` leaves them.
        // Only the n_below best are needed: a partial selection by insertion, O(N * n_below) with
        // n_below <= 25 by default (the whole sort when the cap is lifted and n_below is large).
        if multiObjective {
            for j in OptunaMultiObjective.below(losses.map(\.values), nBelow: nBelow) { isBelow[losses[j].index] = true }
        } else if nBelow > 0 && nBelow <= 64 {
            var best: [(loss: Double, index: Int)] = []
            best.reserveCapacity(nBelow + 1)
            for c in complete {
                if best.count == nBelow, let last = best.last, !(c.loss < last.loss) { continue }
                var pos = best.count
                while pos > 0 && c.loss < best[pos - 1].loss { pos -= 1 }
                best.insert(c, at: pos)
                if best.count > nBelow { best.removeLast() }
            }
            for b in best { isBelow[b.index] = true }
        } else {
            let completeOrder = complete.indices.sorted { a, b in
                complete[a].loss < complete[b].loss || (!(complete[b].loss < complete[a].loss) && a < b)
            }
            for j in completeOrder.prefix(nBelow) { isBelow[complete[j].index] = true }
        }
        nBelow = Swift.max(0, nBelow - Swift.min(nBelow, complete.count))
        if nBelow > 0 {
            let prunedOrder = pruned.indices.sorted { a, b in
                let (x, y) = (pruned[a], pruned[b])
                if x.step != y.step { return x.step < y.step }
                if x.value != y.value { return x.value < y.value }
                return a < b
            }
            for j in prunedOrder.prefix(nBelow) { isBelow[pruned[j].index] = true }
            nBelow -= Swift.min(nBelow, pruned.count)
        }
        if nBelow > 0 {
            let infeasibleOrder = infeasible.indices.sorted { a, b in
                infeasible[a].score < infeasible[b].score || (!(infeasible[b].score < infeasible[a].score) && a < b)
            }
            for j in infeasibleOrder.prefix(nBelow) { isBelow[infeasible[j].index] = true }
        }
        self.finished = finished
        self.modelled = modelled
        self.isBelow = isBelow
        self.unused = unusedByRecord
        self.multiObjective = multiObjective
    }

    /// Whether record `r` has parameter `p` as a finished trial (its own values only).
    @inline(__always)
    func has(_ r: Int, _ p: Int) -> Bool {
        let values = records[r].values
        return p < values.count && !values[p].isNaN
    }

    /// The value of parameter `p` in record `r` as the estimators read it (NaN: the trial has none).
    @inline(__always)
    func value(_ r: Int, _ p: Int) -> Double {
        let values = records[r].values
        let v = p < values.count ? values[p] : .nan
        if v.isNaN, let u = unused[r]?[p] { return u }
        return v
    }

    /// The good and the bad group's observations of the parameters `params` (by parameter, in
    /// trial order), from the modelled trials that have every one of them.
    func observations(_ params: [Int]) -> (below: [[Double]], above: [[Double]]) {
        var below = Array(repeating: [Double](), count: params.count)
        var above = below
        for r in modelled {
            var has = true
            for p in params where value(r, p).isNaN { has = false; break }
            guard has else { continue }
            for (j, p) in params.enumerated() {
                if isBelow[r] { below[j].append(value(r, p)) } else { above[j].append(value(r, p)) }
            }
        }
        return (below, above)
    }

    /// The parameters every finished trial has (Optuna's `IntersectionSearchSpace`, pruned
    /// trials included), in parameter order.
    func intersection(parameterCount: Int) -> [Int] {
        // No finished trial: Optuna's intersection is empty (not every parameter).
        guard !finished.isEmpty else { return [] }
        return (0..<parameterCount).filter { p in finished.allSatisfy { has($0, p) } }
    }

    /// The parameters split into groups that occur in exactly the same finished trials (Optuna's
    /// `_GroupDecomposedSearchSpace`, whose successive splits by each trial's parameters end in
    /// this partition); parameters no finished trial has are in none. Groups in order of their
    /// first parameter.
    func groups(parameterCount: Int) -> [[Int]] {
        var bySignature: [[Bool]: Int] = [:]
        var groups: [[Int]] = []
        for p in 0..<parameterCount {
            let signature = finished.map { has($0, p) }
            guard signature.contains(true) else { continue }
            if let g = bySignature[signature] {
                groups[g].append(p)
            } else {
                bySignature[signature] = groups.count
                groups.append([p])
            }
        }
        return groups
    }
}

extension TrialLog.State {
    /// Complete or pruned: a trial Optuna's TPE counts as finished (failed ones are left out,
    /// running ones are not finished).
    var isFinishedForOptuna: Bool {
        switch self {
        case .completed, .completedWithoutMetric: return true
        case .pending, .failed: return false
        }
    }
}
