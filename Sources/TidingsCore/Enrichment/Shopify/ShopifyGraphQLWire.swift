import Foundation

/// The Shopify Admin GraphQL response shapes Tidings reads (`ShopifyGraphQL`'s documents), as the
/// 2026-04 schema types them. Only the selected fields are declared; a missing non-null field
/// fails decoding with its JSON path.
package enum ShopifyGraphQLWire {
    /// What every response carries beside `data`: `errors` and `extensions.cost`.
    package struct Meta: Decodable, Sendable {
        /// `errors[]`; absent on success. A throttled query has one with code `THROTTLED`.
        package var errors: [GraphQLError]?
        /// `extensions`; Shopify sends the query's cost here.
        package var extensions: Extensions?
    }

    /// `errors[]`.
    package struct GraphQLError: Decodable, Sendable {
        /// `message`, for the operator ("Throttled", "Field 'x' doesn't exist ...").
        package var message: String?
        /// `extensions.code` when present (`THROTTLED`, `ACCESS_DENIED`, `MAX_COST_EXCEEDED`).
        package var extensions: ErrorExtensions?
    }

    /// `errors[].extensions`.
    package struct ErrorExtensions: Decodable, Sendable {
        /// The error's code.
        package var code: String?
    }

    /// `extensions`.
    package struct Extensions: Decodable, Sendable {
        /// `extensions.cost`.
        package var cost: Cost?
    }

    /// `extensions.cost`.
    package struct Cost: Decodable, Sendable {
        /// What the query could cost at most, charged before it runs.
        package var requestedQueryCost: Double?
        /// What it cost; null when it was throttled.
        package var actualQueryCost: Double?
        /// The bucket after the query.
        package var throttleStatus: ThrottleStatus?
    }

    /// `extensions.cost.throttleStatus`.
    package struct ThrottleStatus: Decodable, Sendable {
        /// The bucket's size in points.
        package var maximumAvailable: Double
        /// Points left now.
        package var currentlyAvailable: Double
        /// Points restored per second.
        package var restoreRate: Double
    }

    /// `{ "data": ... }` with the operation's root.
    package struct Response<Root: Decodable & Sendable>: Decodable, Sendable {
        /// `data`; null when the whole operation failed.
        package var data: Root?
    }

    /// `pageInfo`.
    package struct PageInfo: Decodable, Sendable {
        /// Whether another page follows.
        package var hasNextPage: Bool
        /// The cursor of the last node, for `after`; null on an empty page.
        package var endCursor: String?
    }

    /// A connection read with `nodes` and `pageInfo`.
    package struct Connection<Node: Decodable & Sendable>: Decodable, Sendable {
        /// `nodes[]`.
        package var nodes: [Node]
        /// `pageInfo`; absent where the document does not ask for it (nested line items).
        package var pageInfo: PageInfo?
    }

    /// `MoneyV2`: a decimal string and its currency.
    package struct MoneyV2: Decodable, Sendable {
        /// `amount`, a decimal string.
        package var amount: Wire.DecimalString
        /// `currencyCode`.
        package var currencyCode: Wire.CurrencyCode

        /// The amount as `Money`.
        package var money: Money { Money(amount.value, currencyCode.value) }
    }

    /// `MoneyBag`: the same amount in the shop's and the customer's currency.
    package struct MoneyBag: Decodable, Sendable {
        /// `shopMoney`: in the shop's currency, which our order records use (as REST's `total_price`).
        package var shopMoney: MoneyV2
        /// `presentmentMoney`: what the customer saw at checkout.
        package var presentmentMoney: MoneyV2
    }

    /// `{ customer }`.
    package struct CustomerRoot: Decodable, Sendable {
        /// Null when no customer has the id (deleted, or never existed).
        package var customer: Customer?
    }

    /// A `Customer`.
    package struct Customer: Decodable, Sendable {
        /// `id`, a gid.
        package var id: String
        /// `firstName`.
        package var firstName: String?
        /// `lastName`.
        package var lastName: String?
        /// `tags`, as the shop typed them.
        package var tags: [String]
        /// `createdAt`.
        package var createdAt: Wire.ISOTimestamp?
        /// `defaultEmailAddress`; null when the customer has none.
        package var defaultEmailAddress: EmailAddress?
        /// `amountSpent` over every order.
        package var amountSpent: MoneyV2?
        /// `numberOfOrders`, an `UnsignedInt64` sent as a string.
        package var numberOfOrders: String?
    }

    /// `CustomerEmailAddress`.
    package struct EmailAddress: Decodable, Sendable {
        /// `emailAddress`.
        package var emailAddress: String
        /// `marketingState`: SUBSCRIBED, NOT_SUBSCRIBED, PENDING, UNSUBSCRIBED, INVALID.
        package var marketingState: String
    }

    /// `{ customer { orders } }`.
    package struct CustomerOrdersRoot: Decodable, Sendable {
        /// Null when no customer has the id.
        package var customer: CustomerOrders?
    }

    /// `customer { id orders }`.
    package struct CustomerOrders: Decodable, Sendable {
        /// `orders`, one page.
        package var orders: Connection<Order>
    }

    /// `{ orders }`.
    package struct ShopOrdersRoot: Decodable, Sendable {
        /// `orders`, one page.
        package var orders: Connection<Order>
    }

    /// `{ order }`.
    package struct OrderRoot: Decodable, Sendable {
        /// Null when no order has the id.
        package var order: Order?
    }

    /// An `Order`, as `TidingsOrderFields` selects it.
    package struct Order: Decodable, Sendable {
        /// `id`, a gid.
        package var id: String
        /// `name` ("#1001").
        package var name: String
        /// `createdAt`.
        package var createdAt: Wire.ISOTimestamp
        /// `cancelledAt`; null unless cancelled.
        package var cancelledAt: Wire.ISOTimestamp?
        /// `cancelReason` (CUSTOMER, DECLINED, FRAUD, INVENTORY, STAFF, OTHER).
        package var cancelReason: String?
        /// `displayFinancialStatus` (PAID, REFUNDED, PARTIALLY_REFUNDED, ...).
        package var displayFinancialStatus: String?
        /// `currencyCode`: the shop's currency.
        package var currencyCode: Wire.CurrencyCode
        /// `discountCodes`.
        package var discountCodes: [String]
        /// `statusPageUrl`.
        package var statusPageUrl: String?
        /// `customer`; null for a guest order.
        package var customer: Reference?
        /// `shippingLine`; null without shipping.
        package var shippingLine: ShippingLine?
        /// `subtotalPriceSet`.
        package var subtotalPriceSet: MoneyBag?
        /// `totalPriceSet`.
        package var totalPriceSet: MoneyBag
        /// `totalRefundedSet`.
        package var totalRefundedSet: MoneyBag?
        /// `refunds[]`.
        package var refunds: [Refund]?
        /// `lineItems`, the first page; absent in a bulk export (a bulk query cannot nest a third
        /// connection under customers and orders), read as no lines.
        package var lineItems: Connection<LineItem>?
    }

    /// Any object read for its `id` only.
    package struct Reference: Decodable, Sendable {
        /// `id`, a gid.
        package var id: String
    }

    /// `shippingLine`.
    package struct ShippingLine: Decodable, Sendable {
        /// `title` ("Standard").
        package var title: String
    }

    /// `refunds[]`.
    package struct Refund: Decodable, Sendable {
        /// `createdAt`.
        package var createdAt: Wire.ISOTimestamp?
        /// `totalRefundedSet`.
        package var totalRefundedSet: MoneyBag
    }

    /// `lineItems.nodes[]`.
    package struct LineItem: Decodable, Sendable {
        /// `title` at the time of the order.
        package var title: String
        /// `quantity`.
        package var quantity: Int
        /// `variantTitle`.
        package var variantTitle: String?
        /// `product`; null for custom items and deleted products.
        package var product: ProductReference?
        /// `variant`; null when deleted.
        package var variant: Reference?
        /// `originalUnitPriceSet`: the unit price before discounts.
        package var originalUnitPriceSet: MoneyBag
    }

    /// `lineItems.nodes[].product`.
    package struct ProductReference: Decodable, Sendable {
        /// `id`, a gid.
        package var id: String
        /// `productType`.
        package var productType: String?
    }

    /// `{ products }`.
    package struct ProductsRoot: Decodable, Sendable {
        /// `products`, one page.
        package var products: Connection<Product>
    }

    /// A `Product`.
    package struct Product: Decodable, Sendable {
        /// `id`, a gid.
        package var id: String
        /// `title`.
        package var title: String
        /// `handle`: the storefront page is `/products/{handle}`.
        package var handle: String
        /// `productType`; may be "".
        package var productType: String?
        /// `status`: ACTIVE, ARCHIVED, DRAFT, UNLISTED.
        package var status: String
        /// `variants`, the first page.
        package var variants: Connection<Variant>
    }

    /// `variants.nodes[]`.
    package struct Variant: Decodable, Sendable {
        /// `price`, a decimal string in the shop's currency.
        package var price: Wire.DecimalString
        /// `inventoryQuantity`; null without inventory scopes, counted as 0.
        package var inventoryQuantity: Int?
    }

    /// `{ currentAppInstallation { accessScopes } }`.
    package struct AccessScopesRoot: Decodable, Sendable {
        /// `currentAppInstallation`.
        package var currentAppInstallation: Installation
    }

    /// `currentAppInstallation`.
    package struct Installation: Decodable, Sendable {
        /// `accessScopes[]`.
        package var accessScopes: [Scope]
    }

    /// `accessScopes[]`.
    package struct Scope: Decodable, Sendable {
        /// `handle` ("read_orders").
        package var handle: String
    }

    /// `{ customerByIdentifier }`.
    package struct CustomerByEmailRoot: Decodable, Sendable {
        /// The customer with the address; null when none has it.
        package var customerByIdentifier: Reference?
    }

    /// `{ customerEmailMarketingConsentUpdate }`.
    package struct ConsentUpdateRoot: Decodable, Sendable {
        /// The payload; null when the mutation failed as a whole.
        package var customerEmailMarketingConsentUpdate: ConsentUpdatePayload?
    }

    /// `CustomerEmailMarketingConsentUpdatePayload`.
    package struct ConsentUpdatePayload: Decodable, Sendable {
        /// `customer`; null when it failed.
        package var customer: Reference?
        /// `userErrors[]`.
        package var userErrors: [UserError]
    }

    /// `userErrors[]`.
    package struct UserError: Decodable, Sendable {
        /// `field` path.
        package var field: [String]?
        /// `message`.
        package var message: String
    }
}

