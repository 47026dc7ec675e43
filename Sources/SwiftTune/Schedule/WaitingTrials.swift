/// The trials that wait to run (PENDING or PAUSED), as a scheduler choosing among them sees them
/// (``TrialScheduler/chooseTrial(from:)``): a view of the engine's trial table that lists them
/// in creation order only when asked (``list``), and answers a trial's status or the PENDING
/// trials without listing the PAUSED ones.
public struct WaitingTrials: Sendable {
    enum Storage: Sendable {
        /// The engine's table, its PENDING and PAUSED indices, and the running trial that counts
        /// as PAUSED (its result was just answered `.pause`).
        case engine(trials: [TrialRecord], indexByID: [String: Int], pending: TrialIndexSet, paused: TrialIndexSet, pausing: Int?)
        /// A list, with each trial's status by id.
        case list([WaitingTrial], [String: TrialStatus])
    }

    let storage: Storage

    /// The trials of `list` (in creation order).
    public init(_ list: [WaitingTrial]) {
        var status: [String: TrialStatus] = [:]
        for w in list where status[w.id] == nil { status[w.id] = w.status }
        storage = .list(list, status)
    }

    /// The engine's waiting trials; `pausing` (a running trial's index) counts as PAUSED.
    init(trials: [TrialRecord], indexByID: [String: Int], pending: TrialIndexSet, paused: TrialIndexSet, pausing: Int?) {
        storage = .engine(trials: trials, indexByID: indexByID, pending: pending, paused: paused, pausing: pausing)
    }

    /// Whether no trial waits.
    public var isEmpty: Bool {
        switch storage {
        case let .engine(_, _, pending, paused, pausing): return pending.isEmpty && paused.isEmpty && pausing == nil
        case let .list(list, _): return list.isEmpty
        }
    }

    /// Every waiting trial, in creation order. O(n) for the n waiting trials.
    public var list: [WaitingTrial] {
        switch storage {
        case let .engine(trials, _, pending, paused, pausing):
            var out: [WaitingTrial] = []
            out.reserveCapacity(pending.count + paused.count + 1)
            var p = pending.makeIterator(), q = paused.makeIterator()
            var a = p.next(), b = q.next()
            var c = pausing
            while true {
                // The smallest of the three next indices goes first.
                var best: Int? = nil
                if let a { best = a }
                if let b, best.map({ b < $0 }) ?? true { best = b }
                if let c, best.map({ c < $0 }) ?? true { best = c }
                guard let i = best else { break }
                if i == a {
                    out.append(WaitingTrial(id: trials[i].id, status: .pending))
                    a = p.next()
                } else if i == b {
                    out.append(WaitingTrial(id: trials[i].id, status: .paused))
                    b = q.next()
                } else {
                    out.append(WaitingTrial(id: trials[i].id, status: .paused))
                    c = nil
                }
            }
            return out
        case let .list(list, _):
            return list
        }
    }

    /// The PENDING trials' ids, in creation order. O(p) for the p PENDING trials.
    public var pendingIDs: [String] {
        switch storage {
        case let .engine(trials, _, pending, _, _): return pending.map { trials[$0].id }
        case let .list(list, _): return list.filter { $0.status == .pending }.map(\.id)
        }
    }

    /// The status of trial `id` if it waits (`.pending` or `.paused`), else nil. O(1).
    public func status(of id: String) -> TrialStatus? {
        switch storage {
        case let .engine(trials, indexByID, _, _, pausing):
            guard let i = indexByID[id] else { return nil }
            if i == pausing { return .paused }
            let s = trials[i].status
            return s == .pending || s == .paused ? s : nil
        case let .list(_, status):
            return status[id]
        }
    }
}
