import Foundation

/// What a review item keeps besides its draft so that a reviewer's decision can be carried out
/// without the event: the facts the validator checks an edited or approved draft against again,
/// and the parts of the render request that make the same email from a changed draft.
///
/// The catalog is kept only for the products the draft shows (a reviewer edits the copy, not the
/// product picks); the customer's personal values are kept so that the validator can refuse an
/// edit that quotes them. The item file already holds the recipient's address (its `.eml`), and
/// `tidings privacy erase` removes both.
package struct ReviewContext: Sendable, Codable, Hashable {
    /// A product as the draft shows it.
    package struct ProductSnapshot: Sendable, Codable, Hashable {
        var id: String
        var title: String
        var category: String
        var price: String
        var currency: String
        var inventory: Int
        var url: String
        var active: Bool
    }

    /// The offer the policy granted.
    package struct OfferSnapshot: Sendable, Codable, Hashable {
        var kind: DraftOffer.Kind
        var percent: Int
        var code: String
        var expiresAt: Date

        enum CodingKeys: String, CodingKey {
            case kind, percent, code
            case expiresAt = "expires_at"
        }
    }

    /// The prompt's id and version ("cart_abandoned@3").
    package var prompt: String
    /// The writer whose draft this is ("offline-copywriter", "openai:gpt-5-mini").
    package var writer: String
    /// The customer's tier, which reviewer roles and discount caps read.
    package var tier: String
    /// The platform customer id the unsubscribe link names.
    package var customerID: String
    /// The display name of the To header, if any (the address is in the item's `to`).
    package var recipientName: String?
    /// Whether the message is transactional.
    package var isTransactional: Bool
    /// The granted offer; nil when none.
    var offer: OfferSnapshot?
    /// The customer's first name (the validator warns when a draft does not use it).
    var firstName: String?
    /// Values that must never appear in copy: email, last name, phone, street.
    var personalData: [String]
    /// The cart's or order's item titles.
    var cartTitles: [String]
    /// The products the draft shows.
    var products: [ProductSnapshot]
    /// The line price of each product, as plain amounts in `currency`.
    var linePrices: [String: String]
    /// The customer's currency; nil when the message is about no cart or order.
    var currency: String?
    /// The customer's orders that were not cancelled, for the reviewer (the dashboard); nil for
    /// items queued before it was kept.
    package var orderCount: Int?
    /// The customer's average order, formatted for display ("$84.50"); nil without orders or
    /// for items queued before it was kept.
    package var averageOrderValue: String?

    enum CodingKeys: String, CodingKey {
        case prompt, writer, tier, offer, products, currency
        case customerID = "customer_id"
        case recipientName = "recipient_name"
        case isTransactional = "transactional"
        case firstName = "first_name"
        case personalData = "personal_data"
        case cartTitles = "cart_titles"
        case linePrices = "line_prices"
        case orderCount = "order_count"
        case averageOrderValue = "average_order_value"
    }

    /// The context of a planned message whose draft shows `products`.
    package init(message: PlannedMessage, products: [String: Product], prompt: String, writer: String) {
        self.prompt = prompt
        self.writer = writer
        tier = message.tier
        customerID = message.customerID
        recipientName = message.recipient.name
        isTransactional = message.isTransactional
        offer = message.offer.map {
            OfferSnapshot(kind: $0.kind, percent: $0.percent, code: $0.code, expiresAt: $0.expiresAt)
        }
        firstName = message.checks.firstName
        personalData = message.checks.personalData
        cartTitles = message.checks.cartTitles
        self.products = products.values.sorted { $0.id < $1.id }.map {
            ProductSnapshot(
                id: $0.id, title: $0.title, category: $0.category, price: $0.price.plainAmount,
                currency: $0.price.currency, inventory: $0.inventory, url: $0.url, active: $0.isActive)
        }
        linePrices = message.checks.linePrices.mapValues(\.plainAmount)
        currency = message.checks.currency
        orderCount = message.context.customer.orderCount
        averageOrderValue = message.context.customer.averageOrderValue
    }

    /// The products the draft may show, by id.
    package var productsByID: [String: Product] {
        var byID: [String: Product] = [:]
        for snapshot in products {
            byID[snapshot.id] = Product(
                id: snapshot.id, title: snapshot.title, category: snapshot.category,
                price: Money(parsing: snapshot.price, currency: snapshot.currency) ?? .zero(snapshot.currency),
                inventory: snapshot.inventory, url: snapshot.url, isActive: snapshot.active)
        }
        return byID
    }

    /// The line prices as money.
    package var prices: [String: Money] {
        guard let currency else { return [:] }
        return linePrices.compactMapValues { Money(parsing: $0, currency: currency) }
    }

    /// The granted offer as the validator and router read it.
    package var grantedOffer: Offer? {
        offer.map { Offer(kind: $0.kind, percent: $0.percent, code: $0.code, expiresAt: $0.expiresAt) }
    }

    /// What the validator checks a changed draft against.
    package var validatorFacts: DraftValidator.Facts {
        var facts = DraftValidator.Facts(
            catalog: Catalog(products: productsByID, coPurchases: CoPurchaseIndex(orders: [OrderRecord]())),
            offer: grantedOffer,
            tier: tier, firstName: firstName, personalData: personalData, cartTitles: cartTitles)
        facts.linePrices = prices
        facts.currency = currency
        return facts
    }
}
