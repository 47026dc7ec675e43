#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import SwiftTune

@Suite("PB2: numerics")
struct PB2NumericsTests {
    /// A symmetric positive-definite matrix `M Mᵀ + n I` from a seeded stream.
    func spd(_ n: Int, seed: UInt64) -> [Double] {
        var rng = Xoshiro256(seed: seed)
        let m = (0..<(n * n)).map { _ in rng.nextDouble() - 0.5 }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for k in 0..<n { s += m[i * n + k] * m[j * n + k] }
                a[i * n + j] = s + (i == j ? Double(n) : 0)
            }
        }
        return a
    }

    @Test func choleskyFactorsSolvesAndInverts() throws {
        let n = 7
        let a = spd(n, seed: 3)
        let c = try #require(Cholesky(a, n: n))
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for k in 0..<n { s += c.lower[i * n + k] * c.lower[j * n + k] }
                #expect(abs(s - a[i * n + j]) < 1e-12)
            }
        }
        let b = (0..<n).map { Double($0) - 2.5 }
        let x = c.solve(b)
        for i in 0..<n {
            var s = 0.0
            for k in 0..<n { s += a[i * n + k] * x[k] }
            #expect(abs(s - b[i]) < 1e-12)
        }
        let inv = c.inverse()
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for k in 0..<n { s += inv[i * n + k] * a[k * n + j] }
                #expect(abs(s - (i == j ? 1 : 0)) < 1e-12)
            }
        }
        // log det A = 2 * sum log L_ii; for a diagonal matrix, the sum of the logs.
        let d = try #require(Cholesky([4, 0, 0, 9], n: 2))
        #expect(abs(d.halfLogDeterminant - 0.5 * (log(4.0) + log(9.0))) < 1e-15)
        // Not positive definite (as LAPACK, a non-positive pivot fails), nor with a NaN.
        #expect(Cholesky([1, 2, 2, 1], n: 2) == nil)
        #expect(Cholesky([.nan, 0, 0, 1], n: 2) == nil)
    }

    @Test func boundedLBFGSFindsInteriorAndBoundaryOptima() {
        // Rosenbrock inside a box holding its optimum (1, 1).
        let rosen = BoundedLBFGS().minimize([-1.2, 1], lower: [-5, -5], upper: [5, 5]) { x in
            let a = 1 - x[0], b = x[1] - x[0] * x[0]
            return (a * a + 100 * b * b, [-2 * a - 400 * x[0] * b, 200 * b])
        }
        #expect(rosen.converged)
        #expect(abs(rosen.x[0] - 1) < 1e-3 && abs(rosen.x[1] - 1) < 1e-3)
        // A quadratic whose optimum (3, -2) lies outside [0, 1] x [-1, 1]: the nearest corner.
        let box = BoundedLBFGS().minimize([0.5, 0], lower: [0, -1], upper: [1, 1]) { x in
            let dx = x[0] - 3, dy = x[1] + 2
            return (dx * dx + 2 * dy * dy, [2 * dx, 4 * dy])
        }
        #expect(box.x == [1, -1])
        // The first coordinate held at its upper bound; the second's free optimum (-0.25) is below
        // its bound: (1, 0).
        let mixed = BoundedLBFGS().minimize([0.5, 0.9], lower: [0, 0], upper: [1, 1]) { x in
            let dx = x[0] - 3, dy = x[1] - 0.25
            return (dx * dx + dy * dy + x[0] * dy, [2 * dx + dy, 2 * dy + x[0]])
        }
        #expect(mixed.x == [1, 0])
        // The limit on evaluations holds.
        var count = 0
        let limited = BoundedLBFGS(maxIterations: 200, maxEvaluations: 5).minimize([-1.2, 1], lower: [-5, -5], upper: [5, 5]) { x in
            count += 1
            let a = 1 - x[0], b = x[1] - x[0] * x[0]
            return (a * a + 100 * b * b, [-2 * a - 400 * x[0] * b, 200 * b])
        }
        // As SciPy, the limit is checked between iterations: the one that passes it ends the run
        // (SciPy stops here after 3 iterations and 6 evaluations).
        #expect(limited.evaluations == count && count == 6 && !limited.converged && limited.termination == .evaluationLimit)
        // A zero gradient at the start ends at once, with SciPy's convergence on the projected
        // gradient, whatever the value (TimeVaryingGP checks the value itself).
        let bad = BoundedLBFGS().minimize([0], lower: [-1], upper: [1]) { _ in (.nan, [0]) }
        #expect(bad.converged && bad.value.isNaN && bad.evaluations == 1)
    }

    /// Rows of (time, score before, lr) and targets from a seeded stream.
    func data(_ n: Int, seed: UInt64) -> ([[Double]], [Double]) {
        var rng = Xoshiro256(seed: seed)
        var rows: [[Double]] = [], y: [Double] = []
        for i in 0..<n {
            let lr = rng.nextDouble()
            rows.append([Double(i / 4) / Double(n / 4), rng.nextDouble(), lr])
            y.append(-4 * (lr - 0.3) * (lr - 0.3) + 0.1 * (rng.nextDouble() - 0.5))
        }
        return (rows, PB2Bandit.standardize(y))
    }

    @Test func logMarginalLikelihoodGradientMatchesFiniteDifferences() {
        let (rows, y) = data(24, seed: 5)
        let d = TimeVaryingGP.Distances(rows)
        for theta in [[0.0, 0.0, log(0.1)], [0.7, -1.2, log(0.3)], [-0.5, 1.5, log(0.01)]] {
            let (_, g) = TimeVaryingGP.logMarginalLikelihood(theta, d, y, gradient: true)
            for k in 0..<3 {
                var up = theta, down = theta
                let h = 1e-6
                up[k] += h
                down[k] -= h
                let fd = (TimeVaryingGP.logMarginalLikelihood(up, d, y, gradient: false).0
                          - TimeVaryingGP.logMarginalLikelihood(down, d, y, gradient: false).0) / (2 * h)
                #expect(abs(fd - g[k]) < 1e-4 * Swift.max(1, abs(fd)), "theta \(theta) component \(k): \(fd) vs \(g[k])")
            }
        }
    }

    @Test func fittedProcessBeatsTheStartAndPredictsWithGradients() throws {
        let (rows, y) = data(40, seed: 11)
        let gp = try TimeVaryingGP(fitting: rows, targets: y)
        let start = TimeVaryingGP.logMarginalLikelihood(TimeVaryingGP.start, TimeVaryingGP.Distances(rows), y, gradient: false).0
        #expect(gp.logMarginalLikelihood > start)
        #expect(gp.epsilon >= 1e-5 && gp.epsilon <= 0.5 && gp.variance > 0 && gp.lengthscale > 0)
        // At the fitted optimum the likelihood's projected gradient is small.
        let theta = [log(gp.variance), log(gp.lengthscale), log(gp.epsilon)]
        let (_, g) = TimeVaryingGP.logMarginalLikelihood(theta, TimeVaryingGP.Distances(rows), y, gradient: true)
        for k in 0..<3 where theta[k] > TimeVaryingGP.lowerBounds[k] + 1e-6 && theta[k] < TimeVaryingGP.upperBounds[k] - 1e-6 {
            #expect(abs(g[k]) < 1e-3)
        }
        // The posterior's gradients with respect to the score and lr columns match differences.
        let point = [0.8, 0.4, 0.55]
        let p = gp.predict(point, gradients: true)
        #expect(p.variance >= 0 && p.meanGradient[0] == 0)
        for c in 1...2 {
            var up = point, down = point
            up[c] += 1e-6
            down[c] -= 1e-6
            let fm = (gp.predict(up, gradients: false).mean - gp.predict(down, gradients: false).mean) / 2e-6
            let fv = (gp.predict(up, gradients: false).variance - gp.predict(down, gradients: false).variance) / 2e-6
            #expect(abs(fm - p.meanGradient[c]) < 1e-5 * Swift.max(1, abs(fm)))
            #expect(abs(fv - p.varianceGradient[c]) < 1e-5 * Swift.max(1, abs(fv)))
        }
        // Near a training row the variance is small, far from every row it is the prior's.
        #expect(gp.predict(rows[3], gradients: false).variance < 0.05 * gp.variance)
        #expect(abs(gp.predict([100, 50, 50], gradients: false).variance - gp.variance) < 1e-9)
        #expect(throws: ScheduleError.self) { _ = try TimeVaryingGP(fitting: [[0, .nan]], targets: [1]) }
    }
}

