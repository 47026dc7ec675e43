import Testing
import SwiftTune

/// The engine's own reading of the JSON specifications the front ends send (`SearcherSpec`,
/// `SchedulerSpec`, `ExperimentConfig(json:)`, `ResumeOptions(json:)`), the scheduler errors'
/// source, and what the engine answers to reports and finished runs.
@Suite struct SpecTests {
    static let spaceDocument: JSONValue = [
        "format": "swifttune.space", "version": 1,
        "space": ["type": "dict", "items": ["x": ["type": "tune.uniform", "lower": 0, "upper": 1]]],
    ]

    static func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    // MARK: - searchers

    @Test func searcherSpecDefaultsAndOptions() throws {
        let plain = try SearcherSpec(json: ["algorithm": "random", "space": Self.spaceDocument])
        #expect(plain.algorithm == .random && plain.mode == .min && plain.seed == 0 && plain.maxConcurrent == nil && !plain.batch)
        #expect(plain.tpeOptions == TPESearch.Options())
        let tpe = try SearcherSpec(json: ["algorithm": "tpe", "space": Self.spaceDocument, "mode": "max", "seed": 9,
                                          "gamma": 0.5, "n_initial_points": 3, "max_concurrent": 2, "batch": true])
        #expect(tpe.algorithm == .tpe && tpe.mode == .max && tpe.seed == 9 && tpe.tpeOptions.gamma == 0.5)
        #expect(tpe.tpeOptions.nInitialPoints == 3 && tpe.maxConcurrent == 2 && tpe.batch)
        let limiter = try tpe.makeLimiter()
        #expect(limiter.maxConcurrent == 2 && limiter.batch && limiter.searcher.mode == .max)
        #expect(try plain.makeLimiter().maxConcurrent == Int.max)
    }

