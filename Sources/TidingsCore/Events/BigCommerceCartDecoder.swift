import Foundation

/// BigCommerce's `store/cart/abandoned` callback: a thin payload with the cart id only; the cart
/// and the customer come from enrichment (see shared/specs/bigcommerce/webhooks.v3.yml).
enum BigCommerceCartDecoder {
    static func decode(_ body: JSONObjectReader, headers: [String: String]) throws(InputError) -> LifecycleEvent {
        let scope = try body.string("scope")
        guard scope == "store/cart/abandoned" else {
            throw InputError(
                .unsupportedTopic, path: body.path(of: "scope"),
                reason: "scope '\(scope)' is not store/cart/abandoned")
        }
        let data = try body.object("data")
        let cartID = try data.id("id")
        let createdAt = try body.date("created_at")
        let storeHash = try body.optionalString("producer").map { $0.replacingOccurrences(of: "stores/", with: "") }
        let storeID = try body.optionalID("store_id")
        return LifecycleEvent(
            flow: .cartAbandoned,
            id: "bigcommerce:\(scope):\(cartID):\(Int(createdAt.timeIntervalSince1970))",
            occurredAt: createdAt, shop: storeHash ?? storeID ?? "unknown-store",
            customer: CustomerReference(id: nil, email: nil, firstName: nil),
            cart: .reference(cartID: cartID),
            source: EventSource(platform: .bigcommerce, topic: scope, headers: headers))
    }
}