extension ShopifyGraphQLWire {
    /// `CustomerEmailAddressMarketingState` in our model: SUBSCRIBED is consent; NOT_SUBSCRIBED,
    /// PENDING (double opt-in not confirmed), UNSUBSCRIBED and INVALID are not; anything else is
    /// unknown.
    package static func consent(_ marketingState: String) -> MarketingConsent {
        switch marketingState {
        case "SUBSCRIBED": return .subscribed
        case "NOT_SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "INVALID", "REDACTED": return .notSubscribed
        default: return .unknown
        }
    }
}

extension ShopifyGraphQLWire.Customer {
    /// The customer in our model, with the legacy numeric id webhooks use; tags lower-cased,
    /// consent from `defaultEmailAddress.marketingState` (no address means unknown).
    package func record() -> CustomerRecord {
        CustomerRecord(
            id: ShopifyGraphQL.legacyID(id), email: defaultEmailAddress?.emailAddress, firstName: firstName,
            lastName: lastName,
            consent: defaultEmailAddress.map { ShopifyGraphQLWire.consent($0.marketingState) } ?? .unknown,
            tags: tags.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty },
            createdAt: createdAt?.date)
    }
}

extension ShopifyGraphQLWire.Order {
    /// `displayFinancialStatus` as the REST API and webhooks spell it ("partially_refunded").
    package var financialStatus: String? { displayFinancialStatus?.lowercased() }

