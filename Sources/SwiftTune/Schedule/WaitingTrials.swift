/// The trials that wait to run (PENDING or PAUSED), as a scheduler choosing among them sees them
/// (``TrialScheduler/chooseTrial(from:)``): a view of the engine's trial table that lists them
/// in creation order only when asked (``list``), and answers a trial's status or the PENDING
/// trials without listing the PAUSED ones.
public struct WaitingTrials: Sendable {
    enum Storage: Sendable {
        /// The engine's table, its PENDING and PAUSED indices, and the running trial that counts
        /// as PAUSED (its result was just answered `.pause`).
        case engine(trials: [TrialRecord], indexByID: [String: Int], pending: TrialIndexSet, paused: TrialIndexSet, pausing: Int?,
                    changes: WaitingChanges)
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

    /// The engine's waiting trials; `pausing` (a running trial's index) counts as PAUSED;
    /// `changes` the engine's log of changes to them (``stamp``, ``changedIDs(since:)``).
    init(trials: [TrialRecord], indexByID: [String: Int], pending: TrialIndexSet, paused: TrialIndexSet, pausing: Int?,
         changes: WaitingChanges) {
        storage = .engine(trials: trials, indexByID: indexByID, pending: pending, paused: paused, pausing: pausing, changes: changes)
    }

    /// What the waiting trials are, in one value: equal stamps from one engine mean the same
    /// waiting trials with the same statuses (nil for a list, which has none).
    public struct Stamp: Sendable, Equatable {
        let version: UInt64
        let pausing: Int?
    }

    /// The waiting trials' ``Stamp`` (nil for a list).
    public var stamp: Stamp? {
        switch storage {
        case let .engine(_, _, _, _, pausing, changes): return Stamp(version: changes.version, pausing: pausing)
        case .list: return nil
        }
    }

    /// The ids of the trials whose waiting status may differ from what they were at `stamp`
    /// (repeats possible; the running trial that counts as PAUSED, then or now, among them), or
    /// nil when that cannot be told (a list, a stamp the engine's log no longer reaches back to).
    public func changedIDs(since stamp: Stamp) -> [String]? {
        guard case let .engine(trials, _, _, _, pausing, changes) = storage,
              let indices = changes.indices(after: stamp.version) else { return nil }
        var out = indices.map { trials[$0].id }
        if stamp.pausing != pausing {
            for i in [stamp.pausing, pausing].compactMap({ $0 }) where i < trials.count { out.append(trials[i].id) }
        }
        return out
    }

    /// Whether no trial waits.
    public var isEmpty: Bool {
        switch storage {
        case let .engine(_, _, pending, paused, pausing, _): return pending.isEmpty && paused.isEmpty && pausing == nil
        case let .list(list, _): return list.isEmpty
        }
    }

    /// Every waiting trial, in creation order. O(n) for the n waiting trials.
    public var list: [WaitingTrial] {
        switch storage {
        case let .engine(trials, _, pending, paused, pausing, _):
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
        case let .engine(trials, _, pending, _, _, _): return pending.map { trials[$0].id }
        case let .list(list, _): return list.filter { $0.status == .pending }.map(\.id)
        }
    }

    /// The status of trial `id` if it waits (`.pending` or `.paused`), else nil. O(1).
    public func status(of id: String) -> TrialStatus? {
        switch storage {
        case let .engine(trials, indexByID, _, _, pausing, _):
            guard let i = indexByID[id] else { return nil }
            if i == pausing { return .paused }
            let s = trials[i].status
            return s == .pending || s == .paused ? s : nil
        case let .list(_, status):
            return status[id]
        }
    }
}

/// The engine's log of changes to its waiting trials (a trial becoming or ceasing to be PENDING
/// or PAUSED): each change is a version, and the trials of the latest changes are kept, so that
/// a scheduler can tell which trials changed since a version it saw.
struct WaitingChanges: Sendable {
    /// How many changes there were.
    private(set) var version: UInt64 = 0
    /// The trials (indices) of the latest changes, the last for ``version``.
    private var recent: [Int] = []
    /// Changes kept at least (at most twice as many).
    static let kept = 1024

    /// An empty log.
    init() {}

    /// Trial `i`'s waiting status changed.
    mutating func record(_ i: Int) {
        version &+= 1
        if recent.count >= 2 * Self.kept { recent.removeFirst(recent.count - Self.kept) }
        recent.append(i)
    }

    /// The trials of the changes after `version` (repeats possible), or nil when the log no
    /// longer reaches back to it.
    func indices(after version: UInt64) -> ArraySlice<Int>? {
        guard version <= self.version, self.version - version <= UInt64(recent.count) else { return nil }
        return recent.suffix(Int(self.version - version))
    }
}
