import Foundation

/// The canonical Tidings event, the shape any CDP can post:
/// `{"event":"cart.updated","triggered_at":…,"payload":{"cart_id",…,"customer":{…},"cart":{…}}}`.
enum CanonicalEventDecoder {
    static let cartEvents: Set<String> = ["cart.updated", "cart.abandoned"]

    static func decode(_ root: JSONObjectReader, headers: [String: String]) throws(InputError) -> LifecycleEvent {
        let name = try root.string("event")
        guard cartEvents.contains(name) else {
            throw InputError(
                .unsupportedTopic, path: root.path(of: "event"),
                reason: "event '\(name)' is not a cart event (\(cartEvents.sorted().joined(separator: ", ")))")
        }
        let triggeredAt = try root.date("triggered_at")
        let payload = try root.object("payload")
        let cartID = try payload.id("cart_id")
        let customerReader = try payload.object("customer")
        let cartReader = try payload.object("cart")
        let currency = try cartReader.optionalString("currency") ?? "USD"

        var items: [CartItem] = []
        for item in try cartReader.objects("items") {
            let quantity = try item.quantity("quantity")
            items.append(
                CartItem(
                    productID: try item.id("product_id"), variantID: try item.optionalID("variant_id"),
                    title: try item.string("title"), variantTitle: try item.optionalString("variant_title"),
                    price: try item.money("price", currency: currency), quantity: quantity,
                    category: try item.optionalString("category")))
        }
        guard !items.isEmpty else {
            throw InputError(
                .missingField, path: cartReader.path(of: "items"), reason: "a cart needs at least one item")
        }
        let itemsTotal = items.reduce(Money.zero(currency)) { $0 + $1.lineTotal }
        let total = try cartReader.optionalMoney("total_value", currency: currency) ?? itemsTotal
        let abandonedAt = try cartReader.optionalDate("abandoned_at") ?? triggeredAt
        let cart = Cart(
            id: cartID, items: items, currency: currency, subtotal: itemsTotal,
            shipping: try cartReader.optionalMoney("shipping", currency: currency), total: total,
            discountCodes: try cartReader.strings("discount_codes_failed").map {
                DiscountAttempt(code: $0, amount: .zero(currency))
            },
            recoveryURL: try cartReader.optionalString("recovery_url"), completedAt: nil, abandonedAt: abandonedAt)

        var consent = MarketingConsent.unknown
        if let state = try customerReader.optionalString("marketing_consent") {
            consent = state == "subscribed" ? .subscribed : .notSubscribed
        } else if let accepts = try customerReader.optionalBool("accepts_marketing") {
            consent = accepts ? .subscribed : .notSubscribed
        }
        let customer = CustomerReference(
            id: try customerReader.id("id"), email: try customerReader.optionalEmail("email"),
            firstName: try customerReader.optionalString("first_name"),
            lastName: try customerReader.optionalString("last_name"), consent: consent,
            tier: try customerReader.optionalString("loyalty_tier")?.lowercased(),
            statedOrderCount: try customerReader.optionalInt("total_orders"))

        let eventID =
            try root.optionalString("event_id") ?? headers["x-tidings-event-id"]
            ?? "canonical:\(name):\(cartID):\(Int(triggeredAt.timeIntervalSince1970))"
        return LifecycleEvent(
            flow: .cartAbandoned, id: eventID, occurredAt: abandonedAt,
            shop: try root.optionalString("source") ?? "canonical", customer: customer, cart: .complete(cart),
            source: EventSource(platform: .canonical, topic: name, headers: headers))
    }
}
