import Foundation

/// The lifecycle use case an event belongs to; one handler executable per case.
public enum FlowKind: String, Sendable, Codable, CaseIterable {
    case cartAbandoned
    case orderCreated
    case orderCancelled
    case winBack
}

/// Which system produced an event.
public enum EventPlatform: String, Sendable, Codable {
    case shopify
    case bigcommerce
    case adobeCommerce = "adobe_commerce"
    case canonical
}

/// What happened, normalized: the one shape every flow reads, whatever platform sent it.
public struct LifecycleEvent: Sendable {
    /// The flow this event starts.
    public var flow: FlowKind
    /// The platform's own id for this delivery or event; the key of the duplicate guard.
    public var id: String
    /// When the thing itself happened (for a cart: the last activity before it was abandoned).
    public var occurredAt: Date
    /// The shop: a Shopify domain, a BigCommerce store hash, or the canonical source's name.
    public var shop: String
    /// Who the event is about, as far as the payload tells.
    public var customer: CustomerReference
    /// What the event is about: a cart or an order, complete or as a reference enrichment resolves.
    public var subject: EventSubject
    /// Where the event came from: platform, topic and the delivery's headers.
    public var source: EventSource

    /// Creates an event from its parts; decoders build these from platform payloads.
    public init(
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
    public init(
        flow: FlowKind, id: String, occurredAt: Date, shop: String, customer: CustomerReference,
        cart: CartSubject, source: EventSource
    ) {
        self.init(
            flow: flow, id: id, occurredAt: occurredAt, shop: shop, customer: customer, subject: .cart(cart),
            source: source)
    }

    /// The cart this event concerns; nil when it is about something else.
    public var cart: CartSubject? {
        if case .cart(let cart) = subject { return cart }
        return nil
    }

    /// The order this event concerns; nil when it is about something else.
    public var order: OrderSubject? {
        if case .order(let order) = subject { return order }
        return nil
    }
}

/// What an event is about. Each flow reads the case it handles; the others are bad input for it.
public enum EventSubject: Sendable {
    /// An abandoned cart or checkout.
    case cart(CartSubject)
    /// A placed or cancelled order.
    case order(OrderSubject)

    /// "cart" or "order", for the audit.
    public var kind: String {
        switch self {
        case .cart: return "cart"
        case .order: return "order"
        }
    }

    /// The platform's id of the cart or order.
    public var id: String {
        switch self {
        case .cart(let cart): return cart.cartID
        case .order(let order): return order.orderID
        }
    }
}

/// Where an event came from and how it arrived.
public struct EventSource: Sendable {
    /// The platform that produced the payload.
    public var platform: EventPlatform
    /// The platform's topic or event name ("checkouts/update", "store/cart/abandoned", "cart.updated").
    public var topic: String
    /// The delivery headers, names lower-cased; empty for a bare body.
    public var headers: [String: String]

    /// Creates a source; pass the delivery headers with lower-cased names.
    public init(platform: EventPlatform, topic: String, headers: [String: String] = [:]) {
        self.platform = platform
        self.topic = topic
        self.headers = headers
    }
}

/// Marketing consent as the platform states it.
public enum MarketingConsent: String, Sendable, Codable {
    case subscribed
    case notSubscribed = "not_subscribed"
    case unknown
}

/// The customer as the event names them. Enrichment completes it from the platform.
public struct CustomerReference: Sendable {
    /// The platform's customer id; nil for a guest checkout.
    public var id: String?
    /// The email address the payload carries; nil when it has none.
    public var email: String?
    /// Given name from the payload, if any.
    public var firstName: String?
    /// Family name from the payload, if any.
    public var lastName: String?
    /// Consent as the payload states it; `.unknown` when it says nothing.
    public var consent: MarketingConsent
    /// A loyalty tier the payload states ("vip"); enrichment derives one when absent.
    public var tier: String?
    /// An order count the payload states (canonical events); the platform's history wins.
    public var statedOrderCount: Int?

    /// Creates a reference; a nil `id` means a guest checkout.
    public init(
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
    public var isGuest: Bool { id == nil }
}

/// A cart in the event, or only its id when the payload is thin (BigCommerce).
public enum CartSubject: Sendable {
    case complete(Cart)
    case reference(cartID: String)

    /// The cart id in either form.
    public var cartID: String {
        switch self {
        case .complete(let cart): return cart.id
        case .reference(let cartID): return cartID
        }
    }
}

/// An abandoned cart or checkout.
public struct Cart: Sendable {
    /// The platform's cart or checkout id (Shopify checkout token, BigCommerce cart id).
    public var id: String
    /// The cart's lines, in the platform's order.
    public var items: [CartItem]
    /// ISO 4217 currency code, upper-case, shared by every amount in the cart.
    public var currency: String
    /// Sum of the line prices before discounts, shipping and tax.
    public var subtotal: Money
    /// Shipping quoted at checkout; nil when none was quoted yet.
    public var shipping: Money?
    /// What the customer would pay: after discounts, with shipping and tax where quoted.
    public var total: Money
    /// Discount codes the customer tried, with what each took off.
    public var discountCodes: [DiscountAttempt]
    /// The platform's recovery link back into this checkout, if any.
    public var recoveryURL: String?
    /// When the checkout was completed; non-nil means the cart already converted.
    public var completedAt: Date?
    /// Last activity on the cart.
    public var abandonedAt: Date

    /// Creates a cart from its parts; every amount must be in `currency`.
    public init(
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
public struct CartItem: Sendable, Hashable {
    /// The platform's product id, as a string.
    public var productID: String
    /// The platform's variant id; nil when the payload names none.
    public var variantID: String?
    /// The product title as the cart shows it.
    public var title: String
    /// The variant's options ("Large / Blue"); nil when there are none.
    public var variantTitle: String?
    /// Unit price.
    public var price: Money
    /// Units in the cart.
    public var quantity: Int
    /// The product's category when the payload carries one; enrichment fills it from the catalog.
    public var category: String?

    /// Creates a cart item from its parts.
    public init(
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
    public var lineTotal: Money { price * quantity }
}

/// A discount code a customer entered, and what it took off (zero when it failed).
public struct DiscountAttempt: Sendable, Hashable {
    /// The code exactly as the customer entered it.
    public var code: String
    /// How much the code took off; zero when the platform rejected it.
    public var amount: Money

    /// Creates a discount attempt from the code and the amount it took off.
    public init(code: String, amount: Money) {
        self.code = code
        self.amount = amount
    }
}
