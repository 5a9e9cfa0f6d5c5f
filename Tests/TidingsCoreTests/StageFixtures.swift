import Foundation

@testable import TidingsCore

/// Small in-memory values for stage tests.
enum StageFixtures {
    static let now = Timestamp.parse("2026-11-21T12:00:00Z")!

    static func usd(_ text: String) -> Money { Money(parsing: text, currency: "USD")! }

    static func product(_ id: String, _ title: String, _ category: String, _ price: String, inventory: Int = 10)
        -> Product
    {
        Product(
            id: id, title: title, category: category, price: usd(price), inventory: inventory,
            url: "https://northwind.example/products/\(id)", isActive: true)
    }

    static let products: [Product] = [
        product("boot", "Trail Boot", "Boots", "179.00"),
        product("sock", "Merino Sock", "Socks", "22.00"),
        product("liner", "Liner Sock", "Socks", "18.00"),
        product("gone", "Sold-out Sock", "Socks", "20.00", inventory: 0),
        product("tent", "Basecamp Tent", "Tents", "349.00"),
        product("lamp", "Headlamp", "Headlamps", "49.00"),
    ]

    static func order(
        _ id: String, _ productIDs: [String], total: String = "50.00", at: String = "2025-06-01T10:00:00Z",
        cancelled: Bool = false, codes: [String] = []
    ) -> OrderRecord {
        OrderRecord(
            id: id, customerID: "c1", createdAt: Timestamp.parse(at)!, total: usd(total),
            lines: productIDs.map { OrderLine(productID: $0, title: $0, quantity: 1, price: usd("10.00")) },
            cancelledAt: cancelled ? Timestamp.parse(at)! : nil, discountCodes: codes, financialStatus: "paid")
    }

    static let shopOrders: [OrderRecord] = [
        order("o1", ["boot", "sock"]), order("o2", ["boot", "sock", "lamp"]), order("o3", ["boot", "gone"]),
        order("o4", ["boot", "liner"]), order("o5", ["tent", "lamp"]), order("o6", ["boot", "tent"], cancelled: true),
    ]

    static let catalog = Catalog(
        products: Dictionary(uniqueKeysWithValues: products.map { ($0.id, $0) }),
        coPurchases: CoPurchaseIndex(orders: shopOrders))

    static func cart(
        _ items: [CartItem], shipping: String? = nil, codes: [DiscountAttempt] = [],
        abandonedAt: Date = now.addingTimeInterval(-2 * 3600)
    ) -> Cart {
        let subtotal = items.reduce(Money.zero("USD")) { $0 + $1.lineTotal }
        return Cart(
            id: "cart-1", items: items, currency: "USD", subtotal: subtotal, shipping: shipping.map(usd),
            total: subtotal + (shipping.map(usd) ?? .zero("USD")), discountCodes: codes,
            recoveryURL: "https://northwind.example/checkouts/abc/recover", completedAt: nil, abandonedAt: abandonedAt)
    }

    static func item(_ id: String, variant: String? = nil, price: String = "179.00", quantity: Int = 1) -> CartItem {
        let title = products.first { $0.id == id }?.title ?? id
        return CartItem(
            productID: id, variantID: variant.map { "\(id)-\($0)" }, title: title, variantTitle: variant,
            price: usd(price),
            quantity: quantity, category: products.first { $0.id == id }?.category)
    }

    static func profile(
        orders: [OrderRecord] = [], tier: String? = nil, consent: MarketingConsent = .subscribed,
        tags: [String] = []
    ) -> CustomerProfile {
        let record = CustomerRecord(
            id: "c1", email: "casey.jordan@example.com", firstName: "Casey", lastName: "Jordan", consent: consent,
            tags: tags, createdAt: nil)
        return ProfileBuilder().build(
            reference: CustomerReference(id: "c1", email: nil, firstName: nil, tier: tier), record: record,
            orders: orders,
            catalog: catalog, currency: "USD")
    }

    static func event(cart: Cart, id: String = "evt-1", occurredAt: Date? = nil) -> LifecycleEvent {
        LifecycleEvent(
            flow: .cartAbandoned, id: id, occurredAt: occurredAt ?? cart.abandonedAt, shop: "test",
            customer: CustomerReference(id: "c1", email: "casey.jordan@example.com", firstName: "Casey"),
            cart: .complete(cart), source: EventSource(platform: .canonical, topic: "cart.updated"))
    }
}
