/// The waiting trials queued to start, in Ray's staging order (``ExperimentCore/nextChosen(now:)``):
/// an ordered list without repeats, whose membership is answered without a scan (the engine
/// queues after every result, when most trials are queued already).
struct StagedTrials: Sendable {
    /// The queued trials, first to start first.
    private(set) var ids: [String] = []
    private var members: Set<String> = []

    /// An empty queue.
    init() {}

    /// Whether `id` is queued. O(1).
    func contains(_ id: String) -> Bool { members.contains(id) }

    /// Queues `id` last, unless it is queued already. O(1).
    mutating func append(_ id: String) {
        if members.insert(id).inserted { ids.append(id) }
    }

    /// Takes the first queued trial that `start` accepts out of the queue. O(n).
    mutating func removeFirst(where start: (String) -> Bool) -> String? {
        guard let k = ids.firstIndex(where: start) else { return nil }
        members.remove(ids[k])
        return ids.remove(at: k)
    }

    /// Takes every trial `leaves` says out of the queue. O(n).
    mutating func removeAll(where leaves: (String) -> Bool) {
        guard ids.contains(where: leaves) else { return }
        ids.removeAll { id in
            guard leaves(id) else { return false }
            members.remove(id)
            return true
        }
    }
}
