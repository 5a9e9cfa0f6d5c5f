import Foundation

/// The lifecycle use case an event belongs to; one handler executable per case.
public enum FlowKind: String, Sendable, Codable, CaseIterable {
    case cartAbandoned
    case orderCreated
    case orderCancelled
    case winBack
}

/// Which system produced an event.
package enum EventPlatform: String, Sendable, Codable {
    case shopify
    case bigcommerce
    case adobeCommerce = "adobe_commerce"
    case canonical
}

/// What happened, normalized: the one shape every flow reads, whatever platform sent it.
package struct LifecycleEvent: Sendable {
    /// The flow this event starts.
    package var flow: FlowKind
    /// The platform's own id for this delivery or event; the key of the duplicate guard.
    package var id: String
    /// When the thing itself happened (for a cart: the last activity before it was abandoned).
    package var occurredAt: Date
    /// The shop: a Shopify domain, a BigCommerce store hash, or the canonical source's name.
    package var shop: String
    /// Who the event is about, as far as the payload tells.
    package var customer: CustomerReference
    /// What the event is about: a cart or an order, complete or as a reference enrichment resolves.
    package var subject: EventSubject
    /// Where the event came from: platform, topic and the delivery's headers.
    package var source: EventSource

    /// Creates an event from its parts; decoders build these from platform payloads.
    package init(
        flow: FlowKind, id: String, occurredAt: Date, shop: String, customer: CustomerReference,
        subject: EventSubject, source: EventSource
    ) {
        self.flow = flow
        self.id = id
        self.occurredAt = occurredAt
        self.shop = shop
        self.customer = customer
        self.subject = subject
        self.source = source
    }

    /// Creates a cart event; the form the cart decoders use.
    package init(
        flow: FlowKind, id: String, occurredAt: Date, shop: String, customer: CustomerReference,
        cart: CartSubject, source: EventSource
    ) {
        self.init(
            flow: flow, id: id, occurredAt: occurredAt, shop: shop, customer: customer, subject: .cart(cart),
            source: source)
    }

    /// The cart this event concerns; nil when it is about something else.
    package var cart: CartSubject? {
        if case .cart(let cart) = subject { return cart }
        return nil
    }

    /// The order this event concerns; nil when it is about something else.
    package var order: OrderSubject? {
        if case .order(let order) = subject { return order }
        return nil
    }
}

/// What an event is about. Each flow reads the case it handles; the others are bad input for it.
package enum EventSubject: Sendable {
    /// An abandoned cart or checkout.
    case cart(CartSubject)
    /// A placed or cancelled order.
    case order(OrderSubject)
    /// A customer reported as lapsed (win-back).
    case lapsedCustomer(LapsedCustomerSubject)
    /// A scheduled win-back scan of the customer base.
    case scan(WinBackScanSubject)

    /// "cart" or "order", for the audit.
    package var kind: String {
        switch self {
        case .cart: return "cart"
        case .order: return "order"
        case .lapsedCustomer: return "lapsed_customer"
        case .scan: return "scan"
        }
    }

    /// The platform's id of the cart or order.
    package var id: String {
        switch self {
        case .cart(let cart): return cart.cartID
        case .order(let order): return order.orderID
        case .lapsedCustomer(let lapsed): return lapsed.customerID
        case .scan: return "customer_base"
        }
    }
}

/// Where an event came from and how it arrived.
package struct EventSource: Sendable {
    /// The platform that produced the payload.
    package var platform: EventPlatform
    /// The platform's topic or event name ("checkouts/update", "store/cart/abandoned", "cart.updated").
    package var topic: String
    /// The delivery headers, names lower-cased; empty for a bare body.
    package var headers: [String: String]

    /// Creates a source; pass the delivery headers with lower-cased names.
    package init(platform: EventPlatform, topic: String, headers: [String: String] = [:]) {
        self.platform = platform
        self.topic = topic
        self.headers = headers
    }
}

/// Marketing consent as the platform states it.
package enum MarketingConsent: String, Sendable, Codable {
    case subscribed
    case notSubscribed = "not_subscribed"
    case unknown
}

