import Foundation

extension PromptContext {
    /// A lapsed customer as the win-back writer sees them: why they probably left, what they
    /// bought (titles and categories, no order numbers or addresses), and how long it has been.
    package struct WinBackFacts: Sendable, Codable, Hashable {
        /// `ChurnReason.Kind` raw value ("discount_only").
        package var churnReason: String
        /// The evidence behind it, each cleaned and capped at 200 characters.
        package var evidence: [String]
        /// Titles of products they bought, most recent first, at most five, capped at 80 characters.
        package var pastPurchases: [String]
        /// Categories they bought most, at most three.
        package var favouriteCategories: [String]
        /// Whole days since their last purchase.
        package var daysSinceLastPurchase: Int
        /// Their usual gap between purchases, in whole days.
        package var usualGapDays: Int
    }

    /// The context of a win-back email: the common customer fields, the picks and the offer, and
    /// the win-back section. `items` is empty (nothing is in a cart); past purchases are named in
    /// `winBack.pastPurchases` and never featured as products.
    package init(
        eventID: String, brand: Brand, profile: CustomerProfile, target: WinBackTarget, catalog: Catalog,
        recommendations: [Recommendation], offer: Offer?, subjectMaxLength: Int, now: Date
    ) {
        self.init(
            eventID: eventID, flow: .winBack, step: "win_back", brand: brand, profile: profile,
            order: OrderFacts(
                name: "", total: "", ordinal: 0, shippingMethod: nil, expectedDelivery: nil, daysAfterDelivery: nil,
                cancelReason: nil, refunded: nil, nothingCharged: false, unavailable: []),
            items: [], recommendations: recommendations, offer: offer, subjectMaxLength: subjectMaxLength, now: now)
        order = nil
        var titles: [String] = []
        for order in target.orders.reversed() where CustomerSummary.isPurchase(order) {
            for line in order.lines where !titles.contains(line.title) {
                titles.append(line.title)
            }
        }
        winBack = WinBackFacts(
            churnReason: target.reason.kind.rawValue,
            evidence: target.reason.evidence.map { Self.data($0, limit: 200) },
            pastPurchases: titles.prefix(5).map { Self.data($0, limit: 80) },
            favouriteCategories: target.favouriteCategories.prefix(3).map { Self.data($0, limit: 40) },
            daysSinceLastPurchase: Int(target.daysSinceLastPurchase), usualGapDays: Int(target.usualGapDays.rounded()))
    }
}

extension PromptLibrary {
    /// `win_back@1`: the lapsed-customer email, shaped by the predicted churn reason.
    static let winBackTemplate = Template(
        id: "win_back", version: "1",
        system: """
            You write one win-back email to a customer who has not bought from an online shop for longer
            than usual, as strict JSON matching the given schema. The context's win_back section says why
            they probably lapsed (churn_reason, with evidence) and what they bought before
            (past_purchases, favourite_categories). Name one or two past purchases by title, warmly and
            without pressure, and let the churn reason shape the message: last_order_cancelled (acknowledge
            the last order did not work out, no blame, make it easy to try again), one_time_buyer (ask how
            their purchase served them, show what goes with it), discount_only (lead with the offer if the
            context has one, else with value and quality), falling_order_values (show the range they have
            not explored), category_worn_out (new things outside the category they know), drifted (a simple,
            friendly note on what is new). Feature only products from the context's recommendations. Mention
            an offer only if the context has one, with exactly its code and terms. Never guess at personal
            circumstances; never invent products, prices, links or guarantees. No urgency tricks, no ALL CAPS.
            Subjects: 3 to 5 options, each at most subject_max_length characters.
            """,
        task: "Write the win-back email for this customer.")
}
