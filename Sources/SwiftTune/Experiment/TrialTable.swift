/// The engine's trials in creation order, which also notes the trials changed since the state
/// journal last asked (``ExperimentCore/takeStateChanges(now:)``): every change goes through the
/// subscript or ``append(_:)``, so none is missed, and asking costs what changed, not the table.
struct TrialTable: RandomAccessCollection, Sendable {
    /// The trials, in creation order.
    private(set) var records: [TrialRecord] = []
    /// Indices changed since ``takeChanged()``, each once, in the order first changed.
    private var changed: [Int] = []
    /// `isChanged[i]`: whether `i` is in `changed`.
    private var isChanged: [Bool] = []

    init() {}

    /// The first index, 0.
    var startIndex: Int { 0 }
    /// One past the last index: the number of trials.
    var endIndex: Int { records.count }

    /// The trial at `i` (creation order). Changing it notes it as changed.
    subscript(i: Int) -> TrialRecord {
        get { records[i] }
        _modify {
            note(i)
            yield &records[i]
        }
    }

    /// Adds a trial at the end (noted as changed).
    mutating func append(_ record: TrialRecord) {
        records.append(record)
        isChanged.append(false)
        note(records.count - 1)
    }

    private mutating func note(_ i: Int) {
        if !isChanged[i] {
            isChanged[i] = true
            changed.append(i)
        }
    }

    /// The indices changed since the last call, ascending, and forgets them. O(changed).
    mutating func takeChanged() -> [Int] {
        let taken = changed.sorted()
        for i in taken { isChanged[i] = false }
        changed.removeAll(keepingCapacity: true)
        return taken
    }

    /// Marks the results of trial `i` as seen by the journal (without noting a change).
    mutating func resultsSeen(_ i: Int) { records[i].resultsKept = records[i].results.count }

    /// Forgets every change (the state was just saved whole). O(changed + trials).
    mutating func forgetChanges() {
        for i in changed { isChanged[i] = false }
        changed.removeAll(keepingCapacity: true)
        for i in records.indices { records[i].resultsKept = records[i].results.count }
    }
}
