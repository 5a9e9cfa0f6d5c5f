import Foundation

/// The canonical Tidings event, the shape any CDP can post:
/// `{"event":"cart.updated","triggered_at":…,"payload":{"cart_id",…,"customer":{…},"cart":{…}}}`, and
/// for orders `{"event":"order.created","triggered_at":…,"payload":{"order_id",…,"customer":{…},"order":{…}}}`.
enum CanonicalEventDecoder {
    static let cartEvents: Set<String> = ["cart.updated", "cart.abandoned"]
    static let orderEvents: [String: FlowKind] = ["order.created": .orderCreated, "order.cancelled": .orderCancelled]

    static func decode(_ root: JSONObjectReader, headers: [String: String]) throws(InputError) -> LifecycleEvent {
        let name = try root.string("event")
        if let flow = orderEvents[name] {
            return try decodeOrder(root, name: name, flow: flow, headers: headers)
        }
        if let event = try WinBackEventDecoder.decodeCanonical(root, name: name, headers: headers) {
            return event
        }
        guard cartEvents.contains(name) else {
            let known =
                (cartEvents.sorted() + orderEvents.keys.sorted() + [
                    WinBackEventDecoder.lapsedEvent, WinBackEventDecoder.scheduleEvent,
                ]).joined(separator: ", ")
            throw InputError(
                .unsupportedTopic, path: root.path(of: "event"), reason: "event '\(name)' is not one of \(known)")
        }
        let triggeredAt = try root.date("triggered_at")
        let payload = try root.object("payload")
        let cartID = try payload.id("cart_id")
        let customerReader = try payload.object("customer")
        let cartReader = try payload.object("cart")
        let currency = try cartReader.optionalCurrency("currency") ?? "USD"

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

        let customer = try decodeCustomer(customerReader)
        let eventID =
            try root.optionalString("event_id") ?? headers["x-tidings-event-id"]
            ?? "canonical:\(name):\(cartID):\(Int(triggeredAt.timeIntervalSince1970))"
        return LifecycleEvent(
            flow: .cartAbandoned, id: eventID, occurredAt: abandonedAt,
            shop: try root.optionalString("source") ?? "canonical", customer: customer, cart: .complete(cart),
            source: EventSource(platform: .canonical, topic: name, headers: headers))
    }

    /// `order.created` / `order.cancelled`: the order's lines, money and, for a cancellation, why
    /// and what was refunded.
    static func decodeOrder(_ root: JSONObjectReader, name: String, flow: FlowKind, headers: [String: String])
        throws(InputError) -> LifecycleEvent
    {
        let triggeredAt = try root.date("triggered_at")
        let payload = try root.object("payload")
        let orderID = try payload.id("order_id")
        let customer = try decodeCustomer(try payload.object("customer"))
        let orderReader = try payload.object("order")
        let currency = try orderReader.optionalCurrency("currency") ?? "USD"
        var items: [CartItem] = []
        for item in try orderReader.objects("items") {
            items.append(
                CartItem(
                    productID: try item.id("product_id"), variantID: try item.optionalID("variant_id"),
                    title: try item.string("title"), variantTitle: try item.optionalString("variant_title"),
                    price: try item.money("price", currency: currency), quantity: try item.quantity("quantity"),
                    category: try item.optionalString("category")))
        }
        guard !items.isEmpty else {
            throw InputError(
                .missingField, path: orderReader.path(of: "items"), reason: "an order needs at least one item")
        }
        let itemsTotal = items.reduce(Money.zero(currency)) { $0 + $1.lineTotal }
        let cancelReason = try orderReader.optionalString("cancel_reason").map { text throws(InputError) in
            guard let reason = CancelReason(rawValue: text) else {
                throw InputError(
                    .invalidField, path: orderReader.path(of: "cancel_reason"),
                    reason:
                        "'\(text)' is not one of \(CancelReason.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return reason
        }
        let cancelledAt = try orderReader.optionalDate("cancelled_at")
        let createdText = try orderReader.optionalString("created_at")
        let statedTime = createdText == nil ? try root.optionalString("triggered_at") : createdText
        if flow == .orderCancelled, cancelReason == nil {
            throw InputError(
                .missingField, path: orderReader.path(of: "cancel_reason"),
                reason: "an order.cancelled event needs the reason")
        }
        let order = PlacedOrder(
            id: orderID, name: try orderReader.optionalString("name") ?? "#\(orderID)", customerID: customer.id,
            currency: currency, lines: items, subtotal: itemsTotal,
            total: try orderReader.optionalMoney("total", currency: currency) ?? itemsTotal,
            shippingMethod: try orderReader.optionalString("shipping_method"),
            discountCodes: try orderReader.strings("discount_codes"),
            createdAt: try orderReader.optionalDate("created_at") ?? triggeredAt,
            financialStatus: try orderReader.optionalString("financial_status"),
            cancelledAt: flow == .orderCancelled ? cancelledAt ?? triggeredAt : nil, cancelReason: cancelReason,
            refunded: try orderReader.optionalMoney("refunded_amount", currency: currency) ?? .zero(currency),
            utcOffset: statedTime.flatMap(Timestamp.utcOffset(of:)))
        let occurredAt = flow == .orderCancelled ? order.cancelledAt ?? triggeredAt : order.createdAt
        let eventID =
            try root.optionalString("event_id") ?? headers["x-tidings-event-id"]
            ?? "canonical:\(name):\(orderID):\(Int(triggeredAt.timeIntervalSince1970))"
        return LifecycleEvent(
            flow: flow, id: eventID, occurredAt: occurredAt, shop: try root.optionalString("source") ?? "canonical",
            customer: customer, subject: .order(.complete(order)),
            source: EventSource(platform: .canonical, topic: name, headers: headers))
    }

    static func decodeCustomer(_ customerReader: JSONObjectReader) throws(InputError) -> CustomerReference {
        var consent = MarketingConsent.unknown
        if let state = try customerReader.optionalString("marketing_consent") {
            consent = state == "subscribed" ? .subscribed : .notSubscribed
        } else if let accepts = try customerReader.optionalBool("accepts_marketing") {
            consent = accepts ? .subscribed : .notSubscribed
        }
        var reference = CustomerReference(
            id: try customerReader.id("id"), email: try customerReader.optionalEmail("email"),
            firstName: try customerReader.optionalString("first_name"),
            lastName: try customerReader.optionalString("last_name"), consent: consent,
            tier: try customerReader.optionalString("loyalty_tier")?.lowercased(),
            statedOrderCount: try customerReader.optionalInt("total_orders"))
        if let zone = try customerReader.optionalString("time_zone") {
            guard TimeZone(identifier: zone) != nil else {
                throw InputError(
                    .invalidField, path: customerReader.path(of: "time_zone"),
                    reason: "'\(zone.prefix(60))' is not an IANA time zone such as America/Chicago")
            }
            reference.timeZone = zone
        }
        return reference
    }
}
