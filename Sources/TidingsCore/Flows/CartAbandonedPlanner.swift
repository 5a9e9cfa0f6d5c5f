import Crypto
import Foundation

/// The abandoned-cart flow: one email per cart, timed after the cart's last activity, answering
/// the likeliest reason it was left, with co-purchase picks and an offer where the policy grants one.
struct CartAbandonedPlanner: FlowPlanner {
    /// Creates the planner; it holds no state.
    init() {}

    /// Whether this cart already had its email within the window.
    func needs(_ event: LifecycleEvent, facts: FlowFacts) -> FlowNeeds {
        let key = Self.cartKey(event)
        return FlowNeeds(
            remembered: [RememberedKey(key, since: facts.now - facts.settings.window)],
            subject: SubjectKey(
                key: key, memory: facts.settings.window,
                handledVerdict: Guards(settings: facts.settings).cartHandled(event.subject.id)))
    }

    /// A suppressed customer, the cart already handled; a cart the payload carries is timed and
    /// checked for a completed checkout before anything is read.
    func precheck(_ event: LifecycleEvent, facts: FlowFacts) -> GuardVerdict? {
        if let verdict = Guards.checkSuppression(facts.suppression) { return verdict }
        let guards = Guards(settings: facts.settings)
        if let verdict = guards.checkCartHandled(event.subject.id, remembered: facts.remembers(Self.cartKey(event))) {
            return verdict
        }
        if case .complete(let cart)? = event.cart { return guards.checkCart(cart, now: facts.now) }
        return nil
    }

    /// A thin payload's cart as the platform returned it (gone, or timed by its own activity); then
    /// the customer (the platform's cart names them when the webhook did not).
    func screen(_ event: LifecycleEvent, facts: FlowFacts) throws -> Screening {
        guard let subject = event.cart else {
            throw Failure(.unsupportedSubject, "\(event.subject.kind) events are not carts", retryable: false)
        }
        let found = facts.cart(of: event)
        if case .reference(let cartID) = subject,
            let verdict = Guards(settings: facts.settings).checkResolvedCart(
                found?.cart, cartID: cartID, now: facts.now)
        {
            return .stop(verdict)
        }
        guard let found else {
            throw Failure(.cartUnresolved, "cart \(subject.cartID) was not read", retryable: false)
        }
        var reference = event.customer
        reference.id = found.customerID
        return .enrich(EnrichmentNeeds(.profile(reference, currency: found.cart.currency)))
    }

    /// The customer guards, stock, insights, offer and the one planned email.
    func plan(_ event: LifecycleEvent, facts: FlowFacts) throws -> FlowPlan {
        guard var cart = facts.cart(of: event)?.cart, let enrichment = facts.enrichment else {
            throw Failure(.cartUnresolved, "cart \(event.subject.id) was not read", retryable: false)
        }
        let guards = Guards(settings: facts.settings)
        let catalog = enrichment.catalog
        let profile = enrichment.profile
        for index in cart.items.indices where cart.items[index].category == nil {
            cart.items[index].category = catalog[cart.items[index].productID]?.category
        }
        // Items the catalog shows sold out since are not featured; a cart with nothing left is not
        // written to. An item the catalog does not know is not "sold out": nothing said so. It is
        // written about from the event's own title and price, without a card or recommendations
        // built on it (docs/decisions/uncatalogued-items.md).
        let soldOut = cart.items.filter { catalog[$0.productID].map { !$0.isInStock } ?? false }
        let notInCatalog = cart.items.filter { catalog[$0.productID] == nil }.map(\.productID)
        if let verdict = guards.checkCustomer(profile, cart: cart) ?? guards.checkStock(cart, soldOut: soldOut) {
            return .stop(verdict)
        }
        var offered = cart
        offered.items.removeAll { soldOut.contains($0) }

        // Insights and offer.
        let configuration = facts.configuration
        let signals = AbandonmentAnalyst().hypotheses(cart: cart, profile: profile)
        let insights = Insights(
            hypothesis: signals[0], signals: signals,
            recommendations: Recommender().recommend(for: cart, profile: profile, catalog: catalog))
        let offer = OfferPolicy(policy: configuration.policy).offer(
            hypothesis: insights.hypothesis, profile: profile, cart: cart, eventID: event.id, now: facts.now)
        var insightFacts: [String: JSONValue] = [:]
        insightFacts["hypothesis"] = .string(insights.hypothesis.kind.rawValue)
        insightFacts["evidence"] = .array(insights.hypothesis.evidence.map(JSONValue.string))
        insightFacts["other_signals"] = .array(signals.dropFirst().map { JSONValue.string($0.kind.rawValue) })
        insightFacts["recommendations"] = .array(insights.recommendations.map { JSONValue.string($0.product.id) })
        if let offer { insightFacts["offer"] = .string("\(offer.kind.rawValue) \(offer.percent)% \(offer.code)") }
        if !notInCatalog.isEmpty {
            insightFacts["not_in_catalog"] = .array(Array(Set(notInCatalog)).sorted().map(JSONValue.string))
        }
        let note = FlowPlan.Note("insights", insightFacts)

        guard let email = profile.email else { return FlowPlan(note: note, action: .stop(Guards.noRecipient)) }
        let validator = DraftValidator(policy: configuration.policy, brand: configuration.brand)
        let checkoutURL =
            cart.recoveryURL.flatMap { validator.isAllowedLink($0) ? $0 : nil }
            ?? configuration.brand.storefrontURL + "/cart"
        let promptContext = PromptContext(
            eventID: event.id, flow: event.flow, brand: configuration.brand, profile: profile, cart: offered,
            insights: insights, offer: offer, soldOut: soldOut, notInCatalog: Set(notInCatalog),
            subjectMaxLength: configuration.policy.subjectMaxLength, now: facts.now)
        let message = PlannedMessage(
            step: "cart_recovery", promptID: "cart_abandoned", context: promptContext,
            // The planned send time, not "now": a retry of the same event renders the same Message-ID
            // and outbox file, so a repeated hand-over replaces instead of duplicating.
            sendAt: cart.abandonedAt.addingTimeInterval(facts.settings.delay),
            recipient: Mailbox(name: profile.firstName, address: email),
            // A guest has no platform id; a hash of their address keys the unsubscribe link instead.
            customerID: profile.customerID ?? Self.guestKey(email: email),
            callToActionURL: checkoutURL,
            checks: DraftValidator.Facts(
                catalog: catalog, offer: offer, tier: profile.tier, firstName: profile.firstName,
                personalData: enrichment.personalData(event), cartTitles: offered.items.map(\.title),
                lines: offered.items),
            tier: profile.tier, offer: offer, dedupeKeys: [Self.cartKey(event)])
        return FlowPlan(note: note, action: .write(message))
    }

    /// A guest's stable unsubscribe identity: a hash of the address, so every later email to the
    /// same person carries a link that reaches the same suppression, without the address itself.
    static func guestKey(email: String) -> String {
        let digest = SHA256.hash(data: Array(email.lowercased().utf8))
        return "guest:" + Hex.encode(digest.prefix(16))
    }

    /// The key one cart's email is remembered under, whatever event carried it.
    static func cartKey(_ event: LifecycleEvent) -> String {
        "\(event.flow.rawValue):\(event.source.platform.rawValue):cart:\(event.subject.id)"
    }
}
