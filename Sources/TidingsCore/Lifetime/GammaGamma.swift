import Foundation

/// The Gamma-Gamma model of spend per order (Fader and Hardie, "The Gamma-Gamma Model of Monetary
/// Value", 2013; Colombo and Jiang 1999): a customer's order values are Gamma(p, ν) around their
/// own mean, and ν is Gamma(q, γ) across customers. Fitted on repeat customers only (x > 0),
/// with z̄ the mean of their repeat orders.
package struct GammaGamma: Sendable, Hashable, Codable {
    /// Shape of the per-order spend Gamma.
    package var p: Double
    /// Shape of the across-customer Gamma.
    package var q: Double
    /// Scale of the across-customer Gamma, in money units.
    package var gamma: Double

    /// Creates the model from its three positive parameters.
    package init(p: Double, q: Double, gamma: Double) {
        self.p = p
        self.q = q
        self.gamma = gamma
    }

    /// One repeat customer's log-likelihood given x > 0 transactions of mean value z̄ > 0
    /// (the note's equation (3) in logs).
    package func logLikelihood(frequency x: Double, monetary zbar: Double) -> Double {
        let px = p * x
        return SpecialFunctions.logGamma(px + q) - SpecialFunctions.logGamma(px) - SpecialFunctions.logGamma(q)
            + q * log(gamma) + (px - 1) * log(zbar) + px * log(x) - (px + q) * log(gamma + x * zbar)
    }

    /// E[M | x, z̄]: the expected value of the customer's next order; the population mean
    /// p γ / (q − 1) when they have no repeat orders. Requires q > 1 (a finite population mean).
    package func expectedOrderValue(frequency x: Double, monetary zbar: Double?) -> Double {
        guard x > 0, let zbar else { return p * gamma / (q - 1) }
        return p * (gamma + x * zbar) / (p * x + q - 1)
    }
}
