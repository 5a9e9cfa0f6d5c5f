import Foundation

/// A customer as the commerce platform knows them, normalized from its API.
package struct CustomerRecord: Sendable {
    /// The platform's customer id, kept as a string whatever the platform's JSON type.
    package var id: String
    /// The customer's email address; nil when the platform has none.
    package var email: String?
    /// Given name as the platform stores it.
    package var firstName: String?
    /// Family name as the platform stores it.
    package var lastName: String?
    /// Email marketing consent from the platform record; `.unknown` when it says nothing.
    package var consent: MarketingConsent
    /// Platform tags or groups, lower-cased ("vip", "wholesale").
    package var tags: [String]
    /// When the platform created the customer record.
    package var createdAt: Date?
    /// IANA time zone when the platform knows one.
    package var timeZone: String?

    /// Creates a customer record from its parts.
    package init(
        id: String, email: String?, firstName: String?, lastName: String?, consent: MarketingConsent,
        tags: [String], createdAt: Date?, timeZone: String? = nil
    ) {
        self.id = id
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.consent = consent
        self.tags = tags
        self.createdAt = createdAt
        self.timeZone = timeZone
    }
}

/// An order from the platform, reduced to what profiles and recommendations need.
package struct OrderRecord: Sendable {
    /// The platform's order id, as a string.
    package var id: String
    /// The platform customer who placed the order; nil for a guest order.
    package var customerID: String?
    /// When the order was placed.
    package var createdAt: Date
    /// The order total the customer paid, tax included, in the order's currency.
    package var total: Money
    /// The order's product lines; custom items without a product id are left out.
    package var lines: [OrderLine]
    /// When the order was cancelled; nil for an order that stands.
    package var cancelledAt: Date?
    /// Discount codes used on the order.
    package var discountCodes: [String]
    /// "paid", "refunded", "partially_refunded", "pending", ...
    package var financialStatus: String?

    /// Creates an order record from its parts.
    package init(
        id: String, customerID: String?, createdAt: Date, total: Money, lines: [OrderLine],
        cancelledAt: Date?, discountCodes: [String], financialStatus: String?
    ) {
        self.id = id
        self.customerID = customerID
        self.createdAt = createdAt
        self.total = total
        self.lines = lines
        self.cancelledAt = cancelledAt
        self.discountCodes = discountCodes
        self.financialStatus = financialStatus
    }
}

/// One line of an order.
package struct OrderLine: Sendable, Hashable {
    /// The platform's product id, as a string.
    package var productID: String
    /// The product title as it appeared on the order.
    package var title: String
    /// Units of this product on the order.
    package var quantity: Int
    /// Unit price on the order, before order-level discounts.
    package var price: Money

    /// Creates an order line from its parts.
    package init(productID: String, title: String, quantity: Int, price: Money) {
        self.productID = productID
        self.title = title
        self.quantity = quantity
        self.price = price
    }
}

/// A product in the shop's catalog.
package struct Product: Sendable, Hashable {
    /// The platform's product id, as a string.
    package var id: String
    /// The product's title as the storefront shows it.
    package var title: String
    /// The product type or category, as the shop files it.
    package var category: String
    /// The list price (Shopify: the first variant's), in the shop's currency.
    package var price: Money
    /// Units available across variants; 0 or less is out of stock.
    package var inventory: Int
    /// The product page on the shop's storefront.
    package var url: String
    /// Whether the product is published and sellable.
    package var isActive: Bool

    /// Creates a product from its parts.
    package init(
        id: String, title: String, category: String, price: Money, inventory: Int, url: String, isActive: Bool
    ) {
        self.id = id
        self.title = title
        self.category = category
        self.price = price
        self.inventory = inventory
        self.url = url
        self.isActive = isActive
    }

    /// Whether a customer can buy it now.
    package var isInStock: Bool { isActive && inventory > 0 }
}

/// The shop's catalog and what its orders say about products bought together.
package struct Catalog: Sendable {
    /// Products keyed by their platform product id.
    package var products: [String: Product]
    /// Which products the shop's orders bought together.
    package var coPurchases: CoPurchaseIndex

    /// Creates a catalog from products keyed by id and their co-purchase index.
    package init(products: [String: Product], coPurchases: CoPurchaseIndex) {
        self.products = products
        self.coPurchases = coPurchases
    }

    /// The product with this platform id; nil when the catalog does not have it.
    package subscript(productID: String) -> Product? { products[productID] }
}

/// Item-to-item co-occurrence over the shop's orders: how many orders contain both products.
package struct CoPurchaseIndex: Sendable, Equatable {
    /// For each product, the products that appeared in the same orders and how often.
    package internal(set) var counts: [String: [String: Int]]
    /// How many orders contain each product.
    package internal(set) var orderCounts: [String: Int]

    /// Creates an empty index.
    package init() {
        counts = [:]
        orderCounts = [:]
    }

    /// Builds the index from orders; each order counts a pair once however many units it holds.
    package init(orders: some Sequence<OrderRecord>) {
        self.init()
        for order in orders where order.cancelledAt == nil {
            add(productIDs: order.lines.map(\.productID))
        }
    }

    /// Adds one order's products.
    package mutating func add(productIDs: [String]) {
        let distinct = Array(Set(productIDs)).sorted()
        for product in distinct {
            orderCounts[product, default: 0] += 1
        }
        for (index, first) in distinct.enumerated() {
            for second in distinct[(index + 1)...] {
                counts[first, default: [:]][second, default: 0] += 1
                counts[second, default: [:]][first, default: 0] += 1
            }
        }
    }
}
