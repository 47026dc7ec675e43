/// Optuna 5.0's good ("below") group for a study of several objectives
/// (`_split_complete_trials_multi_objective`): the best non-domination fronts whole, then, from
/// the front that does not fit, the points a greedy hypervolume subset selection keeps (HSSP).
/// Losses are minimised (a maximised objective's values enter negated). See docs/tpe-optuna.md,
/// rule 14.
enum OptunaMultiObjective {
    /// Optuna's `EPS`: a reference coordinate of exactly 0 becomes this.
    static let eps = 1e-12

    /// The positions in `losses` (one row of objective values per complete trial, all rows of
    /// one length) of the `nBelow` trials of the good group.
    static func below(_ losses: [[Double]], nBelow requested: Int) -> Set<Int> {
        let n = losses.count
        let nBelow = Swift.min(requested, n)
        if nBelow <= 0 { return [] }
        if nBelow == n { return Set(0..<n) }
        let ranks = nondominationRanks(losses, nBelow: nBelow)
        // The last rank whose fronts fit whole (by trial count, duplicates included).
        var counts: [Int: Int] = [:]
        for r in ranks { counts[r, default: 0] += 1 }
        var lastWhole = -1
        var cumulative = 0
        for r in counts.keys.sorted() {
            cumulative += counts[r] ?? 0
            if cumulative <= nBelow { lastWhole = r } else { break }
        }
        var chosen = Set((0..<n).filter { ranks[$0] <= lastWhole })
        if chosen.count < nBelow {
            let tied = (0..<n).filter { ranks[$0] == lastWhole + 1 }
            let front = tied.map { losses[$0] }
            let picked = hssp(front, subsetSize: nBelow - chosen.count, reference: referencePoint(front))
            for p in picked { chosen.insert(tied[p]) }
        }
        return chosen
    }

    /// Optuna's `_get_reference_point`: per objective max(1.1 w, 0.9 w) of the worst value w,
    /// a 0 replaced by ``eps``.
    static func referencePoint(_ points: [[Double]]) -> [Double] {
        guard let first = points.first else { return [] }
        var worst = first
        for p in points.dropFirst() { for j in worst.indices where p[j] > worst[j] { worst[j] = p[j] } }
        return worst.map { w in
            let r = Swift.max(1.1 * w, 0.9 * w)
            return r == 0 ? eps : r
        }
    }

    /// The rows in lexicographic order without repeats (numpy's `unique(axis=0)`), with, for each
    /// input row, the position of its unique row, and for each unique row its first input position.
    static func uniqueLexsorted(_ rows: [[Double]]) -> (unique: [[Double]], inverse: [Int], first: [Int]) {
        let order = rows.indices.sorted { a, b in
            let (x, y) = (rows[a], rows[b])
            for j in x.indices where x[j] != y[j] { return x[j] < y[j] }
            return a < b
        }
        var unique: [[Double]] = []
        var first: [Int] = []
        var inverse = [Int](repeating: 0, count: rows.count)
        for i in order {
            if let last = unique.last, last == rows[i] {
                inverse[i] = unique.count - 1
            } else {
                unique.append(rows[i])
                first.append(i)
                inverse[i] = unique.count - 1
            }
        }
        return (unique, inverse, first)
    }

    /// Non-domination ranks (0 the Pareto front), exact up to the front that holds the
    /// `nBelow`-th distinct point; every point after it shares the next rank (Optuna's
    /// `_calculate_nondomination_rank` with `n_below`).
    static func nondominationRanks(_ losses: [[Double]], nBelow: Int) -> [Int] {
        let (unique, inverse, _) = uniqueLexsorted(losses)
        let nUnique = unique.count
        let target = Swift.min(nBelow, nUnique)
        var uniqueRank = [Int](repeating: 0, count: nUnique)
        var remaining = Array(0..<nUnique)
        var rank = 0
        while nUnique - remaining.count < target {
            let onFront = paretoFront(remaining.map { unique[$0] })
            var rest: [Int] = []
            for (k, i) in remaining.enumerated() {
                if onFront[k] { uniqueRank[i] = rank } else { rest.append(i) }
            }
            remaining = rest
            rank += 1
        }
        for i in remaining { uniqueRank[i] = rank }
        return inverse.map { uniqueRank[$0] }
    }

    /// Which of `rows` (distinct, lexicographically sorted) no other row dominates. A later row
    /// cannot dominate an earlier one, so the first is always on the front.
    static func paretoFront(_ rows: [[Double]]) -> [Bool] {
        let n = rows.count
        var on = [Bool](repeating: false, count: n)
        guard n > 0 else { return on }
        if rows[0].count == 2 {
            // On the front: a new minimum of the second objective.
            var best = Double.infinity
            for i in 0..<n {
                if i == 0 || rows[i][1] < best { on[i] = true }
                best = Swift.min(best, rows[i][1])
            }
            return on
        }
        var remaining = Array(0..<n)
        while let top = remaining.first {
            on[top] = true
            // Kept: rows better than `top` in some objective after the first.
            remaining = remaining.filter { i in (1..<rows[i].count).contains { rows[i][$0] < rows[top][$0] } }
        }
        return on
    }

