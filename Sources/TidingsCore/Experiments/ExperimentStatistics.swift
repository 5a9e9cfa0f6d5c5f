import Foundation

/// The statistics experiment reports use (docs/decisions/experiments.md says why these): Wilson
/// score intervals for a rate, Newcombe's hybrid score interval for a difference of two rates, the
/// pooled two-proportion z-test, a Welch normal interval for a difference of means (revenue per
/// recipient), and the per-group sample a two-proportion test needs.
package enum ExperimentStatistics {
    /// z for a two-sided 95 % interval.
    package static let z95 = 1.959_963_984_540_054
    /// z for 80 % power (one-sided).
    package static let z80 = 0.841_621_233_572_914

    /// The Wilson score interval of `successes` out of `trials` at `z`; (0, 1) for no trials.
    package static func wilson(_ successes: Int, _ trials: Int, z: Double = z95) -> (lower: Double, upper: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials)
        let p = Double(successes) / n
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (max(0, centre - half), min(1, centre + half))
    }

    /// Newcombe's hybrid score interval (his method 10) for p1 − p0, from the two Wilson intervals.
    package static func newcombe(_ x1: Int, _ n1: Int, _ x0: Int, _ n0: Int, z: Double = z95) -> (
        lower: Double, upper: Double
    ) {
        let p1 = n1 > 0 ? Double(x1) / Double(n1) : 0
        let p0 = n0 > 0 ? Double(x0) / Double(n0) : 0
        let (l1, u1) = wilson(x1, n1, z: z)
        let (l0, u0) = wilson(x0, n0, z: z)
        let d = p1 - p0
        return (
            d - ((p1 - l1) * (p1 - l1) + (u0 - p0) * (u0 - p0)).squareRoot(),
            d + ((u1 - p1) * (u1 - p1) + (p0 - l0) * (p0 - l0)).squareRoot()
        )
    }

    /// The pooled two-proportion z statistic and its two-sided p-value; (0, 1) when the pooled
    /// rate is 0 or 1 (no variation, nothing to test) or a group is empty.
    package static func twoProportionTest(_ x1: Int, _ n1: Int, _ x0: Int, _ n0: Int) -> (z: Double, p: Double) {
        guard n1 > 0, n0 > 0 else { return (0, 1) }
        let pooled = Double(x1 + x0) / Double(n1 + n0)
        let se = (pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n0))).squareRoot()
        guard se > 0 else { return (0, 1) }
        let z = (Double(x1) / Double(n1) - Double(x0) / Double(n0)) / se
        return (z, twoSidedP(z))
    }

    /// The two-sided p-value of a standard normal statistic.
    package static func twoSidedP(_ z: Double) -> Double {
        erfc(abs(z) / 2.0.squareRoot())
    }

    /// The difference of two means (mean1 − mean0) with its Welch normal 95 % interval and
    /// two-sided p-value; variances are sample variances (n − 1). With fewer than two values in a
    /// group the interval is unbounded and p is 1.
    package static func meanDifference(
        mean1: Double, variance1: Double, n1: Int, mean0: Double, variance0: Double, n0: Int
    ) -> (difference: Double, lower: Double, upper: Double, z: Double, p: Double) {
        let d = mean1 - mean0
        // A sample variance needs two values: with fewer the spread is unknown, not zero.
        guard n1 > 1, n0 > 1 else { return (d, -.infinity, .infinity, 0, 1) }
        let se = (variance1 / Double(n1) + variance0 / Double(n0)).squareRoot()
        guard se > 0 else { return (d, d, d, 0, d == 0 ? 1 : 0) }
        let z = d / se
        return (d, d - z95 * se, d + z95 * se, z, twoSidedP(z))
    }

    /// Recipients per group for a two-sided test at 5 % with 80 % power to detect rates `p0`
    /// against `p1` (Fleiss without continuity correction); nil when the rates are equal or
    /// either is outside (0, 1).
    package static func sampleSizePerGroup(_ p0: Double, _ p1: Double) -> Int? {
        guard p0 != p1, p0 > 0, p0 < 1, p1 > 0, p1 < 1 else { return nil }
        let mean = (p0 + p1) / 2
        let numerator = z95 * (2 * mean * (1 - mean)).squareRoot() + z80 * (p0 * (1 - p0) + p1 * (1 - p1)).squareRoot()
        return Int((numerator * numerator / ((p1 - p0) * (p1 - p0))).rounded(.up))
    }

    /// The sample mean and sample variance (n − 1) of values; (0, 0) for none, variance 0 for one.
    package static func meanAndVariance(_ values: [Double]) -> (mean: Double, variance: Double) {
        guard !values.isEmpty else { return (0, 0) }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, squares / Double(values.count - 1))
    }
}