    /// The order in our model, money in the shop's currency (as the REST client's records). Lines
    /// without a product (custom items) are left out; the total still counts them.
    package func record() -> OrderRecord {
        let lines = (lineItems?.nodes ?? []).compactMap { item -> OrderLine? in
            guard let product = item.product else { return nil }
            return OrderLine(
                productID: ShopifyGraphQL.legacyID(product.id), title: item.title, quantity: item.quantity,
                price: item.originalUnitPriceSet.shopMoney.money)
        }
        return OrderRecord(
            id: ShopifyGraphQL.legacyID(id), customerID: customer.map { ShopifyGraphQL.legacyID($0.id) },
            createdAt: createdAt.date, total: totalPriceSet.shopMoney.money, lines: lines,
            cancelledAt: cancelledAt?.date, discountCodes: discountCodes, financialStatus: financialStatus)
    }

    /// The order as an order event carries it, for thin webhooks: lines with variants, totals,
    /// cancellation and the amount refunded, all in the shop's currency.
    package func placedOrder() -> PlacedOrder {
        let currency = currencyCode.value
        let lines = (lineItems?.nodes ?? []).compactMap { item -> CartItem? in
            guard let product = item.product else { return nil }
            return CartItem(
                productID: ShopifyGraphQL.legacyID(product.id),
                variantID: item.variant.map { ShopifyGraphQL.legacyID($0.id) },
                title: item.title, variantTitle: item.variantTitle, price: item.originalUnitPriceSet.shopMoney.money,
                quantity: item.quantity, category: product.productType.flatMap { $0.isEmpty ? nil : $0 })
        }
        let reason: CancelReason? = cancelReason.map { reason in
            switch reason {
            case "CUSTOMER": return .customer
            case "DECLINED": return .declined
            case "FRAUD": return .fraud
            case "INVENTORY": return .inventory
            default: return .other
            }
        }
        return PlacedOrder(
            id: ShopifyGraphQL.legacyID(id), name: name, customerID: customer.map { ShopifyGraphQL.legacyID($0.id) },
            currency: currency, lines: lines,
            subtotal: subtotalPriceSet?.shopMoney.money ?? totalPriceSet.shopMoney.money,
            total: totalPriceSet.shopMoney.money, shippingMethod: shippingLine?.title, discountCodes: discountCodes,
            createdAt: createdAt.date, financialStatus: financialStatus, cancelledAt: cancelledAt?.date,
            cancelReason: cancelledAt == nil ? nil : reason,
            refunded: totalRefundedSet?.shopMoney.money ?? Money(0, currency), statusURL: statusPageUrl)
    }
}