@Suite("PB2: the bandit")
struct PB2BanditTests {
    func bandit() -> PB2Bandit { PB2Bandit(bounds: [PB2Bandit.Bound(path: ["lr"], low: 0, high: 1)]) }

    /// Ray's dataframe steps: per (trial, values) group the change since the group's previous row
    /// (in time order), only where time advanced, divided by the time change.
    @Test func dataAreTheChangesPerGroupInTimeOrder() {
        let rows: [PB2Bandit.Row] = [
            .init(trial: "a", time: 2, values: [0.5], reward: 1),
            .init(trial: "b", time: 2, values: [0.2], reward: 3),
            .init(trial: "a", time: 4, values: [0.5], reward: 5),
            .init(trial: "b", time: 4, values: [0.9], reward: 4),  // b's new values: a new group
            .init(trial: "a", time: 4, values: [0.5], reward: 6),  // time did not advance: dropped
            .init(trial: "b", time: 6, values: [0.9], reward: 10),
            .init(trial: "a", time: 1, values: [0.5], reward: 0),  // recorded late: sorted first
            .init(trial: "c", time: 3, values: [.nan], reward: 0),  // a NaN key: no group
            .init(trial: "c", time: 5, values: [.nan], reward: 9),
        ]
        let points = PB2Bandit.process(rows)
        #expect(points.map(\.trial) == ["a", "a", "b"])
        #expect(points.map(\.time) == [2, 4, 6])
        #expect(points.map(\.change) == [1, 2, 3])  // (1-0)/1, (5-1)/2, (10-4)/2
        #expect(points.map(\.before) == [0, 1, 4])
        // (Ray's standardize gives -1.2247448563915893, 0, 1.2247448563915893 and -0.5773502690562924 x 3,
        // 1.7320508071688774.)
        #expect(PB2Bandit.standardize([1, 2, 3]) == [-1.2247448563915893, 0, 1.2247448563915893])
        #expect(PB2Bandit.standardize([0, 0, 0, 100]) == [-0.5773502690562924, -0.5773502690562924, -0.5773502690562924, 1.7320508071688774])
    }

