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

    /// Stops the unsent series, then guards, enrichment, the analysis and the one answer.
    func plan(_ event: LifecycleEvent, in context: FlowContext) async throws -> FlowResult {
        let now = context.now
        let settings = context.settings
        if case .order(.reference(_, let change?)) = event.subject,
            change.newStatusID != BigCommerceWire.Order.cancelledStatusID
        {
            return .stop(
                GuardVerdict(.notCancelled, "the order's status changed to \(change.newStatusID), not Cancelled (5)"))
        }
        // Whatever else happens, what the order's series has not sent yet must not go out.
        _ = try await context.cancelScheduled(series: OrderSituation.seriesKey(event))
        let handledKey = OrderSituation.key(.orderCancelled, event)
        let remembered = [handledKey, OrderSituation.cancelledKey(event)]
        func stop(_ code: GuardVerdict.Code, _ detail: String) -> FlowResult {
            .stop(GuardVerdict(code, detail, rememberedKeys: remembered))
        }

        if try context.hasFinalOutcome(forKey: handledKey, since: now.addingTimeInterval(-settings.window - 86_400)) {
            return .stop(
                GuardVerdict(.orderAlreadyHandled, "the cancellation of order \(event.subject.id) was already answered")
            )
        }
        let platform = try context.platform(for: event)
        guard var order = try await OrderSituation.resolveOrder(event, platform: platform, in: context) else {
            return stop(.orderUnavailable, "order \(event.subject.id) does not exist on the platform")
        }
        let cancelledAt = order.cancelledAt ?? event.occurredAt
        if var verdict = OrderSituation.checkTiming(cancelledAt, what: "cancellation", settings: settings, now: now) {
            if !verdict.isRetryable { verdict.rememberedKeys = remembered }
            return .stop(verdict)
        }
        let statedReason = order.cancelReason != nil
        let reason = order.cancelReason ?? Self.inferReason(order, event: event)
        order.cancelReason = reason
        if reason == .fraud {
            return stop(.fraud, "order \(order.id) was cancelled as fraud; fraud is never emailed")
        }
        let situation = try await OrderSituation.enrich(order, event: event, platform: platform, in: context)
        let profile = situation.profile
        let later = profile.orders.first {
            $0.id != order.id && $0.cancelledAt == nil && $0.createdAt > order.createdAt
        }
        // Another cancellation shortly before: in the platform's history, or answered by this flow
        // with a win-back (the audit remembers the customer), whichever knows.
        let customerKey = profile.customerID.map { "orderCancelled:\(event.source.platform.rawValue):customer:\($0)" }
        var repeated = profile.orders.first { other in
            guard other.id != order.id, let otherCancelledAt = other.cancelledAt else { return false }
            let gap = cancelledAt.timeIntervalSince(otherCancelledAt)
            return gap >= 0 && gap <= repeatWindow
        }.map { "order \($0.id)" }
        if repeated == nil, let customerKey,
            try context.hasFinalOutcome(forKey: customerKey, since: cancelledAt.addingTimeInterval(-repeatWindow))
        {
            repeated = "another order of this customer"
        }
        var facts: [String: JSONValue] = [
            "order": .string(order.id), "cancel_reason": .string(reason.rawValue),
            "reason_stated_by_platform": .bool(statedReason), "refunded": .string(order.refunded.plainAmount),
        ]
        if let later { facts["later_order"] = .string(later.id) }
        if let repeated { facts["recent_cancellation"] = .string(repeated) }
        try context.record("insights", facts)

        let answer: Answer
        switch reason {
        case .declined: answer = .paymentDeclined
        case .inventory: answer = .inventoryApology
        case .customer, .other, .fraud: answer = .winBack
        }
        // The shop still owes an apology for an order it could not ship, whatever was bought since;
        // a payment note or a win-back would be beside the point after a new order.
        if let later, answer != .inventoryApology {
            return stop(
                .alreadyConverted,
                "order \(later.id) was placed at \(ISO8601.format(later.createdAt)), after the cancelled one")
        }
        if let repeated, answer == .winBack {
            return stop(
                .repeatCancellation,
                "\(repeated) was also cancelled within \(Guards.describe(repeatWindow)); no win-back on top")
        }
        let marketing = profile.consent == .subscribed
        if !marketing, answer == .winBack || settings.requiresConsent {
            return stop(.noConsent, "a win-back is marketing and the customer has not subscribed")
        }
        guard let email = profile.email else {
            return stop(.noRecipient, "the platform has no email address for this customer")
        }

        let configuration = context.configuration
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
        return .messages([try await context.compose(message)])
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
            let sameCategory = catalog.products.values.filter {
                $0.category == category && $0.isInStock && !ordered.contains($0.id)
                    && !situation.profile.purchasedProductIDs.contains($0.id)
            }.sorted {
                (($0.price.amount - line.price.amount).magnitude, $0.id)
                    < (($1.price.amount - line.price.amount).magnitude, $1.id)
            }
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
