import Foundation

/// Shopify's `checkouts/create` and `checkouts/update` webhook body: the REST Admin checkout
/// resource (see shared/specs/shopify/rest-admin-2026-07-examples/abandoned_checkouts.json).
enum ShopifyCheckoutDecoder {
    static let topics: Set<String> = ["checkouts/update", "checkouts/create"]

    static func decode(_ body: JSONObjectReader, topic: String, headers: [String: String]) throws(InputError)
        -> LifecycleEvent
    {
        guard topics.contains(topic) else {
            throw InputError(
                .unsupportedTopic, path: "$.headers.X-Shopify-Topic",
                reason:
                    "topic '\(topic)' is not an abandoned-checkout topic (\(topics.sorted().joined(separator: ", ")))")
        }
        let checkoutID = try body.id("id")
        // A checkout's amounts are in the currency the customer shops in (`presentment_currency`).
        let shopCurrency = try body.optionalCurrency("currency") ?? "USD"
        let currency = try body.optionalCurrency("presentment_currency") ?? shopCurrency
        let updatedAt = try body.date("updated_at")

        let lineReaders = try body.objects("line_items")
        guard !lineReaders.isEmpty else {
            throw InputError(
                .missingField, path: body.path(of: "line_items"),
                reason: "an abandoned checkout needs at least one line item")
        }
        var items: [CartItem] = []
        for line in lineReaders {
            let quantity = try line.quantity("quantity")
            items.append(
                CartItem(
                    productID: try line.id("product_id"), variantID: try line.optionalID("variant_id"),
                    title: try line.string("title"), variantTitle: try line.optionalString("variant_title"),
                    price: try line.money("price", currency: currency), quantity: quantity, category: nil))
        }
        let lineTotal = items.reduce(Money.zero(currency)) { $0 + $1.lineTotal }
        let subtotal = try body.optionalMoney("total_line_items_price", currency: currency) ?? lineTotal
        var shipping: Money?
        for line in try body.objects("shipping_lines") {
            shipping = (shipping ?? .zero(currency)) + (try line.money("price", currency: currency))
        }
        let codes = try body.objects("discount_codes").map { reader throws(InputError) in
            DiscountAttempt(
                code: try reader.string("code"),
                amount: try reader.optionalMoney("amount", currency: currency) ?? .zero(currency))
        }
        let cart = Cart(
            id: try body.optionalString("token") ?? checkoutID, items: items, currency: currency,
            subtotal: subtotal, shipping: shipping,
            total: try body.optionalMoney("total_price", currency: currency) ?? subtotal,
            discountCodes: codes, recoveryURL: try body.optionalString("abandoned_checkout_url"),
            completedAt: try body.optionalDate("completed_at"), abandonedAt: updatedAt)

        let customer = try decodeCustomer(body)
        let shop = headers["x-shopify-shop-domain"] ?? "recorded-shop.myshopify.com"
        let eventID =
            headers["x-shopify-event-id"] ?? headers["x-shopify-webhook-id"]
            ?? "shopify:checkout:\(checkoutID):\(Int(updatedAt.timeIntervalSince1970))"
        return LifecycleEvent(
            flow: .cartAbandoned, id: eventID, occurredAt: updatedAt, shop: shop, customer: customer,
            cart: .complete(cart), source: EventSource(platform: .shopify, topic: topic, headers: headers))
    }

    /// The customer block, or a guest built from the checkout's own contact fields.
    static func decodeCustomer(_ body: JSONObjectReader) throws(InputError) -> CustomerReference {
        let acceptsMarketing = try body.optionalBool("buyer_accepts_marketing")
        let checkoutConsent: MarketingConsent =
            acceptsMarketing.map { $0 ? .subscribed : .notSubscribed } ?? .unknown
        let billing = try body.optionalObject("billing_address")
        guard let customer = try body.optionalObject("customer") else {
            guard let email = try body.optionalEmail("email") else {
                throw InputError(
                    .missingField, path: body.path(of: "customer"),
                    reason: "a checkout needs a customer or at least an email to write to")
            }
            var guest = CustomerReference(
                id: nil, email: email, firstName: try billing?.optionalString("first_name"),
                lastName: try billing?.optionalString("last_name"), consent: checkoutConsent)
            guest.region = try region(body)
            return guest
        }
        var consent = checkoutConsent
        if let state = try customer.optionalObject("email_marketing_consent")?.optionalString("state") {
            consent = state == "subscribed" ? .subscribed : .notSubscribed
        }
        let checkoutEmail = try body.optionalEmail("email")
        let billingFirstName = try billing?.optionalString("first_name")
        var reference = CustomerReference(
            id: try customer.id("id"), email: try customer.optionalEmail("email") ?? checkoutEmail,
            firstName: try customer.optionalString("first_name") ?? billingFirstName,
            lastName: try customer.optionalString("last_name"), consent: consent)
        reference.region = try region(body)
        return reference
    }

    /// The customer's country and province, for their time zone: the shipping address's, else the
    /// billing address's, else the customer's default address (Shopify's `country_code` and
    /// `province_code`); nil when none names a country.
    static func region(_ body: JSONObjectReader) throws(InputError) -> CustomerRegion? {
        let addresses = [
            try body.optionalObject("shipping_address"), try body.optionalObject("billing_address"),
            try body.optionalObject("customer")?.optionalObject("default_address"),
        ]
        for case let address? in addresses {
            guard let country = try address.optionalString("country_code"), !country.isEmpty else { continue }
            let province = try address.optionalString("province_code")
            return CustomerRegion(countryCode: country, provinceCode: province?.isEmpty == true ? nil : province)
        }
        return nil
    }
}
