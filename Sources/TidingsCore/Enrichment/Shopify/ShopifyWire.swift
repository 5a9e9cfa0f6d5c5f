import Foundation

/// The Shopify REST Admin API 2026-07 response shapes Tidings reads, as they are on the wire
/// (see ../shared/specs/shopify/rest-admin-2026-07-examples). Only the fields we use are declared;
/// everything else in a response is ignored. Optional properties are fields the API may omit or
/// send as null; a missing non-optional field fails decoding with its JSON path.
package enum ShopifyWire {
    /// `GET customers/{id}.json`.
    package struct CustomerEnvelope: Decodable, Sendable {
        /// `customer`.
        package var customer: Customer
    }

    /// A customer resource.
    package struct Customer: Decodable, Sendable {
        /// `customer.id`, a JSON integer.
        package var id: Wire.ID
        /// `customer.email`; null when the shop has none.
        package var email: String?
        /// `customer.first_name`.
        package var firstName: String?
        /// `customer.last_name`.
        package var lastName: String?
        /// Comma-separated ("VIP, newsletter").
        package var tags: String?
        /// `customer.created_at`, ISO 8601 with offset.
        package var createdAt: Wire.ISOTimestamp?
        /// `customer.email_marketing_consent`; absent on older records, read as unknown consent.
        package var emailMarketingConsent: MarketingConsentState?

        enum CodingKeys: String, CodingKey {
            case id, email, tags
            case firstName = "first_name"
            case lastName = "last_name"
            case createdAt = "created_at"
            case emailMarketingConsent = "email_marketing_consent"
        }
    }

    /// `email_marketing_consent`.
    package struct MarketingConsentState: Decodable, Sendable {
        /// subscribed, not_subscribed, pending, unsubscribed, redacted, invalid.
        package var state: String
    }

    /// `GET customers/{id}/orders.json` and `GET orders.json`.
    package struct OrdersPage: Decodable, Sendable {
        /// `orders[]`; one page, the next is in the `link` header.
        package var orders: [Order]
    }

    /// `GET orders/{id}.json` (the official sample's shape).
    package struct OrderEnvelope: Decodable, Sendable {
        /// `order`.
        package var order: Order
    }

    /// An order resource.
    package struct Order: Decodable, Sendable {
        /// `order.id`, a JSON integer.
        package var id: Wire.ID
        /// `order.created_at`, ISO 8601 with offset.
        package var createdAt: Wire.ISOTimestamp
        /// `order.currency`, ISO 4217 ("USD"); every amount of the order is in it.
        package var currency: Wire.CurrencyCode
        /// What the customer paid at checkout, shipping and tax included.
        package var totalPrice: Wire.DecimalString
        /// `order.cancelled_at`; null unless the order was cancelled.
        package var cancelledAt: Wire.ISOTimestamp?
        /// `order.financial_status` ("paid", "refunded", "partially_refunded", "pending", ...).
        package var financialStatus: String?
        /// `order.discount_codes[]`; empty or absent when no code was used.
        package var discountCodes: [DiscountCode]?
        /// `order.customer`; null for a guest order.
        package var customer: CustomerReference?
        /// `order.line_items[]`.
        package var lineItems: [LineItem]

        enum CodingKeys: String, CodingKey {
            case id, currency, customer
            case createdAt = "created_at"
            case totalPrice = "total_price"
            case cancelledAt = "cancelled_at"
            case financialStatus = "financial_status"
            case discountCodes = "discount_codes"
            case lineItems = "line_items"
        }
    }

    /// `order.discount_codes[]`.
    package struct DiscountCode: Decodable, Sendable {
        /// `discount_codes[].code`, as the customer entered it.
        package var code: String
    }

    /// `order.customer`, of which only the id matters here.
    package struct CustomerReference: Decodable, Sendable {
        /// `customer.id`, a JSON integer.
        package var id: Wire.ID
    }

    /// `order.line_items[]`.
    package struct LineItem: Decodable, Sendable {
        /// Null for custom items and deleted products.
        package var productID: Wire.ID?
        /// `line_items[].title`, the product title at the time of the order.
        package var title: String
        /// `line_items[].quantity`, units ordered.
        package var quantity: Int
        /// Unit price.
        package var price: Wire.DecimalString

        enum CodingKeys: String, CodingKey {
            case title, quantity, price
            case productID = "product_id"
        }
    }

    /// `GET products.json`.
    package struct ProductsPage: Decodable, Sendable {
        /// `products[]`; one page, the next is in the `link` header.
        package var products: [Product]
    }

    /// A product resource.
    package struct Product: Decodable, Sendable {
        /// `product.id`, a JSON integer.
        package var id: Wire.ID
        /// `product.title`.
        package var title: String
        /// `product.handle`, the URL slug: the storefront page is `/products/{handle}`.
        package var handle: String
        /// The shop's own category ("Jackets"); may be "".
        package var productType: String?
        /// active, archived or draft.
        package var status: String
        /// `product.variants[]`; the first one's price is the product's price, so it must not be empty.
        package var variants: [Variant]

        enum CodingKeys: String, CodingKey {
            case id, title, handle, status, variants
            case productType = "product_type"
        }
    }

    /// `product.variants[]`.
    package struct Variant: Decodable, Sendable {
        /// `variants[].price`, a decimal string in the shop's currency.
        package var price: Wire.DecimalString
        /// Absent when the app lacks inventory scopes; counted as 0.
        package var inventoryQuantity: Int?

        enum CodingKeys: String, CodingKey {
            case price
            case inventoryQuantity = "inventory_quantity"
        }
    }
}

extension ShopifyWire.Customer {
    /// The customer in our model: tags lower-cased and trimmed, consent from
    /// `email_marketing_consent.state` (absent means unknown).
    package func record() -> CustomerRecord {
        CustomerRecord(
            id: id.value, email: email, firstName: firstName, lastName: lastName,
            consent: emailMarketingConsent.map { ShopifyWire.consent(state: $0.state) } ?? .unknown,
            tags: ShopifyWire.tags(tags), createdAt: createdAt?.date)
    }
}

extension ShopifyWire.Order {
    /// The order in our model. Lines without a product (custom items) are left out: they can be
    /// neither categorized nor recommended; the total still counts them.
    package func record() -> OrderRecord {
        let lines = lineItems.compactMap { item -> OrderLine? in
            guard let productID = item.productID else { return nil }
            return OrderLine(
                productID: productID.value, title: item.title, quantity: item.quantity,
                price: Money(item.price.value, currency.value))
        }
        return OrderRecord(
            id: id.value, customerID: customer?.id.value, createdAt: createdAt.date,
            total: Money(totalPrice.value, currency.value), lines: lines, cancelledAt: cancelledAt?.date,
            discountCodes: (discountCodes ?? []).map(\.code), financialStatus: financialStatus)
    }
}

extension ShopifyWire {
    /// Shopify's consent states in our model; anything but `subscribed` means no marketing email.
    package static func consent(state: String) -> MarketingConsent {
        switch state {
        case "subscribed": return .subscribed
        case "not_subscribed", "unsubscribed", "redacted", "invalid", "pending": return .notSubscribed
        default: return .unknown
        }
    }

    /// "VIP, newsletter" -> ["vip", "newsletter"].
    package static func tags(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
    }
}
