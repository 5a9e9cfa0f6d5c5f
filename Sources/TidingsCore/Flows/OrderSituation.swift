import Foundation

/// What both order flows work from: the order (thin payloads resolved from the platform), its
/// customer's enrichment, and the order's place in their history.
struct OrderSituation {
    /// The order, as the event carried it or the platform returned it.
    var order: PlacedOrder
    /// The customer's record, profile and the catalog.
    var enrichment: Enrichment
    /// The order's lines with categories filled from the catalog.
    var lines: [CartItem]
    /// The customer's orders before this one that stand (not cancelled, not this order).
    var priorOrders: [OrderRecord]

    var profile: CustomerProfile { enrichment.profile }
    var catalog: Catalog { enrichment.catalog }

    /// Which of the customer's orders this is: 1 for a first order; nil for a guest, whose history
    /// the shop cannot see.
    var ordinal: Int? { profile.customerID == nil ? nil : priorOrders.count + 1 }

    /// The lines the catalog shows as not in stock now.
    var soldOutLines: [CartItem] { lines.filter { catalog[$0.productID]?.isInStock != true } }

    /// The key an order's handling in `flow` is remembered under, whatever event carried it.
    static func key(_ flow: FlowKind, _ event: LifecycleEvent) -> String {
        "\(flow.rawValue):\(event.source.platform.rawValue):order:\(event.subject.id)"
    }

    /// The key every handled cancellation of the order leaves, whatever the answer (fraud too), so
    /// an order-created event that arrives late or is retried plans no series for it.
    static func cancelledKey(_ event: LifecycleEvent) -> String {
        "order:\(event.source.platform.rawValue):\(event.subject.id):cancelled"
    }

    /// The key that ties the messages of an order's post-purchase series together (X-Tidings-Series).
    static func seriesKey(_ event: LifecycleEvent) -> String {
        "order:\(event.source.platform.rawValue):\(event.subject.id)"
    }

    /// The order in the event, or the platform's copy of a thin payload's order.
    static func resolveOrder(
        _ event: LifecycleEvent, platform: any CommercePlatform, in context: FlowContext
    ) async throws -> PlacedOrder? {
        guard let subject = event.order else {
            throw Failure(reason: "unsupported_subject: \(event.subject.kind) events are not orders", retryable: false)
        }
        switch subject {
        case .complete(let order): return order
        case .reference(let orderID, _):
            return try await context.fromPlatform { try await platform.order(id: orderID) }
        }
    }

    /// Enriches the order's customer: the event's reference, completed with the order's customer id.
    static func enrich(
        _ order: PlacedOrder, event: LifecycleEvent, platform: any CommercePlatform, in context: FlowContext
    ) async throws -> OrderSituation {
        var reference = event.customer
        if reference.id == nil { reference.id = order.customerID }
        let enrichment = try await context.enrich(reference, platform: platform, currency: order.currency)
        var lines = order.lines
        for index in lines.indices where lines[index].category == nil {
            lines[index].category = enrichment.catalog[lines[index].productID]?.category
        }
        let prior = enrichment.profile.orders.filter {
            $0.id != order.id && $0.cancelledAt == nil && $0.createdAt < order.createdAt
        }
        return OrderSituation(order: order, enrichment: enrichment, lines: lines, priorOrders: prior)
    }

    /// The order's facts for the prompt.
    func facts(
        expectedDelivery: String? = nil, daysAfterDelivery: Int? = nil, unavailable: [String] = []
    ) -> PromptContext.OrderFacts {
        PromptContext.OrderFacts(
            name: order.name, total: order.total.display, ordinal: ordinal, shippingMethod: order.shippingMethod,
            expectedDelivery: expectedDelivery, daysAfterDelivery: daysAfterDelivery,
            cancelReason: order.cancelReason?.rawValue,
            refunded: order.refunded.amount > 0 ? order.refunded.display : nil,
            nothingCharged: ["voided", "declined", "pending"].contains(order.financialStatus?.lowercased() ?? ""),
            unavailable: unavailable)
    }

    /// The planned message with what every order message shares; the caller sets the rest.
    func message(
        step: String, promptID: String, context: PromptContext, sendAt: Date, email: String, link: String,
        event: LifecycleEvent, offer: Offer? = nil
    ) -> PlannedMessage {
        PlannedMessage(
            step: step, promptID: promptID, context: context, sendAt: sendAt,
            recipient: Mailbox(name: profile.firstName, address: email),
            customerID: profile.customerID ?? CartAbandonedPlanner.guestKey(email: email), callToActionURL: link,
            checks: DraftValidator.Facts(
                catalog: catalog, offer: offer, tier: profile.tier, firstName: profile.firstName,
                personalData: FlowContext.personalData(enrichment, event: event), cartTitles: lines.map(\.title),
                lines: lines),
            tier: profile.tier, offer: offer)
    }

    /// An allowed https link on the shop's domains, else the fallback path on the storefront.
    static func link(_ candidate: String?, fallback path: String, configuration: Configuration) -> String {
        let validator = DraftValidator(policy: configuration.policy, brand: configuration.brand)
        if let candidate, validator.isAllowedLink(candidate) { return candidate }
        return configuration.brand.storefrontURL + path
    }

    /// Too soon (younger than the flow's delay: retryable) or stale (older than its window).
    static func checkTiming(_ time: Date, what: String, settings: FlowSettings, now: Date) -> GuardVerdict? {
        let age = now.timeIntervalSince(time)
        if age > settings.window {
            return GuardVerdict(
                .stale, "the \(what) is \(Guards.describe(age)) old; the window is \(Guards.describe(settings.window))")
        }
        if age < settings.delay {
            return GuardVerdict(
                .tooSoon,
                "the \(what) is \(Guards.describe(max(0, age))) old; wait until \(Guards.describe(settings.delay)) have passed",
                retryable: true)
        }
        return nil
    }
}
