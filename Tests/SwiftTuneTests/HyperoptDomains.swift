#if canImport(Glibc)
import Glibc
#endif
import SwiftTune

/// A Swift port of the test domains of hyperopt's `tests/unit/test_domains.py`, with the budgets,
/// thresholds and per-domain settings of `tests/unit/test_tpe.py::TestOpt`.
struct HyperoptDomain: Sendable {
    let name: String
    let space: SpaceNode
    /// Evaluations per run (hyperopt's LEN; 50 unless given).
    let budget: Int
    /// The run passes when its best loss is below this (hyperopt's thresholds).
    let threshold: Double
    var options = TPESearch.Options()
    /// The loss of a configuration; `noise` is the domain's own generator (hyperopt seeds it with
    /// 123 when the domain is built, so it restarts for every run).
    let loss: @Sendable (JSONValue, inout Xoshiro256) -> Double

    static func num(_ c: JSONValue, _ key: String) -> Double { c[key]?.doubleValue ?? .nan }

    static let all: [HyperoptDomain] = [
        HyperoptDomain(name: "quadratic1", space: ["x": HP.uniform("x", -5, 5)], budget: 1000, threshold: 1e-5,
                       options: .init(nEICandidates: 5)) { c, _ in
            let x = num(c, "x"); return (x - 3) * (x - 3)
        },
        HyperoptDomain(name: "q1_lognormal", space: ["x": HP.lognormal("x", 0, 2)], budget: 250, threshold: 0.01) { c, _ in
            let x = num(c, "x"); return min(0.1 * (x - 10) * (x - 10), 10)
        },
        HyperoptDomain(name: "n_arms", space: ["x": HP.choice("x", [0, 1])], budget: 50, threshold: -2.5) { c, noise in
            let arm = num(c, "x"); return noise.normal(arm == 0 ? -1 : 0, 1)
        },
        HyperoptDomain(name: "distractor", space: ["x": HP.uniform("x", -15, 15)], budget: 100, threshold: -1.96,
                       options: .init(nEICandidates: 15, gamma: 0.05, priorWeight: 0.01)) { c, _ in
            let x = num(c, "x")
            return -1 / (1 + exp(-x)) - 2 * exp(-(x + 10) * (x + 10))
        },
        HyperoptDomain(name: "gauss_wave",
                       space: ["x": HP.uniform("x", -20, 20), "curve": HP.choice("curve", [0, 1])],
                       budget: 50, threshold: -2.0) { c, _ in
            let t = num(c, "x") + (num(c, "curve") == 1 ? Double.pi : 0)
            return -(sin(t) + 2 * exp(-(t / 5) * (t / 5)))
        },
        HyperoptDomain(name: "gauss_wave2",
                       space: ["x": HP.uniform("x", -20, 20),
                               "hf": HP.choice("hf", [["wave": false], ["wave": true, "amp": HP.uniform("amp", 0, 1)]])],
                       budget: 75, threshold: -2.0) { c, noise in
            let x = num(c, "x")
            let t = noise.normal(0, 0.1) + 2 * exp(-(x / 5) * (x / 5))
            guard let hf = c["hf"], hf["wave"] == .bool(true) else { return -t }
            return -(t + sin(x) * num(hf, "amp"))
        },
        HyperoptDomain(name: "many_dists",
                       space: ["a": HP.choice("a", [0, 1, 2]), "b": HP.randint("b", 10), "bb": HP.randint("bb", 12, 25),
                               "c": HP.uniform("c", 4, 7), "d": HP.loguniform("d", -2, 0), "e": HP.quniform("e", 0, 10, 3),
                               "f": HP.qloguniform("f", 0, 3, 2), "g": HP.normal("g", 4, 7), "h": HP.lognormal("h", -2, 2),
                               "i": HP.qnormal("i", 0, 10, 2), "j": HP.qlognormal("j", 0, 2, 1),
                               "k": HP.pchoice("k", [(0.1, 0), (0.9, 1)])],
                       budget: 200, threshold: 0.0005) { c, _ in
            var z = 0.0
            for key in ["a", "b", "bb", "c", "d", "e", "f", "g", "h", "i", "j", "k"] { z += num(c, key) }
            return log(1e-12 + z * z)
        },
        HyperoptDomain(name: "branin", space: ["x": HP.uniform("x", -5, 10), "y": HP.uniform("y", 0, 15)],
                       budget: 200, threshold: 0.7) { c, _ in
            let x = num(c, "x"), y = num(c, "y")
            let pi = Double.pi
            let a = y - (5.1 / (4 * pi * pi)) * x * x + 5 * x / pi - 6
            return a * a + 10 * (1 - 1 / (8 * pi)) * cos(x) + 10
        },
    ]

    /// Runs TPE on the domain with this seed; returns the best loss.
    func run(seed: UInt64) throws -> Double {
        var tpe = try TPESearch(space: SearchSpace(space), mode: .min, options: options, seed: seed)
        var noise = Xoshiro256(seed: 123)
        var best = Double.infinity
        for n in 0..<budget {
            let s = try tpe.suggest(trialID: String(n))
            let l = loss(s.configuration, &noise)
            best = min(best, l)
            try tpe.tell(trialID: s.trialID, .completed(l))
        }
        return best
    }
}
