import Synchronization
import Testing
import SwiftTune

/// The front end's scheduler (``CallbackScheduler``) in the engine: told trials added, completed
/// and failed, asked for decisions and for the waiting trial to start, in Ray's order.
@Suite struct CallbackSchedulerTests {
    /// A front end that logs every query, stops a trial at loss >= 10, pauses one at loss 5 (once),
    /// and chooses PAUSED trials before PENDING ones (or none, with `chooseNone`).
    final class FrontEnd: Sendable {
        let log = Locked<[String]>([])
        let pausedOnce = Locked<Set<String>>([])
        let chooseNone: Bool
        let failOn: String?
        init(chooseNone: Bool = false, failOn: String? = nil) {
            self.chooseNone = chooseNone
            self.failOn = failOn
        }

        func answer(_ id: Int, _ query: ScheduleQuery) throws(ScheduleError) -> ScheduleReply {
            switch query {
            case let .add(trialID, number, configuration):
                log.withLock { $0.append("add \(trialID) #\(number) x=\(configuration["x"].map { "\($0)" } ?? "-")") }
                return .done
            case let .result(trialID, result):
                let loss = result["loss"] ?? .nan
                if failOn == "result" { throw .frontEnd("user code raised") }
                log.withLock { $0.append("result \(trialID) \(Int(loss)) it=\(Int(result["training_iteration"] ?? -1))") }
                if loss >= 10 { return .decision(.stop) }
                if loss == 5, pausedOnce.withLock({ $0.insert(trialID).inserted }) { return .decision(.pause) }
                return .decision(.continue)
            case let .complete(trialID, result):
                log.withLock { $0.append("complete \(trialID) \(result.map { "\(Int($0["loss"] ?? -1))" } ?? "none")") }
                return .done
            case let .error(trialID):
                log.withLock { $0.append("error \(trialID)") }
                return .done
            case .explore:
                throw .frontEnd("a user scheduler is never asked to explore")
            case let .choose(waiting):
                log.withLock { $0.append("choose " + waiting.map { "\($0.id):\($0.status.rawValue)" }.joined(separator: ",")) }
                if chooseNone { return .chosen(nil) }
                if let p = waiting.first(where: { $0.status == .paused }) { return .chosen(p.id) }
                return .chosen(waiting.first?.id)
            }
        }
    }

    static func engine(numSamples: Int = 3, maxConcurrent: Int? = 1, maxFailures: Int = 0,
                       maxPending: Int = 1) throws -> ExperimentCore {
        let space = try SearchSpace(["x": .uniform(0, 1)])
        var config = ExperimentConfig(metric: "loss", mode: .min, numSamples: numSamples, maxConcurrentTrials: maxConcurrent)
        config.maxFailures = maxFailures
        config.maxPendingTrials = maxPending
        if maxConcurrent == nil {  // one CPU, a CPU per trial: one trial runs at a time, any number live
            config.resources = TrialResources(available: ["CPU": 1], perTrial: ["CPU": 1])
        }
        return try ExperimentCore(config: config, searcher: RandomSearch(space: space, seed: 1),
                                  scheduler: try SchedulerSpec(json: ["type": "callback", "id": 2]).scheduler)
    }

    static func attach(_ c: inout ExperimentCore, _ fe: FrontEnd) throws {
        try c.setSchedulerCallback { (id: Int, q: ScheduleQuery) throws(ScheduleError) -> ScheduleReply in
            #expect(id == 2)
            return try fe.answer(id, q)
        }
    }

    static func started(_ a: NextAction) -> String? {
        if case let .start(id, _) = a { return id }
        return nil
    }