/// The customer as the event names them. Enrichment completes it from the platform.
package struct CustomerReference: Sendable {
    /// The platform's customer id; nil for a guest checkout.
    package var id: String?
    /// The email address the payload carries; nil when it has none.
    package var email: String?
    /// Given name from the payload, if any.
    package var firstName: String?
    /// Family name from the payload, if any.
    package var lastName: String?
    /// Consent as the payload states it; `.unknown` when it says nothing.
    package var consent: MarketingConsent
    /// A loyalty tier the payload states ("vip"); enrichment derives one when absent.
    package var tier: String?
    /// An order count the payload states (canonical events); the platform's history wins.
    package var statedOrderCount: Int?
    /// Where the payload's address puts the customer (a checkout's or order's shipping address,
    /// else its billing address), for their time zone; nil when it has none.
    package var region: CustomerRegion? = nil
    /// An IANA time zone the payload states for the customer (canonical events); nil otherwise.
    package var timeZone: String? = nil

    /// Creates a reference; a nil `id` means a guest checkout.
    package init(
        id: String?, email: String?, firstName: String?, lastName: String? = nil,
        consent: MarketingConsent = .unknown, tier: String? = nil, statedOrderCount: Int? = nil
    ) {
        self.statedOrderCount = statedOrderCount
        self.id = id
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.consent = consent
        self.tier = tier
    }

    /// True when there is no platform customer behind the checkout.
    package var isGuest: Bool { id == nil }
}

/// A cart in the event, or only its id when the payload is thin (BigCommerce).
package enum CartSubject: Sendable {
    case complete(Cart)
    case reference(cartID: String)

    /// The cart id in either form.
    package var cartID: String {
        switch self {
        case .complete(let cart): return cart.id
        case .reference(let cartID): return cartID
        }
    }
}

/// An abandoned cart or checkout.
package struct Cart: Sendable {
    /// The platform's cart or checkout id (Shopify checkout token, BigCommerce cart id).
    package var id: String
    /// The cart's lines, in the platform's order.
    package var items: [CartItem]
    /// ISO 4217 currency code, upper-case, shared by every amount in the cart.
    package var currency: String
    /// Sum of the line prices before discounts, shipping and tax.
    package var subtotal: Money
    /// Shipping quoted at checkout; nil when none was quoted yet.
    package var shipping: Money?
    /// What the customer would pay: after discounts, with shipping and tax where quoted.
    package var total: Money
    /// Discount codes the customer tried, with what each took off.
    package var discountCodes: [DiscountAttempt]
    /// The platform's recovery link back into this checkout, if any.
    package var recoveryURL: String?
    /// When the checkout was completed; non-nil means the cart already converted.
    package var completedAt: Date?
    /// Last activity on the cart.
    package var abandonedAt: Date

    /// Creates a cart from its parts; every amount must be in `currency`.
    package init(
        id: String, items: [CartItem], currency: String, subtotal: Money, shipping: Money?, total: Money,
        discountCodes: [DiscountAttempt], recoveryURL: String?, completedAt: Date?, abandonedAt: Date
    ) {
        self.id = id
        self.items = items
        self.currency = currency
        self.subtotal = subtotal
        self.shipping = shipping
        self.total = total
        self.discountCodes = discountCodes
        self.recoveryURL = recoveryURL
        self.completedAt = completedAt
        self.abandonedAt = abandonedAt
    }
}

/// One line of a cart.
package struct CartItem: Sendable, Hashable {
    /// The platform's product id, as a string.
    package var productID: String
    /// The platform's variant id; nil when the payload names none.
    package var variantID: String?
    /// The product title as the cart shows it.
    package var title: String
    /// The variant's options ("Large / Blue"); nil when there are none.
    package var variantTitle: String?
    /// Unit price.
    package var price: Money
    /// Units in the cart.
    package var quantity: Int
    /// The product's category when the payload carries one; enrichment fills it from the catalog.
    package var category: String?

    /// Creates a cart item from its parts.
    package init(
        productID: String, variantID: String?, title: String, variantTitle: String?, price: Money,
        quantity: Int, category: String?
    ) {
        self.productID = productID
        self.variantID = variantID
        self.title = title
        self.variantTitle = variantTitle
        self.price = price
        self.quantity = quantity
        self.category = category
    }

    /// Unit price times quantity.
    package var lineTotal: Money { price * quantity }
}

/// A discount code a customer entered, and what it took off (zero when it failed).
package struct DiscountAttempt: Sendable, Hashable {
    /// The code exactly as the customer entered it.
    package var code: String
    /// How much the code took off; zero when the platform rejected it.
    package var amount: Money

    /// Creates a discount attempt from the code and the amount it took off.
    package init(code: String, amount: Money) {
        self.code = code
        self.amount = amount
    }
}
