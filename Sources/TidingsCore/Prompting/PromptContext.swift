import Foundation

/// Everything the writer may know about this email, and nothing else. Built field by field from
/// allow-listed values: no email address, phone, street address or last name can get in, and
/// product or customer text is carried as data (length-limited, control characters removed).
package struct PromptContext: Sendable, Codable, Hashable {
    /// The customer as the writer sees them: first name only, no contact details.
    package struct Customer: Sendable, Codable, Hashable {
        /// First name when it is name-like (`PersonName.greetingName`); nil when unknown or not a name.
        package var firstName: String?
        /// "new", "regular", "loyal" or "vip", or a tier the event stated.
        package var tier: String
        /// Orders that were not cancelled.
        package var orderCount: Int
        /// The average order, formatted for display ("$84.50"); nil without orders, or when the
        /// history's currency is not the cart's.
        package var averageOrderValue: String?
        /// Whole days since the latest order; nil without orders.
        package var daysSinceLastOrder: Int?
        /// Up to three categories the customer buys most, each capped at 40 characters.
        package var topCategories: [String]
    }

    /// One cart line, as text for the prompt.
    package struct Item: Sendable, Codable, Hashable {
        /// The platform's product id; the draft's product blocks and picks refer to it.
        package var productID: String
        /// Product title, cleaned and capped at 80 characters.
        package var title: String
        /// Variant options ("Large / Blue"), capped at 40 characters; nil when none.
        package var variant: String?
        /// Unit price formatted for display ("$29.90").
        package var price: String
        /// Units in the cart.
        package var quantity: Int
        /// The product's category when known, capped at 40 characters.
        package var category: String?
        /// True when the shop's catalog does not know the product (a CDP's cart can name anything):
        /// it is written about from the event's own title and price, never as a product block or
        /// pick, since there is no product page to link. Absent (nil) for catalogued items, so the
        /// context of an ordinary cart reads as before.
        package var notInCatalog: Bool?
    }

    /// A recommended product, as text for the prompt.
    package struct Pick: Sendable, Codable, Hashable {
        /// The platform's product id; the draft may feature it in a product block.
        package var productID: String
        /// Product title, cleaned and capped at 80 characters.
        package var title: String
        /// Catalog price formatted for display ("$29.90"); nil when the catalog's currency is not
        /// the customer's, so no amount in a currency they do not shop in is stated.
        package var price: String?
        /// The product's category, capped at 40 characters.
        package var category: String
        /// Why it is suggested ("often bought with the Alpine Trek Boots"), capped at 120 characters.
        package var because: String
    }

    /// An abandonment signal, as text for the prompt.
    package struct Hypothesis: Sendable, Codable, Hashable {
        /// The signal's `AbandonmentHypothesis.Kind` raw value ("shipping_cost").
        package var kind: String
        /// Facts behind the signal, each cleaned and capped at 200 characters.
        package var evidence: [String]
    }

    /// The offer the email may mention, exactly as decided by `OfferPolicy`.
    package struct OfferTerms: Sendable, Codable, Hashable {
        /// "percent_off" or "free_shipping".
        package var kind: String
        /// Whole percent off; 0 for free shipping.
        package var percent: Int
        /// The code the customer enters at checkout.
        package var code: String
        /// When the code expires, ISO 8601 in UTC.
        package var expiresAt: String
    }

    /// The event's id, for the audit; it carries no customer data.
    package var eventID: String
    /// The flow's `FlowKind` raw value ("cartAbandoned").
    package var flow: String
    /// The shop's name as customers know it.
    package var brandName: String
    /// How the brand writes, from `Brand.voice`.
    package var brandVoice: String
    /// What the writer may know about the customer.
    package var customer: Customer
    /// The cart's in-stock lines; sold-out ones are in `soldOut`.
    package var items: [Item]
    /// Titles of cart items that sold out since (left out of `items`, so never featured).
    package var soldOut: [String]
    /// The cart total formatted for display ("$129.00"); nil for messages about an order.
    package var cartTotal: String?
    /// The items' total before shipping and discounts; nil for messages about an order.
    package var cartSubtotal: String?
    /// Quoted shipping formatted for display; nil when none was quoted.
    package var shipping: String?
    /// The strongest abandonment signal: the one the email should answer; nil outside carts.
    package var hypothesis: Hypothesis?
    /// The weaker signals, strongest first, for context.
    package var otherSignals: [Hypothesis]
    /// Products the email may suggest, best first.
    package var recommendations: [Pick]
    /// The incentive the email may mention; nil means it must mention none.
    package var offer: OfferTerms?
    /// Where the call to action must point: always `PromptContext.checkoutPlaceholder`. The real
    /// link (a platform recovery URL carries a key to the customer's checkout) never goes to a
    /// model; the pipeline puts it in after generation.
    package var checkoutURL: String
    /// The longest a subject line may be, in characters.
    package var subjectMaxLength: Int
    /// The message's step in a series ("thank_you", "review_request"); nil for a single email.
    package var step: String?
    /// The order the message is about; nil for carts. `items` then holds the order's lines.
    package var order: OrderFacts?
    /// Why a lapsed customer left and what they bought; nil outside win-back (PromptContext+WinBack.swift).
    package var winBack: WinBackFacts?
    /// The approach an experiment arm asks of the writer; nil outside an arm with a strategy, so
    /// an ordinary context (and its prompt) reads as before.
    package var experiment: ExperimentBrief?

    /// What the writer is told about its experiment arm: the strategy and how to follow it. The
    /// arm's name and the experiment's id are not given: the copy should not depend on them.
    package struct ExperimentBrief: Sendable, Codable, Hashable {
        /// The `ExperimentStrategy` raw value ("urgency").
        package var strategy: String
        /// The strategy's instruction (`ExperimentStrategy.instruction`).
        package var instruction: String

        /// The brief for a strategy.
        package init(_ strategy: ExperimentStrategy) {
            self.strategy = strategy.rawValue
            instruction = strategy.instruction
        }
    }

    /// An order as the writer sees it: no address, no payment details.
    package struct OrderFacts: Sendable, Codable, Hashable {
        /// The name the customer knows it by ("#1042").
        package var name: String
        /// The total formatted for display.
        package var total: String
        /// Which of the customer's orders this is: 1 for a first order; nil for a guest, whose
        /// history the shop cannot see.
        package var ordinal: Int?
        /// The shipping method's title, capped at 40 characters; nil when none.
        package var shippingMethod: String?
        /// The expected delivery day (yyyy-MM-dd); nil when nothing ships.
        package var expectedDelivery: String?
        /// Days between delivery and this message, for the review request; nil otherwise.
        package var daysAfterDelivery: Int?
        /// Why it was cancelled (`CancelReason`), for cancellation messages.
        package var cancelReason: String?
        /// The amount already refunded, formatted; nil when nothing was refunded.
        package var refunded: String?
        /// True when the payment was never taken (voided, declined, pending): there is nothing to refund.
        package var nothingCharged: Bool
        /// Titles of lines that could not be supplied (inventory cancellations).
        package var unavailable: [String]
    }
}

