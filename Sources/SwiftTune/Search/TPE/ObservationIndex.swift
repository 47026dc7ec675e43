/// For every numeric parameter, the values it took in every trial of the log, in ascending
/// order (ties in trial order), kept up to date as trials are added, so that a suggestion
/// splits them into TPE's two groups in O(N) instead of sorting them again.
struct ObservationIndex: Sendable, Equatable {
    /// By parameter index: the values of a numeric parameter in ascending order (empty for the
    /// others).
    var values: [[Double]] = []
    /// By parameter index: the trial (record index) of each entry of `values`.
    var trials: [[Int32]] = []
    /// How many records of the log are in the index.
    var synced = 0

    /// Adds the records not yet in the index (the log only grows). Per new record, one binary
    /// search (O(log N)) and one insert (O(N) element moves) per numeric parameter, for N trials.
    mutating func sync(with records: [TrialLog.Record], space: SearchSpace) {
        if values.isEmpty {
            values = Array(repeating: [], count: space.parameters.count)
            trials = Array(repeating: [], count: space.parameters.count)
        }
        while synced < records.count {
            let t = Int32(synced)
            for (i, x) in records[synced].values.enumerated() where !x.isNaN {
                guard space.parameters[i].hasNumericPrior else { continue }
                // After every equal value: trials arrive in order, so ties stay in trial order.
                var lo = 0
                var hi = values[i].count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if values[i][mid] <= x { lo = mid + 1 } else { hi = mid }
                }
                values[i].insert(x, at: lo)
                trials[i].insert(t, at: lo)
            }
            synced += 1
        }
    }
}
