import Foundation

/// The answer to a cancelled order, by why it was cancelled and what the customer did since:
/// - fraud: never an email;
/// - a declined payment: a transactional note on completing the purchase;
/// - inventory: an apology with in-stock alternatives from the same category or co-purchases;
/// - the customer or another reason: a win-back whose incentive follows the customer's value, to
///   human review by default (`review.cancellation_win_backs`).
/// A customer who has ordered again since gets no win-back or payment note; a second cancellation
/// within `repeatWindow` gets no win-back. Whatever the answer, the order's post-purchase messages
/// that are not sent yet are stopped first, and the cancellation is remembered so that a late
/// order-created event for the same order plans nothing.
struct OrderCancelledPlanner: FlowPlanner {
    /// Another cancellation this recent means no win-back on top.
    var repeatWindow: TimeInterval = 14 * 86_400

    /// What a cancellation gets.
    enum Answer: String {
        case paymentDeclined = "payment_declined"
        case inventoryApology = "inventory_apology"
        case winBack = "win_back"
    }

    /// The keys a cancellation leaves whatever its answer: its own, and the order's tombstone
    /// that a late order-created event reads.
    static func remembered(_ event: LifecycleEvent) -> [String] {
        [OrderSituation.key(.orderCancelled, event), OrderSituation.cancelledKey(event)]
    }

    /// The key a win-back answer leaves for the customer, which a second cancellation reads.
    static func customerKey(_ event: LifecycleEvent, customerID: String?) -> String? {
        customerID.map { "orderCancelled:\(event.source.platform.rawValue):customer:\($0)" }
    }

    /// The order's cancellation as the platform states it, or as BigCommerce's statuses imply.
    static func cancellation(of order: PlacedOrder, event: LifecycleEvent) -> (at: Date, reason: CancelReason) {
        (order.cancelledAt ?? event.occurredAt, order.cancelReason ?? inferReason(order, event: event))
    }

    /// A cancellation writes the order's tombstone, then stops the order's unsent series, before
    /// any guard decides; a status update that is not a cancellation does neither.
    func needs(_ event: LifecycleEvent, facts: FlowFacts) -> FlowNeeds {
        if Guards(settings: facts.settings).checkIsCancellation(event) != nil { return .nothing }
        return FlowNeeds(
            remembered: [
                RememberedKey(
                    OrderSituation.key(.orderCancelled, event), since: facts.now - facts.settings.window - 86_400)
            ],
            writeTombstone: TombstoneWrite(
                key: OrderSituation.cancelledKey(event), lifetime: Self.tombstoneLifetime(facts.configuration)),
            stopSeries: OrderSituation.seriesKey(event))
    }

    /// How long an order's tombstone is kept: while an order-created event for the order can still
    /// be handled (its flow's window) and any message of its series could still be waiting (the
    /// series' span), and a day more. 26 days with the defaults.
    static func tombstoneLifetime(_ configuration: Configuration) -> TimeInterval {
        let created = configuration.settings(for: .orderCreated)
        return created.window + OrderCreatedPlanner.seriesSpan(created) + 86_400
    }

    /// Not a cancellation, or one already answered.
    func precheck(_ event: LifecycleEvent, facts: FlowFacts) -> GuardVerdict? {
        let guards = Guards(settings: facts.settings)
        if let verdict = guards.checkIsCancellation(event) { return verdict }
        return guards.checkCancellationHandled(
            event.subject.id, remembered: facts.remembers(OrderSituation.key(.orderCancelled, event)))
    }

    /// The order (missing, timing, fraud), then its customer and their recent win-back answers.
    func screen(_ event: LifecycleEvent, facts: FlowFacts) throws -> Screening {
        guard event.order != nil else {
            throw Failure(.unsupportedSubject, "\(event.subject.kind) events are not orders", retryable: false)
        }
        guard let order = facts.order(of: event) else {
            return .stop(Guards.orderUnavailable(event.subject.id, remembered: Self.remembered(event)))
        }
        let cancellation = Self.cancellation(of: order, event: event)
        if let verdict = Guards(settings: facts.settings).checkCancelledOrder(
            order, cancelledAt: cancellation.at, reason: cancellation.reason, now: facts.now,
            remembered: Self.remembered(event))
        {
            return .stop(verdict)
        }
        let reference = OrderSituation.customer(of: order, event: event)
        let customerKey = Self.customerKey(event, customerID: reference.id)
        return .enrich(
            EnrichmentNeeds(
                .profile(reference, currency: order.currency),
                remembered: customerKey.map { [RememberedKey($0, since: cancellation.at - repeatWindow)] } ?? []))
    }

