/// A set of trial ids that keeps the order they were added in: membership, adding and removing
/// are O(1) (removing leaves a hole, and the holes are squeezed out once they outnumber the
/// ids), where an array of ids scans them all.
struct OrderedIDSet: Sendable {
    /// The ids in the order they were added, nil where one was removed.
    private var slots: [String?] = []
    /// Each id's slot.
    private var slot: [String: Int] = [:]

    /// An empty set.
    init() {}

    /// How many ids the set holds.
    var count: Int { slot.count }
    /// Whether the set holds no id.
    var isEmpty: Bool { slot.isEmpty }

    /// Whether `id` is in the set. O(1).
    func contains(_ id: String) -> Bool { slot[id] != nil }

    /// Adds `id` last; false (and nothing changes) when it is there already. O(1) amortized.
    @discardableResult
    mutating func append(_ id: String) -> Bool {
        guard slot[id] == nil else { return false }
        slot[id] = slots.count
        slots.append(id)
        return true
    }

    /// Removes `id`; false when it is not there. O(1) amortized.
    @discardableResult
    mutating func remove(_ id: String) -> Bool {
        guard let k = slot.removeValue(forKey: id) else { return false }
        slots[k] = nil
        if slots.count > 32 && slots.count > 2 * slot.count { compact() }
        return true
    }

    /// Removes every id.
    mutating func removeAll() {
        slots = []
        slot = [:]
    }

    /// The ids in the order they were added. O(n).
    var elements: [String] { slots.compactMap { $0 } }

    private mutating func compact() {
        let ids = slots.compactMap { $0 }
        for (k, id) in ids.enumerated() { slot[id] = k }
        slots = ids
    }
}
