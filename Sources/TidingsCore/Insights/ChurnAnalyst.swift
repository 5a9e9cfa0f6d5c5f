import Foundation

/// Why a customer probably stopped buying, with the evidence behind the guess.
package struct ChurnReason: Sendable, Hashable {
    /// The reason, snake_case in prompts and the audit.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Their last order was cancelled or refunded: something went wrong.
        case lastOrderCancelled = "last_order_cancelled"
        /// They bought once and never came back.
        case oneTimeBuyer = "one_time_buyer"
        /// Every (or nearly every) order used a discount code.
        case discountOnly = "discount_only"
        /// Each order was worth less than the one before.
        case fallingOrderValues = "falling_order_values"
        /// They only ever bought from one category, and have what they need of it.
        case categoryWornOut = "category_worn_out"
        /// None of the above: they drifted away.
        case drifted
    }

    /// Which reason this is.
    package var kind: Kind
    /// Facts in plain words, for the prompt and the audit (no personal data).
    package var evidence: [String]

    /// Creates a reason with its evidence.
    package init(kind: Kind, evidence: [String]) {
        self.kind = kind
        self.evidence = evidence
    }
}

/// Predicts the churn reason from a customer's order history. The first rule that fires wins,
/// in the order of `ChurnReason.Kind` (the most specific and actionable first). `hints` (from a
/// `customer.lapsed` event) name kinds to prefer when their evidence holds or when the history
/// says nothing more specific.
package struct ChurnAnalyst: Sendable {
    /// Share of orders with a discount code at or above which a customer is a discount-only buyer.
    package var discountOnlyShare: Double = 0.8

    /// An analyst with the default thresholds.
    package init() {}

    /// The reason for `orders` (oldest first); `categories` maps product ids to their category.
    package func reason(
        orders: [OrderRecord], categories: [String: String], hints: [ChurnReason.Kind] = []
    ) -> ChurnReason {
        let found = candidates(orders: orders, categories: categories)
        for hint in hints {
            if let match = found.first(where: { $0.kind == hint }) { return match }
        }
        if let first = found.first { return first }
        if let hint = hints.first { return ChurnReason(kind: hint, evidence: ["named by the lapse event"]) }
        return ChurnReason(kind: .drifted, evidence: ["no single cause in the order history"])
    }

    /// Every rule that fires, in precedence order.
    package func candidates(orders: [OrderRecord], categories: [String: String]) -> [ChurnReason] {
        var found: [ChurnReason] = []
        if let last = orders.last, !CustomerSummary.isPurchase(last) {
            let what =
                last.cancelledAt != nil ? "cancelled" : last.financialStatus == "voided" ? "voided" : "refunded"
            found.append(ChurnReason(kind: .lastOrderCancelled, evidence: ["their last order was \(what)"]))
        }
        let purchases = orders.filter(CustomerSummary.isPurchase)
        if purchases.count == 1 {
            found.append(ChurnReason(kind: .oneTimeBuyer, evidence: ["one order, no repeat purchase"]))
        }
        if !purchases.isEmpty {
            let discounted = purchases.count { !$0.discountCodes.isEmpty }
            if Double(discounted) / Double(purchases.count) >= discountOnlyShare && discounted >= 1 {
                found.append(
                    ChurnReason(
                        kind: .discountOnly,
                        evidence: ["\(discounted) of \(purchases.count) orders used a discount code"]))
            }
        }
        if purchases.count >= 3 {
            let totals = purchases.suffix(3).map(\.total.amount)
            if totals[0] > totals[1] && totals[1] > totals[2] {
                let drop = NSDecimalNumber(decimal: (totals[0] - totals[2]) / totals[0] * 100).intValue
                found.append(
                    ChurnReason(
                        kind: .fallingOrderValues,
                        evidence: ["each of the last three orders was smaller, \(drop)% down overall"]))
            }
        }
        var bought: [String: Int] = [:]
        for order in purchases {
            for line in order.lines {
                if let category = categories[line.productID], !category.isEmpty { bought[category, default: 0] += 1 }
            }
        }
        if purchases.count >= 2, bought.count == 1, let category = bought.keys.first {
            found.append(
                ChurnReason(
                    kind: .categoryWornOut,
                    evidence: ["all \(purchases.count) orders were \(category); nothing from other categories"]))
        }
        return found
    }
}
