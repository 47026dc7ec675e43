#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Drawing from a Gaussian mixture: TPE's candidates.

extension GaussianMixture {
    /// A truncated draw gives up after this many rejected draws and clamps the last one into the
    /// bounds. The components TPE builds have their means inside the bounds (observations and the
    /// prior's mean), so only a mixture with (numerically) no mass there comes near this; the cap
    /// keeps such a draw from looping forever.
    static let maxRejectedDraws = 1_000_000

    /// One draw (hyperopt's GMM1 / LGMM1): pick a component by weight, draw from its normal, and
    /// with bounds start over until low <= draw < high; then exp (log) and round to q. O(components)
    /// per try (the categorical pick); 1 / ``acceptedMass`` tries on average.
    public func sample(_ rng: inout Xoshiro256) -> Double {
        var x: Double
        if low == nil && high == nil {
            let k = rng.categorical(weights)
            x = rng.normal(mus[k], sigmas[k])
        } else {
            let lo = low ?? -.infinity
            let hi = high ?? .infinity
            var tries = 0
            repeat {
                let k = rng.categorical(weights)
                x = rng.normal(mus[k], sigmas[k])
                tries += 1
            } while !(lo <= x && x < hi) && tries < Self.maxRejectedDraws
            // Only a mixture with (numerically) no mass inside the bounds gets here.
            if !(lo <= x && x < hi) { x = Swift.min(Swift.max(x, lo), hi.nextDown) }
        }
        if isLog { x = exp(x) }
        if let q { x = (x / q).rounded(.toNearestOrEven) * q }
        return x
    }
}
