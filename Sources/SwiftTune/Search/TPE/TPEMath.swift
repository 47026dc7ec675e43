#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Numerical helpers of the TPE: normal CDFs and their differences, and log-sum-exp.
enum TPEMath {
    /// hyperopt's EPS: the floor for sigmas in CDFs and for values under a log.
    static let eps = 1e-12
    /// log sqrt(2 pi), the normal density's normalising constant in log.
    static let logSqrt2Pi = 0.5 * log(2 * Double.pi)

    /// ``fastExp(_:_:)`` returns 0 below this: e^-700 (9.9e-305) is negligible wherever it is
    /// used, and above it the result's 2^m scale is a normal double (its biased exponent
    /// 1023 + m stays positive down to about -708).
    static let fastExpMinimum = -700.0

    /// The natural log (libm's), under a name that a `log` member (as `NumericPrior.log`) cannot shadow.
    @inline(__always) static func ln(_ x: Double) -> Double { log(x) }

    /// The standardised argument of erf for the normal CDF at x, as hyperopt computes it
    /// (the denominator floored at EPS).
    @inline(__always) static func z(_ x: Double, _ mu: Double, _ sigma: Double) -> Double {
        (x - mu) / Swift.max(2.0.squareRoot() * sigma, eps)
    }

    /// P(a <= X <= b) for X ~ normal(mu, sigma), computed with erfc in the tails so that a
    /// mass far from the mean stays accurate instead of cancelling to 0 (hyperopt subtracts
    /// two erf values; the quantity is the same).
    static func normalMass(_ a: Double, _ b: Double, _ mu: Double, _ sigma: Double) -> Double {
        if b <= a { return 0 }
        let za = a == -.infinity ? -Double.infinity : z(a, mu, sigma)
        let zb = b == .infinity ? Double.infinity : z(b, mu, sigma)
        if za >= 0 { return 0.5 * (erfc(za) - erfc(zb)) }
        if zb <= 0 { return 0.5 * (erfc(-zb) - erfc(-za)) }
        return 0.5 * (erf(zb) - erf(za))
    }

    /// P(a <= X <= b) for log X ~ normal(mu, sigma), a and b in the value's space (>= 0).
    static func lognormalMass(_ a: Double, _ b: Double, _ mu: Double, _ sigma: Double) -> Double {
        if b <= a { return 0 }
        let la = a <= 0 ? -Double.infinity : log(Swift.max(a, eps))
        let lb = b == .infinity ? Double.infinity : log(Swift.max(b, eps))
        return normalMass(la, lb, mu, sigma)
    }

    /// 2^(j/64) for j in 0..<64, for ``fastExp(_:_:)``.
    static let exp2Table: [Double] = (0..<64).map { exp2(Double($0) / 64) }

    /// e^x for x <= 0, inlined for the mixture sums of TPE's scores, where a libm call per
    /// component dominated the cost: x = (64 m + j) ln2/64 + r with |r| <= ln2/128, e^r by its
    /// degree-5 Taylor polynomial (truncation < 4e-17), times 2^(j/64) from the table and 2^m.
    /// Within 2 ulp of libm's exp (tested); 0 below ``fastExpMinimum`` (such terms are negligible
    /// where it is used).
    @inline(__always)
    static func fastExp(_ x: Double, _ table: UnsafeBufferPointer<Double>) -> Double {
        if x < fastExpMinimum { return 0 }
        // Round to nearest (ties to even) by the 1.5 * 2^52 shift: exact for |x * 64/ln2| < 2^51,
        // and inlined, unlike a call to rint.
        let shifter = 6755399441055744.0
        let k = (x * (64 / 0.693147180559945309417232121458) + shifter) - shifter
        let r = (x - k * 0.010830424493178725) - k * 2.030704202170295e-10  // ln2/64 = hi (exact products) + lo
        let p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120)))))
        let ki = Int(k)
        let j = ki & 63
        let m = ki >> 6  // floor division: ki = 64 m + j
        let scale = Double(bitPattern: UInt64(1023 + m) << 52)
        return table[j] * scale * p
    }

    /// log(sum(exp(xs))) without overflow; -inf for an empty list or all -inf.
    static func logSumExp(_ xs: UnsafeBufferPointer<Double>) -> Double {
        var m = -Double.infinity
        for x in xs where x > m { m = x }
        if m == -.infinity { return m }
        if m == .infinity { return m }
        var s = 0.0
        for x in xs { s += exp(x - m) }
        return m + log(s)
    }
}
