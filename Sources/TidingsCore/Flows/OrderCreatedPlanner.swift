import Foundation

/// The post-purchase series for a new order: a thank-you at once, a getting-started note when the
/// order should arrive, a review request some days after that, and, with marketing consent only,
/// recommendations that go with what was bought. Every message carries the order's series key, so
/// a later cancellation can stop the ones not sent yet.
struct OrderCreatedPlanner: FlowPlanner {
    /// The lookback for an order's remembered keys: the flow's window and a day.
    static func lookback(_ facts: FlowFacts) -> Date { facts.now - facts.settings.window - 86_400 }

    /// Whether the series was planned, or the order's cancellation handled, already: in the audit,
    /// and the order's tombstone in the state store, which a cancellation writes before it stops
    /// the series (so one running at this very moment is seen too).
    func needs(_ event: LifecycleEvent, facts: FlowFacts) -> FlowNeeds {
        let since = Self.lookback(facts)
        return FlowNeeds(
            remembered: [
                RememberedKey(OrderSituation.key(.orderCreated, event), since: since),
                RememberedKey(OrderSituation.cancelledKey(event), since: since),
            ],
            tombstones: [OrderSituation.cancelledKey(event)])
    }

    /// The series already planned; a cancellation handled before this event (a late or retried
    /// order-created), or under way now (its tombstone), wins.
    func precheck(_ event: LifecycleEvent, facts: FlowFacts) -> GuardVerdict? {
        Guards(settings: facts.settings).checkOrderRemembered(
            event.subject.id, seriesPlanned: facts.remembers(OrderSituation.key(.orderCreated, event)),
            cancellationHandled: facts.remembers(OrderSituation.cancelledKey(event)),
            cancelledAt: facts.tombstones[OrderSituation.cancelledKey(event)])
    }

    /// The longest an order's series runs from the order's time: the slowest delivery (7 days),
    /// the review request's days after it, the recommendations a week later, and a day for the
    /// local morning.
    static func seriesSpan(_ settings: FlowSettings) -> TimeInterval {
        TimeInterval(7 + settings.reviewRequestDays + 7 + 1) * 86_400
    }

    /// The order (missing, incomplete, cancelled, timing), then its customer.
    func screen(_ event: LifecycleEvent, facts: FlowFacts) throws -> Screening {
        guard event.order != nil else {
            throw Failure(.unsupportedSubject, "\(event.subject.kind) events are not orders", retryable: false)
        }
        guard let order = facts.order(of: event) else {
            return .stop(Guards.orderUnavailable(event.subject.id))
        }
        if let verdict = Guards(settings: facts.settings).checkNewOrder(order, now: facts.now) {
            return .stop(verdict)
        }
        return .enrich(
            EnrichmentNeeds(.profile(OrderSituation.customer(of: order, event: event), currency: order.currency)))
    }

