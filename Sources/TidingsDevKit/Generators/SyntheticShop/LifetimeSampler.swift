import Foundation
import TidingsCore

/// Draws customer histories from the BG/NBD and Gamma-Gamma processes, for synthetic shops and
/// the parameter-recovery test. Deterministic for a given generator state.
package struct LifetimeSampler: Sendable {
    /// The purchase-count process.
    package var bgnbd: BGNBD
    /// The spend process.
    package var gammaGamma: GammaGamma

    /// A sampler for the given true parameters.
    package init(bgnbd: BGNBD, gammaGamma: GammaGamma) {
        self.bgnbd = bgnbd
        self.gammaGamma = gammaGamma
    }

    /// One customer observed for `age` time units since their first purchase: the times of their
    /// repeat purchases (ascending, 0 < t ≤ age) and the value of every purchase, first included.
    package func draw(age: Double, using random: inout SplitMix64) -> (repeatTimes: [Double], values: [Double]) {
        let rate = Self.gamma(shape: bgnbd.r, using: &random) / bgnbd.alpha
        let dropout = Self.beta(bgnbd.a, bgnbd.b, using: &random)
        var times: [Double] = []
        var t = 0.0
        while true {
            t += -log(Self.unit(&random)) / rate
            if t > age { break }
            times.append(t)
            if Self.unit(&random) < dropout { break }
        }
        let spendRate = Self.gamma(shape: gammaGamma.q, using: &random) / gammaGamma.gamma
        var values: [Double] = []
        for _ in 0...times.count {
            values.append(Self.gamma(shape: gammaGamma.p, using: &random) / spendRate)
        }
        return (times, values)
    }

    /// The summary the models read of a drawn customer (z̄ over the repeat purchases, as in the note).
    package static func summary(id: String, age: Double, repeatTimes: [Double], values: [Double])
        -> CustomerSummary
    {
        let repeats = values.dropFirst()
        return CustomerSummary(
            id: id, frequency: Double(repeatTimes.count), recency: repeatTimes.last ?? 0, age: age,
            monetary: repeats.isEmpty ? nil : repeats.reduce(0, +) / Double(repeats.count))
    }

    /// Uniform in (0, 1): never 0, so that logs stay finite.
    package static func unit(_ random: inout SplitMix64) -> Double {
        (Double(random.next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    /// Standard normal by Box-Muller.
    package static func normal(_ random: inout SplitMix64) -> Double {
        sqrt(-2 * log(unit(&random))) * cos(2 * Double.pi * unit(&random))
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang (2000), boosted by U^{1/shape} for shape < 1.
    package static func gamma(shape: Double, using random: inout SplitMix64) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1, using: &random) * pow(unit(&random), 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / sqrt(9 * d)
        while true {
            let z = normal(&random)
            let v = pow(1 + c * z, 3)
            if v <= 0 { continue }
            let u = unit(&random)
            if log(u) < 0.5 * z * z + d - d * v + d * log(v) { return d * v }
        }
    }

    /// Beta(a, b) as a ratio of Gammas.
    package static func beta(_ a: Double, _ b: Double, using random: inout SplitMix64) -> Double {
        let x = gamma(shape: a, using: &random)
        let y = gamma(shape: b, using: &random)
        return x / (x + y)
    }
}
