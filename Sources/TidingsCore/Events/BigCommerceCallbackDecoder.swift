import Foundation

/// BigCommerce's thin callbacks (see shared/specs/bigcommerce/webhooks.v3.yml): `store/cart/abandoned`
/// carries the cart id, `store/order/created` and `store/order/statusUpdated` the order id (and the
/// status change); the cart or order and the customer come from enrichment.
enum BigCommerceCallbackDecoder {
    static let scopes = ["store/cart/abandoned", "store/order/created", "store/order/statusUpdated"]

    static func decode(_ body: JSONObjectReader, headers: [String: String]) throws(InputError) -> LifecycleEvent {
        let scope = try body.string("scope")
        switch scope {
        case "store/cart/abandoned": return try decodeCart(body, scope: scope, headers: headers)
        case "store/order/created", "store/order/statusUpdated":
            return try decodeOrder(body, scope: scope, headers: headers)
        default:
            throw InputError(
                .unsupportedTopic, path: body.path(of: "scope"),
                reason: "scope '\(scope)' is not one of \(scopes.joined(separator: ", "))")
        }
    }

    static func decodeOrder(_ body: JSONObjectReader, scope: String, headers: [String: String]) throws(InputError)
        -> LifecycleEvent
    {
        let data = try body.object("data")
        let orderID = try data.id("id")
        let createdAt = try body.date("created_at")
        var change: OrderStatusChange?
        if scope == "store/order/statusUpdated" {
            let status = try data.object("status")
            change = OrderStatusChange(
                previousStatusID: try status.int("previous_status_id"), newStatusID: try status.int("new_status_id"))
        }
        return LifecycleEvent(
            flow: scope == "store/order/created" ? .orderCreated : .orderCancelled,
            id: headers["webhook-id"]
                ?? "bigcommerce:\(scope):\(orderID):\(change.map { "\($0.newStatusID):" } ?? "")\(Int(createdAt.timeIntervalSince1970))",
            occurredAt: createdAt, shop: try storeName(body),
            customer: CustomerReference(id: nil, email: nil, firstName: nil),
            subject: .order(.reference(orderID: orderID, statusChange: change)),
            source: EventSource(platform: .bigcommerce, topic: scope, headers: headers))
    }

    static func storeName(_ body: JSONObjectReader) throws(InputError) -> String {
        let storeHash = try body.optionalString("producer").map { $0.replacingOccurrences(of: "stores/", with: "") }
        if let storeHash { return storeHash }
        return try body.optionalID("store_id") ?? "unknown-store"
    }

    static func decodeCart(_ body: JSONObjectReader, scope: String, headers: [String: String]) throws(InputError)
        -> LifecycleEvent
    {
        let data = try body.object("data")
        let cartID = try data.id("id")
        let createdAt = try body.date("created_at")
        return LifecycleEvent(
            flow: .cartAbandoned,
            id: "bigcommerce:\(scope):\(cartID):\(Int(createdAt.timeIntervalSince1970))",
            occurredAt: createdAt, shop: try storeName(body),
            customer: CustomerReference(id: nil, email: nil, firstName: nil),
            cart: .reference(cartID: cartID),
            source: EventSource(platform: .bigcommerce, topic: scope, headers: headers))
    }
}