    /// Optuna's `_solve_hssp`: `subsetSize` of `points` (one front) chosen greedily by
    /// hypervolume contribution against `reference`; returns their positions. Repeated points
    /// count once, unless there are fewer distinct points than places (then the first repeats fill
    /// them, in order).
    static func hssp(_ points: [[Double]], subsetSize: Int, reference: [Double]) -> [Int] {
        if subsetSize >= points.count { return Array(points.indices) }
        let (unique, _, first) = uniqueLexsorted(points)
        if unique.count < subsetSize {
            let firstSet = Set(first)
            let repeats = points.indices.filter { !firstSet.contains($0) }
            return (first + repeats.prefix(subsetSize - unique.count)).sorted()
        }
        if !reference.allSatisfy(\.isFinite) { return Array(first.prefix(subsetSize)) }
        if unique.count == subsetSize { return first }
        let picked = reference.count == 2
            ? greedy2D(unique, subsetSize: subsetSize, reference: reference)
            : greedy(unique, subsetSize: subsetSize, reference: reference)
        return picked.map { first[$0] }
    }

    /// The first position of the largest value (numpy's `argmax`: a NaN wins at once).
    static func argmax(_ xs: [Double]) -> Int {
        var best = 0
        for i in xs.indices {
            if xs[i].isNaN { return i }
            if xs[i] > xs[best] { best = i }
        }
        return best
    }

    /// Two objectives (`_solve_hssp_2d`): on a front sorted by the first objective, each point's
    /// exclusive contribution is a rectangle whose far corner shrinks as neighbours are chosen.
    static func greedy2D(_ points: [[Double]], subsetSize: Int, reference: [Double]) -> [Int] {
        var ids = Array(points.indices)
        var vals = points
        var diag = Array(repeating: reference, count: points.count)
        var picked: [Int] = []
        for _ in 0..<subsetSize {
            let contribs = vals.indices.map { (diag[$0][0] - vals[$0][0]) * (diag[$0][1] - vals[$0][1]) }
            let m = argmax(contribs)
            picked.append(ids[m])
            let chosen = vals[m]
            ids.remove(at: m)
            vals.remove(at: m)
            diag.remove(at: m)
            for i in 0..<m { diag[i][0] = Swift.min(chosen[0], diag[i][0]) }
            for i in m..<diag.count { diag[i][1] = Swift.min(chosen[1], diag[i][1]) }
        }
        return picked
    }

    /// Three or more objectives (`_solve_hssp_on_unique_loss_vals`): each step takes the point of
    /// largest contribution H(S + {i}) - H(S); contributions only shrink as S grows
    /// (submodularity), so a point whose bound is below the best contribution found in a step is
    /// not recomputed (Optuna's lazy update, with its cheap bound from the last point chosen).
    static func greedy(_ points: [[Double]], subsetSize: Int, reference: [Double]) -> [Int] {
        var ids = Array(points.indices)
        var vals = points
        var contribs = vals.map { p in zip(reference, p).reduce(1.0) { $0 * ($1.0 - $1.1) } }
        var selected: [[Double]] = []
        var picked: [Int] = []
        var hv = 0.0
        for k in 0..<subsetSize {
            let m = argmax(contribs)
            hv += contribs[m]
            picked.append(ids[m])
            selected.append(vals[m])
            ids.remove(at: m)
            vals.remove(at: m)
            contribs.remove(at: m)
            if k == subsetSize - 1 { break }
            if hv.isInfinite {
                contribs = contribs.map { _ in .infinity }
                continue
            }
            let last = selected[selected.count - 1]
            let inclusive = vals.map { p in zip(reference, p).reduce(1.0) { $0 * ($1.0 - $1.1) } }
            for i in vals.indices {
                let overlap = zip(reference, zip(vals[i], last)).reduce(1.0) { $0 * ($1.0 - Swift.max($1.1.0, $1.1.1)) }
                contribs[i] = Swift.min(contribs[i], inclusive[i] - overlap)
            }
            let order = contribs.indices.sorted { contribs[$0] > contribs[$1] || (contribs[$0] == contribs[$1] && $0 < $1) }
            var best = 0.0
            for i in order {
                if inclusive[i].isInfinite {
                    contribs[i] = .infinity
                    best = .infinity
                    continue
                }
                if contribs[i] < best { continue }
                contribs[i] = hypervolume(selected + [vals[i]], reference: reference) - hv
                best = Swift.max(best, contribs[i])
            }
        }
        return picked
    }

    /// The hypervolume that `points` dominate up to `reference` (every point at or below it in
    /// every objective): exact, by slicing along the last objective (two objectives by a sweep).
    static func hypervolume(_ points: [[Double]], reference: [Double]) -> Double {
        let d = reference.count
        guard !points.isEmpty, d > 0 else { return 0 }
        if d == 1 { return reference[0] - (points.map { $0[0] }.min() ?? reference[0]) }
        if d == 2 {
            let sorted = points.sorted { $0[0] < $1[0] || ($0[0] == $1[0] && $0[1] < $1[1]) }
            var volume = 0.0
            var ceiling = reference[1]
            for p in sorted where p[1] < ceiling {
                volume += (reference[0] - p[0]) * (ceiling - p[1])
                ceiling = p[1]
            }
            return volume
        }
        let sorted = points.sorted { $0[d - 1] < $1[d - 1] }
        let lower = Array(reference.prefix(d - 1))
        var volume = 0.0
        for i in sorted.indices {
            let top = i + 1 < sorted.count ? sorted[i + 1][d - 1] : reference[d - 1]
            let height = top - sorted[i][d - 1]
            guard height > 0 else { continue }
            volume += height * hypervolume(sorted[0...i].map { Array($0.prefix(d - 1)) }, reference: lower)
        }
        return volume
    }
}
