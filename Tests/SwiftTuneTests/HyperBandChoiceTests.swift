import Testing
@testable import SwiftTune

/// A scheduler whose indexed choice (``TrialScheduler/chooseTrial(from:)``) a test checks against
/// the scan it replaces, at every choice the engine asks of it.
protocol CheckedChoice: TrialScheduler {
    /// The indexed choice, checked.
    static func checkedChoice(_ s: inout Self, _ waiting: WaitingTrials) throws(ScheduleError) -> String?
}

/// Wraps a scheduler and checks each of its choices (``CheckedChoice``); every other hook is the
/// scheduler's own.
struct Checked<Inner: CheckedChoice>: TrialScheduler {
    static var kind: String { Inner.kind }
    var inner: Inner
    var choices = 0

    init(_ inner: Inner) { self.inner = inner }
    init(restoring state: JSONValue) throws(ScheduleError) { inner = try Inner(restoring: state) }

    mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {
        try inner.setSearchProperties(metric: metric, mode: mode)
    }
    mutating func onTrialAdd(_ trialID: String) throws(ScheduleError) { try inner.onTrialAdd(trialID) }
    mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) throws(ScheduleError) -> SchedulerDecision {
        try inner.onTrialResult(trialID, result, context: context)
    }
    mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) throws(ScheduleError) { try inner.onTrialComplete(trialID, result) }
    mutating func onTrialRemove(_ trialID: String) throws(ScheduleError) { try inner.onTrialRemove(trialID) }
    mutating func onTrialRetry(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        try inner.onTrialRetry(trialID, number: number, configuration: configuration)
    }
    mutating func onTrialStart(_ trialID: String) { inner.onTrialStart(trialID) }
    mutating func onTrialsRestored(_ trials: [TrialRecord]) throws(ScheduleError) { try inner.onTrialsRestored(trials) }
    mutating func takeStopRequests() -> [String] { inner.takeStopRequests() }
    mutating func takeResultInfo() -> JSONValue? { inner.takeResultInfo() }
    mutating func takeSearcherNotes() -> [(trial: String, paused: Bool)] { inner.takeSearcherNotes() }
    var choosesTrials: Bool { true }
    mutating func chooseTrial(among waiting: [WaitingTrial]) throws(ScheduleError) -> String? {
        try chooseTrial(from: WaitingTrials(waiting))
    }
    mutating func chooseTrial(from waiting: WaitingTrials) throws(ScheduleError) -> String? {
        choices += 1
        return try Inner.checkedChoice(&inner, waiting)
    }
    func saveState() -> JSONValue { inner.saveState() }
}

/// HyperBand's indexed choice is Ray's scan over every live trial of every band
/// (``HyperBandScheduler/chooseTrialByScan(_:)``), and its index is what the brackets give.
extension HyperBandScheduler: CheckedChoice {
    static func checkedChoice(_ s: inout Self, _ waiting: WaitingTrials) -> String? {
        let chosen = s.chooseTrial(from: waiting)
        #expect(chosen == s.chooseTrialByScan { waiting.status(of: $0) })
        #expect(chosen == s.chooseTrial(among: waiting.list))
        checkIndex(s)
        return chosen
    }

    /// The maintained index against one rebuilt from the brackets: the same live trials in the
    /// same brackets and order, resumed trials among the rebuilt ones, the same bands.
    static func checkIndex(_ hb: HyperBandScheduler) {
        let rebuilt = HyperBandLiveIndex(brackets: hb.brackets, bands: hb.bands)
        #expect(hb.index.bandOf == rebuilt.bandOf)
        #expect(hb.index.place.mapValues(\.bracket) == rebuilt.place.mapValues(\.bracket))
        for br in hb.brackets {
            let order = br.live.compactMap { hb.index.place[$0.id]?.sequence }
            #expect(order == order.sorted() && order.count == br.live.count)
        }
        #expect(Set(hb.index.resumable.keys).isSubset(of: Set(rebuilt.resumable.keys)))
        #expect(hb.index.ambiguous == rebuilt.ambiguous)
    }
}

/// HyperBandForBOHB's indexed choice is its scan (``HyperBandForBOHB/chooseTrial(among:)``) on a
/// copy: the same trial, and the same state after it; its PENDING set and RUNNING count are its
/// statuses'.
extension HyperBandForBOHB: CheckedChoice {
    static func checkedChoice(_ s: inout Self, _ waiting: WaitingTrials) throws(ScheduleError) -> String? {
        var scan = s
        let expected = try scan.chooseTrial(among: waiting.list)
        let chosen = try s.chooseTrial(from: waiting)
        #expect(chosen == expected)
        #expect(s.saveState() == scan.saveState())
        #expect(s.pendingIDs == Set(s.status.filter { $0.value == .pending }.keys))
        #expect(s.runningCount == s.status.values.filter { $0 == .running }.count)
        return chosen
    }
}

@Suite("HyperBand: indexed choice")
struct HyperBandChoiceTests {
    static func wrap(_ s: any TrialScheduler) -> any TrialScheduler {
        if let hb = s as? HyperBandScheduler { return Checked(hb) }
        return s
    }

    /// Random engine streams (pauses, halvings, failures and retries, saves and restores): every
    /// choice the same as Ray's scan.
    @Test func indexedChoiceIsTheScan() throws {
        var calls = 0
        for seed in 1...60 { calls += try EngineWaitingIndexTests.run(seed: UInt64(seed * 7919), kind: 0, wrap: Self.wrap) }
        #expect(calls > 5_000)
    }

    /// HyperBandForBOHB's indexed choice on the same random streams: every choice and the state
    /// after it the same as Ray's scan's.
    @Test func hyperBandForBOHBIndexedChoiceIsTheScan() throws {
        var calls = 0
        for seed in 1...60 {
            calls += try EngineWaitingIndexTests.run(seed: UInt64(seed * 104_729), kind: 5) { s in
                (s as? HyperBandForBOHB).map { Checked($0) } ?? s
            }
        }
        #expect(calls > 5_000)
    }

    /// A trial added twice (hooks called out of the engine's order) is live in two brackets: the
    /// choice falls back to the scan, and still answers as Ray.
    @Test func trialLiveInTwoBracketsFallsBackToTheScan() throws {
        var hb = try HyperBandScheduler(metric: "loss", mode: .min, maxT: 9, reductionFactor: 3)
        for k in 0..<4 { hb.onTrialAdd("t\(k)") }
        hb.onTrialAdd("t0")
        #expect(hb.index.ambiguous)
        let waiting = [WaitingTrial(id: "t0", status: .pending), WaitingTrial(id: "t3", status: .pending)]
        #expect(hb.chooseTrial(among: waiting) == "t0")
        #expect(hb.chooseTrial(among: waiting) == hb.chooseTrialByScan { id in waiting.first { $0.id == id }?.status })
    }
}
