import Foundation

/// Who the customer is, learned from the platform's history. Holds the email address only for
/// delivery; prompts are built from `PromptContext`, which never carries it.
public struct CustomerProfile: Sendable {
    /// The platform's customer id; nil for a guest with no platform record.
    public var customerID: String?
    /// Given name, from the platform record when there is one, else from the event.
    public var firstName: String?
    /// Family name, from the platform record when there is one, else from the event.
    public var lastName: String?
    /// For the To header only.
    public var email: String?
    /// Email marketing consent; the platform record wins, the event's applies only when the record says nothing.
    public var consent: MarketingConsent
    /// "new", "regular", "loyal" or "vip".
    public var tier: String
    /// Orders that were not cancelled.
    public var orderCount: Int
    /// Sum of non-cancelled order totals, in the shop's currency.
    public var totalSpent: Money
    /// Mean of non-cancelled order totals; nil when there are none.
    public var averageOrderValue: Money?
    /// When the first non-cancelled order was placed; nil when there are none.
    public var firstOrderAt: Date?
    /// When the latest non-cancelled order was placed; nil when there are none.
    public var lastOrderAt: Date?
    /// Categories by units bought, most first.
    public var topCategories: [String]
    /// Every product the customer ever bought.
    public var purchasedProductIDs: Set<String>
    /// Share of orders that used a discount code, 0 to 1.
    public var discountedOrderShare: Decimal
    /// The full history, oldest first, for guards that look at orders after an event.
    public var orders: [OrderRecord]

    /// Creates a profile from its parts; `ProfileBuilder` is the usual way to make one.
    public init(
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
