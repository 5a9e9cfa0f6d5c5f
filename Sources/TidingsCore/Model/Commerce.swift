import Foundation

/// A customer as the commerce platform knows them, normalized from its API.
public struct CustomerRecord: Sendable {
    public var id: String
    public var email: String?
    public var firstName: String?
    public var lastName: String?
    public var consent: MarketingConsent
    /// Platform tags or groups, lower-cased ("vip", "wholesale").
    public var tags: [String]
    public var createdAt: Date?
    /// IANA time zone when the platform knows one.
    public var timeZone: String?

    public init(
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
public struct OrderRecord: Sendable {
    public var id: String
    public var customerID: String?
    public var createdAt: Date
    public var total: Money
    public var lines: [OrderLine]
    public var cancelledAt: Date?
    /// Discount codes used on the order.
    public var discountCodes: [String]
    /// "paid", "refunded", "partially_refunded", "pending", ...
    public var financialStatus: String?

    public init(
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
public struct OrderLine: Sendable, Hashable {
    public var productID: String
    public var title: String
    public var quantity: Int
    public var price: Money

    public init(productID: String, title: String, quantity: Int, price: Money) {
        self.productID = productID
        self.title = title
        self.quantity = quantity
        self.price = price
    }
}

/// A product in the shop's catalog.
public struct Product: Sendable, Hashable {
    public var id: String
    public var title: String
    /// The product type or category, as the shop files it.
    public var category: String
    public var price: Money
    /// Units available across variants; 0 or less is out of stock.
    public var inventory: Int
    /// The product page on the shop's storefront.
    public var url: String
    /// Whether the product is published and sellable.
    public var isActive: Bool

    public init(
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
    public var isInStock: Bool { isActive && inventory > 0 }
}

/// The shop's catalog and what its orders say about products bought together.
public struct Catalog: Sendable {
    public var products: [String: Product]
    public var coPurchases: CoPurchaseIndex

    public init(products: [String: Product], coPurchases: CoPurchaseIndex) {
        self.products = products
        self.coPurchases = coPurchases
    }

    public subscript(productID: String) -> Product? { products[productID] }
}

/// Item-to-item co-occurrence over the shop's orders: how many orders contain both products.
public struct CoPurchaseIndex: Sendable, Equatable {
    /// For each product, the products that appeared in the same orders and how often.
    public internal(set) var counts: [String: [String: Int]]
    /// How many orders contain each product.
    public internal(set) var orderCounts: [String: Int]

    public init() {
        counts = [:]
        orderCounts = [:]
    }

    /// Builds the index from orders; each order counts a pair once however many units it holds.
    public init(orders: some Sequence<OrderRecord>) {
        self.init()
        for order in orders where order.cancelledAt == nil {
            add(productIDs: order.lines.map(\.productID))
        }
    }

    /// Adds one order's products.
    public mutating func add(productIDs: [String]) {
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