    /// Consent (when the configuration asks for it) and a recipient, the insights, and the series.
    func plan(_ event: LifecycleEvent, facts: FlowFacts) throws -> FlowPlan {
        guard let order = facts.order(of: event), let enrichment = facts.enrichment else {
            throw Failure(.orderUnresolved, "order \(event.subject.id) was not read", retryable: false)
        }
        let settings = facts.settings
        let now = facts.now
        let situation = OrderSituation(order, enrichment: enrichment)
        let profile = situation.profile
        let marketing = profile.consent == .subscribed
        if let verdict = Guards(settings: settings).checkOrderCustomer(profile) {
            return .stop(verdict)
        }
        guard let email = profile.email else { return .stop(Guards.noRecipient) }

        let configuration = facts.configuration
        let soldOut = situation.soldOutLines
        // Follow-ups go out at a civil hour of the shop's day (the order's own offset), not at
        // whatever time of night the order happened to be placed.
        let offset = order.utcOffset ?? 0
        let transit = Self.transitDays(order.shippingMethod)
        let delivery = Self.morning(of: order.createdAt, plusDays: transit, utcOffset: offset)
        let reviewAt = Self.morning(
            of: order.createdAt, plusDays: transit + settings.reviewRequestDays, utcOffset: offset)
        let recommendations =
            marketing ? Recommender().recommend(for: situation.lines, profile: profile, catalog: situation.catalog) : []
        let note = FlowPlan.Note(
            "insights",
            [
                "order": .string(order.id), "ordinal": situation.ordinal.map(JSONValue.int) ?? .null,
                "expected_delivery": .string(Self.localDay(delivery, utcOffset: offset)),
                "marketing_consent": .bool(marketing),
                "recommendations": .array(recommendations.map { .string($0.product.id) }),
                "sold_out_since": .array(soldOut.map { .string($0.productID) }),
            ])

        struct Step {
            var name: String
            var sendAt: Date
            var link: String
            var daysAfterDelivery: Int? = nil
            var transactional = true
            var recommendations: [Recommendation] = []
        }
        let leadPage = situation.lines.first { !soldOut.contains($0) }.flatMap {
            situation.catalog[$0.productID]?.url
        }
        var steps = [
            Step(
                name: "thank_you", sendAt: order.createdAt,
                link: OrderSituation.link(order.statusURL, fallback: "/account/orders", configuration: configuration)),
            Step(
                name: "getting_started", sendAt: delivery,
                link: OrderSituation.link(leadPage, fallback: "/pages/care", configuration: configuration)),
            Step(
                name: "review_request", sendAt: reviewAt,
                link: OrderSituation.link(
                    leadPage.map { $0 + "#reviews" }, fallback: "/account/orders", configuration: configuration),
                daysAfterDelivery: settings.reviewRequestDays),
        ]
        if !recommendations.isEmpty {
            steps.append(
                Step(
                    name: "recommendations", sendAt: reviewAt.addingTimeInterval(7 * 86_400),
                    link: configuration.brand.storefrontURL, transactional: false, recommendations: recommendations))
        }
        let messages = steps.map { step in
            let promptContext = PromptContext(
                eventID: event.id, flow: .orderCreated, step: step.name, brand: configuration.brand, profile: profile,
                order: situation.facts(
                    expectedDelivery: Self.localDay(delivery, utcOffset: offset),
                    daysAfterDelivery: step.daysAfterDelivery),
                items: situation.lines, soldOut: soldOut, recommendations: step.recommendations, offer: nil,
                subjectMaxLength: configuration.policy.subjectMaxLength, now: now)
            var message = situation.message(
                step: step.name, promptID: "order_created", context: promptContext, sendAt: step.sendAt, email: email,
                link: step.link, event: event)
            message.isTransactional = step.transactional
            message.seriesKey = OrderSituation.seriesKey(event)
            message.dedupeKeys = [OrderSituation.key(.orderCreated, event)]
            return message
        }
        // A cancellation that starts while the series is handed over is read again after it.
        return FlowPlan(
            note: note, action: .writeSeries(messages),
            recheck: TombstoneRecheck(
                tombstone: OrderSituation.cancelledKey(event), series: OrderSituation.seriesKey(event),
                orderID: event.subject.id))
    }

    /// The hour of the local day that follow-ups are sent at.
    static let sendHour = 10

    /// `sendHour` o'clock, local time, `days` days after the local day of `date`.
    static func morning(of date: Date, plusDays days: Int, utcOffset: Int) -> Date {
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + utcOffset
        let dayStart = local - ((local % 86_400) + 86_400) % 86_400
        return Date(timeIntervalSince1970: TimeInterval(dayStart + days * 86_400 + sendHour * 3600 - utcOffset))
    }

    /// The local calendar day (yyyy-MM-dd) of `date`.
    static func localDay(_ date: Date, utcOffset: Int) -> String {
        Timestamp.day(date.addingTimeInterval(TimeInterval(utcOffset)))
    }

    /// Days from order to doorstep by the shipping method's title; 5 when it says nothing.
    static func transitDays(_ method: String?) -> Int {
        let text = method?.lowercased() ?? ""
        if text.contains("overnight") || text.contains("next day") { return 1 }
        if text.contains("express") || text.contains("priority") { return 2 }
        if text.contains("economy") || text.contains("free") { return 7 }
        return 5
    }
}