    /// Without a processed row of the cloned trial, its configuration is kept; with one, the
    /// bandit chooses values within the bounds, of the clone's types, and records the new row.
    @Test func exploreKeepsOrChoosesWithinBounds() throws {
        var b = PB2Bandit(bounds: [PB2Bandit.Bound(path: ["lr"], low: 0.001, high: 0.1),
                                   PB2Bandit.Bound(path: ["opt", "units"], low: 8, high: 64)])
        var rng = Xoshiro256(seed: 1)
        let cfg: JSONValue = ["lr": 0.01, "opt": ["units": .int(16)], "other": "x"]
        try b.record(trial: "a", time: 5, configuration: cfg, score: 1)
        var kept = try b.newConfiguration(trial: "b", clone: "a", cloneConfiguration: cfg, rng: &rng)
        #expect(kept == cfg && b.rows.count == 1 && b.current == [[0.01, 16]] && b.lastExplorationTime == 5)
        for (k, t) in ["a", "b", "c"].enumerated() {
            for step in 1...4 {
                let lr = 0.01 * Double(k + 1)
                try b.record(trial: t, time: Double(5 * step), configuration: ["lr": .double(lr), "opt": ["units": .int(16 + 8 * Int64(k))]],
                             score: Double(step) * (1 - abs(lr - 0.02) * 10))
            }
        }
        kept = try b.newConfiguration(trial: "c", clone: "b", cloneConfiguration: ["lr": 0.02, "opt": ["units": .int(24)], "other": "x"], rng: &rng)
        let lr = try #require(kept["lr"]?.doubleValue)
        #expect(lr >= 0.001 && lr <= 0.1 && Double(Float(lr)) == lr)
        guard case .int(let units)? = kept["opt"]?["units"] else { Issue.record("units must stay an int"); return }
        #expect(units >= 8 && units <= 64)
        #expect(kept["other"] == "x")
        #expect(b.rows.last == PB2Bandit.Row(trial: "c", time: 20, values: [lr, Double(units)], reward: 4 * (1 - 0.0)))
        #expect(b.current == [[lr, Double(units)]] && b.lastExplorationTime == 20)
        // A second choice at the same latest time joins `current`.
        _ = try b.newConfiguration(trial: "a", clone: "b", cloneConfiguration: ["lr": 0.02, "opt": ["units": .int(24)]], rng: &rng)
        #expect(b.current?.count == 2)
        // A bounded key missing from a configuration is Ray's KeyError.
        #expect(throws: ScheduleError.self) { try b.record(trial: "d", time: 1, configuration: ["lr": 0.1], score: 0) }
    }

