#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension Xoshiro256 {
    /// A draw from normal(loc, scale) truncated to [lower, upper] (SciPy's
    /// `truncnorm.rvs((lower - loc) / scale, (upper - loc) / scale, loc=loc, scale=scale)`, the
    /// distribution, not SciPy's stream), or nil where SciPy fails (a scale that is not positive,
    /// a bound or location that is not finite, an empty interval).
    ///
    /// Exact rejection sampling after Robert (1995), "Simulation of truncated normal variables":
    /// on standardised bounds a < b, a normal proposal when the interval holds the mode and is
    /// wide, a uniform proposal when it is narrow, an exponential proposal in a far tail. Every
    /// branch accepts with probability above about 0.2, so a draw takes a few tries even when
    /// the interval lies many standard deviations from `loc`.
    mutating func truncatedNormal(loc: Double, scale: Double, lower: Double, upper: Double) -> Double? {
        guard loc.isFinite, scale.isFinite, scale > 0, lower.isFinite, upper.isFinite else { return nil }
        let a = (lower - loc) / scale, b = (upper - loc) / scale
        guard a < b else { return a == b ? lower : nil }
        let z: Double
        if a >= 0 {
            z = standardTail(a, b)
        } else if b <= 0 {
            z = -standardTail(-b, -a)
        } else if b - a >= 2.5066282746310002 {  // sqrt(2 pi): a normal draw lands inside often enough
            var x: Double
            repeat { x = standardNormal() } while x < a || x > b
            z = x
        } else {
            // Uniform proposal on [a, b], accepted with exp(-x^2 / 2) (the density's maximum is 1 at 0).
            var x: Double
            repeat { x = uniform(a, b) } while nextDouble() >= exp(-x * x / 2)
            z = x
        }
        return min(upper, max(lower, loc + scale * z))
    }

    /// A standard normal draw truncated to [a, b] with 0 <= a < b.
    private mutating func standardTail(_ a: Double, _ b: Double) -> Double {
        // Robert's exponential rate for the tail above a.
        let alpha = (a + (a * a + 4).squareRoot()) / 2
        if alpha * (b - a) <= 1 {
            // Narrow: uniform proposal, accepted with exp((a^2 - x^2) / 2) (the density's maximum is at a).
            while true {
                let x = uniform(a, b)
                if nextDouble() < exp((a * a - x * x) / 2) { return x }
            }
        }
        // Wide: a + Exp(alpha), rejected beyond b, accepted with exp(-(x - alpha)^2 / 2).
        while true {
            let x = a - log(1 - nextDouble()) / alpha
            if x > b { continue }
            if nextDouble() < exp(-(x - alpha) * (x - alpha) / 2) { return x }
        }
    }
}
