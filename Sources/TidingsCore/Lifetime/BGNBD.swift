import Foundation

/// The BG/NBD model of repeat buying (Fader, Hardie and Lee, "Counting Your Customers the Easy
/// Way", Marketing Science 2005): while active a customer buys as a Poisson process whose rate is
/// Gamma(r, α) across customers; after each purchase they become inactive with probability p,
/// Beta(a, b) across customers. Times are in the unit of the summaries (weeks in Tidings).
package struct BGNBD: Sendable, Hashable, Codable {
    /// Shape of the purchase-rate Gamma.
    package var r: Double
    /// Scale of the purchase-rate Gamma, in time units.
    package var alpha: Double
    /// First shape of the dropout Beta.
    package var a: Double
    /// Second shape of the dropout Beta.
    package var b: Double

    /// Creates the model from its four positive parameters.
    package init(r: Double, alpha: Double, a: Double, b: Double) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
    }

    /// One customer's log-likelihood, ln L(r, α, a, b | x, t_x, T) = ln A₁ + ln A₂ +
    /// ln(e^{ln A₃} + δ_{x>0} e^{ln A₄}), the paper's equation (6) in logs so that customers
    /// with many purchases neither overflow nor underflow.
    package func logLikelihood(frequency x: Double, recency tx: Double, age T: Double) -> Double {
        let lnA1 = SpecialFunctions.logGamma(r + x) - SpecialFunctions.logGamma(r) + r * log(alpha)
        let lnA2 =
            SpecialFunctions.logGamma(a + b) + SpecialFunctions.logGamma(b + x) - SpecialFunctions.logGamma(b)
            - SpecialFunctions.logGamma(a + b + x)
        let lnA3 = -(r + x) * log(alpha + T)
        guard x > 0 else { return lnA1 + lnA2 + lnA3 }
        let lnA4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + tx)
        return lnA1 + lnA2 + SpecialFunctions.logAddExp(lnA3, lnA4)
    }

    /// The summed log-likelihood of many customers.
    package func logLikelihood(_ customers: some Sequence<CustomerSummary>) -> Double {
        var total = 0.0
        for customer in customers {
            total += logLikelihood(frequency: customer.frequency, recency: customer.recency, age: customer.age)
        }
        return total
    }

    /// P(alive | x, t_x, T): the probability the customer has not dropped out (paper eq. 13).
    /// 1 for a customer without repeat purchases, as the model assumes no dropout before the first repeat.
    package func probabilityAlive(frequency x: Double, recency tx: Double, age T: Double) -> Double {
        guard x > 0 else { return 1 }
        // ln of (a / (b + x − 1)) ((α + T) / (α + t_x))^{r+x}, kept in logs against overflow.
        let lnRatio = log(a) - log(b + x - 1) + (r + x) * (log(alpha + T) - log(alpha + tx))
        return 1 / (1 + exp(lnRatio))
    }

    /// E[Y(t) | x, t_x, T]: purchases expected in the next `horizon` time units (paper eq. 10).
    package func expectedPurchases(horizon t: Double, frequency x: Double, recency tx: Double, age T: Double)
        -> Double
    {
        guard t > 0 else { return 0 }
        let z = t / (alpha + T + t)
        let hyper = SpecialFunctions.hypergeometric2F1(r + x, b + x, a + b + x - 1, z)
        let head = (a + b + x - 1) / (a - 1)
        let tail = 1 - exp((r + x) * (log(alpha + T) - log(alpha + T + t))) * hyper
        let denominator: Double
        if x > 0 {
            denominator = 1 + exp(log(a) - log(b + x - 1) + (r + x) * (log(alpha + T) - log(alpha + tx)))
        } else {
            denominator = 1
        }
        return head * tail / denominator
    }

    /// E[X(t)]: purchases a new customer is expected to make in `horizon` time units (paper eq. 9).
    package func expectedPurchasesOfNewCustomer(horizon t: Double) -> Double {
        guard t > 0 else { return 0 }
        let hyper = SpecialFunctions.hypergeometric2F1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1 - exp(r * (log(alpha) - log(alpha + t))) * hyper)
    }
}
