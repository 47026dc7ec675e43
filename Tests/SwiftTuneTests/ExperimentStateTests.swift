import Synchronization
import Testing
import SwiftTune

/// The experiment engine saved and restored, and the `Tuner` end to end (split from
/// ExperimentTests.swift; the helpers are there).
extension ExperimentTests {
    // MARK: - save and restore

    /// A deterministic objective of the configuration.
    static func objective(_ c: JSONValue, step k: Int) -> Double {
        let x = c["x"]?.doubleValue ?? .nan, y = c["y"]?.doubleValue ?? .nan
        return (x - 1) * (x - 1) + y + (c["act"] == "tanh" ? 0.5 : 0) + 1 / Double(k)
    }

    /// A sequential run: one trial at a time, `reports` results each (fewer when the engine
    /// stops it); the clock advances by 1 at every engine call so each run sees the same times.
    struct Run {
        var core: ExperimentCore
        var clock = 0.0
        var decisions: [String: [SchedulerDecision]] = [:]

        mutating func tick() -> Double {
            clock += 1
            return clock
        }

        /// Starts the next trial, or nil when the engine says it is finished.
        mutating func startNext() throws -> (String, JSONValue)? {
            let action = try core.next(now: tick())
            switch action {
            case let .start(id, configuration): return (id, configuration)
            case .finished: return nil
            case .wait:
                Issue.record("a sequential run never waits")
                return nil
            }
        }

        /// Reports results `from`...`to` of a running trial; whether it was stopped.
        mutating func report(_ id: String, _ configuration: JSONValue, _ steps: ClosedRange<Int>) throws -> Bool {
            for k in steps {
                let d = try core.report(id, ["loss": ExperimentTests.objective(configuration, step: k)], now: tick())
                decisions[id, default: []].append(d)
                if d != .continue { return true }
            }
            return false
        }

        mutating func finishAll() throws {
            while let (id, configuration) = try startNext() {
                let stopped = try report(id, configuration, 1...5)
                try core.finish(id, stopped ? .stopped : .completed, now: tick())
            }
        }
    }