    @Test func theEngineTellsAddsAsksDecisionsAndChoosesInRaysOrder() throws {
        var c = try Self.engine(maxConcurrent: nil)
        // Unattached: the new trial's add waits for the callback, the choice cannot be asked.
        let fe = FrontEnd()
        #expect(throws: ExperimentError.self) { _ = try c.next(now: 0) }
        try Self.attach(&c, fe)  // the add that waited is told now
        #expect(fe.log.withLock { $0.count } == 1)
        let a = try #require(Self.started(try c.next(now: 0)))
        #expect(try c.report(a, ["loss": 1], now: 1) == .continue)
        #expect(try c.report(a, ["loss": 5], now: 1) == .pause)
        try c.finish(a, .stopped, now: 2)
        #expect(c.trial(a)?.status == .paused)
        // A slot is free: the trial created while a ran (queued as it became PENDING) starts before
        // the PAUSED one (Ray stages pending trials at once).
        let b = try #require(Self.started(try c.next(now: 2)))
        #expect(b == "trial_00001")
        #expect(try c.report(b, ["loss": 2], now: 3) == .continue)
        try c.finish(b, .completed, now: 3)
        #expect(try c.next(now: 4) == .start(trialID: a, configuration: c.trial(a)!.configuration))
        #expect(try c.report(a, ["loss": 12], now: 4) == .stop)
        try c.finish(a, .stopped, now: 4)
        let d = try #require(Self.started(try c.next(now: 5)))
        try c.finish(d, .completed, now: 5)  // no result: completed with none
        #expect(try c.next(now: 6) == .finished)
        let log = fe.log.withLock { $0 }
        // Ray's loop takes a step (creates trials up to max_pending_trials, asks the scheduler to
        // choose) after a trial starts and after every result: b is created while a runs, so the
        // PAUSED a, chosen as it pauses, queues behind it.
        #expect(log.count == 21)
        #expect(log[0].hasPrefix("add trial_00000 #0 x="))
        #expect(log[1] == "choose trial_00000:PENDING")
        #expect(log[2].hasPrefix("add trial_00001 #1"))
        #expect(Array(log[3...8]) == ["choose trial_00001:PENDING", "result trial_00000 1 it=1", "choose trial_00001:PENDING",
                                      "result trial_00000 5 it=2", "choose trial_00000:PAUSED,trial_00001:PENDING",
                                      "choose trial_00000:PAUSED,trial_00001:PENDING"])
        #expect(log[9].hasPrefix("add trial_00002 #2"))
        #expect(Array(log[10...]) == ["choose trial_00000:PAUSED,trial_00002:PENDING", "result trial_00001 2 it=1",
                                      "choose trial_00000:PAUSED,trial_00002:PENDING", "complete trial_00001 2",
                                      "choose trial_00000:PAUSED,trial_00002:PENDING", "choose trial_00002:PENDING",
                                      "result trial_00000 12 it=1", "choose trial_00002:PENDING", "complete trial_00000 12",
                                      "choose trial_00002:PENDING", "complete trial_00002 none"])
    }

    @Test func pendingTrialsStartWhenNoneIsChosenAndUnchosenPausedTrialsAreAnError() throws {
        var c = try Self.engine(numSamples: 1)
        let fe = FrontEnd(chooseNone: true)
        try Self.attach(&c, fe)
        let a = try #require(Self.started(try c.next(now: 0)))  // chose none: the PENDING one starts anyway
        #expect(try c.report(a, ["loss": 5], now: 1) == .pause)
        try c.finish(a, .stopped, now: 1)
        // Nothing runs, nothing can be created, and the scheduler leaves the PAUSED trial waiting.
        #expect(throws: ExperimentError.schedule(.frontEnd(
            "the scheduler's choose_trial_to_run chose none of the 1 PAUSED trials while no trial runs and none can be "
                + "created: they would never resume"))) { _ = try c.next(now: 2) }
    }

    @Test func aRetriedTrialIsErroredThenAddedAgainAndAFinalFailureIsAnError() throws {
        var c = try Self.engine(numSamples: 1, maxFailures: 1)
        let fe = FrontEnd()
        try Self.attach(&c, fe)
        let a = try #require(Self.started(try c.next(now: 0)))
        try c.finish(a, .failed("boom"), now: 1)  // retried: Ray's on_trial_error, then on_trial_add
        #expect(c.trial(a)?.status == .pending)
        #expect(Self.started(try c.next(now: 1)) == a)
        try c.finish(a, .failed("boom again"), now: 2)
        #expect(c.trial(a)?.status == .error)
        let log = fe.log.withLock { $0 }
        #expect(log.filter { !$0.hasPrefix("choose") }.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
            == ["add trial_00000", "error trial_00000", "add trial_00000", "error trial_00000"])
    }

    @Test func aFailingCallbackFailsTheCallThatAskedAndAWrongChoiceIsRefused() throws {
        var c = try Self.engine()
        try Self.attach(&c, FrontEnd(failOn: "result"))
        let a = try #require(Self.started(try c.next(now: 0)))
        #expect(throws: ExperimentError.schedule(.frontEnd("user code raised"))) { _ = try c.report(a, ["loss": 1], now: 1) }
        var d = try Self.engine()
        try d.setSchedulerCallback { (_: Int, q: ScheduleQuery) throws(ScheduleError) -> ScheduleReply in
            if case .choose = q { return .chosen("trial_00042") }
            return .done
        }
        #expect(throws: ExperimentError.self) { _ = try d.next(now: 0) }
    }

    @Test func aRestoredExperimentTellsEveryTrialOnceTheCallbackIsAttached() throws {
        var c = try Self.engine(numSamples: 3, maxConcurrent: 2)
        try Self.attach(&c, FrontEnd())
        let a = try #require(Self.started(try c.next(now: 0)))
        _ = try #require(Self.started(try c.next(now: 0)))
        #expect(try c.report(a, ["loss": 3], now: 1) == .continue)
        try c.finish(a, .completed, now: 1)
        let state = c.saveState(now: 2)
        #expect(state["scheduler"] == .object([("scheduler", "callback"), ("id", 2)]))
        var r = try ExperimentCore(restoring: state)
        let fe = FrontEnd()
        try Self.attach(&r, fe)
        #expect(fe.log.withLock { $0 }.map { $0.split(separator: " ").prefix(3).joined(separator: " ") }
            == ["add trial_00000 #0", "add trial_00001 #1"])
        // The restored engine asks the new callback.
        #expect(Self.started(try r.next(now: 3)) == "trial_00001")
    }

    /// Ray's `max_pending_trials` (200 for its BasicVariantGenerator): the searcher's trials are
    /// created, and told to the scheduler, ahead of the slots to run them.
    @Test func trialsAreCreatedAheadUpToMaxPendingTrials() throws {
        var c = try Self.engine(numSamples: 4, maxConcurrent: nil, maxPending: 3)
        let fe = FrontEnd()
        try Self.attach(&c, fe)
        let a = try #require(Self.started(try c.next(now: 0)))
        #expect(a == "trial_00000")
        // Ray's step after the start: the fourth trial is created (two were pending); none can start.
        #expect(c.trials.map(\.status) == [.running, .pending, .pending, .pending])
        #expect(try c.next(now: 0) == .wait)
        try c.finish(a, .completed, now: 1)
        #expect(Self.started(try c.next(now: 1)) == "trial_00001")
        #expect(c.trials.map(\.status) == [.terminated, .running, .pending, .pending])
        let log = fe.log.withLock { $0 }
        #expect(log.filter { $0.hasPrefix("add") }.count == 4)
        #expect(log.first { $0.hasPrefix("choose") } == "choose trial_00000:PENDING,trial_00001:PENDING,trial_00002:PENDING")
        // Under max_concurrent_trials at most that many are live (pending, running or paused), as Ray's searchers.
        var m = try Self.engine(numSamples: 4, maxConcurrent: 2, maxPending: 3)
        try Self.attach(&m, FrontEnd())
        #expect(Self.started(try m.next(now: 0)) == "trial_00000")
        #expect(m.trials.map(\.status) == [.running, .pending])
        var bad = ExperimentConfig(metric: nil, mode: nil)
        bad.maxPendingTrials = 0
        #expect(throws: ExperimentError.invalidConfig("max_pending_trials must be >= 1, got 0")) {
            _ = try ExperimentCore(config: bad, searcher: RandomSearch(space: SearchSpace(["x": .uniform(0, 1)]), seed: 1))
        }
    }
}
