import Testing
@testable import SwiftTune

/// HyperBand that checks, at every choice the engine asks of it, that the indexed choice
/// (``HyperBandScheduler/chooseTrial(from:)``) is Ray's scan over every live trial of every band
/// (``HyperBandScheduler/chooseTrialByScan(_:)``), and that its index is what the brackets give.
struct CheckedHyperBand: TrialScheduler {
    static let kind = HyperBandScheduler.kind
    var inner: HyperBandScheduler
    var choices = 0

    init(_ inner: HyperBandScheduler) { self.inner = inner }
    init(restoring state: JSONValue) throws(ScheduleError) { inner = try HyperBandScheduler(restoring: state) }

    mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {
        try inner.setSearchProperties(metric: metric, mode: mode)
    }
    mutating func onTrialAdd(_ trialID: String) { inner.onTrialAdd(trialID) }
    mutating func onTrialResult(_ trialID: String, _ result: Metrics, context: SchedulerContext) throws(ScheduleError) -> SchedulerDecision {
        try inner.onTrialResult(trialID, result, context: context)
    }
    mutating func onTrialComplete(_ trialID: String, _ result: Metrics?) throws(ScheduleError) { try inner.onTrialComplete(trialID, result) }
    mutating func onTrialRemove(_ trialID: String) throws(ScheduleError) { try inner.onTrialRemove(trialID) }
    mutating func onTrialRetry(_ trialID: String, number: Int, configuration: JSONValue) throws(ScheduleError) {
        try inner.onTrialRetry(trialID, number: number, configuration: configuration)
    }
    mutating func onTrialStart(_ trialID: String) { inner.onTrialStart(trialID) }
    mutating func takeStopRequests() -> [String] { inner.takeStopRequests() }
    var choosesTrials: Bool { true }
    mutating func chooseTrial(among waiting: [WaitingTrial]) -> String? { chooseTrial(from: WaitingTrials(waiting)) }
    mutating func chooseTrial(from waiting: WaitingTrials) -> String? {
        let chosen = inner.chooseTrial(from: waiting)
        #expect(chosen == inner.chooseTrialByScan { waiting.status(of: $0) })
        #expect(chosen == inner.chooseTrial(among: waiting.list))
        Self.checkIndex(inner)
        choices += 1
        return chosen
    }
    func saveState() -> JSONValue { inner.saveState() }

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

/// HyperBandForBOHB that checks, at every choice, that the indexed choice
/// (``HyperBandForBOHB/chooseTrial(from:)``) is Ray's scan (``HyperBandForBOHB/chooseTrial(among:)``)
/// on a copy: the same trial, and the same scheduler state after it.
struct CheckedHyperBandForBOHB: TrialScheduler {
    static let kind = HyperBandForBOHB.kind
    var inner: HyperBandForBOHB
    var choices = 0

    init(_ inner: HyperBandForBOHB) { self.inner = inner }
    init(restoring state: JSONValue) throws(ScheduleError) { inner = try HyperBandForBOHB(restoring: state) }

    mutating func setSearchProperties(metric: String?, mode: Mode?) throws(ScheduleError) {
        try inner.setSearchProperties(metric: metric, mode: mode)
    }
    mutating func onTrialAdd(_ trialID: String) { inner.onTrialAdd(trialID) }
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
        var scan = inner
        let expected = try scan.chooseTrial(among: waiting.list)
        let chosen = try inner.chooseTrial(from: waiting)
        #expect(chosen == expected)
        #expect(inner.saveState() == scan.saveState())
        #expect(inner.pendingIDs == Set(inner.status.filter { $0.value == .pending }.keys))
        #expect(inner.runningCount == inner.status.values.filter { $0 == .running }.count)
        choices += 1
        return chosen
    }
    func saveState() -> JSONValue { inner.saveState() }
}

@Suite("HyperBand: indexed choice")
struct HyperBandChoiceTests {
    static func wrap(_ s: any TrialScheduler) -> any TrialScheduler {
        if let hb = s as? HyperBandScheduler { return CheckedHyperBand(hb) }
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
                (s as? HyperBandForBOHB).map { CheckedHyperBandForBOHB($0) } ?? s
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
