import Foundation

/// Who the customer is, learned from the platform's history. Holds the email address only for
/// delivery; prompts are built from `PromptContext`, which never carries it.
package struct CustomerProfile: Sendable {
    /// The platform's customer id; nil for a guest with no platform record.
    package var customerID: String?
    /// Given name, from the platform record when there is one, else from the event.
    package var firstName: String?
    /// Family name, from the platform record when there is one, else from the event.
    package var lastName: String?
    /// For the To header only.
    package var email: String?
    /// Email marketing consent; the platform record wins, the event's applies only when the record says nothing.
    package var consent: MarketingConsent
    /// "new", "regular", "loyal" or "vip".
    package var tier: String
    /// Orders that were not cancelled.
    package var orderCount: Int
    /// Sum of non-cancelled order totals, in the shop's currency.
    package var totalSpent: Money
    /// Mean of non-cancelled order totals; nil when there are none.
    package var averageOrderValue: Money?
    /// When the first non-cancelled order was placed; nil when there are none.
    package var firstOrderAt: Date?
    /// When the latest non-cancelled order was placed; nil when there are none.
    package var lastOrderAt: Date?
    /// Categories by units bought, most first.
    package var topCategories: [String]
    /// Every product the customer ever bought.
    package var purchasedProductIDs: Set<String>
    /// Share of orders that used a discount code, 0 to 1.
    package var discountedOrderShare: Decimal
    /// The full history, oldest first, for guards that look at orders after an event.
    package var orders: [OrderRecord]

    /// Creates a profile from its parts; `ProfileBuilder` is the usual way to make one.
    package init(
        customerID: String?, firstName: String?, lastName: String?, email: String?, consent: MarketingConsent,
        tier: String, orderCount: Int, totalSpent: Money, averageOrderValue: Money?, firstOrderAt: Date?,
        lastOrderAt: Date?, topCategories: [String], purchasedProductIDs: Set<String>,
        discountedOrderShare: Decimal, orders: [OrderRecord]
    ) {
        self.customerID = customerID
        self.firstName = firstName
        self.lastName = lastName
        self.email = email
        self.consent = consent
        self.tier = tier
        self.orderCount = orderCount
        self.totalSpent = totalSpent
        self.averageOrderValue = averageOrderValue
        self.firstOrderAt = firstOrderAt
        self.lastOrderAt = lastOrderAt
        self.topCategories = topCategories
        self.purchasedProductIDs = purchasedProductIDs
        self.discountedOrderShare = discountedOrderShare
        self.orders = orders
    }
}