extension PromptContext {
    /// What the writer is given instead of the checkout link.
    package static let checkoutPlaceholder = "{{checkout_url}}"

    /// Builds the context.
    package init(
        eventID: String, flow: FlowKind, brand: Brand, profile: CustomerProfile, cart: Cart, insights: Insights,
        offer: Offer?, soldOut: [CartItem] = [], notInCatalog: Set<String> = [], subjectMaxLength: Int, now: Date
    ) {
        self.eventID = eventID
        self.flow = flow.rawValue
        brandName = brand.name
        brandVoice = brand.voice
        customer = Customer(
            firstName: PersonName.greetingName(profile.firstName), tier: profile.tier,
            orderCount: profile.orderCount,
            // History is in the shop's currency; an amount in another than the cart's is not stated.
            averageOrderValue: profile.averageOrderValue.flatMap { $0.currency == cart.currency ? $0.display : nil },
            daysSinceLastOrder: profile.lastOrderAt.map { Int(now.timeIntervalSince($0) / 86_400) },
            topCategories: profile.topCategories.map { Self.data($0, limit: 40) })
        items = cart.items.map {
            Item(
                productID: $0.productID, title: Self.data($0.title, limit: 80),
                variant: $0.variantTitle.map { Self.data($0, limit: 40) }, price: $0.price.display,
                quantity: $0.quantity, category: $0.category.map { Self.data($0, limit: 40) },
                notInCatalog: notInCatalog.contains($0.productID) ? true : nil)
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
                price: $0.product.price.currency == cart.currency ? $0.product.price.display : nil,
                category: Self.data($0.product.category, limit: 40), because: Self.data($0.because, limit: 120))
        }
        self.offer = offer.map {
            OfferTerms(
                kind: $0.kind.rawValue, percent: $0.percent, code: $0.code, expiresAt: Timestamp.format($0.expiresAt))
        }
        checkoutURL = Self.checkoutPlaceholder
        self.subjectMaxLength = subjectMaxLength
    }

    /// Builds the context of a message about an order: its lines as `items`, the order's facts,
    /// the picks and the offer.
    package init(
        eventID: String, flow: FlowKind, step: String, brand: Brand, profile: CustomerProfile, order: OrderFacts,
        items: [CartItem], soldOut: [CartItem] = [], recommendations: [Recommendation], offer: Offer?,
        subjectMaxLength: Int, now: Date
    ) {
        let currency = items.first?.price.currency ?? recommendations.first?.product.price.currency ?? "USD"
        let cart = Cart(
            id: "", items: items, currency: currency, subtotal: .zero(currency), shipping: nil,
            total: .zero(currency), discountCodes: [], recoveryURL: nil, completedAt: nil, abandonedAt: now)
        let placeholder = AbandonmentHypothesis(kind: .distracted, strength: 0, evidence: [])
        self.init(
            eventID: eventID, flow: flow, brand: brand, profile: profile, cart: cart,
            insights: Insights(hypothesis: placeholder, signals: [placeholder], recommendations: recommendations),
            offer: offer, soldOut: soldOut, subjectMaxLength: subjectMaxLength, now: now)
        // An order message has no cart figures and no abandonment signal.
        cartTotal = nil
        cartSubtotal = nil
        hypothesis = nil
        otherSignals = []
        self.step = step
        self.order = OrderFacts(
            name: Self.data(order.name, limit: 20), total: order.total, ordinal: order.ordinal,
            shippingMethod: order.shippingMethod.map { Self.data($0, limit: 40) },
            expectedDelivery: order.expectedDelivery, daysAfterDelivery: order.daysAfterDelivery,
            cancelReason: order.cancelReason, refunded: order.refunded, nothingCharged: order.nothingCharged,
            unavailable: order.unavailable.map { Self.data($0, limit: 80) })
    }

    /// Text from products or customers as inert data: control characters and angle brackets
    /// removed, email-like and phone-like runs masked, length capped by `bounded`.
    static func data(_ text: String, limit: Int) -> String {
        var cleaned = String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) && $0 != "<" && $0 != ">" }))
        cleaned = PIIScanner.mask(cleaned)
        return bounded(cleaned, limit: limit)
    }

    /// The ellipsis that marks a shortened text.
    package static let ellipsis: Character = "\u{2026}"

    /// `text` when it has at most `limit` characters; else its longest run of whole words that fits
    /// with "…" after it, so a shortened product title never ends in a made-up word ("Ridgeline
    /// Insulated…", not "Ridgeline Insul"). A first word longer than the limit is cut inside it.
    package static func bounded(_ text: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        guard limit > 1 else { return String(ellipsis) }
        let room = text.prefix(limit - 1)
        var end = room.endIndex
        // Cut at the last space inside the room unless the next character starts a new word anyway.
        if text[room.endIndex] != " " {
            end = room.lastIndex(of: " ") ?? room.endIndex
        }
        var kept = text[..<end]
        while let last = kept.last, last == " " || ",;:-–".contains(last) { kept.removeLast() }
        if kept.isEmpty { kept = room }
        return kept + String(ellipsis)
    }

    /// A title as every prompt carries it (cleaned, masked, at most 80 characters), without a
    /// trailing ellipsis: what a draft names when it names the item. The validator matches it.
    package static func namedTitle(_ title: String) -> String {
        var text = data(title, limit: 80)
        if text.last == ellipsis { text.removeLast() }
        return text
    }
}
