import Testing
import SwiftTune

/// The README's Swift examples, verbatim but for the asserts, so that the README stays true.
@Suite("README examples")
struct ReadmeExamplesTests {
    @Test func searcherExample() throws {
        // Ray Tune style: labels are the dict paths.
        let space = try SearchSpace([
            "steps": 100,
            "width": .uniform(0, 20),
            "height": .uniform(-100, 100),
            "activation": .choice(["relu", "tanh"]),
        ])
        var tpe = try TPESearch(
            space: space, mode: .min,
            pointsToEvaluate: [["width": 1, "height": 2, "activation": "relu"]],
            seed: 42)

        for n in 0..<200 {
            let s = try tpe.suggest(trialID: "trial_\(n)")
            let width = s.configuration["width"]!.doubleValue!
            let height = s.configuration["height"]!.doubleValue!
            let loss = 1 / (0.1 + width * 99 / 100) + height * 0.1
            try tpe.tell(trialID: s.trialID, .completed(loss))   // or .failed, .completedWithoutMetric
        }

        // Save and restore: the restored searcher makes exactly the suggestions the original would have.
        let state = tpe.saveState().serialized()
        var again = try TPESearch(restoring: JSONValue(parsing: state))

        #expect(try again.suggest(trialID: "next") == tpe.suggest(trialID: "next"))

        let conditional = try SearchSpace([
            "activation": HP.choice("activation", [
                ["activation": "relu", "mult": HP.uniform("mult", 1, 2)],
                ["activation": "tanh"],
            ]),
            "width": HP.uniform("width", 0, 20),
            "height": HP.uniform("height", -100, 100),
            "steps": 100,
        ])
        #expect(conditional.parameters.map(\.label) == ["activation", "mult", "width", "height"])
    }

    @Test func tunerExample() async throws {
        let space = try SearchSpace(["width": .uniform(0, 20)])
        let limiter = try ConcurrencyLimiter(TPESearch(space: space, mode: .min, seed: 1), maxConcurrent: 4)
        let tuner = try Tuner(
            limiter: limiter,
            config: ExperimentConfig(metric: "mean_loss", mode: .min, numSamples: 100,
                                     stop: ["training_iteration": 50], timeBudgetS: 600),
            scheduler: ASHAScheduler(maxT: 100, gracePeriod: 1, reductionFactor: 4),
            workers: 4
        ) { session in
            let width = session.configuration["width"]!.doubleValue!
            for step in 0..<100 {
                try session.report(["mean_loss": 1 / (0.1 + width * Double(step) / 100)])  // throws TrialStopped to end early
            }
            return nil
        }
        let results = try await tuner.fit()
        print(results.bestResult(scope: .last)!.configuration)
        let saved = tuner.experiment.saveState()   // restore with Experiment(restoring:)

        #expect(results.trials.count == 100)
        #expect(results.trials.allSatisfy { $0.status == .terminated && $0.numReports <= 50 })
        #expect(results.trials.contains { $0.stoppedEarly && $0.numReports < 50 })  // ASHA stopped some early
        #expect(try Experiment(restoring: saved).trials == results.trials)
    }
}
