import Foundation

/// The special functions the lifetime models need, in forms that stay accurate at the extremes.
package enum SpecialFunctions {
    /// ln Γ(x) for x > 0.
    package static func logGamma(_ x: Double) -> Double {
        // lgamma_r, not lgamma: lgamma writes the global `signgam`, a data race between threads.
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    /// ln(e^a + e^b) without overflow or underflow.
    package static func logAddExp(_ a: Double, _ b: Double) -> Double {
        let high = max(a, b)
        if high == -.infinity { return -.infinity }
        return high + log1p(exp(min(a, b) - high))
    }

    /// The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its power series,
    /// summed until a term no longer changes the sum in double precision. The BG/NBD calls it with
    /// z = t / (α + T + t), which stays well below 1 for horizons of the order of the history;
    /// `maxTerms` bounds the work when z is close to 1 (the series then converges slowly).
    package static func hypergeometric2F1(
        _ a: Double, _ b: Double, _ c: Double, _ z: Double, maxTerms: Int = 100_000
    ) -> Double {
        precondition(z >= 0 && z < 1, "2F1 series needs 0 ≤ z < 1")
        var term = 1.0
        var sum = 1.0
        var j = 0.0
        for _ in 0..<maxTerms {
            term *= (a + j) * (b + j) / ((c + j) * (j + 1)) * z
            sum += term
            j += 1
            if abs(term) <= abs(sum) * 1e-16 { break }
        }
        return sum
    }
}