    @Test func searcherSpecErrorsNameTheOption() throws {
        let space = Self.spaceDocument
        #expect(Self.message { _ = try SearcherSpec(json: ["algorithm": "random", "space": space, "colour": 1]) } == "unknown searcher option 'colour'")
        #expect(Self.message { _ = try SearcherSpec(json: ["algorithm": "random", "space": space, "gamma": 0.5]) }
            == "'gamma' is a TPE option; random search takes none")
        #expect(Self.message { _ = try SearcherSpec(json: ["algorithm": "grid", "space": space]) } == "unknown algorithm 'grid': use \"tpe\", \"random\", \"anneal\", \"bohb\", \"optuna_tpe\" or \"callback\"")
        #expect(Self.message { _ = try SearcherSpec(json: ["algorithm": "tpe"]) } == "'space' is required")
        #expect(Self.message { _ = try SearcherSpec(json: ["algorithm": "tpe", "space": space, "seed": "x"]) }?.contains("'seed' must be an integer") == true)
        #expect(Self.message { _ = try SearcherSpec(json: ["tpe"]) } == "the searcher specification must be a JSON object")
        // The algorithm's own checks come with building it.
        let spec = try SearcherSpec(json: ["algorithm": "tpe", "space": space, "gamma": 5.0])
        #expect(throws: SpecError.search(.invalidOption("gamma must be in (0, 1], got 5.0"))) { _ = try spec.makeLimiter() }
        #expect {
            _ = try SearcherSpec(json: ["algorithm": "tpe", "space": ["format": "swifttune.space", "version": 7, "space": 1]])
        } throws: { error in
            if case SpecError.space = error { return true }
            return false
        }
    }

    // MARK: - schedulers

    @Test func schedulerSpecBuildsEachType() throws {
        #expect(try SchedulerSpec(json: [:]).kind == .fifo)
        let asha = try SchedulerSpec(json: ["type": "async_hyperband", "max_t": 16, "grace_period": 1, "reduction_factor": 2])
        #expect(asha.kind == .asha && (asha.scheduler as? ASHAScheduler)?.milestones == [[16, 8, 4, 2, 1]])
        let msr = try SchedulerSpec(json: ["type": "median_stopping_rule", "grace_period": 2, "hard_stop": false])
        let rule = try #require(msr.scheduler as? MedianStoppingRule)
        #expect(rule.gracePeriod == 2 && !rule.hardStop && rule.timeAttr == "time_total_s" && rule.minSamplesRequired == 3)
    }

    @Test func schedulerSpecErrors() {
        #expect(Self.message { _ = try SchedulerSpec(json: ["type": "resource_changing"]) }
            == "unknown scheduler type 'resource_changing': use \"fifo\", \"asha\", \"median_stopping_rule\", \"hyperband\", \"hb_bohb\", \"pbt\", \"pb2\", \"pbt_replay\" or \"callback\"")
        #expect(Self.message { _ = try SchedulerSpec(json: ["type": "pb2"]) }
            == "`hyperparam_bounds` must be specified to use PB2 scheduler.")
        #expect(Self.message { _ = try SchedulerSpec(json: ["type": "pb2", "hyperparam_bounds": ["lr": [0.5, 0.1]]]) }
            == "`hyperparam_bounds` values must be of the form [low, high] where low <= high, but got [0.5,0.1] instead for param 'lr'.")
        #expect(Self.message { _ = try SchedulerSpec(json: ["type": "pbt"]) }
            == "You must specify at least one of `hyperparam_mutations` or `custom_explore_fn` to use PBT.")
        #expect(Self.message { _ = try SchedulerSpec(json: ["type": "pbt", "hyperparam_mutations": ["lr": ["list": [1]]]]) }?
            .contains("one of 'values', 'domain', 'function', 'nested'") == true)
        #expect(Self.message { _ = try SchedulerSpec(json: ["type": "asha", "colour": 1]) } == "unknown option 'colour' for scheduler 'asha'")
        #expect(Self.message { _ = try SchedulerSpec(json: ["type": "fifo", "max_t": 3]) } == "unknown option 'max_t' for scheduler 'fifo'")
        #expect(Self.message { _ = try SchedulerSpec(json: ["type": "asha", "max_t": "long"]) }?.contains("'max_t' must be a number") == true)
        // Values the scheduler itself rejects: an option error, from the core.
        #expect(throws: SpecError.schedule(ScheduleError("'grace_period' must be >= 0, got -1.0"))) {
            _ = try SchedulerSpec(json: ["type": "median_stopping_rule", "grace_period": -1])
        }
        #expect(throws: SpecError.schedule(ScheduleError("'min_time_slice' must be >= 0, got -1.0"))) {
            _ = try SchedulerSpec(json: ["type": "median_stopping_rule", "min_time_slice": -1])
        }
    }

    @Test func medianStoppingRuleValidatesItsOptions() {
        #expect(throws: ScheduleError("'grace_period' must be >= 0, got -1.0")) { _ = try MedianStoppingRule(gracePeriod: -1) }
        #expect(throws: ScheduleError("'min_samples_required' must be >= 0, got -2")) { _ = try MedianStoppingRule(minSamplesRequired: -2) }
        #expect(throws: ScheduleError("'min_time_slice' must be >= 0, got -0.5")) { _ = try MedianStoppingRule(minTimeSlice: -0.5) }
        #expect(throws: ScheduleError.self) { _ = try MedianStoppingRule(gracePeriod: .nan) }
    }

    @Test func scheduleErrorsSayOptionOrSavedState() throws {
        let option = ScheduleError("grace_period must be positive!")
        #expect(option.source == .option && option.description == "grace_period must be positive!")
        // Every error of a restore is the saved state's, even one the initializer found.
        var asha = try ASHAScheduler(maxT: 8, gracePeriod: 1, reductionFactor: 2).saveState()
        asha = .object(asha.objectValue!.map { $0.0 == "max_t" ? ($0.0, -1) : $0 })
        #expect(throws: ScheduleError("Max (time_attr) not valid!", source: .savedState)) { _ = try restoreScheduler(asha) }
        #expect(throws: ScheduleError("Max (time_attr) not valid!", source: .savedState)) { _ = try ASHAScheduler(restoring: asha) }
        let garbage = ScheduleError.state("not a FIFO scheduler state")
        #expect(throws: garbage) { _ = try FIFOScheduler(restoring: ["scheduler": "asha"]) }
        #expect(garbage.description == "invalid saved scheduler state: not a FIFO scheduler state")
        var msr = try MedianStoppingRule().saveState()
        msr = .object(msr.objectValue!.map { $0.0 == "grace_period" ? ($0.0, -3.0) : $0 })
        #expect(throws: ScheduleError("'grace_period' must be >= 0, got -3.0", source: .savedState)) { _ = try restoreScheduler(msr) }
        #expect(throws: ScheduleError.state("unknown scheduler state \"resource_changing\"")) { _ = try restoreScheduler(["scheduler": "resource_changing"]) }
        #expect(throws: ScheduleError.state("malformed HyperBand scheduler state")) { _ = try restoreScheduler(["scheduler": "hb_bohb"]) }
        #expect(throws: ScheduleError.state("not a PBT state")) { _ = try restoreScheduler(["scheduler": "pb2"]) }
        #expect(throws: ScheduleError.state("not a PBT state")) { _ = try restoreScheduler(["scheduler": "pbt"]) }
    }

    @Test func aCorruptSchedulerSectionIsAStateError() throws {
        var c = try ExperimentTests.core(numSamples: 2, scheduler: ASHAScheduler(maxT: 4, gracePeriod: 1, reductionFactor: 2))
        _ = try ExperimentTests.start(&c, now: 0)
        let good = c.saveState(now: 1)
        let bad = JSONValue.object(good.objectValue!.map { $0.0 == "scheduler" ? ($0.0, ["scheduler": "asha"]) : $0 })
        #expect {
            _ = try ExperimentCore(restoring: bad)
        } throws: { error in
            guard case ExperimentError.schedule(let e) = error else { return false }
            return e.source == .savedState
        }
    }

    // MARK: - experiments and resume options

    @Test func experimentConfigReadsAndWritesItsJSON() throws {
        let config = try ExperimentConfig(json: ["metric": "loss", "mode": "max", "num_samples": 4, "stop": ["training_iteration": 3],
                                                 "max_failures": -1, "time_budget_s": 2.5])
        #expect(config == ExperimentConfig(metric: "loss", mode: .max, numSamples: 4, stop: ["training_iteration": 3],
                                           timeBudgetS: 2.5, maxFailures: -1))
        #expect(try ExperimentConfig(json: config.json) == config)
        #expect(try ExperimentConfig(json: ["metric": "m", "mode": "min"]) == ExperimentConfig(metric: "m", mode: .min))
        // Metric and mode are optional (Ray's random search and FIFO need none).
        #expect(try ExperimentConfig(json: ["mode": "min"]).metric == nil)
        #expect(try ExperimentConfig(json: ["metric": "m", "mode": .null]).mode == nil)
        #expect(Self.message { _ = try ExperimentConfig(json: ["metric": "m", "mode": "min", "colour": 1]) } == "unknown experiment option 'colour'")
        #expect(Self.message { _ = try ExperimentConfig(json: ["metric": "m", "mode": "min", "stop": ["x": "y"]]) }
            == "stop threshold 'x' must be a number, got \"y\"")
        #expect(Self.message { _ = try ExperimentConfig(json: ["metric": "m", "mode": "min", "fail_fast": 1]) }
            == "'fail_fast' must be true or false, got 1")
    }

    @Test func resumeOptionsFromJSON() throws {
        #expect(try ResumeOptions(json: [:]) == ResumeOptions())
        #expect(try ResumeOptions(json: ["unfinished": "skip", "errored": "restart"]) == ResumeOptions(unfinished: .skip, errored: .restart))
        #expect(Self.message { _ = try ResumeOptions(json: ["errored": "later"]) }
            == "'errored' must be \"skip\", \"resume\" or \"restart\", got \"later\"")
        #expect(Self.message { _ = try ResumeOptions(json: ["finished": "skip"]) } == "unknown resume option 'finished'")
    }

    // MARK: - what the engine answers

    @Test func reportAnswersWithTheAutomaticFields() throws {
        var c = try ExperimentTests.core(numSamples: 1, stop: ["training_iteration": 3])
        let (id, _) = try ExperimentTests.start(&c, now: 10)
        let first = try c.reportResult(id, ["loss": 1], now: 10.5)
        #expect(first == ReportAnswer(decision: .continue, trainingIteration: 1, timeTotalS: 0.5))
        let own = try c.reportResult(id, ["loss": 1, "time_total_s": 99], now: 11)
        #expect(own.trainingIteration == 2 && own.timeTotalS == 99)
        let third = try c.reportResult(id, ["loss": 1], now: 12)
        #expect(third.decision == .stop && third.trainingIteration == 3 && third.timeTotalS == 2)
        // After the stop, a report is not recorded: no fields.
        let late = try c.reportResult(id, ["loss": 1], now: 13)
        #expect(late.decision == .stop && late.trainingIteration.isNaN && late.timeTotalS.isNaN)
        #expect(c.trial(id)?.results.map { $0["training_iteration"] } == [1, 2, 3])
    }

    @Test func checkpointRuleAsRays() throws {
        var config = ExperimentConfig(metric: "loss", mode: .min, numSamples: 1, stop: ["training_iteration": 5])
        config.checkpointFrequency = 2
        config.checkpointAtEnd = true
        #expect(try ExperimentConfig(json: config.json) == config)  // saved and restored with the state
        var c = try ExperimentCore(config: config, searcher: RandomSearch(space: ExperimentTests.space(), seed: 1))
        let (id, _) = try ExperimentTests.start(&c, now: 0)
        let due = try (1...6).map { try c.reportResult(id, ["loss": 1], now: Double($0)).shouldCheckpoint }
        // Iterations 2 and 4 by frequency, 5 at the end (stopped); 6 was not recorded.
        #expect(due == [false, true, false, true, true, false])
        try c.attachCheckpoint(id, "checkpoint_000000")
        #expect(c.trial(id)?.checkpoint == "checkpoint_000000" && c.trial(id)?.checkpointResults == 5)
        try c.finish(id, .stopped, now: 7)
        #expect(throws: ExperimentError.trialNotRunning(id, .terminated)) { try c.attachCheckpoint(id, "late") }
        #expect(throws: ExperimentError.unknownTrial("nope")) { try c.attachCheckpoint("nope", "x") }
        // Off by default; a pause always calls for one (the trial resumes from it).
        let plain = ExperimentConfig(metric: "loss", mode: .min)
        #expect(!plain.checkpointDue(trainingIteration: 4, decision: .stop))
        #expect(plain.checkpointDue(trainingIteration: 4, decision: .pause))
        #expect(!config.checkpointDue(trainingIteration: .nan, decision: .continue))
        #expect(!config.checkpointDue(trainingIteration: 2.5, decision: .continue))
        #expect(Self.message { _ = try ExperimentConfig(json: ["metric": "m", "mode": "min", "checkpoint_at_end": 1]) }
            == "'checkpoint_at_end' must be true or false, got 1")
        var negative = plain
        negative.checkpointFrequency = -1
        #expect(throws: ExperimentError.invalidConfig("checkpoint_frequency must be >= 0, got -1")) {
            _ = try ExperimentCore(config: negative, searcher: RandomSearch(space: ExperimentTests.space(), seed: 1))
        }
    }

    @Test func finishSaysWhatBecameOfTheTrial() throws {
        var c = try ExperimentCore(config: ExperimentConfig(metric: "loss", mode: .min, numSamples: 3, maxFailures: 1),
                                   searcher: RandomSearch(space: ExperimentTests.space(), seed: 2))
        let (a, _) = try ExperimentTests.start(&c, now: 0)
        #expect(try c.finish(a, .failed("one"), now: 1) == TrialFinish(status: .pending, numFailures: 1, metricProblem: nil))
        #expect(try ExperimentTests.start(&c, now: 1).0 == a)
        let error = try c.finish(a, .failed("two"), now: 2)
        #expect(error.status == .error && error.numFailures == 2 && !error.retried)
        let (b, _) = try ExperimentTests.start(&c, now: 2)
        _ = try c.report(b, ["accuracy": 1], now: 3)
        #expect(try c.finish(b, .completed, now: 4) == TrialFinish(status: .terminated, numFailures: 0, metricProblem: .missing))
        let (d, _) = try ExperimentTests.start(&c, now: 4)
        _ = try c.report(d, ["loss": .infinity], now: 5)
        #expect(try c.finish(d, .completed, now: 6).metricProblem == .notFinite)
        #expect(ExperimentTests.searcherStates(c.limiter.saveState()["searcher"]) == [a: "failed", b: "failed", d: "failed"])
    }

    @Test func metricProblemIsTheEnginesOneRule() {
        #expect(MetricProblem.of(nil, metric: "loss") == .missing)
        #expect(MetricProblem.of(["acc": 1], metric: "loss") == .missing)
        #expect(MetricProblem.of(["loss": .nan], metric: "loss") == .notFinite)
        #expect(MetricProblem.of(["loss": -.infinity], metric: "loss") == .notFinite)
        #expect(MetricProblem.of(["loss": 0], metric: "loss") == nil)
    }

    @Test func assignmentJSONIsHyperoptsVals() throws {
        let space = try SearchSpace([
            "act": HP.choice("act", [["name": "relu", "mult": HP.uniform("mult", 1, 2)], "tanh"]),
            "n": HP.randint("n", 0, 5),
        ])
        #expect(space.assignmentJSON(["n": 3, "act": 0, "mult": 1.5, "other": 2]).serialized() == #"{"act":0,"mult":1.5,"n":3}"#)
        #expect(space.assignmentJSON(["act": 1, "n": 0]).serialized() == #"{"act":1,"n":0}"#)
    }
}
