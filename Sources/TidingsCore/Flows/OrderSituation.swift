import Foundation

/// What both order flows work from: the order (thin payloads resolved from the platform), its
/// customer's enrichment, and the order's place in their history.
struct OrderSituation {
    /// The order, as the event carried it or the platform returned it.
    var order: PlacedOrder
    /// The customer's record, profile and the catalog.
    var enrichment: EnrichedCustomer
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
    /// The same string is the order's tombstone in the state store (`StateKey.orderCancelled`),
    /// which a create running at the same moment as the cancellation reads.
    static func cancelledKey(_ event: LifecycleEvent) -> String {
        StateKey.orderCancelled(platform: event.source.platform.rawValue, orderID: event.subject.id)
    }

    /// The key that ties the messages of an order's post-purchase series together (X-Tidings-Series).
    static func seriesKey(_ event: LifecycleEvent) -> String {
        "order:\(event.source.platform.rawValue):\(event.subject.id)"
    }

    /// The customer to enrich for an order: the event's reference, completed with the order's
    /// customer id.
    static func customer(of order: PlacedOrder, event: LifecycleEvent) -> CustomerReference {
        var reference = event.customer
        if reference.id == nil { reference.id = order.customerID }
        return reference
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
                personalData: enrichment.personalData(event), cartTitles: lines.map(\.title), lines: lines),
            tier: profile.tier, offer: offer)
    }

    /// An allowed https link on the shop's domains, else the fallback path on the storefront.
    static func link(_ candidate: String?, fallback path: String, configuration: Configuration) -> String {
        let validator = DraftValidator(policy: configuration.policy, brand: configuration.brand)
        if let candidate, validator.isAllowedLink(candidate) { return candidate }
        return configuration.brand.storefrontURL + path
    }
}

extension OrderSituation {
    /// The situation of `order` once its customer is enriched: lines with categories from the
    /// catalog, and the customer's standing orders before this one.
    init(_ order: PlacedOrder, enrichment: EnrichedCustomer) {
        var lines = order.lines
        for index in lines.indices where lines[index].category == nil {
            lines[index].category = enrichment.catalog[lines[index].productID]?.category
        }
        let prior = enrichment.profile.orders.filter {
            $0.id != order.id && $0.cancelledAt == nil && $0.createdAt < order.createdAt
        }
        self.init(order: order, enrichment: enrichment, lines: lines, priorOrders: prior)
    }
}