    static func tpeCore(scheduler: any TrialScheduler) throws -> ExperimentCore {
        let tpe = try TPESearch(space: space(), mode: .min, options: TPESearch.Options(nInitialPoints: 5), seed: 42)
        return try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 30),
                                  limiter: ConcurrencyLimiter(tpe, maxConcurrent: 1), scheduler: scheduler)
    }

    @Test(arguments: ["fifo", "asha"])
    func saveMidRunRestoreAndFinishGivesTheUninterruptedResult(schedulerKind: String) throws {
        func scheduler() throws -> any TrialScheduler {
            schedulerKind == "fifo" ? FIFOScheduler() : try ASHAScheduler(maxT: 5, gracePeriod: 1, reductionFactor: 2)
        }
        var whole = Run(core: try Self.tpeCore(scheduler: scheduler()))
        try whole.finishAll()
        #expect(whole.core.trials.count == 30)
        #expect(whole.core.trials.allSatisfy { $0.status == .terminated })

        // Saved after 12 finished trials and two results of the 13th. With ASHA the running
        // trial must have been answered `.continue` twice (a trial run again from the start
        // after a restore is not decided again at rungs it was recorded at), so the save comes
        // after the first such trial from the 13th on.
        let finishedBeforeSave = (12..<30).first { n in
            Array(whole.decisions[Self.id(n), default: []].prefix(2)) == [.continue, .continue]
        } ?? 12
        if schedulerKind == "fifo" { #expect(finishedBeforeSave == 12) }
        var part = Run(core: try Self.tpeCore(scheduler: scheduler()))
        for _ in 0..<finishedBeforeSave {
            let (id, configuration) = try #require(try part.startNext())
            let stopped = try part.report(id, configuration, 1...5)
            try part.core.finish(id, stopped ? .stopped : .completed, now: part.tick())
        }
        let (running, runningConfig) = try #require(try part.startNext())
        #expect(running == Self.id(finishedBeforeSave))
        // Two results of the running trial, both answered `.continue` (so running it again from
        // the start after the restore does what the uninterrupted run did).
        #expect(try !part.report(running, runningConfig, 1...2))
        let state = part.core.saveState(now: part.tick())
        #expect(state["trials"]?.arrayValue?.count == finishedBeforeSave + 1)

        let direct = try ExperimentCore(restoring: state)
        let viaText = try ExperimentCore(restoring: JSONValue(parsing: state.serialized(pretty: true)))
        for restored in [direct, viaText] {
            #expect(restored.trials.count == finishedBeforeSave + 1 && restored.runningCount == 0)
            #expect(Array(restored.trials.prefix(finishedBeforeSave)) == Array(part.core.trials.prefix(finishedBeforeSave)))
            #expect(restored.trials.prefix(finishedBeforeSave).allSatisfy { $0.status == .terminated })
            let back = try #require(restored.trial(running))
            #expect(back.status == .pending && back.configuration == runningConfig && back.results.isEmpty)
            #expect(restored.limiter.live == [running])
            #expect(restored.saveState(now: 0) == state)
        }

        var results: [[TrialRecord]] = []
        for restored in [direct, viaText] {
            var resumed = Run(core: restored, clock: part.clock)
            // The restored PENDING trial runs first, with the same configuration.
            let action = try resumed.core.next(now: resumed.tick())
            #expect(action == .start(trialID: running, configuration: runningConfig))
            let stopped = try resumed.report(running, runningConfig, 1...5)
            try resumed.core.finish(running, stopped ? .stopped : .completed, now: resumed.tick())
            try resumed.finishAll()
            results.append(resumed.core.trials)
            // The searcher ends in the same state: same suggestions, same outcomes, nothing twice.
            #expect(resumed.core.limiter.searcher.saveState() == whole.core.limiter.searcher.saveState())
        }
        for trials in results {
            #expect(trials.map(\.id) == (0..<30).map(Self.id))
            #expect(trials.map(\.configuration) == whole.core.trials.map(\.configuration))
            #expect(trials.map { $0.lastResult?["loss"] } == whole.core.trials.map { $0.lastResult?["loss"] })
            #expect(trials.map(\.status) == whole.core.trials.map(\.status))
            #expect(trials.map(\.stoppedEarly) == whole.core.trials.map(\.stoppedEarly))
            #expect(trials == whole.core.trials)  // every result, times included
        }
        if schedulerKind == "asha" {
            #expect(whole.core.trials.contains { $0.stoppedEarly })
        }
        // TPE after its 5 random trials proposes from the model: not all configurations alike.
        #expect(Set(whole.core.trials.map(\.configuration)).count == 30)
    }

    @Test func restoreRejectsInconsistentStates() throws {
        var c = try Self.core(numSamples: 3)
        let (a, _) = try Self.start(&c, now: 0)
        _ = try c.report(a, ["loss": 1], now: 1)
        try c.finish(a, .completed, now: 2)
        _ = try Self.start(&c, now: 3)
        let good = c.saveState(now: 4)
        _ = try ExperimentCore(restoring: good)
        func replacing(_ key: String, _ value: JSONValue, in state: JSONValue) -> JSONValue {
            .object(state.objectValue!.map { $0.0 == key ? ($0.0, value) : $0 })
        }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: .null) }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: replacing("format", "other", in: good)) }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: replacing("version", 99, in: good)) }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: replacing("created", 5, in: good)) }
        #expect(throws: ExperimentError.self) { try ExperimentCore(restoring: replacing("elapsed_s", -1, in: good)) }
        let trials = good["trials"]!.arrayValue!
        // A trial listed twice; a finished trial the searcher still waits for; the reverse.
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([trials[0], trials[0]]), in: good))
        }
        let pendingMarkedDone = replacing("status", "TERMINATED", in: trials[1])
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([trials[0], pendingMarkedDone]), in: good))
        }
        let doneMarkedPending = replacing("searcher_told", false, in: replacing("status", "PENDING", in: trials[0]))
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([doneMarkedPending, trials[1]]), in: good))
        }
        // A state written before "searcher_told" existed: an unfinished trial must be awaited.
        let oldFormat = JSONValue.object(replacing("status", "PENDING", in: trials[0]).objectValue!.filter { $0.0 != "searcher_told" })
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([oldFormat, trials[1]]), in: good))
        }
        // A checkpoint covering more results than the trial has.
        let overCovered = replacing("checkpoint_results", 5, in: replacing("checkpoint", "c", in: trials[0]))
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([overCovered, trials[1]]), in: good))
        }
        // The limiter still waits for trial_00001, which the trial table no longer has: its slot
        // would never be freed, and the next new trial (trial_00001 again, from 'created')
        // would be refused by the searcher as a duplicate.
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("created", 1, in: replacing("trials", .array([trials[0]]), in: good)))
        }
        let running = replacing("status", "RUNNING", in: trials[1])
        #expect(throws: ExperimentError.self) {
            try ExperimentCore(restoring: replacing("trials", .array([trials[0], running]), in: good))
        }
    }

    // MARK: - Tuner

    struct Boom: Error, CustomStringConvertible {
        let trial: String
        var description: String { "boom in \(trial)" }
    }

    @Test func tunerRunsFortyTrialsOnFourWorkers() async throws {
        let limiter = try ConcurrencyLimiter(RandomSearch(space: Self.space(), seed: 8), maxConcurrent: 4)
        let gauge = Locked((now: 0, max: 0, runs: 0))
        let tuner = try Tuner(limiter: limiter, config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 40),
                              workers: 4) { session in
            gauge.withLock { $0.now += 1; $0.max = max($0.max, $0.now); $0.runs += 1 }
            defer { gauge.withLock { $0.now -= 1 } }
            await Task.yield()
            for k in 1...2 {
                try session.report(["loss": ExperimentTests.objective(session.configuration, step: k)])
                await Task.yield()
            }
            // A returned result is the trial's final report.
            return ["loss": ExperimentTests.objective(session.configuration, step: 3)]
        }
        let grid = try await tuner.fit()
        #expect(grid.trials.count == 40)
        #expect(grid.trials.map(\.id) == (0..<40).map(Self.id))
        #expect(grid.trials.allSatisfy { $0.status == .terminated && $0.numReports == 3 && !$0.stoppedEarly })
        #expect(grid.trials.allSatisfy { $0.lastResult?["loss"] == Self.objective($0.configuration, step: 3) })
        #expect(grid.errors.isEmpty)
        let g = gauge.withLock { $0 }
        #expect(g.runs == 40 && g.max <= 4 && g.now == 0)
        let best = try #require(grid.bestResult())
        #expect(best.lastResult?["loss"] == grid.trials.compactMap { $0.lastResult?["loss"] }.min())
        #expect(tuner.experiment.runningCount == 0)
        #expect(Self.searcherStates(tuner.experiment.saveState()["limiter"]?["searcher"]).values.allSatisfy { $0.hasPrefix("completed=") })
    }

    @Test func tunerRecordsObjectiveErrors() async throws {
        let tuner = try Tuner(searcher: RandomSearch(space: Self.space(), seed: 9),
                              config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 20), workers: 3) { session in
            try session.report(["loss": 1])
            if session.configuration["act"] == "tanh" { throw Boom(trial: session.trialID) }
            return nil
        }
        let grid = try await tuner.fit()
        #expect(grid.trials.count == 20)
        let failed = grid.trials.filter { $0.configuration["act"] == "tanh" }
        #expect(!failed.isEmpty && failed.count < 20)
        #expect(grid.errors.map(\.id) == failed.map(\.id))
        for t in grid.trials {
            if t.configuration["act"] == "tanh" {
                #expect(t.status == .error && t.errorMessage == "boom in \(t.id)" && t.numReports == 1)
            } else {
                #expect(t.status == .terminated && t.errorMessage == nil)
            }
        }
        let told = Self.searcherStates(tuner.experiment.saveState()["limiter"]?["searcher"])
        for t in grid.trials { #expect(told[t.id] == (t.status == .error ? "failed" : "completed=1.0")) }
    }

    @Test func tunerStopsTrialsAtTheStopCriterion() async throws {
        let sawStop = Locked(0)
        let tuner = try Tuner(searcher: RandomSearch(space: Self.space(), seed: 10),
                              config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 8, stop: ["training_iteration": 2]),
                              workers: 2) { session in
            do {
                for k in 1...10 { try session.report(["loss": Double(10 - k)]) }
            } catch let stopped as TrialStopped {
                #expect(stopped.decision == .stop)
                sawStop.withLock { $0 += 1 }
                throw stopped
            }
            return nil
        }
        let grid = try await tuner.fit()
        #expect(grid.trials.count == 8 && sawStop.withLock { $0 } == 8)
        #expect(grid.trials.allSatisfy { $0.status == .terminated && $0.stoppedEarly && $0.numReports == 2 })
        #expect(grid.trials.allSatisfy { $0.lastResult?["loss"] == 8 })
    }
}
