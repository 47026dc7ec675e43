#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The standard normal's tail functions that Optuna's truncated normal kernels need, computed
/// in log space where a plain difference of probabilities would lose every digit (Optuna's
/// `_truncnorm._log_ndtr` / `_log_gauss_mass`, the same cases; see docs/tpe-optuna.md).
enum GaussMass {
    /// log(sqrt(2 pi)), the standard normal density's normaliser in log.
    static let logSqrt2Pi = 0.5 * log(2 * Double.pi)

    /// Phi(x), the standard normal's distribution function, through erfc (accurate in the left tail).
    /// Below -39 erfc's answer underflows to exactly 0 (erfc(27.5) < 1e-330), which is returned
    /// without calling it: most kernels sit that far from one of the bounds.
    @inline(__always)
    static func ndtr(_ x: Double) -> Double { x < -39 ? 0 : 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// log Phi(x). Above 6, log(1 - q) ~ -q; down to -20 the log of `ndtr`; below that the
    /// asymptotic series of the Mills ratio, summed until its terms stop changing the total.
    static func logNdtr(_ a: Double) -> Double {
        if a > 6 { return -ndtr(-a) }
        if a > -20 { return log(ndtr(a)) }
        let logLeading = -0.5 * a * a - log(-a) - logSqrt2Pi
        var total = 1.0
        var previous = 0.0
        var term = 1.0
        var k = 0
        let inverseSquare = 1 / (a * a)
        while abs(total - previous) > Double.ulpOfOne, k < 200 {
            k += 1
            previous = total
            // term_k = (-1)^k (2k - 1)!! / a^(2k)
            term *= -Double(2 * k - 1) * inverseSquare
            total += term
        }
        return logLeading + log(total)
    }

    /// log(e^p - e^q) for p >= q.
    @inline(__always)
    static func logDiff(_ p: Double, _ q: Double) -> Double { p + log1p(-exp(q - p)) }

    /// log(Phi(b) - Phi(a)), the log of the standard normal's mass on [a, b] (a <= b): in the
    /// left tail a difference of log Phi's, in the right tail the mirrored one, across 0 from
    /// the two tails' masses.
    static func logMass(_ a: Double, _ b: Double) -> Double {
        // Beyond 40 standard deviations on both sides Phi(a) and Phi(-b) are 0 in doubles (below
        // 1e-349): the central case's result, log1p(-0 - 0), without its two erfc calls.
        if a <= -40 && b >= 40 { return 0 }
        if b <= 0 { return logDiff(logNdtr(b), logNdtr(a)) }
        if a > 0 { return logDiff(logNdtr(-a), logNdtr(-b)) }
        return log1p(-ndtr(a) - ndtr(-b))
    }
}
