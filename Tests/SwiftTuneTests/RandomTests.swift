#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import SwiftTune

/// xoshiro256** and SplitMix64 against the authors' reference code, and the derived draws.
///
/// The reference numbers below were produced by compiling the public-domain reference C code
/// (Vigna's `splitmix64.c` and Blackman & Vigna's `xoshiro256starstar.c`: `rotl`, and `next()` with
/// `result = rotl(s[1] * 5, 7) * 9; t = s[1] << 17; s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2];
/// s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)`; splitmix64 with `x += 0x9e3779b97f4a7c15`,
/// multipliers `0xbf58476d1ce4e5b9` and `0x94d049bb133111eb`) with gcc and printing the outputs.
@Suite struct RandomTests {
    /// xoshiro256** from the state {1, 2, 3, 4}: the first 10 outputs (reference C code).
    static let xoshiroFrom1234: [UInt64] = [
        11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
        607988272756665600, 16172922978634559625, 8476171486693032832,
        10595114339597558777, 2904607092377533576,
    ]
    /// Its state after those 10 outputs (reference C code).
    static let xoshiroStateAfter10: (UInt64, UInt64, UInt64, UInt64) =
        (0x6004_6C12_1143_62D3, 0x4058_921A_0004_02E6, 0x085C_3600_1186_0022, 0x3C2E_BC00_94C0_A2F9)

    static func draws(_ n: Int, _ g: inout Xoshiro256) -> [UInt64] { (0..<n).map { _ in g.next() } }

    @Test func xoshiro256StarStarReferenceVector() {
        var g = Xoshiro256(state: (1, 2, 3, 4))
        #expect(Self.draws(10, &g) == Self.xoshiroFrom1234)
        #expect(g == Xoshiro256(state: Self.xoshiroStateAfter10))
        #expect(g.state.0 == Self.xoshiroStateAfter10.0 && g.state.3 == Self.xoshiroStateAfter10.3)
    }

