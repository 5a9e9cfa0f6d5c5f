import Foundation

/// A customer a scan (or a `customer.lapsed` event) writes to, with everything the message needs.
package struct WinBackTarget: Sendable {
    /// The customer record (the email address is for delivery only).
    package var customer: CustomerRecord
    /// Their orders, oldest first.
    package var orders: [OrderRecord]
    /// The lifetime summary the scores came from.
    package var summary: CustomerSummary
    /// P(alive), expected purchases, CLV.
    package var score: LifetimeScore
    /// Why they probably lapsed.
    package var reason: ChurnReason
    /// Their usual gap between purchases, in days.
    package var usualGapDays: Double
    /// Days since their last purchase.
    package var daysSinceLastPurchase: Double
    /// Categories they bought, most first.
    package var favouriteCategories: [String]
}

/// What a scan decided about one customer, for the audit.
package struct WinBackDecision: Sendable {
    /// Why a customer was not selected.
    package enum Skip: String, Sendable, Hashable, CaseIterable {
        /// No order counts as a purchase (all cancelled or refunded).
        case noPurchases = "no_purchases"
        /// No email marketing consent on the platform.
        case noConsent = "no_consent"
        /// No email address.
        case noEmail = "no_email"
        /// The address is one the email service cannot take (a non-ASCII local part needs SMTPUTF8).
        case undeliverableEmail = "undeliverable_email"
        /// Still within their usual gap between orders.
        case withinUsualGap = "within_usual_gap"
        /// P(alive) above the window: still an active customer.
        case stillActive = "still_active"
        /// P(alive) below the window: gone for good.
        case likelyGone = "likely_gone"
        /// CLV below the minimum.
        case lowValue = "low_clv"
        /// Written to by win-back within the quiet period.
        case emailedRecently = "emailed_recently"
        /// The scan's cap on selected customers was reached.
        case capReached = "cap_reached"
    }

    /// The platform customer id.
    package var customerID: String
    /// nil when selected; why not otherwise.
    package var skip: Skip?
    /// The numbers behind the decision (P(alive), CLV, gaps, the churn reason when selected).
    package var facts: [String: JSONValue]
}

/// Applies `WinBackCriteria` to one customer history: scores it, checks each criterion, and for a
/// selected customer predicts the churn reason. Pure: the audit lookup is passed in.
package struct WinBackSelector: Sendable {
    /// The selection bounds.
    package var criteria: WinBackCriteria
    /// Scores with the stored (or fallback) lifetime parameters.
    package var scorer: LifetimeScorer
    /// Predicts churn reasons.
    package var analyst: ChurnAnalyst
    /// Product id → category, for favourite categories and the category rule.
    package var categories: [String: String]

    /// A selector; the scorer's horizon should match `criteria.horizonWeeks`.
    package init(criteria: WinBackCriteria, scorer: LifetimeScorer, categories: [String: String]) {
        self.criteria = criteria
        self.scorer = scorer
        self.analyst = ChurnAnalyst()
        self.categories = categories
    }

    /// The audit key a win-back email to `customerID` lists among its `dedupe_keys`; the quiet
    /// period looks it up.
    package static func auditKey(customerID: String) -> String { "winBack:customer:\(customerID)" }

    /// Decides about one customer at `now`. `emailedRecently` is asked only for customers that
    /// pass every other criterion (it reads the audit). `hints` bias the churn reason.
    package func decide(
        _ history: CustomerHistory, now: Date, hints: [ChurnReason.Kind] = [],
        emailedRecently: (String) throws -> Bool
    ) rethrows -> (decision: WinBackDecision, target: WinBackTarget?) {
        let id = history.customer.id
        func skip(_ reason: WinBackDecision.Skip, _ facts: [String: JSONValue] = [:]) -> (
            decision: WinBackDecision, target: WinBackTarget?
        ) {
            (WinBackDecision(customerID: id, skip: reason, facts: facts), nil)
        }
        guard let summary = CustomerSummary(id: id, orders: history.orders, now: now) else {
            return skip(.noPurchases)
        }
        let purchases = history.orders.filter(CustomerSummary.isPurchase)
        let spent = purchases.reduce(0.0) { $0 + NSDecimalNumber(decimal: $1.total.amount).doubleValue }
        let score = scorer.score(summary, meanOrderValue: spent / Double(max(purchases.count, 1)))
        let gapDays = scorer.rules.usualGap(summary) * 7
        let sinceDays = (summary.age - summary.recency) * 7
        var facts: [String: JSONValue] = [
            "p_alive": .double(Self.rounded(score.probabilityAlive)),
            "clv": .double(Self.rounded(score.clv)),
            "expected_purchases": .double(Self.rounded(score.expectedPurchases)),
            "days_since_last_purchase": .double(Self.rounded(sinceDays)),
            "usual_gap_days": .double(Self.rounded(gapDays)),
            "score_method": .string(score.method.rawValue),
        ]
        if let contact = Guards.checkContact(history.customer) { return skip(contact, facts) }
        guard sinceDays > criteria.lapseFactor * gapDays else { return skip(.withinUsualGap, facts) }
        guard score.probabilityAlive <= criteria.maximumProbabilityAlive else { return skip(.stillActive, facts) }
        guard score.probabilityAlive >= criteria.minimumProbabilityAlive else { return skip(.likelyGone, facts) }
        guard score.clv >= criteria.minimumCLV else { return skip(.lowValue, facts) }
        guard try !emailedRecently(id) else { return skip(.emailedRecently, facts) }
        let reason = analyst.reason(orders: history.orders, categories: categories, hints: hints)
        facts["churn_reason"] = .string(reason.kind.rawValue)
        facts["churn_evidence"] = .array(reason.evidence.map { .string($0) })
        var counts: [String: Int] = [:]
        for order in purchases {
            for line in order.lines {
                if let category = categories[line.productID] { counts[category, default: 0] += line.quantity }
            }
        }
        let favourites = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        let target = WinBackTarget(
            customer: history.customer, orders: history.orders, summary: summary, score: score, reason: reason,
            usualGapDays: gapDays, daysSinceLastPurchase: sinceDays, favouriteCategories: favourites)
        return (WinBackDecision(customerID: id, skip: nil, facts: facts), target)
    }

    private static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}
