import Foundation

/// A customer's lifetime scores: how likely they are still a customer, what they are expected to
/// buy in the horizon, and what that is worth.
package struct LifetimeScore: Sendable, Hashable {
    /// How the scores were computed.
    package enum Method: String, Sendable, Hashable {
        /// BG/NBD (and Gamma-Gamma for spend).
        case model
        /// `RecencyFrequencyRules`: the shop's history was below the fit's minimum.
        case rules
        /// BG/NBD for the expected purchases, the rules for P(alive): a one-time buyer. BG/NBD lets
        /// a customer drop out only after a repeat purchase, so its P(alive) is 1 for anyone with
        /// x = 0 however long ago they bought; that says nothing about whether they lapsed.
        case oneTimeBuyerRules = "model_one_time_rules"
    }

    /// P(alive), 0...1.
    package var probabilityAlive: Double
    /// Purchases expected in the horizon.
    package var expectedPurchases: Double
    /// Expected value of one future order, in the shop's currency.
    package var expectedOrderValue: Double
    /// Expected purchases × expected order value: undiscounted CLV over the horizon.
    package var clv: Double
    /// Which method produced P(alive) and the expected purchases.
    package var method: Method
}

/// The documented fallback below the fit's minimum of data: the customer's own rhythm.
///
/// A customer's usual gap is t_x / x (their mean time between purchases), or `defaultGap` for a
/// one-time buyer. P(alive) is 1 until the time since their last purchase exceeds the usual gap
/// and then decays as exp(−(overdue − gap) / gap); the purchase rate is (x + 1) / (T + gap)
/// (the first purchase counted, one gap of prior time), times P(alive) and the horizon.
package struct RecencyFrequencyRules: Sendable, Hashable {
    /// Usual gap assumed for a one-time buyer, in weeks.
    package var defaultGap: Double

    /// Rules with a one-time buyer's gap of `defaultGap` weeks (a quarter by default).
    package init(defaultGap: Double = 13) {
        self.defaultGap = defaultGap
    }

    /// P(alive) by the customer's own gap.
    package func probabilityAlive(_ summary: CustomerSummary) -> Double {
        let gap = usualGap(summary)
        let overdue = summary.age - summary.recency
        return overdue <= gap ? 1 : exp(-(overdue - gap) / gap)
    }

    /// Purchases expected in `horizon` weeks.
    package func expectedPurchases(horizon: Double, _ summary: CustomerSummary) -> Double {
        let gap = usualGap(summary)
        return probabilityAlive(summary) * (summary.frequency + 1) / (summary.age + gap) * horizon
    }

    /// t_x / x, or `defaultGap` without repeats (or with all repeats at once).
    package func usualGap(_ summary: CustomerSummary) -> Double {
        guard summary.frequency > 0, summary.recency > 0 else { return defaultGap }
        return summary.recency / summary.frequency
    }
}

/// Scores customers with stored parameters, falling back to `RecencyFrequencyRules` for a model
/// the parameters lack.
package struct LifetimeScorer: Sendable {
    /// The fitted parameters.
    package var parameters: LifetimeParameters
    /// The horizon of expected purchases and CLV, in weeks.
    package var horizon: Double
    /// The fallback rules.
    package var rules: RecencyFrequencyRules

    /// A scorer over `parameters` for a horizon of `horizon` weeks (a year by default).
    package init(parameters: LifetimeParameters, horizon: Double = 52, rules: RecencyFrequencyRules = .init()) {
        self.parameters = parameters
        self.horizon = horizon
        self.rules = rules
    }

    /// Scores one customer. `meanOrderValue` is the mean of all their orders, used for spend when
    /// there is no Gamma-Gamma fit (the summary's z̄ covers repeat orders only).
    package func score(_ summary: CustomerSummary, meanOrderValue: Double) -> LifetimeScore {
        let alive: Double
        let purchases: Double
        let method: LifetimeScore.Method
        if let model = parameters.bgnbd {
            purchases = model.expectedPurchases(
                horizon: horizon, frequency: summary.frequency, recency: summary.recency, age: summary.age)
            if summary.frequency == 0 {
                alive = rules.probabilityAlive(summary)
                method = .oneTimeBuyerRules
            } else {
                alive = model.probabilityAlive(
                    frequency: summary.frequency, recency: summary.recency, age: summary.age)
                method = .model
            }
        } else {
            alive = rules.probabilityAlive(summary)
            purchases = rules.expectedPurchases(horizon: horizon, summary)
            method = .rules
        }
        let orderValue =
            parameters.gammaGamma?.expectedOrderValue(frequency: summary.frequency, monetary: summary.monetary)
            ?? meanOrderValue
        return LifetimeScore(
            probabilityAlive: alive, expectedPurchases: purchases, expectedOrderValue: orderValue,
            clv: purchases * orderValue, method: method)
    }
}
