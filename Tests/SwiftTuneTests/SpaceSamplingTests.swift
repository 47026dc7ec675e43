#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import SwiftTune

/// Random draws from every distribution and configurations drawn from whole spaces.
extension SpaceTests {
    // MARK: random draws from every distribution

    static func values(_ s: [Suggestion], _ label: String) -> [Double] { s.compactMap { $0.assignment[label] } }

    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }

    static func sd(_ x: [Double]) -> Double {
        let m = mean(x)
        return (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)).squareRoot()
    }

    static func isMultiple(_ x: Double, of q: Double) -> Bool { abs(x / q - (x / q).rounded()) < 1e-9 }

    /// `p` within 5 standard errors of the observed fraction.
    static func fractionNear(_ count: Int, _ n: Int, _ p: Double) -> Bool {
        abs(Double(count) / Double(n) - p) < 5 * (p * (1 - p) / Double(n)).squareRoot()
    }

    @Test func randomDrawsFollowEachDistribution() throws {
        let n = 4000
        let s = try SpaceFixtures.randomSuggestions(SpaceFixtures.everyKind, n: n, seed: 2024)

        // hyperopt kinds
        let u = Self.values(s, "u")
        #expect(u.count == n && u.allSatisfy { $0 >= -1 && $0 < 1 })
        #expect(abs(Self.mean(u)) < 5 * 2 / (12 * Double(n)).squareRoot())

        let qu = Self.values(s, "qu")
        #expect(qu.allSatisfy { $0 >= 0 && $0 <= 10 && Self.isMultiple($0, of: 0.5) })
        #expect(qu.contains(0) && qu.contains(10))

        let lu = Self.values(s, "lu")
        #expect(lu.allSatisfy { $0 >= exp(-3) && $0 <= 1 })  // [e^low, e^high]
        #expect(abs(Self.mean(lu.map { log($0) }) + 1.5) < 5 * 3 / (12 * Double(n)).squareRoot())

        #expect(Self.values(s, "qlu").allSatisfy { $0 >= 0 && $0 <= 20 && Self.isMultiple($0, of: 2) })

        let normal = Self.values(s, "n")
        #expect(abs(Self.mean(normal) - 4) < 5 * 7 / Double(n).squareRoot())
        #expect(abs(Self.sd(normal) - 7) < 5 * 7 / (2 * Double(n)).squareRoot())

        #expect(Self.values(s, "qn").allSatisfy { Self.isMultiple($0, of: 2) })

        let ln = Self.values(s, "ln")
        #expect(ln.allSatisfy { $0 > 0 })
        let logs = ln.map { log($0) }
        #expect(abs(Self.mean(logs) + 2) < 5 * 2 / Double(n).squareRoot())
        #expect(abs(Self.sd(logs) - 2) < 5 * 2 / (2 * Double(n)).squareRoot())

        #expect(Self.values(s, "qln").allSatisfy { $0 >= 0 && $0 == $0.rounded() })

        #expect(Set(Self.values(s, "ri")) == Set((0..<10).map(Double.init)))
        #expect(Set(Self.values(s, "ri2")) == Set((-3..<4).map(Double.init)))
        #expect(Set(Self.values(s, "ui")) == [2, 4, 6, 8])

        // Ray Tune kinds
        let tu = Self.values(s, "tune/u")
        #expect(tu.allSatisfy { $0 >= 0 && $0 < 20 })
        #expect(abs(Self.mean(tu) - 10) < 5 * 20 / (12 * Double(n)).squareRoot())

        let tqu = Self.values(s, "tune/qu")
        #expect(tqu.allSatisfy { $0 >= 0 && $0 <= 1 + 1e-12 && Self.isMultiple($0, of: 0.1) })

        let tlu = Self.values(s, "tune/lu")
        #expect(tlu.allSatisfy { $0 >= 1e-4 && $0 < 1e-1 })  // [lower, upper): plain bounds
        #expect(Self.fractionNear(tlu.filter { $0 < 1e-3 }.count, n, 1.0 / 3))

        #expect(Self.values(s, "tune/qlu").allSatisfy { $0 >= 0 && $0 <= 100 && Self.isMultiple($0, of: 5) })

        let rn = Self.values(s, "tune/rn")
        #expect(abs(Self.mean(rn)) < 5 / Double(n).squareRoot())
        #expect(abs(Self.sd(rn) - 1) < 5 / (2 * Double(n)).squareRoot())

        let qrn = Self.values(s, "tune/qrn")
        #expect(qrn.allSatisfy { Self.isMultiple($0, of: 0.25) })
        #expect(abs(Self.mean(qrn) - 1) < 5 * 2 / Double(n).squareRoot() + 0.01)

        #expect(Set(Self.values(s, "tune/ri")) == Set((0..<10).map(Double.init)))  // upper excluded, all hit
        #expect(Set(Self.values(s, "tune/qri")) == [0, 5, 10, 15, 20])  // upper included

        let lri = Self.values(s, "tune/lri")
        #expect(lri.allSatisfy { $0 >= 1 && $0 < 1000 && $0 == $0.rounded() })
        #expect(lri.contains(1))
        #expect(Self.fractionNear(lri.filter { $0 < 10 }.count, n, 1.0 / 3))

        let qlri = Self.values(s, "tune/qlri")
        #expect(qlri.allSatisfy { $0 >= 2 && $0 <= 64 && Self.isMultiple($0, of: 2) })

        // Choices: uniform over options, pchoice by its probabilities.
        let c = Self.values(s, "c")
        for k in 0..<7 { #expect(Self.fractionNear(c.filter { $0 == Double(k) }.count, n, 1.0 / 7), "option \(k)") }
        let pc = Self.values(s, "pc")
        #expect(Self.fractionNear(pc.filter { $0 == 0 }.count, n, 0.25))
        let act = Self.values(s, "act")
        for k in 0..<3 { #expect(Self.fractionNear(act.filter { $0 == Double(k) }.count, n, 1.0 / 3)) }
        let listParam = Self.values(s, "list/1")
        #expect(listParam.count == n && listParam.allSatisfy { $0 >= -1 && $0 < 1 })
    }

    @Test func randomConfigurationsMatchTheirAssignments() throws {
        let space = try SearchSpace(SpaceFixtures.everyKind)
        let s = try SpaceFixtures.randomSuggestions(SpaceFixtures.everyKind, n: 300, seed: 77)
        for sug in s {
            #expect(try space.configuration(for: sug.assignment) == sug.configuration)
            #expect(try space.assignment(of: sug.configuration) == sug.assignment)
            let c = sug.configuration
            // Conditional parameters are present exactly in their branch.
            #expect((sug.assignment["deep"] != nil) == (sug.assignment["pc"] == 1))
            #expect((sug.assignment["act/sub"] != nil) == (sug.assignment["act"] == 2))
            #expect(c["pc"] == (sug.assignment["pc"] == 0 ? "small" : ["deep": .double(sug.assignment["deep"] ?? -1), "tag": "big"]))
            let options: [JSONValue] = ["a", 1, 2.5, true, nil, [1, "x"], ["k": [1, 2]]]
            #expect(c["c"] == options[Int(sug.assignment["c"]!)])
            #expect(c["consts"] == ["int": 100, "double": 0.1, "big": .int(.max), "bool": false, "null": nil, "str": "s"])
            #expect(c["list"] == [1, .double(sug.assignment["list/1"]!), [2.5, "s"]])
            for key in ["ri", "ri2", "ui"] {
                guard case .int = c[key] else { Issue.record("\(key) is \(String(describing: c[key]))"); continue }
            }
            for key in ["ri", "qri", "lri", "qlri"] {
                guard case .int = c["tune"]?[key] else { Issue.record("tune/\(key) is not an int"); continue }
            }
            guard case .double = c["qln"] else { Issue.record("qln is not a double"); continue }
        }
    }

    @Test func conditionalParametersOnlyInTheirBranch() throws {
        let s = try SpaceFixtures.randomSuggestions(SpaceFixtures.hyperopt, n: 400, seed: 5)
        var relu = 0
        for sug in s {
            let keys = Set(sug.assignment.keys)
            if sug.assignment["activation"] == 0 {
                relu += 1
                #expect(keys == ["activation", "mult", "width", "height"])
                let mult = try #require(sug.configuration["activation"]?["mult"]?.doubleValue)
                #expect(mult >= 1 && mult < 2)
                #expect(sug.configuration["activation"]?["activation"] == "relu")
            } else {
                #expect(keys == ["activation", "width", "height"])
                #expect(sug.configuration["activation"] == ["activation": "tanh"])
            }
            #expect(sug.configuration["steps"] == 100)
            #expect(sug.configuration.objectValue?.map(\.0) == ["activation", "width", "height", "steps"])
        }
        #expect(Self.fractionNear(relu, s.count, 0.5))
    }

    @Test func rayQrandintIncludesUpperOnlyWhenReachable() throws {
        let s = try SpaceFixtures.randomSuggestions(["a": .qrandint(0, 10, 2), "b": .qrandint(-4, 4)], n: 1500, seed: 3)
        #expect(Set(Self.values(s, "a")) == [0, 2, 4, 6, 8, 10])
        #expect(Set(Self.values(s, "b")) == Set((-4...4).map(Double.init)))
    }
}
