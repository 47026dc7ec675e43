import Testing
@testable import SwiftTune

/// BOHBSearch against its references: statsmodels' KDEMultivariate, ConfigSpace 0.7.1's vector
/// form of the hyperparameters Ray's TuneBOHB converter makes, hpbandster 0.7.4's BOHB config
/// generator (new_result's model building, get_config's choice), and TuneBOHB's bookkeeping.
///
/// Reference values were printed by the Python snippets in the comments (statsmodels 0.15.0 and
/// 0.14.6 print the same; ConfigSpace 0.7.1 with NumPy 1.26, hpbandster 0.7.4).
@Suite struct BOHBTests {
    static func close(_ a: Double, _ b: Double, _ rel: Double = 1e-12) -> Bool {
        if a == b { return true }
        return abs(a - b) <= rel * max(abs(a), abs(b))
    }

    // MARK: - statsmodels' KDEMultivariate

    // import numpy as np, statsmodels.api as sm
    // A = [[0.1, 0, 0.5], [0.35, 1, 0.25], [0.8, 2, 0.9], [0.55, 1, 0.4], [0.2, 0, 0.75], [0.95, 2, 0.05]]
    // kde = sm.nonparametric.KDEMultivariate(data=A, var_type="cuc", bw="normal_reference")
    // print([repr(float(b)) for b in kde.bw])
    // for p in [[0.3, 1, 0.5], [0.0, 0, 0.0], [0.9, 2, 0.6]]: print(repr(float(kde.pdf(p))))
    // B = [[(i * 0.37) % 1, (i * 0.61 + 0.1) % 1] for i in range(1, 20)]      # 19 rows: pairwise sums
    // kde = sm.nonparametric.KDEMultivariate(data=B, var_type="cc", bw="normal_reference")
    // for p in [[0.5, 0.5], [0.05, 0.9]]: print(repr(float(kde.pdf(p))))
    // C = [[0.2, 1], [0.4, 1], [0.6, 1], [0.3, 1]]                              # one level: h / 0
    // kde = sm.nonparametric.KDEMultivariate(data=C, var_type="cu", bw="normal_reference")
    // kde.bw = np.clip(kde.bw, 1e-3, None)                                      # as BOHB clips
    // for p in [[0.3, 1], [0.3, 0]]: print(repr(float(kde.pdf(p))))
    @Test func kernelDensityMatchesStatsmodels() throws {
        let a = try #require(KernelDensity(data: [[0.1, 0, 0.5], [0.35, 1, 0.25], [0.8, 2, 0.9], [0.55, 1, 0.4], [0.2, 0, 0.75], [0.95, 2, 0.05]],
                                           types: [.continuous, .unordered, .continuous]))
        for (x, y) in zip(a.bandwidth, [0.25228371494954815, 0.6700323498588867, 0.2354069768465359]) { #expect(Self.close(x, y)) }
        #expect(a.levels == [6, 3, 6])
        #expect(Self.close(a.pdf([0.3, 1, 0.5]), 0.35845694551739843))
        #expect(Self.close(a.pdf([0.0, 0, 0.0]), 0.050877960494881275))
        #expect(Self.close(a.pdf([0.9, 2, 0.6]), 0.11785870784308529))

        var rows: [[Double]] = []
        for i in 1..<20 {
            rows.append([pythonMod(Double(i) * 0.37, 1), pythonMod(Double(i) * 0.61 + 0.1, 1)])
        }
        let b = try #require(KernelDensity(data: rows, types: [.continuous, .continuous]))
        for (x, y) in zip(b.bandwidth, [0.18658512032613556, 0.1848769240000125]) { #expect(Self.close(x, y)) }
        #expect(Self.close(b.pdf([0.5, 0.5]), 1.2894719272903814))
        #expect(Self.close(b.pdf([0.05, 0.9]), 0.8228372316632029))

        var c = try #require(KernelDensity(data: [[0.2, 1], [0.4, 1], [0.6, 1], [0.3, 1]], types: [.continuous, .unordered]))
        #expect(Self.close(c.bandwidth[0], 0.12443328434366671) && c.bandwidth[1] == 0)
        c.bandwidth = c.bandwidth.map { max($0, 1e-3) }
        #expect(Self.close(c.pdf([0.3, 1]), 2.0039858458673425))
        #expect(c.pdf([0.3, 0]) == .infinity)
        // statsmodels refuses no more observations than variables.
        #expect(KernelDensity(data: [[0.1, 1], [0.2, 0]], types: [.continuous, .unordered]) == nil)
    }

    @Test func pairwiseSumIsNumPys() {
        // NumPy: np.array([1e16, 1.0, -1e16] + [1.0] * 9 + [3.0] * 130).sum() == 410.0, where a
        // running sum (Python's sum()) gives 399.0.
        let xs = [1e16, 1.0, -1e16] + Array(repeating: 1.0, count: 9) + Array(repeating: 3.0, count: 130)
        #expect(KernelDensity.pairwiseSum(xs[...]) == 410.0)
    }

    @Test func truncatedNormalStaysInsideAndCentres() {
        var rng = Xoshiro256(seed: 3)
        var sum = 0.0
        for _ in 0..<20000 {
            let x = rng.truncatedNormal(loc: 0.5, scale: 0.1, lower: 0, upper: 1)!
            #expect(x >= 0 && x <= 1)
            sum += x
        }
        #expect(abs(sum / 20000 - 0.5) < 0.005)
        // Far in a tail (a normal parameter's vector far outside [0, 1]): draws hug the bound.
        var tail = 0.0
        for _ in 0..<2000 {
            let x = rng.truncatedNormal(loc: -40, scale: 0.003, lower: 0, upper: 1)!
            #expect(x >= 0 && x <= 1)
            tail = max(tail, x)
        }
        #expect(tail < 1e-3)
        // The mean of N(0, 1) truncated to [0, 1] is (phi(0) - phi(1)) / (Phi(1) - Phi(0)) = 0.4598622...
        var s = 0.0
        for _ in 0..<40000 { s += rng.truncatedNormal(loc: 0, scale: 1, lower: 0, upper: 1)! }
        #expect(abs(s / 40000 - 0.45986221) < 0.004)
        #expect(rng.truncatedNormal(loc: 0.5, scale: 0, lower: 0, upper: 1) == nil)
        #expect(rng.truncatedNormal(loc: .nan, scale: 1, lower: 0, upper: 1) == nil)
    }

    // MARK: - ConfigSpace's vector form

    /// Every kind Ray's converter makes, as ConfigSpace 0.7.1 sees them.
    static let allKinds: SpaceNode = [
        "f": .uniform(0, 20), "fq": .quniform(0.05, 1.0, 0.1), "fl": .loguniform(1e-4, 0.1), "flq": .qloguniform(0.01, 10, 0.01),
        "i": .randint(-3, 7), "il": .lograndint(1, 100), "iq": .qrandint(0, 20, 5), "ilq": .qlograndint(2, 64, 2),
        "n": .randn(0.5, 2), "nq": .qrandn(0, 1, 0.25), "c": .choice(["a", "b", "c"]), "const": 7,
    ]

    // import math, numpy as np, ConfigSpace as CS          # ConfigSpace 0.7.1, NumPy 1.26
    // from ConfigSpace.hyperparameters import NormalFloatHyperparameter as NF
    // def q(l, u, q): return math.ceil(l / q) * q, math.floor(u / q) * q   # Ray's converter
    // cs = CS.ConfigurationSpace(); cs.add_hyperparameters([
    //     CS.UniformFloatHyperparameter("f", lower=0, upper=20),
    //     CS.UniformFloatHyperparameter("fq", *q(0.05, 1.0, 0.1), q=0.1),
    //     CS.UniformFloatHyperparameter("fl", lower=1e-4, upper=0.1, log=True),
    //     CS.UniformFloatHyperparameter("flq", *q(0.01, 10, 0.01), q=0.01, log=True),
    //     CS.UniformIntegerHyperparameter("i", lower=-3, upper=6),
    //     CS.UniformIntegerHyperparameter("il", lower=1, upper=99, log=True),
    //     CS.UniformIntegerHyperparameter("iq", *q(0, 20, 5), q=5),
    //     CS.UniformIntegerHyperparameter("ilq", *q(2, 64, 2), q=2, log=True),
    //     NF("n", mu=0.5, sigma=2), NF("nq", mu=0, sigma=1, q=0.25),
    //     CS.CategoricalHyperparameter("c", choices=["a", "b", "c"])])
    // names = cs.get_hyperparameter_names()
    // for v in [0.0, 0.123, 0.5, 0.77777, 1.0]:
    //     vec = np.array([v if n != "c" else 2.0 for n in names])
    //     vec[names.index("n")] = vec[names.index("nq")] = v * 3 - 1
    //     d = dict(CS.Configuration(cs, vector=vec)); print([repr(d[n]) for n in names])
    // vals = {"f": 3.7, "fq": 0.30000000000000004, "fl": 0.002, "flq": 1.23, "i": -2, "il": 17, "iq": 15,
    //         "ilq": 8, "n": -0.75, "nq": 0.5, "c": "b"}
    // print([repr(float(x)) for x in CS.Configuration(cs, values=vals).get_array()])
    @Test func vectorFormMatchesConfigSpace() throws {
        let space = try SearchSpace(Self.allKinds)
        let sv = try SpaceVector(space)
        #expect(sv.entries.map(\.label) == ["c", "f", "fl", "flq", "fq", "i", "il", "ilq", "iq", "n", "nq"])
        let decoded: [Double: [Double]] = [
            0.0: [2, 0.0, 0.00010000000000000009, 0.01, 0.1, -3, 1, 2, 0, -1.0, -1.0],
            0.123: [2, 2.46, 0.00023388372386593553, 0.01, 0.2, -2, 1, 2, 0, -0.631, -0.75],
            0.5: [2, 10.0, 0.003162277660168382, 0.23, 0.5, 2, 7, 10, 10, 0.5, 0.5],
            0.77777: [2, 15.555399999999999, 0.021543189418599538, 1.86, 0.8, 4, 31, 28, 15, 1.33331, 1.25],
            1.0: [2, 20.0, 0.1, 10.0, 1.0, 6, 99, 64, 20, 2.0, 2.0],
        ]
        for (v, expected) in decoded {
            for (e, want) in zip(sv.entries, expected) {
                let x: Double
                switch e.kind {
                case .categorical: x = 2
                case .normalFloat: x = v * 3 - 1
                default: x = v
                }
                let got = SpaceVector.decode(x, e.kind)
                #expect(Self.close(got, want), "\(e.label) at \(v): \(got) vs \(want)")
            }
        }
        let values: [String: Double] = ["f": 3.7, "fq": 0.30000000000000004, "fl": 0.002, "flq": 1.23, "i": -2, "il": 17, "iq": 15,
                                        "ilq": 8, "n": -0.75, "nq": 0.5, "c": 1]
        let encoded = [1.0, 0.185, 0.433676665221327, 0.7235328099835954, 0.24994998999799964, 0.14999929999859998,
                       0.6661913553500064, 0.44506347748545744, 0.7380954648528236, -0.75, 0.5]
        for (e, want) in zip(sv.entries, encoded) {
            let got = SpaceVector.encode(try #require(values[e.label]), e.kind)
            #expect(Self.close(got, want), "\(e.label): \(got) vs \(want)")
        }
        // A random vector decodes into the space, integers on their canonical vector.
        var rng = Xoshiro256(seed: 5)
        for _ in 0..<200 {
            let vec = sv.sample(&rng)
            let vals = sv.values(of: vec)
            let config = space.build { vals[$0] }.configuration
            #expect(try space.assignment(of: config).count == 11)
            let again = sv.vector(of: vals)
            for (e, (x, y)) in zip(sv.entries, zip(vec, again)) {
                // A float's (or quantised normal's) value forgets where in its step it was drawn.
                if case .uniformFloat = e.kind { continue }
                if case .normalFloat(_, _, let q) = e.kind, q != nil { continue }
                #expect(Self.close(x, y), "\(e.label)")
            }
        }
    }

    // import math, ConfigSpace as CS                      # ConfigSpace 0.7.1
    // def q(l, u, q): return math.ceil(l / q) * q, math.floor(u / q) * q
    // CS.UniformFloatHyperparameter("x", *q(0.1, 0.15, 0.1), q=0.1)  # ValueError: Upper bound 0.100000 must be ...
    // CS.UniformIntegerHyperparameter("x", 0, 1 - 1)                  # tune.randint(0, 1)
    // CS.UniformIntegerHyperparameter("x", *q(1, 2, 5), q=5)          # tune.qrandint(1, 2, 5)
    // CS.UniformFloatHyperparameter("x", *q(0.0, 1.0, 0.3), q=0.3)    # accepted: [0.0, 0.8999999999999999]
    // CS.CategoricalHyperparameter("c", [1, 1.0]); CS.CategoricalHyperparameter("c", [True, 2, 1])
    // CS.CategoricalHyperparameter("c", [None, 1]); CS.CategoricalHyperparameter("c", [[1], [2]])
    @Test func converterRefusesWhatRayRefuses() throws {
        func message(_ node: SpaceNode) -> String? {
            do {
                _ = try BOHBSearch(space: try SearchSpace(node))
                return nil
            } catch let e as SearchError {
                if case .invalidOption(let m) = e { return m }
                return "\(e)"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(["x": .quniform(0.1, 0.15, 0.1)]) == "Upper bound 0.100000 must be larger than lower bound 0.100000 for hyperparameter x")
        #expect(message(["x": .randint(0, 1)]) == "Upper bound 0 must be larger than lower bound 0 for hyperparameter x")
        #expect(message(["x": .qrandint(1, 2, 5)]) == "Upper bound 5 must be larger than lower bound 0 for hyperparameter x")
        #expect(message(["x": .quniform(0, 1, 0.3)]) == nil)
        #expect(message(["c": .choice([1, 1.0])]) == "Choices for categorical hyperparameters c contain choice '1' 2 times, while only a single oocurence is allowed.")
        #expect(message(["c": .choice([true, 2, 1])]) == "Choices for categorical hyperparameters c contain choice 'True' 2 times, while only a single oocurence is allowed.")
        #expect(message(["c": .choice([nil, 1])]) == "Choice 'None' is not supported")
        #expect(message(["c": .choice([[1], [2]])]) == "unhashable type: 'list'")
        #expect(message(["c": .choice([["a": .uniform(0, 1)], ["b": 2]])]) == "unhashable type: 'dict'")
        #expect(message(["a/b": .uniform(0, 1)]) == "Found delimiter `/` in key when trying to flatten array. Please avoid using the delimiter in your specification.")
        #expect(message(["a": ["b": ["c/d": 1]], "x": .uniform(0, 1)]) == "Found delimiter `/` in key when trying to flatten array. Please avoid using the delimiter in your specification.")
        #expect(message(["a": [["c/d": 1]], "x": .uniform(0, 1)]) == nil)  // dicts inside lists are not flattened
        #expect(message(["x": HP.uniform("x", 0, 1)]) == "TuneBOHB converts Ray Tune's sampling functions only: parameter 'x' is hyperopt's hp.uniform")
        #expect(message(["c": HP.choice("c", [1, 2])]) == "TuneBOHB converts Ray Tune's sampling functions only: choice 'c' is hyperopt's hp.choice")
        #expect(message(["k": 1]) == "Trying to sample a configuration from TuneBOHB, but no search space has been defined. "
            + "Either pass the `space` argument when instantiating the search algorithm, or pass a `param_space` to `tune.Tuner()`.")
    }

    // MARK: - hpbandster's new_result

    static let smallSpace: SpaceNode = ["x": .uniform(0, 1), "c": .choice(["a", "b", "c"]), "k": .randint(1, 11)]

    /// The i-th configuration and loss of the reference run, as values by parameter index (x, c, k).
    static func reference(_ i: Int) -> (values: [Double], loss: Double) {
        let x = pythonMod(Double(i) * 0.37, 1)
        let c = Double((i * 7) % 3)
        let k = Double(1 + (i * 5) % 10)
        return ([x, c, k], (x - 0.3) * (x - 0.3) + 0.01 * c + 0.001 * Double(i))
    }

    // import ConfigSpace as CS                           # ConfigSpace 0.7.1, hpbandster 0.7.4
    // from hpbandster.optimizers.config_generators.bohb import BOHB
    // class Job:
    //     def __init__(self, loss, budget, config):
    //         self.result = {"loss": loss}; self.kwargs = {"budget": budget, "config": config}; self.exception = None
    // cs = CS.ConfigurationSpace()
    // cs.add_hyperparameters([CS.UniformFloatHyperparameter("x", 0, 1), CS.CategoricalHyperparameter("c", ["a", "b", "c"]),
    //                         CS.UniformIntegerHyperparameter("k", 1, 10)])
    // g = BOHB(cs)
    // def cfg(i): return {"x": ((i * 0.37) % 1), "c": "abc"[(i * 7) % 3], "k": 1 + (i * 5) % 10}
    // def loss(i): return ((i * 0.37) % 1 - 0.3) ** 2 + 0.01 * ((i * 7) % 3) + 0.001 * i
    // for i in range(1, 12):
    //     g.new_result(Job(loss(i), 1, cfg(i))); print(len(g.configs[1]), sorted(g.kde_models))
    // m = g.kde_models[1]; pt = [0.3, 1, 0.5]
    // print(m["good"].data.shape, list(m["good"].bw), m["bad"].data.shape, list(m["bad"].bw))
    // print(m["good"].pdf(pt), m["bad"].pdf(pt))
    // for i in range(20, 40): g.new_result(Job(loss(i) if i != 25 else float("nan"), 3, cfg(i)))
    // m = g.kde_models[3]   # ... the same prints; then a budget-1 result is dropped, a budget-2 one too:
    // g.new_result(Job(0.5, 1, cfg(50))); print(len(g.configs[1]))                   # 11
    // g.new_result(Job(0.5, 2, cfg(51))); print(sorted(g.configs), len(g.configs[2]))  # [1, 2, 3] 0
    @Test func newResultBuildsModelsAsHpbandster() throws {
        let space = try SearchSpace(Self.smallSpace)
        let sv = try SpaceVector(space)
        var g = BOHBGenerator(vector: sv, options: .init())
        #expect(g.minPoints == 4)
        for i in 1..<12 {
            let (values, loss) = Self.reference(i)
            g.newResult(loss: loss, budget: 1, vector: sv.vector(of: values), seed: 0)
            #expect(g.budgets[0].losses.count == i)
            #expect(g.models.keys.sorted() == (i >= 8 ? [1] : []))
        }
        let pt = [0.3, 1, 0.5]
        var m = try #require(g.models[1])
        #expect(m.good.count == 4 && m.bad.count == 7)
        for (x, y) in zip(m.good.bandwidth, [0.3765285667003379, 0.18826465987948873, 0.0881162660376502]) { #expect(Self.close(x, y)) }
        for (x, y) in zip(m.bad.bandwidth, [0.39725571781024793, 0.1986282561616363, 0.2170897396376106]) { #expect(Self.close(x, y)) }
        #expect(Self.close(m.good.pdf(pt), 0.02554977589154004) && Self.close(m.bad.pdf(pt), 0.02141998882941384))
        for i in 20..<40 {
            let (values, loss) = Self.reference(i)
            g.newResult(loss: i == 25 ? .nan : loss, budget: 3, vector: sv.vector(of: values), seed: 0)
        }
        #expect(g.budgets[1].losses.count == 20 && g.budgets[1].losses[5] == .infinity)
        #expect(g.models.keys.sorted() == [1, 3] && g.largestBudgetWithModel == 3)
        m = try #require(g.models[3])
        #expect(m.good.count == 4 && m.bad.count == 16)
        for (x, y) in zip(m.good.bandwidth, [0.7209973132070879, 0.18826465987948873, 0.0616020374440527]) { #expect(Self.close(x, y)) }
        for (x, y) in zip(m.bad.bandwidth, [0.5897769111206703, 0.1769334272030555, 0.20897134396162803]) { #expect(Self.close(x, y)) }
        #expect(Self.close(m.good.pdf(pt), 2.401392779946447e-06) && Self.close(m.bad.pdf(pt), 0.016332490233585354))
        // Below the largest budget with a model: dropped, the budget still registered.
        g.newResult(loss: 0.5, budget: 1, vector: sv.vector(of: Self.reference(50).values), seed: 0)
        #expect(g.budgets[0].losses.count == 11)
        g.newResult(loss: 0.5, budget: 2, vector: sv.vector(of: Self.reference(51).values), seed: 0)
        #expect(g.budgets.map(\.budget) == [1, 3, 2] && g.budgets[2].losses.isEmpty)
        // The split: n_good = max(min_points, 15 n // 100), n_bad = max(min_points, 85 n // 100).
        #expect(BOHBGenerator.argsort([3, 1, .infinity, 1, 0]) == [4, 1, 3, 0, 2])
        #expect(floorDiv(-7, 100) == -1 && floorDiv(7, 100) == 0)
    }

    @Test func minPointsAndRowChecks() throws {
        let sv = try SpaceVector(try SearchSpace(Self.smallSpace))
        // Smaller than d + 1 is raised (hpbandster warns); larger is kept.
        #expect(BOHBGenerator(vector: sv, options: .init(minPointsInModel: 1)).minPoints == 4)
        #expect(BOHBGenerator(vector: sv, options: .init(minPointsInModel: 6)).minPoints == 6)
        // With min_points 6: n_good = 6, so the bad half needs n - 6 > 3 rows: the first model at n = 10.
        var g = BOHBGenerator(vector: sv, options: .init(minPointsInModel: 6))
        for i in 1...10 {
            let (values, loss) = Self.reference(i)
            g.newResult(loss: loss, budget: 9, vector: sv.vector(of: values), seed: 0)
            #expect(g.models.isEmpty == (i < 10))
        }
        // top_n_percent 50 with 40 results: n_good = 20, n_bad = 20.
        var h = BOHBGenerator(vector: sv, options: .init(topNPercent: 50))
        for i in 1...40 {
            let (values, loss) = Self.reference(i)
            h.newResult(loss: loss, budget: 1, vector: sv.vector(of: values), seed: 0)
        }
        let m = try #require(h.models[1])
        #expect(m.good.count == 20 && m.bad.count == 20)
        let order = BOHBGenerator.argsort(h.budgets[0].losses)
        #expect(m.good.data == order.prefix(20).map { h.budgets[0].vectors[$0] })
    }

    @Test func imputationFollowsHpbandster() throws {
        let sv = try SpaceVector(try SearchSpace(Self.smallSpace))
        let g = BOHBGenerator(vector: sv, options: .init())
        var rng = Xoshiro256(seed: 1)
        let rows: [[Double]] = [[1, .nan, .nan], [0, 0.25, 0.5], [2, 0.75, .nan], [.nan, 0.5, 0.5]]
        let out = g.impute(rows, &rng)
        // Row 0 takes its NaNs from a random row with column 1 active (then column 2 likewise).
        #expect([0.25, 0.75, 0.5].contains(out[0][1]))
        #expect(!out[0][2].isNaN && !out[2][2].isNaN)
        #expect(out[1] == rows[1])
        // hpbandster loops while np.any(nan_indices): a NaN only in column 0 stays.
        #expect(out[3][0].isNaN && out[3][1] == 0.5)
    }

    // MARK: - get_config

    @Test func getConfigPicksTheBestRatio() throws {
        let space = try SearchSpace(Self.smallSpace)
        let sv = try SpaceVector(space)
        var g = BOHBGenerator(vector: sv, options: .init(randomFraction: 0))
        for i in 1...30 {
            let (values, loss) = Self.reference(i)
            g.newResult(loss: loss, budget: 1, vector: sv.vector(of: values), seed: 0)
        }
        g.newResult(loss: 0.1, budget: 0.5, vector: sv.vector(of: Self.reference(99).values), seed: 0)  // dropped: below 1
        let model = try #require(g.models[1])
        for seed in 0..<20 {
            var rng = Xoshiro256(seed: UInt64(seed))
            var replay = rng
            let (chosen, pick) = g.getConfig(&rng)
            #expect(pick == .model)
            // The same stream: the random-fraction draw, then 64 candidates; the first smallest ratio wins.
            _ = replay.nextDouble()
            var best = Double.infinity
            var expected: [Double] = []
            for _ in 0..<64 {
                let c = try #require(g.candidate(around: model, &replay))
                let r = BOHBGenerator.ratio(l: model.good.pdf(c), g: model.bad.pdf(c))
                if r < best { best = r; expected = c }
            }
            #expect(chosen == expected)
            #expect(replay == rng)
        }
        // A known answer: one categorical, good points mostly "a", bad ones mostly "b" and "c";
        // with a wide bandwidth every option is among the 64 candidates, and the option with the
        // smallest ratio is the pick.
        let cat = try SpaceVector(try SearchSpace(["c": .choice(["a", "b", "c"])]))
        var h = BOHBGenerator(vector: cat, options: .init(minPointsInModel: 10, randomFraction: 0, minBandwidth: 0.6))
        let good: [Double] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 2]
        let bad: [Double] = [0] + Array(repeating: 1, count: 10) + Array(repeating: 2, count: 9)
        for (i, v) in (good + bad).enumerated() { h.newResult(loss: Double(i), budget: 1, vector: [v], seed: 0) }
        let hm = try #require(h.models[1])
        #expect(hm.good.count == 10 && hm.bad.count == 20)
        let ratios = [0.0, 1, 2].map { BOHBGenerator.ratio(l: hm.good.pdf([$0]), g: hm.bad.pdf([$0])) }
        #expect(ratios[0] < ratios[1] && ratios[0] < ratios[2])
        for seed in 0..<20 {
            var rng = Xoshiro256(seed: UInt64(seed))
            #expect(h.getConfig(&rng).vector == [0])
        }
        // hpbandster's quirk, kept: statsmodels counts a categorical's levels in the data, so when
        // every good point is "a", l("b") = h / (1 - 1) = inf and "b" has ratio 0: it wins whenever
        // it is a candidate.
        var quirk = BOHBGenerator(vector: cat, options: .init(randomFraction: 0, minBandwidth: 0.5))
        for (i, v) in [0.0, 0, 1, 2, 1, 2, 1, 2, 1, 2].enumerated() {
            quirk.newResult(loss: Double(i), budget: 1, vector: [v], seed: 0)
        }
        let qm = try #require(quirk.models[1])
        #expect(qm.good.pdf([1]) == .infinity && BOHBGenerator.ratio(l: qm.good.pdf([1]), g: qm.bad.pdf([1])) == 0)
        for seed in 0..<10 {
            var rng = Xoshiro256(seed: UInt64(seed))
            #expect(quirk.getConfig(&rng).vector != [0])
        }
        // Without a model, or with random_fraction 1: random picks.
        var r = BOHBGenerator(vector: cat, options: .init(randomFraction: 1))
        for (i, v) in [0.0, 0, 1, 2, 1, 2, 1, 2, 1, 2].enumerated() { r.newResult(loss: Double(i), budget: 1, vector: [v], seed: 0) }
        var rng = Xoshiro256(seed: 1)
        #expect(r.getConfig(&rng).pick == .random)
        #expect(BOHBGenerator(vector: cat, options: .init(randomFraction: 0)).getConfig(&rng).pick == .random)
        // The ratio's Python max: a NaN g is 1e-32, a NaN l stays NaN.
        #expect(BOHBGenerator.ratio(l: 2, g: .nan) == 1e-32 / 2)
        #expect(BOHBGenerator.ratio(l: .nan, g: 1).isNaN)
        #expect(BOHBGenerator.ratio(l: 0, g: 0) == 1)
    }

    // MARK: - the searcher

    static func budgetResult(_ metric: Double, _ budget: Double) -> Metrics { ["loss": metric, BOHBSearch.budgetKey: budget] }

    @Test func runningPausedAndNotNow() throws {
        var s = try BOHBSearch(space: try SearchSpace(Self.smallSpace), mode: .min, metric: "loss",
                               options: .init(maxConcurrent: 2), seed: 1)
        #expect(s.observesResults && s.metricUser == "BOHBSearch")
        guard case .suggestion(let a) = try s.propose(trialID: "a"), case .suggestion = try s.propose(trialID: "b") else {
            Issue.record("expected two suggestions"); return
        }
        #expect(a.configuration["k"]?.intValue != nil && a.configuration["c"]?.stringValue != nil)
        #expect(try s.propose(trialID: "c") == .notNow)
        s.onTrialPause("a")
        #expect(s.running == ["b"] && s.paused == ["a"])
        // A paused trial's result does not make it running again.
        try s.observe(trialID: "a", Self.budgetResult(0.5, 1))
        #expect(s.running == ["b"])
        guard case .suggestion = try s.propose(trialID: "c") else { Issue.record("expected a suggestion"); return }
        #expect(try s.propose(trialID: "d") == .notNow)
        s.onTrialUnpause("a")
        #expect(s.running == ["a", "b", "c"] && s.paused.isEmpty)
        try s.tell(trialID: "b", .completed(0.2))
        try s.tell(trialID: "c", .failed)
        #expect(s.running == ["a"])
        guard case .suggestion = try s.propose(trialID: "d") else { Issue.record("expected a suggestion"); return }
        // Results without a budget only mark the trial running; with one they are recorded.
        try s.observe(trialID: "d", ["loss": 1])
        #expect(s.resultCounts.map(\.count) == [1])
        try s.observe(trialID: "d", Self.budgetResult(0.25, 1))
        #expect(s.resultCounts.map(\.count) == [2])
        // Ray's KeyErrors: an unknown or finished trial, a missing metric. Nothing changes.
        let before = s.saveState()
        #expect(throws: SearchError.unknownTrial("zz")) { try s.observe(trialID: "zz", Self.budgetResult(1, 1)) }
        #expect(throws: SearchError.trialAlreadyFinished("b")) { try s.observe(trialID: "b", Self.budgetResult(1, 1)) }
        #expect(throws: SearchError.self) { try s.observe(trialID: "d", [BOHBSearch.budgetKey: 1]) }
        #expect(s.saveState() == before)
        #expect(throws: SearchError.unknownTrial("zz")) { try s.tell(trialID: "zz", .failed) }
        #expect(throws: SearchError.self) { try s.addEvaluated(trialID: "e", configuration: ["x": 0.5, "c": "a", "k": 3], .completed(1)) }
        // No limit: max_concurrent <= 0.
        var free = try BOHBSearch(space: try SearchSpace(Self.smallSpace), options: .init(maxConcurrent: 0))
        for n in 0..<5 { #expect(try free.propose(trialID: "t\(n)") != .notNow) }
    }

    @Test func maxModeNegatesAndPointsComeFirst() throws {
        var s = try BOHBSearch(space: try SearchSpace(["x": .uniform(0, 1), "n": ["y": .randint(0, 5), "z": "fixed"]]), mode: .max,
                               metric: "acc", pointsToEvaluate: [["x": 0.25, "n": ["y": 3]]], seed: 2)
        let first = try s.suggest(trialID: "p")
        #expect(first.configuration == ["x": 0.25, "n": ["y": 3, "z": "fixed"]])
        try s.observe(trialID: "p", ["acc": 0.9, BOHBSearch.budgetKey: 1])
        #expect(s.generator.budgets[0].losses == [-0.9])
        // Suggestions come back nested, constants in place, as Ray's unflatten_list_dict and merge give them.
        let next = try s.suggest(trialID: "q")
        #expect(next.configuration["n"]?["z"] == "fixed" && next.configuration["n"]?["y"]?.intValue != nil)
    }

    /// Drives a searcher like HyperBandForBOHB would: results at budgets 1, 3, 9.
    static func drive(_ s: inout BOHBSearch, from: Int, to: Int) throws -> [JSONValue] {
        var configs: [JSONValue] = []
        for n in from..<to {
            let id = "t\(n)"
            let sug = try s.suggest(trialID: id)
            configs.append(sug.configuration)
            let x = sug.configuration["x"]?.doubleValue ?? 0
            for budget in [1.0, 3, 9] where n % 3 == 0 || budget == 1 {
                try s.observe(trialID: id, budgetResult((x - 0.3) * (x - 0.3) + 0.1 / budget, budget))
            }
            if n % 4 == 1 { s.onTrialPause(id) } else { try s.tell(trialID: id, .completed(0)) }
        }
        return configs
    }

    @Test func saveRestoreContinuesIdentically() throws {
        var s = try BOHBSearch(space: try SearchSpace(Self.smallSpace), metric: "loss",
                               options: .init(maxConcurrent: 50), pointsToEvaluate: [["x": 0.5, "c": "b", "k": 2]], seed: 7)
        _ = try Self.drive(&s, from: 0, to: 40)
        #expect(!s.modelBudgets.isEmpty)
        let state = s.saveState()
        let text = state.serialized()
        var restored = try #require(try restoreSearcher(try JSONValue(parsing: text)) as? BOHBSearch)
        #expect(restored.saveState() == state)
        #expect(restored.generator == s.generator)
        #expect(restored.running == s.running && restored.paused == s.paused)
        let a = try Self.drive(&s, from: 40, to: 70)
        let b = try Self.drive(&restored, from: 40, to: 70)
        #expect(a == b)
        #expect(restored.saveState() == s.saveState())
        // Malformed states are refused.
        guard case .object(var members) = state else { Issue.record("state is not an object"); return }
        members = members.map { $0.0 == "budgets" ? ($0.0, [["budget": 1, "vectors": [[0.5]], "losses": [1.0]]]) : $0 }
        #expect(throws: SearchError.self) { _ = try BOHBSearch(restoring: .object(members)) }
    }

    // MARK: - the specification

    @Test func specBuildsBOHB() throws {
        let space: JSONValue = ["format": "swifttune.space", "version": 1,
                                "space": ["type": "dict", "items": ["x": ["type": "tune.uniform", "lower": 0, "upper": 1]]]]
        let spec = try SearcherSpec(json: ["algorithm": "bohb", "space": space, "mode": "max", "seed": 4, "metric": "acc",
                                           "min_points_in_model": 5, "top_n_percent": 20, "num_samples": 16, "random_fraction": 0.5,
                                           "bandwidth_factor": 2, "min_bandwidth": 0.01, "max_concurrent": 3])
        #expect(spec.algorithm == .bohb)
        let limiter = try spec.makeLimiter()
        #expect(limiter.maxConcurrent == Int.max)  // TuneBOHB limits itself
        let bohb = try #require(limiter.searcher as? BOHBSearch)
        #expect(bohb.options == .init(minPointsInModel: 5, topNPercent: 20, numSamples: 16, randomFraction: 0.5,
                                      bandwidthFactor: 2, minBandwidth: 0.01, maxConcurrent: 3))
        #expect(bohb.metric == "acc" && bohb.mode == .max && bohb.seed == 4)
        let plain = try #require(try SearcherSpec(json: ["algorithm": "bohb", "space": space]).makeSearcher() as? BOHBSearch)
        #expect(plain.options == .init() && plain.metric == "_metric")
        func message(_ json: JSONValue) -> String? {
            do { _ = try SearcherSpec(json: json).makeLimiter() } catch { return "\(error)" }
            return nil
        }
        #expect(message(["algorithm": "bohb", "space": space, "gamma": 0.5]) == "'gamma' is a TPE option; BOHB takes none")
        #expect(message(["algorithm": "tpe", "space": space, "top_n_percent": 10]) == "'top_n_percent' is a BOHB option; TPE takes none")
        #expect(message(["algorithm": "random", "space": space, "metric": "m"]) == "'metric' is a BOHB option; random search takes none")
        #expect(message(["algorithm": "bohb", "space": space, "bandwidth_factor": 0]) == "invalid option: bandwidth_factor must be positive, got 0.0")
        #expect(message(["algorithm": "bohb", "space": space, "min_bandwidth": -1]) == "invalid option: min_bandwidth must be positive, got -1.0")
        #expect(message(["algorithm": "bohb", "space": space, "top_n_percent": 150]) == "invalid option: top_n_percent must be in [0, 100], got 150")
        #expect(message(["algorithm": "bohb", "space": space, "min_points_in_model": "x"]) == "'min_points_in_model' must be an integer or null")
        #expect(message(["algorithm": "bohb", "space": space, "metric": 3]) == "'metric' must be a non-empty string")
        #expect(message(["algorithm": "bohb", "space": space, "batch": true]) == "'batch' is not an option of BOHB (TuneBOHB limits concurrency itself)")
        #expect(message(["algorithm": "nope", "space": space]) == "unknown algorithm 'nope': use \"tpe\", \"random\", \"anneal\", \"bohb\", \"optuna_tpe\" or \"callback\"")
    }
}