    /// The analysis, the guards on the answer and the one message.
    func plan(_ event: LifecycleEvent, facts: FlowFacts) throws -> FlowPlan {
        guard var order = facts.order(of: event), let enrichment = facts.enrichment else {
            throw Failure(.orderUnresolved, "order \(event.subject.id) was not read", retryable: false)
        }
        let now = facts.now
        let remembered = Self.remembered(event)
        let statedReason = order.cancelReason != nil
        let (cancelledAt, reason) = Self.cancellation(of: order, event: event)
        order.cancelReason = reason
        let situation = OrderSituation(order, enrichment: enrichment)
        let profile = situation.profile
        let later = profile.orders.first {
            $0.id != order.id && $0.cancelledAt == nil && $0.createdAt > order.createdAt
        }
        // Another cancellation shortly before: in the platform's history, or answered by this flow
        // with a win-back (the audit remembers the customer), whichever knows.
        let customerKey = Self.customerKey(event, customerID: profile.customerID)
        var repeated = profile.orders.first { other in
            guard other.id != order.id, let otherCancelledAt = other.cancelledAt else { return false }
            let gap = cancelledAt.timeIntervalSince(otherCancelledAt)
            return gap >= 0 && gap <= repeatWindow
        }.map { "order \($0.id)" }
        let lookedUp = Self.customerKey(event, customerID: OrderSituation.customer(of: order, event: event).id)
        if repeated == nil, let lookedUp, facts.remembers(lookedUp) {
            repeated = "another order of this customer"
        }
        var insightFacts: [String: JSONValue] = [
            "order": .string(order.id), "cancel_reason": .string(reason.rawValue),
            "reason_stated_by_platform": .bool(statedReason), "refunded": .string(order.refunded.plainAmount),
        ]
        if let later { insightFacts["later_order"] = .string(later.id) }
        if let repeated { insightFacts["recent_cancellation"] = .string(repeated) }
        let note = FlowPlan.Note("insights", insightFacts)

        let answer: Answer
        switch reason {
        case .declined: answer = .paymentDeclined
        case .inventory: answer = .inventoryApology
        case .customer, .other, .fraud: answer = .winBack
        }
        // The shop still owes an apology for an order it could not ship, whatever was bought since;
        // a payment note or a win-back would be beside the point after a new order.
        if let verdict = Guards(settings: facts.settings).checkCancellationAnswer(
            isWinBack: answer == .winBack, isApology: answer == .inventoryApology, laterOrder: later,
            recentCancellation: repeated, repeatWindow: repeatWindow, profile: profile, remembered: remembered)
        {
            return FlowPlan(note: note, action: .stop(verdict))
        }
        guard let email = profile.email else {
            return FlowPlan(note: note, action: .stop(Guards.noRecipient))
        }

        let configuration = facts.configuration
        var offer: Offer?
        var recommendations: [Recommendation] = []
        var unavailable: [String] = []
        let link: String
        switch answer {
        case .paymentDeclined:
            let page = situation.lines.first.flatMap { situation.catalog[$0.productID]?.url }
            link = OrderSituation.link(page, fallback: "/cart", configuration: configuration)
        case .inventoryApology:
            recommendations = Self.alternatives(for: situation)
            // What is out of stock now is what could not be supplied; if everything is back, the
            // shop could not say which line it was, so the apology names the order.
            let soldOut = situation.soldOutLines
            unavailable = (soldOut.isEmpty ? situation.lines : soldOut).map(\.title)
            link = configuration.brand.storefrontURL
        case .winBack:
            link = configuration.brand.storefrontURL
            // A refund issued gets no code: an incentive straight after the money went back reads as pressure.
            if order.refunded.amount == 0 {
                offer = OfferPolicy(policy: configuration.policy).winBackOffer(
                    profile: profile, eventID: event.id, now: now)
            }
        }
        let promptContext = PromptContext(
            eventID: event.id, flow: .orderCancelled, step: answer.rawValue, brand: configuration.brand,
            profile: profile, order: situation.facts(unavailable: unavailable), items: situation.lines,
            recommendations: recommendations, offer: offer, subjectMaxLength: configuration.policy.subjectMaxLength,
            now: now)
        var message = situation.message(
            step: answer.rawValue, promptID: "order_cancelled", context: promptContext, sendAt: now, email: email,
            link: link, event: event, offer: offer)
        message.isTransactional = answer != .winBack
        if answer == .winBack, configuration.review.cancellationWinBacks {
            message.reviewReason =
                "a cancelled order is a sensitive moment: a person reads the win-back first (review.cancellation_win_backs)"
        }
        // Only a win-back remembers the customer: it is what a second cancellation must not repeat.
        message.dedupeKeys = remembered + (answer == .winBack ? customerKey.map { [$0] } ?? [] : [])
        return FlowPlan(note: note, action: .write(message))
    }

    /// BigCommerce records no cancellation reason: a declined payment shows in the payment status or
    /// the status before (6, Declined); anything else counts as "other".
    static func inferReason(_ order: PlacedOrder, event: LifecycleEvent) -> CancelReason {
        if order.financialStatus?.lowercased() == "declined" { return .declined }
        if case .order(.reference(_, let change?)) = event.subject, change.previousStatusID == 6 { return .declined }
        return .other
    }

    /// In-stock alternatives to the order's lines: the same category first (closest in price),
    /// then what the shop's orders buy with them; never what the customer already owns.
    static func alternatives(for situation: OrderSituation) -> [Recommendation] {
        let catalog = situation.catalog
        let ordered = Set(situation.lines.map(\.productID))
        var picks: [Recommendation] = []
        for line in situation.lines {
            guard let category = line.category else { continue }
            // Closeness in price is measured in the catalog's currency: the ordered product's own
            // catalog price, or the line's when the customer paid in that currency; amounts in two
            // currencies are never compared (then the id alone orders).
            let reference = catalog[line.productID]?.price ?? line.price
            func distance(_ product: Product) -> Decimal {
                product.price.currency == reference.currency ? (product.price.amount - reference.amount).magnitude : 0
            }
            let sameCategory = catalog.products.values.filter {
                $0.category == category && $0.isInStock && !ordered.contains($0.id)
                    && !situation.profile.purchasedProductIDs.contains($0.id)
            }.sorted { (distance($0), $0.id) < (distance($1), $1.id) }
            for product in sameCategory.prefix(2) where !picks.contains(where: { $0.product.id == product.id }) {
                picks.append(
                    Recommendation(product: product, score: 1, because: "in stock, and close to the \(line.title)"))
            }
        }
        if picks.count < 3 {
            for pick in Recommender().recommend(for: situation.lines, profile: situation.profile, catalog: catalog)
            where !picks.contains(where: { $0.product.id == pick.product.id }) && picks.count < 3 {
                picks.append(pick)
            }
        }
        return Array(picks.prefix(3))
    }
}