    /// On data where the score grows fastest at lr = 0.3, the bandit's choice is near 0.3.
    @Test func theBanditFindsTheBestRate() throws {
        var b = bandit()
        var rng = Xoshiro256(seed: 9)
        let rates = [0.05, 0.2, 0.3, 0.45, 0.7, 0.95]
        for (k, lr) in rates.enumerated() {
            for step in 1...6 {
                try b.record(trial: "t\(k)", time: Double(step), configuration: ["lr": .double(lr)],
                             score: Double(step) * (1 - 3 * (lr - 0.3) * (lr - 0.3)))
            }
        }
        let chosen = try b.newConfiguration(trial: "t0", clone: "t2", cloneConfiguration: ["lr": 0.3], rng: &rng)
        let lr = try #require(chosen["lr"]?.doubleValue)
        #expect(abs(lr - 0.3) < 0.15, "chose \(lr)")
    }

    /// `select_length`: every row below 200; from 200 on, a multiple of 10 between 200 and the count.
    @Test func selectLengthKeepsAllBelow200() throws {
        let b = bandit()
        let x: [[Double]] = (0..<150).map { (i: Int) -> [Double] in
            let t = Double(i), r = Double(i % 7), lr = Double(i % 10) / 10
            return [t, r, lr]
        }
        #expect(try b.selectLength(x, x.map { $0[2] }) == 150)
        var rng = Xoshiro256(seed: 2)
        var big: [[Double]] = []
        for i in 0..<215 { big.append([Double(i / 8), rng.nextDouble(), rng.nextDouble()]) }
        let length = try b.selectLength(big, big.map { sin(6 * $0[2]) })
        #expect(length == 200 || length == 210)
    }
}

@Suite("PB2: the scheduler")
struct PB2SchedulerTests {
    func core(samples: Int = 4) throws -> ExperimentCore {
        let space = try SearchSpace(["units": .choice([16, 32])])
        let pb2 = try PopulationBasedTraining.pb2(timeAttr: "training_iteration", metric: "score", mode: .max, perturbationInterval: 2,
                                                  hyperparamBounds: ["lr": [0.0, 1.0]], seed: 3)
        let config = ExperimentConfig(metric: nil, mode: nil, numSamples: samples)
        return try ExperimentCore(config: config, searcher: RandomSearch(space: space, seed: 1), scheduler: pb2)
    }

    /// Keys the configuration lacks are drawn from their bounds; the worst trial clones the best
    /// with a configuration the bandit chose; the data and choices survive a save and restore.
    @Test func exploitsWithTheBanditsChoiceAndRestores() throws {
        var c = try core()
        var ids: [String] = []
        for _ in 0..<4 {
            guard case .start(let id, let config) = try c.next(now: 0) else { Issue.record("expected a start"); return }
            let lr = try #require(config["lr"]?.doubleValue)
            #expect(lr >= 0 && lr <= 1 && config["units"] != nil)
            ids.append(id)
        }
        func lr(_ id: String) -> Double { c.trial(id)?.configuration["lr"]?.doubleValue ?? .nan }
        var exploits = 0
        for step in 1...8 {
            for id in ids where c.trial(id)?.status == .running {
                let score = 10 * (1 - abs(lr(id) - 0.4)) + 0.01 * Double(step)
                _ = try c.report(id, ["score": score], checkpoint: step % 2 == 0 ? "ck\(step)-\(id)" : nil, now: Double(step))
            }
            exploits += c.takeExploits().count
            while case .start = try c.next(now: Double(step)) {}
        }
        #expect(exploits > 0)
        let saved = c.saveState(now: 9)
        #expect(saved["scheduler"]?["scheduler"] == "pb2")
        let restored = try ExperimentCore(restoring: saved)
        #expect(restored.saveState(now: 9).serialized() == saved.serialized())
        // The spec form round-trips and refuses what Ray refuses.
        #expect(throws: ScheduleError.self) { _ = try PopulationBasedTraining.pb2(hyperparamBounds: ["lr": [1.0]]) }
        #expect(throws: ScheduleError.self) { _ = try PopulationBasedTraining.pb2(hyperparamBounds: [:]) }
    }
}
