import Crypto
import Foundation

/// The abandoned-cart flow: one email per cart, timed after the cart's last activity, answering
/// the likeliest reason it was left, with co-purchase picks and an offer where the policy grants one.
struct CartAbandonedPlanner: FlowPlanner {
    /// Creates the planner; it holds no state.
    init() {}

    /// Guards (cart handled, timing, converted, consent, stock), enrichment, insights, offer and the
    /// one planned email.
    func plan(_ event: LifecycleEvent, in context: FlowContext) async throws -> FlowResult {
        guard let subject = event.cart else {
            throw Failure(reason: "unsupported_subject: \(event.subject.kind) events are not carts", retryable: false)
        }
        let settings = context.settings
        let now = context.now
        let cartKey = Self.cartKey(event)
        if try context.hasFinalOutcome(forKey: cartKey, since: now.addingTimeInterval(-settings.window)) {
            return .stop(
                GuardVerdict(
                    .cartAlreadyHandled,
                    "cart \(subject.cartID) already had its email within the last \(Guards.describe(settings.window))"))
        }
        let guards = Guards(settings: settings)
        if case .complete(let cart) = subject, let verdict = guards.checkCart(cart, now: now) {
            return .stop(verdict)
        }

        // Enrich: a thin payload's cart comes from the platform, and is timed by its own activity.
        let platform = try context.platform(for: event)
        var customerReference = event.customer
        var cart: Cart
        switch subject {
        case .complete(let complete): cart = complete
        case .reference(let cartID):
            guard let found = try await context.fromPlatform({ try await platform.cart(id: cartID) }) else {
                return .stop(
                    GuardVerdict(
                        .alreadyConverted, "cart \(cartID) no longer exists on the platform (converted or deleted)"))
            }
            cart = found.cart
            customerReference.id = found.customerID
            if let verdict = guards.checkTiming(abandonedAt: cart.abandonedAt, now: now) {
                return .stop(verdict)
            }
        }
        let enrichment = try await context.enrich(customerReference, platform: platform, currency: cart.currency)
        let catalog = enrichment.catalog
        let profile = enrichment.profile
        for index in cart.items.indices where cart.items[index].category == nil {
            cart.items[index].category = catalog[cart.items[index].productID]?.category
        }
        if let verdict = guards.checkCustomer(profile, cart: cart) {
            return .stop(verdict)
        }
        // Items that sold out since are not featured; a cart with nothing left is not written to.
        let soldOut = cart.items.filter { catalog[$0.productID]?.isInStock != true }
        if soldOut.count == cart.items.count {
            return .stop(GuardVerdict(.cartUnavailable, "nothing in cart \(cart.id) is in stock any more"))
        }
        var offered = cart
        offered.items.removeAll { soldOut.contains($0) }

        // Insights and offer.
        let signals = AbandonmentAnalyst().hypotheses(cart: cart, profile: profile)
        let insights = Insights(
            hypothesis: signals[0], signals: signals,
            recommendations: Recommender().recommend(for: cart, profile: profile, catalog: catalog))
        let offer = OfferPolicy(policy: context.configuration.policy).offer(
            hypothesis: insights.hypothesis, profile: profile, cart: cart, eventID: event.id, now: now)
        var insightFacts: [String: JSONValue] = [:]
        insightFacts["hypothesis"] = .string(insights.hypothesis.kind.rawValue)
        insightFacts["evidence"] = .array(insights.hypothesis.evidence.map(JSONValue.string))
        insightFacts["other_signals"] = .array(signals.dropFirst().map { JSONValue.string($0.kind.rawValue) })
        insightFacts["recommendations"] = .array(insights.recommendations.map { JSONValue.string($0.product.id) })
        if let offer { insightFacts["offer"] = .string("\(offer.kind.rawValue) \(offer.percent)% \(offer.code)") }
        try context.record("insights", insightFacts)

        guard let email = profile.email else {
            return .stop(GuardVerdict(.noRecipient, "no email address to write to"))
        }
        let configuration = context.configuration
        let validator = DraftValidator(policy: configuration.policy, brand: configuration.brand)
        let checkoutURL =
            cart.recoveryURL.flatMap { validator.isAllowedLink($0) ? $0 : nil }
            ?? configuration.brand.storefrontURL + "/cart"
        let promptContext = PromptContext(
            eventID: event.id, flow: context.flow, brand: configuration.brand, profile: profile, cart: offered,
            insights: insights, offer: offer, soldOut: soldOut,
            subjectMaxLength: configuration.policy.subjectMaxLength, now: now)
        let message = PlannedMessage(
            step: "cart_recovery", promptID: "cart_abandoned", context: promptContext,
            // The planned send time, not "now": a retry of the same event renders the same Message-ID
            // and outbox file, so a repeated hand-over replaces instead of duplicating.
            sendAt: cart.abandonedAt.addingTimeInterval(settings.delay),
            recipient: Mailbox(name: profile.firstName, address: email),
            // A guest has no platform id; a hash of their address keys the unsubscribe link instead.
            customerID: profile.customerID ?? Self.guestKey(email: email),
            callToActionURL: checkoutURL,
            checks: DraftValidator.Facts(
                catalog: catalog, offer: offer, tier: profile.tier, firstName: profile.firstName,
                personalData: FlowContext.personalData(enrichment, event: event),
                cartTitles: offered.items.map(\.title), lines: offered.items),
            tier: profile.tier, offer: offer, dedupeKeys: [cartKey])
        return .messages([try await context.compose(message)])
    }

    /// A guest's stable unsubscribe identity: a hash of the address, so every later email to the
    /// same person carries a link that reaches the same suppression, without the address itself.
    static func guestKey(email: String) -> String {
        let digest = SHA256.hash(data: Array(email.lowercased().utf8))
        return "guest:" + digest.prefix(16).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// The key one cart's email is remembered under, whatever event carried it.
    static func cartKey(_ event: LifecycleEvent) -> String {
        "\(event.flow.rawValue):\(event.source.platform.rawValue):cart:\(event.subject.id)"
    }
}
