#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64 (Steele, Lea and Flood 2014; Vigna's reference `splitmix64.c`): used to expand a
/// 64-bit seed into a ``Xoshiro256`` state, as the xoshiro authors recommend.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's whole state: a counter advanced by the golden-ratio increment.
    public var state: UInt64

    /// A generator starting from `seed` (any value, zero included).
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits. O(1).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** 1.0 (Blackman and Vigna 2018), the generator behind every random draw in
/// swifttune. The same seed gives the same stream on every machine: the state is four `UInt64`s
/// and the output depends only on integer arithmetic. Floating-point draws use the top 53 bits.
public struct Xoshiro256: RandomNumberGenerator, Sendable, Equatable {
    /// The generator's whole state (never all zero).
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    /// Generators are equal when their states are (they then produce the same stream).
    public static func == (a: Xoshiro256, b: Xoshiro256) -> Bool { a.state == b.state }

    /// A generator with this exact state (at least one word must be non-zero).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        self.state = state
    }

    /// A generator whose state is the first four outputs of SplitMix64 seeded with `seed`.
    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        state = (sm.next(), sm.next(), sm.next(), sm.next())
    }

    /// A generator for one numbered stream of a seed: independent-looking streams for every
    /// (seed, stream) pair, used so that the n-th suggestion of a searcher depends only on the
    /// seed and n (which makes saved searchers continue exactly).
    public init(seed: UInt64, stream: UInt64) {
        var mix = SplitMix64(seed: stream ^ Self.streamKey)
        self.init(seed: seed ^ mix.next())
    }

    /// A constant mixed into the stream number before SplitMix64 hashes it, which sets the
    /// streams' hash apart from the seed's expansion (SplitMix64 too). Its value is arbitrary (the
    /// first 64 fractional bits of sqrt(2), 0x6A09E667F3BCC908, with the low bit set) but fixed:
    /// changing it changes every searcher's suggestions.
    static let streamKey: UInt64 = 0x6A09_E667_F3BC_C909

    /// Rotation left by k bits (0 < k < 64).
    @inline(__always) static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits (xoshiro256**'s output function, then its state transition). O(1).
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = Self.rotl(state.3, 45)
        return result
    }

    /// A double uniform on [0, 1): the top 53 bits times 2^-53.
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A double uniform on [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        let u = low + (high - low) * nextDouble()
        return u < high ? u : low  // guard against rounding up to `high`
    }

    /// An integer uniform on 0..<bound (bound > 0), without modulo bias (Lemire's method).
    /// O(1) expected: a draw is rejected with probability below bound / 2^64.
    public mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }

    /// A standard normal draw by the Marsaglia polar method (one of the pair is used, so a draw
    /// depends only on the generator's state).
    public mutating func standardNormal() -> Double {
        while true {
            let u = 2 * nextDouble() - 1
            let v = 2 * nextDouble() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * log(s) / s).squareRoot()
            }
        }
    }

    /// A draw from normal(mu, sigma).
    public mutating func normal(_ mu: Double, _ sigma: Double) -> Double {
        mu + sigma * standardNormal()
    }

    /// An index drawn with probability proportional to `weights` (non-negative, positive sum).
    /// O(weights.count): one draw, a linear scan.
    public mutating func categorical(_ weights: [Double]) -> Int {
        var total = 0.0
        for w in weights { total += w }
        let r = nextDouble() * total
        var acc = 0.0
        for (i, w) in weights.enumerated() {
            acc += w
            if r < acc { return i }
        }
        // Rounding left r at the very top: the last index with positive weight.
        return weights.lastIndex(where: { $0 > 0 }) ?? 0
    }
}