    @Test func splitMix64ReferenceVectors() {
        // splitmix64 seeded with 1234567: the first 5 outputs (reference C code).
        var sm = SplitMix64(seed: 1_234_567)
        let outputs = (0..<5).map { _ in sm.next() }
        #expect(outputs == [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ])
        #expect(sm.state == 1_234_567 &+ 5 &* 0x9E37_79B9_7F4A_7C15)
        // splitmix64 seeded with 0 (reference C code).
        var zero = SplitMix64(seed: 0)
        #expect((0..<4).map { _ in zero.next() } == [
            0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC,
        ])
    }

    @Test func seededStateIsTheFirstFourSplitMixOutputs() {
        for seed: UInt64 in [0, 1, 42, 1_234_567, .max] {
            var sm = SplitMix64(seed: seed)
            let expected = Xoshiro256(state: (sm.next(), sm.next(), sm.next(), sm.next()))
            #expect(Xoshiro256(seed: seed) == expected)
        }
        #expect(Xoshiro256(seed: 0).state.0 == 0xE220_A839_7B1D_CDAF)
        // xoshiro256** seeded by splitmix64(42): the first 5 outputs (reference C code).
        var g = Xoshiro256(seed: 42)
        #expect(Self.draws(5, &g) == [
            0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1, 0xECB8_AD47_03B3_60A1,
            0xFDE6_DC7F_E2EC_5E64,
        ])
    }

    @Test func nextDoubleUsesTheTop53Bits() {
        var g = Xoshiro256(state: (1, 2, 3, 4))
        for x in Self.xoshiroFrom1234 {
            #expect(g.nextDouble() == Double(x >> 11) * 0x1.0p-53)
        }
        // The second reference output is 0, so the second double is exactly 0.
        var h = Xoshiro256(state: (1, 2, 3, 4))
        _ = h.nextDouble()
        #expect(h.nextDouble() == 0)
    }

    @Test func nextDoubleIsUniformOnHalfOpenUnitInterval() {
        var g = Xoshiro256(seed: 7)
        let n = 100_000
        var lo = 1.0, hi = 0.0, sum = 0.0, belowQuarter = 0
        for _ in 0..<n {
            let u = g.nextDouble()
            #expect(u >= 0 && u < 1)
            lo = min(lo, u); hi = max(hi, u); sum += u
            if u < 0.25 { belowQuarter += 1 }
        }
        #expect(lo < 1e-3)
        #expect(hi > 1 - 1e-3)
        let se = (1.0 / 12 / Double(n)).squareRoot()
        #expect(abs(sum / Double(n) - 0.5) < 5 * se)
        let pse = (0.25 * 0.75 / Double(n)).squareRoot()
        #expect(abs(Double(belowQuarter) / Double(n) - 0.25) < 5 * pse)
    }

    @Test func uniformStaysBelowHigh() {
        var g = Xoshiro256(seed: 11)
        for _ in 0..<10_000 {
            let x = g.uniform(-3, 5)
            #expect(x >= -3 && x < 5)
        }
        // An interval one ulp wide: without the guard, half the draws would round up to `high`.
        for _ in 0..<1000 {
            #expect(g.uniform(1, 1.0.nextUp) == 1)
        }
    }

    @Test func belowMatchesLemireOnTheReferenceStream() {
        // Lemire's multiply-high with rejection, run on the reference stream from {1,2,3,4} (C
        // code with unsigned __int128). The second reference output is 0, so the rejection path is taken.
        var g = Xoshiro256(state: (1, 2, 3, 4))
        let got = (0..<9).map { _ in g.below(1000) }
        #expect(got == [0, 0, 65, 65, 32, 876, 459, 574, 157])
        // All ten outputs were used: one draw was rejected.
        #expect(g == Xoshiro256(state: Self.xoshiroStateAfter10))
    }

    @Test(arguments: [UInt64(1), 2, 3, 7, 10, 1000, 1 << 40, (1 << 63) + 1, .max])
    func belowStaysInRange(bound: UInt64) {
        var g = Xoshiro256(seed: bound)
        for _ in 0..<2000 {
            #expect(g.below(bound) < bound)
        }
    }

    @Test func belowIsUniform() {
        var g = Xoshiro256(seed: 99)
        let k = 10, n = 100_000
        var counts = [Int](repeating: 0, count: k)
        for _ in 0..<n { counts[Int(g.below(UInt64(k)))] += 1 }
        let expected = Double(n) / Double(k)
        let chi2 = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        // 9 degrees of freedom: mean 9, sd 4.2; 60 is beyond any plausible value.
        #expect(chi2 < 60, "counts \(counts), chi-square \(chi2)")
        #expect(counts.allSatisfy { $0 > 0 })
        // A bound just above 2^63: half of all 64-bit words are rejected; the result must still be
        // uniform, so about half the draws fall below 2^62.
        let big: UInt64 = (1 << 63) + 1
        var low = 0
        let m = 20_000
        for _ in 0..<m where g.below(big) < (1 << 62) { low += 1 }
        let se = (0.25 / Double(m)).squareRoot()
        #expect(abs(Double(low) / Double(m) - 0.5) < 5 * se)
    }

    @Test func standardNormalMoments() {
        var g = Xoshiro256(seed: 5)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0, withinOne = 0
        for _ in 0..<n {
            let z = g.standardNormal()
            sum += z; sumSq += z * z
            if abs(z) < 1 { withinOne += 1 }
        }
        let mean = sum / Double(n)
        let variance = sumSq / Double(n) - mean * mean
        #expect(abs(mean) < 5 / Double(n).squareRoot())  // 5 standard errors
        #expect(abs(variance - 1) < 5 * (2 / Double(n)).squareRoot())
        let p = 0.682_689_492
        #expect(abs(Double(withinOne) / Double(n) - p) < 5 * (p * (1 - p) / Double(n)).squareRoot())
    }

    @Test func normalIsShiftedAndScaledStandardNormal() {
        var a = Xoshiro256(seed: 3)
        var b = a
        for _ in 0..<100 {
            #expect(a.normal(4, 7) == 4 + 7 * b.standardNormal())
        }
        #expect(a == b)
    }

    @Test func categoricalFrequencies() {
        var g = Xoshiro256(seed: 17)
        let weights = [1.0, 2, 3, 4]  // unnormalised
        let n = 100_000
        var counts = [Int](repeating: 0, count: 4)
        for _ in 0..<n { counts[g.categorical(weights)] += 1 }
        for (i, w) in weights.enumerated() {
            let p = w / 10
            let se = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(Double(counts[i]) / Double(n) - p) < 5 * se, "index \(i): \(counts[i])")
        }
        // Zero weights are never drawn.
        for _ in 0..<10_000 {
            let i = g.categorical([0, 1, 0, 3, 0])
            #expect(i == 1 || i == 3)
        }
        for _ in 0..<1000 {
            #expect(g.categorical([5]) == 0)
            #expect(g.categorical([0, 0, 2.5]) == 2)
        }
    }

    @Test func sameSeedSameStream() {
        var a = Xoshiro256(seed: 123_456)
        var b = Xoshiro256(seed: 123_456)
        #expect(Self.draws(1000, &a) == Self.draws(1000, &b))
        var c = Xoshiro256(seed: 9, stream: 4)
        var d = Xoshiro256(seed: 9, stream: 4)
        #expect(Self.draws(1000, &c) == Self.draws(1000, &d))
        var e = SplitMix64(seed: 77)
        var f = SplitMix64(seed: 77)
        #expect((0..<100).map { _ in e.next() } == (0..<100).map { _ in f.next() })
    }

    @Test func differentSeedsAndStreamsDiffer() {
        var firsts = Set<UInt64>()
        for seed: UInt64 in 0..<200 {
            var g = Xoshiro256(seed: seed)
            firsts.insert(g.next())
        }
        #expect(firsts.count == 200)
        var streamFirsts = Set<UInt64>()
        for stream: UInt64 in 0..<200 {
            var g = Xoshiro256(seed: 1, stream: stream)
            streamFirsts.insert(g.next())
        }
        #expect(streamFirsts.count == 200)
        // Stream 0 is not the plain seeded generator, and (seed, stream) pairs do not collide trivially.
        #expect(Xoshiro256(seed: 5, stream: 0) != Xoshiro256(seed: 5))
        #expect(Xoshiro256(seed: 5, stream: 6) != Xoshiro256(seed: 6, stream: 5))
        var g = Xoshiro256(seed: 1)
        let before = g
        _ = g.next()
        #expect(g != before)
    }

    @Test func streamDerivationIsPinned() {
        // Saved searchers continue exactly only if stream n of a seed never changes: the stream's
        // generator is seeded with seed ^ splitmix64(stream ^ 0x6A09E667F3BCC909).
        for (seed, stream) in [(UInt64(0), UInt64(0)), (7, 3), (.max, 12345)] {
            var mix = SplitMix64(seed: stream ^ 0x6A09_E667_F3BC_C909)
            #expect(Xoshiro256(seed: seed, stream: stream) == Xoshiro256(seed: seed ^ mix.next()))
        }
    }
}
