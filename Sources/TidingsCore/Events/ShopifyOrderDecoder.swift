import Foundation

/// Shopify's `orders/create` and `orders/cancelled` webhook body: the REST Admin order resource
/// (see shared/specs/shopify/rest-admin-2026-07-examples/order.json and order_cancel.json).
enum ShopifyOrderDecoder {
    static let topics: [String: FlowKind] = ["orders/create": .orderCreated, "orders/cancelled": .orderCancelled]

    static func decode(_ body: JSONObjectReader, topic: String, headers: [String: String]) throws(InputError)
        -> LifecycleEvent
    {
        guard let flow = topics[topic] else {
            throw InputError(
                .unsupportedTopic, path: "$.headers.X-Shopify-Topic",
                reason: "topic '\(topic)' is not an order topic (\(topics.keys.sorted().joined(separator: ", ")))")
        }
        let order = try decodeOrder(body)
        if flow == .orderCancelled, order.cancelledAt == nil {
            throw InputError(
                .missingField, path: body.path(of: "cancelled_at"),
                reason: "an orders/cancelled body needs cancelled_at")
        }
        let customer = try ShopifyCheckoutDecoder.decodeCustomer(body)
        let occurredAt = flow == .orderCancelled ? order.cancelledAt ?? order.createdAt : order.createdAt
        let shop = headers["x-shopify-shop-domain"] ?? "recorded-shop.myshopify.com"
        let eventID =
            headers["x-shopify-event-id"] ?? headers["x-shopify-webhook-id"]
            ?? "shopify:\(topic):\(order.id):\(Int(occurredAt.timeIntervalSince1970))"
        return LifecycleEvent(
            flow: flow, id: eventID, occurredAt: occurredAt, shop: shop, customer: customer,
            subject: .order(.complete(order)), source: EventSource(platform: .shopify, topic: topic, headers: headers))
    }

    /// The order resource; strict about what the flows read, tolerant of everything else.
    static func decodeOrder(_ body: JSONObjectReader) throws(InputError) -> PlacedOrder {
        let id = try body.id("id")
        // The customer's currency: what the order's emails show. Shopify's `currency` is the shop's;
        // `presentment_currency` is what the customer saw and paid in.
        let shopCurrency = try body.optionalCurrency("currency") ?? "USD"
        let currency = try body.optionalCurrency("presentment_currency") ?? shopCurrency
        func money(_ reader: JSONObjectReader, _ key: String) throws(InputError) -> Money? {
            try presentmentMoney(reader, key, currency: currency, shopCurrency: shopCurrency)
        }
        let lineReaders = try body.objects("line_items")
        guard !lineReaders.isEmpty else {
            throw InputError(
                .missingField, path: body.path(of: "line_items"), reason: "an order needs at least one line item")
        }
        var lines: [CartItem] = []
        for line in lineReaders {
            // A custom line (no product) cannot be featured or recommended against; it is left out.
            guard let productID = try line.optionalID("product_id") else { continue }
            lines.append(
                CartItem(
                    productID: productID, variantID: try line.optionalID("variant_id"),
                    title: try line.string("title"), variantTitle: try line.optionalString("variant_title"),
                    price: try required(money(line, "price"), line, "price"), quantity: try line.quantity("quantity"),
                    category: nil))
        }
        let lineTotal = lines.reduce(Money.zero(currency)) { $0 + $1.lineTotal }
        let subtotal = try money(body, "subtotal_price") ?? lineTotal
        var refunded = Money.zero(currency)
        for refund in try body.objects("refunds") {
            // Only refunds that went through count; a failed or pending one gave nothing back yet.
            for transaction in try refund.objects("transactions") {
                let kind = try transaction.optionalString("kind")
                let status = try transaction.optionalString("status")
                guard kind == "refund", status == nil || status == "success" else { continue }
                // A transaction is in the currency the customer paid in; one in another is not this order's.
                if let paid = try transaction.optionalCurrency("currency"), paid != currency {
                    throw InputError(
                        .invalidField, path: transaction.path(of: "currency"),
                        reason: "a refund in \(paid) on an order the customer paid in \(currency)")
                }
                refunded = refunded + (try transaction.money("amount", currency: currency))
            }
        }
        let reason = try body.optionalString("cancel_reason").map { text throws(InputError) -> CancelReason in
            switch text {
            case "customer": return .customer
            case "declined": return .declined
            case "fraud": return .fraud
            case "inventory": return .inventory
            case "other", "staff": return .other
            default:
                throw InputError(
                    .invalidField, path: body.path(of: "cancel_reason"),
                    reason: "'\(text)' is not one of customer, declined, fraud, inventory, other, staff")
            }
        }
        let number = try body.optionalID("order_number") ?? id
        let name = try body.optionalString("name") ?? "#\(number)"
        return PlacedOrder(
            id: id, name: name,
            customerID: try body.optionalObject("customer")?.optionalID("id"), currency: currency, lines: lines,
            subtotal: subtotal, total: try required(money(body, "total_price"), body, "total_price"),
            shippingMethod: try body.objects("shipping_lines").first?.optionalString("title"),
            discountCodes: try body.objects("discount_codes").map { reader throws(InputError) in
                try reader.string("code")
            },
            createdAt: try body.date("created_at"), financialStatus: try body.optionalString("financial_status"),
            cancelledAt: try body.optionalDate("cancelled_at"), cancelReason: reason, refunded: refunded,
            statusURL: try body.optionalString("order_status_url"),
            utcOffset: try body.optionalString("created_at").flatMap(Timestamp.utcOffset(of:)))
    }

    /// An amount in the customer's currency: `<key>_set.presentment_money` when the order has it
    /// (its currency must be the order's), else `<key>` when the customer paid in the shop's
    /// currency. An order in another currency without the `_set` is refused: its plain amounts are
    /// the shop's, and showing them with the customer's currency would state a wrong price.
    static func presentmentMoney(_ reader: JSONObjectReader, _ key: String, currency: String, shopCurrency: String)
        throws(InputError) -> Money?
    {
        if let presentment = try reader.optionalObject(key + "_set")?.optionalObject("presentment_money") {
            let code = try presentment.optionalCurrency("currency_code") ?? currency
            guard code == currency else {
                throw InputError(
                    .invalidField, path: presentment.path(of: "currency_code"),
                    reason: "\(code) differs from the order's presentment_currency \(currency)")
            }
            return try presentment.money("amount", currency: currency)
        }
        guard reader.value(key) != nil else { return nil }
        guard currency == shopCurrency else {
            throw InputError(
                .missingField, path: reader.path(of: key + "_set"),
                reason:
                    "the customer paid in \(currency), not the shop's \(shopCurrency); the amount in \(currency) is needed"
            )
        }
        return try reader.optionalMoney(key, currency: currency)
    }

    /// `value`, or a missing-field error naming `key`.
    static func required(_ value: Money?, _ reader: JSONObjectReader, _ key: String) throws(InputError) -> Money {
        guard let value else { throw reader.missing(key) }
        return value
    }
}
