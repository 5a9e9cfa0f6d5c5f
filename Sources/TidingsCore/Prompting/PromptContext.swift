import Foundation

/// Everything the writer may know about this email, and nothing else. Built field by field from
/// allow-listed values: no email address, phone, street address or last name can get in, and
/// product or customer text is carried as data (length-limited, control characters removed).
public struct PromptContext: Sendable, Codable, Hashable {
    public struct Customer: Sendable, Codable, Hashable {
        public var firstName: String?
        public var tier: String
        public var orderCount: Int
        public var averageOrderValue: String?
        public var daysSinceLastOrder: Int?
        public var topCategories: [String]
    }

    public struct Item: Sendable, Codable, Hashable {
        public var productID: String
        public var title: String
        public var variant: String?
        public var price: String
        public var quantity: Int
        public var category: String?
    }

    public struct Pick: Sendable, Codable, Hashable {
        public var productID: String
        public var title: String
        public var price: String
        public var category: String
        public var because: String
    }

    public struct Hypothesis: Sendable, Codable, Hashable {
        public var kind: String
        public var evidence: [String]
    }

    public struct OfferTerms: Sendable, Codable, Hashable {
        public var kind: String
        public var percent: Int
        public var code: String
        public var expiresAt: String
    }

    public var eventID: String
    public var flow: String
    public var brandName: String
    public var brandVoice: String
    public var customer: Customer
    public var items: [Item]
    /// Titles of cart items that sold out since (left out of `items`, so never featured).
    public var soldOut: [String]
    public var cartTotal: String
    /// The items' total before shipping and discounts.
    public var cartSubtotal: String
    public var shipping: String?
    public var hypothesis: Hypothesis
    public var otherSignals: [Hypothesis]
    public var recommendations: [Pick]
    public var offer: OfferTerms?
    /// Where the call to action must point: always `PromptContext.checkoutPlaceholder`. The real
    /// link (a platform recovery URL carries a key to the customer's checkout) never goes to a
    /// model; the pipeline puts it in after generation.
    public var checkoutURL: String
    public var subjectMaxLength: Int
}

extension PromptContext {
    /// What the writer is given instead of the checkout link.
    public static let checkoutPlaceholder = "{{checkout_url}}"

    /// Builds the context.
    public init(
        eventID: String, flow: FlowKind, brand: Brand, profile: CustomerProfile, cart: Cart, insights: Insights,
        offer: Offer?, soldOut: [CartItem] = [], subjectMaxLength: Int, now: Date
    ) {
        self.eventID = eventID
        self.flow = flow.rawValue
        brandName = brand.name
        brandVoice = brand.voice
        customer = Customer(
            firstName: profile.firstName.map { Self.data($0, limit: 40) }, tier: profile.tier,
            orderCount: profile.orderCount, averageOrderValue: profile.averageOrderValue?.display,
            daysSinceLastOrder: profile.lastOrderAt.map { Int(now.timeIntervalSince($0) / 86_400) },
            topCategories: profile.topCategories.map { Self.data($0, limit: 40) })
        items = cart.items.map {
            Item(
                productID: $0.productID, title: Self.data($0.title, limit: 80),
                variant: $0.variantTitle.map { Self.data($0, limit: 40) }, price: $0.price.display,
                quantity: $0.quantity, category: $0.category.map { Self.data($0, limit: 40) })
        }
        self.soldOut = soldOut.map { Self.data($0.title, limit: 80) }
        cartTotal = cart.total.display
        cartSubtotal = cart.subtotal.display
        shipping = cart.shipping?.display
        hypothesis = Hypothesis(
            kind: insights.hypothesis.kind.rawValue,
            evidence: insights.hypothesis.evidence.map { Self.data($0, limit: 200) })
        otherSignals = insights.signals.dropFirst().map {
            Hypothesis(kind: $0.kind.rawValue, evidence: $0.evidence.map { Self.data($0, limit: 200) })
        }
        recommendations = insights.recommendations.map {
            Pick(
                productID: $0.product.id, title: Self.data($0.product.title, limit: 80),
                price: $0.product.price.display,
                category: Self.data($0.product.category, limit: 40), because: Self.data($0.because, limit: 120))
        }
        self.offer = offer.map {
            OfferTerms(
                kind: $0.kind.rawValue, percent: $0.percent, code: $0.code, expiresAt: ISO8601.format($0.expiresAt))
        }
        checkoutURL = Self.checkoutPlaceholder
        self.subjectMaxLength = subjectMaxLength
    }

    /// Text from products or customers as inert data: control characters and angle brackets
    /// removed, email-like and phone-like runs masked, length capped.
    static func data(_ text: String, limit: Int) -> String {
        var cleaned = String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) && $0 != "<" && $0 != ">" }))
        cleaned = PIIScanner.mask(cleaned)
        return cleaned.count > limit ? String(cleaned.prefix(limit)) : cleaned
    }
}
