import Foundation

/// An order in an event: complete when the webhook carries it (Shopify), or a reference that
/// enrichment resolves (BigCommerce's thin callbacks).
package enum OrderSubject: Sendable {
    /// The whole order, as Shopify's order webhooks and the canonical events carry it.
    case complete(PlacedOrder)
    /// Only the id, and the status change when the callback reports one.
    case reference(orderID: String, statusChange: OrderStatusChange?)

    /// The order id in either form.
    package var orderID: String {
        switch self {
        case .complete(let order): return order.id
        case .reference(let orderID, _): return orderID
        }
    }
}

/// A BigCommerce status change as `store/order/statusUpdated` reports it (V2 status ids).
package struct OrderStatusChange: Sendable, Hashable {
    /// The status before ("11" Awaiting Fulfillment, "6" Declined, ...).
    package var previousStatusID: Int
    /// The status after (5 is Cancelled).
    package var newStatusID: Int

    /// Creates a status change from the two V2 status ids.
    package init(previousStatusID: Int, newStatusID: Int) {
        self.previousStatusID = previousStatusID
        self.newStatusID = newStatusID
    }
}

/// Why an order was cancelled, as the platform states it or as Tidings infers it.
package enum CancelReason: String, Sendable, Codable, CaseIterable {
    /// The customer asked for it.
    case customer
    /// The payment was declined.
    case declined
    /// The shop suspected fraud.
    case fraud
    /// Items were out of stock.
    case inventory
    /// Anything else (Shopify's "other" and "staff").
    case other
}

/// A placed order as an order event carries it: lines with titles and variants, money, status,
/// and, for a cancellation, why and what was refunded.
package struct PlacedOrder: Sendable {
    /// The platform's order id, as a string.
    package var id: String
    /// The name customers see ("#1001"); the number when the platform has no name.
    package var name: String
    /// The customer who placed it; nil for a guest order.
    package var customerID: String?
    /// ISO 4217 currency shared by every amount.
    package var currency: String
    /// The order's lines.
    package var lines: [CartItem]
    /// Sum of the lines before discounts, shipping and tax.
    package var subtotal: Money
    /// What the customer paid or was charged.
    package var total: Money
    /// The shipping method's title ("Standard", "Express"); nil for no shipping.
    package var shippingMethod: String?
    /// Discount codes used on the order.
    package var discountCodes: [String]
    /// When it was placed.
    package var createdAt: Date
    /// "paid", "pending", "refunded", "voided", ...; nil when not stated.
    package var financialStatus: String?
    /// False for BigCommerce's incomplete orders (status 0), which must get no thank-you.
    package var isComplete: Bool
    /// When it was cancelled; nil when it stands.
    package var cancelledAt: Date?
    /// Why it was cancelled; nil when it stands.
    package var cancelReason: CancelReason?
    /// What has been refunded so far.
    package var refunded: Money
    /// The platform's order-status page for the customer, when it has one.
    package var statusURL: String?
    /// The offset from UTC (seconds) the order's own timestamp was written with: the shop's local
    /// time, which follow-up messages are scheduled in. Nil when the platform states none.
    package var utcOffset: Int?

    /// Creates a placed order from its parts.
    package init(
        id: String, name: String, customerID: String?, currency: String, lines: [CartItem], subtotal: Money,
        total: Money, shippingMethod: String?, discountCodes: [String], createdAt: Date, financialStatus: String?,
        isComplete: Bool = true, cancelledAt: Date? = nil, cancelReason: CancelReason? = nil, refunded: Money,
        statusURL: String? = nil, utcOffset: Int? = nil
    ) {
        self.utcOffset = utcOffset
        self.id = id
        self.name = name
        self.customerID = customerID
        self.currency = currency
        self.lines = lines
        self.subtotal = subtotal
        self.total = total
        self.shippingMethod = shippingMethod
        self.discountCodes = discountCodes
        self.createdAt = createdAt
        self.financialStatus = financialStatus
        self.isComplete = isComplete
        self.cancelledAt = cancelledAt
        self.cancelReason = cancelReason
        self.refunded = refunded
        self.statusURL = statusURL
    }

    /// Whether a refund was issued. A voided authorization is not one: nothing was charged.
    package var isRefunded: Bool {
        refunded.amount > 0 || ["refunded", "partially_refunded"].contains(financialStatus ?? "")
    }
}
