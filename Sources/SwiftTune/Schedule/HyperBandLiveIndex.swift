/// What ``HyperBandScheduler`` derives from its brackets so that choosing a waiting trial need
/// not visit every live trial of every band (Ray's `choose_trial_to_run` does): each live
/// trial's place in its bracket's live order, the live trials a halving resumes (in their
/// bracket's `to_unpause`), and each bracket's band. Kept as the brackets change, never saved:
/// ``init(brackets:bands:)`` rebuilds it from a restored scheduler.
struct HyperBandLiveIndex: Sendable {
    /// Each live trial's bracket and sequence number (larger is later in the bracket's live list).
    private(set) var place: [String: (bracket: Int, sequence: Int)] = [:]
    private var nextSequence = 0
    /// The live trials that are in their bracket's `to_unpause` and have not started since they
    /// joined it, with their place. (Once started, a trial of HyperBand's waits again only after
    /// a result, which takes it out of `to_unpause`, or a retry, which makes it PENDING.)
    private(set) var resumable: [String: (bracket: Int, sequence: Int)] = [:]
    /// Each bracket's band (the first that lists it; nil for none).
    private(set) var bandOf: [Int?] = []
    /// Whether a trial was ever live in two brackets at once (the scheduler's hooks called out of
    /// the engine's order); then the index cannot tell which comes first and the scheduler scans.
    private(set) var ambiguous = false
    /// Counts the changes to the index (a choice worked out from it stays right while this stays).
    private(set) var version: UInt64 = 0

    /// An empty index.
    init() {}

    /// The index of these brackets and bands.
    init(brackets: [HyperBandScheduler.Bracket], bands: [[Int?]]) {
        bandOf = Array(repeating: nil, count: brackets.count)
        for (k, band) in bands.enumerated() {
            for case let b? in band where b < bandOf.count && bandOf[b] == nil { bandOf[b] = k }
        }
        for (b, br) in brackets.enumerated() {
            for l in br.live { added(l.id, bracket: b, resumable: br.toUnpause.contains(l.id)) }
        }
    }

    /// A bracket was made in band `band`.
    mutating func bracketAdded(band: Int) {
        bandOf.append(band)
        version &+= 1
    }

    /// A trial joined the end of bracket `bracket`'s live list (`resumable`: it is in the
    /// bracket's `to_unpause`).
    mutating func added(_ id: String, bracket: Int, resumable isResumable: Bool) {
        if place[id] != nil { ambiguous = true }
        version &+= 1
        place[id] = (bracket, nextSequence)
        nextSequence += 1
        resumable[id] = isResumable ? place[id] : nil
    }

    /// A trial left its bracket's live list.
    mutating func removed(_ id: String) {
        version &+= 1
        place[id] = nil
        resumable[id] = nil
    }

    /// A live trial joined its bracket's `to_unpause`.
    mutating func markResumable(_ id: String) {
        if let p = place[id] {
            resumable[id] = p
            version &+= 1
        }
    }

    /// A trial started running: it does not wait (``resumable``).
    mutating func started(_ id: String) { unmarkResumable(id) }

    /// A trial left its bracket's `to_unpause`.
    mutating func unmarkResumable(_ id: String) {
        if !resumable.isEmpty, resumable.removeValue(forKey: id) != nil { version &+= 1 }
    }
}
